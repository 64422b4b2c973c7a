/**
 * Where sinks put output records: the runtime's collector batches them for the producer (one
 * `sendBatch` per processed batch, never a promise per record); the test driver's keeps them per
 * topic for its output topics.
 */
import type { RecordHeader } from '../../log/index.js'

export interface OutputRecord {
  readonly topic: string
  readonly key: Uint8Array | null
  readonly value: Uint8Array | null
  readonly headers: readonly RecordHeader[]
  readonly timestampMs: number
  /** `undefined`: the producer's partitioner decides. */
  readonly partition: number | undefined
}

export interface RecordCollector {
  send(record: OutputRecord): void
  /** Partitions of `topic` (for a `StreamPartitioner`); `undefined` when unknown. */
  partitionCount(topic: string): number | undefined
}
