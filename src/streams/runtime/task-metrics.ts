/**
 * The metrics a streams app (or the test driver) reports (Kafka's task-level
 * `dropped-records-total`): records its processors dropped on purpose — null keys or values
 * into aggregations, records too late for their window. `droppedRecordsTotal` counts since the
 * app started, tasks closed since included; `tasks` holds the current tasks only (Kafka removes
 * a task's metrics with the task).
 */
import type { StoreMetrics } from '../state/key-value-store-impl.js'

export interface StreamsMetrics {
  readonly droppedRecordsTotal: number
  /** Per current task (`<subtopology>_<partition>`). */
  readonly tasks: Readonly<Record<string, { readonly droppedRecordsTotal: number }>>
  /**
   * Per state store name, summed over the current tasks' instances (the metered layer: gets,
   * puts, reads that reached the backend, range reads, changes flushed, batches committed).
   */
  readonly stores: Readonly<Record<string, Readonly<StoreMetrics>>>
}

/** Sums the counters of store instances by store name. */
export function storeMetricsByName(stores: Iterable<{ readonly name: string; readonly metrics: StoreMetrics }>): Record<string, StoreMetrics> {
  const out: Record<string, StoreMetrics> = {}
  for (const { name, metrics } of stores) {
    const sum = (out[name] ??= { gets: 0, puts: 0, backendReads: 0, rangeReads: 0, flushedRecords: 0, commits: 0 })
    sum.gets += metrics.gets
    sum.puts += metrics.puts
    sum.backendReads += metrics.backendReads
    sum.rangeReads += metrics.rangeReads
    sum.flushedRecords += metrics.flushedRecords
    sum.commits += metrics.commits
  }
  return out
}
