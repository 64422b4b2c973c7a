/**
 * ListOffsets-by-timestamp for one partition: the earliest offset whose record timestamp is ≥ a
 * target (Kafka `UnifiedLog.fetchOffsetByTimestamp`). The partition log finds the first batch
 * whose maxTimestamp qualifies through the time index; the record is then found in that batch.
 */
import { RecordBatch } from '../record/record-batch.js'
import type { PartitionLog } from './partition-log.js'

export interface TimestampOffset {
  offset: number
  timestampMs: number
}

/** The first record at or after `timestampMs`, or undefined when every record is older. */
export function offsetForTimestamp(log: PartitionLog, timestampMs: number): TimestampOffset | undefined {
  const bytes = log.readFirstBatchAtOrAfterTimestamp(timestampMs)
  if (!bytes) return undefined
  const batch = new RecordBatch(bytes, 0)
  let found: TimestampOffset | undefined
  batch.forEachRecord((r) => {
    if (found === undefined && r.timestampMs >= timestampMs && r.offset >= log.logStartOffset) {
      found = { offset: r.offset, timestampMs: r.timestampMs }
    }
  })
  return found
}
