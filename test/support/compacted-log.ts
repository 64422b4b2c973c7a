import { expect } from 'vitest'
import { encodeRecordBatch, type RecordBatchBuilderOptions } from '../../src/log/record/batch-builder.js'
import { iterateBatches, type RecordBatch } from '../../src/log/record/record-batch.js'
import type { RecordInput } from '../../src/log/record/record.js'
import type { PartitionLog } from '../../src/log/storage/partition-log.js'
import { decodeAll, type DecodedRecord } from './batches.js'

/** A record for {@link keyedBatch}: key and value as strings, `null` for a null key / tombstone. */
export type KeyValue = readonly [key: string | null, value: string | null]

/** One batch of `entries`; record i gets timestamp `timestampMs + i`. */
export function keyedBatch(
  entries: readonly KeyValue[],
  timestampMs = 1_700_000_000_000,
  options: RecordBatchBuilderOptions = {},
): Buffer {
  const records: RecordInput[] = entries.map(([k, v], i) => ({
    key: k === null ? null : Buffer.from(k),
    value: v === null ? null : Buffer.from(v),
    timestampMs: timestampMs + i,
  }))
  return encodeRecordBatch(records, options)
}

/**
 * Every record from the log start to the log end the way a consumer fetches: read from an
 * offset, drop records below it, continue after the last record seen — or after the batch when
 * it holds none (compaction leaves emptied batches and gaps).
 */
export function readAllRecords(log: PartitionLog, from = log.logStartOffset): DecodedRecord[] {
  const out: DecodedRecord[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const bytes = log.read(offset, 64 * 1024)
    if (bytes.length === 0) break
    let next = offset
    for (const batch of iterateBatches(bytes)) {
      for (const r of decodeAll(batch.bytes())) if (r.offset >= offset) out.push(r)
      next = Math.max(next, batch.lastOffset + 1)
    }
    offset = next
  }
  return out
}

/** Every batch header of the log, in order (for checks of the batch layout itself). */
export function readAllBatches(log: PartitionLog): RecordBatch[] {
  const out: RecordBatch[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const bytes = log.read(offset, 1 << 20)
    if (bytes.length === 0) break
    for (const batch of iterateBatches(bytes)) {
      if (batch.lastOffset >= offset) out.push(batch)
      offset = Math.max(offset, batch.lastOffset + 1)
    }
  }
  return out
}

/** key → value of the last record per key (tombstones included, as null). */
export function lastValues(records: readonly DecodedRecord[]): Map<string, string | null> {
  const m = new Map<string, string | null>()
  for (const r of records) if (r.key !== null) m.set(r.key, r.value)
  return m
}

/** Asserts that `fn` throws (or rejects with) a MillraceError with `code`. */
export async function expectCode(fn: () => unknown, code: string): Promise<void> {
  let caught: unknown
  try {
    await fn()
  } catch (err) {
    caught = err
  }
  expect((caught as { code?: string } | undefined)?.code).toBe(code)
}

/** Lets the event loop run `turns` times (setImmediate), e.g. to interleave work with a cleaner. */
export async function turns(count = 1): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
