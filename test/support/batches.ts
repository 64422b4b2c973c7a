import { encodeRecordBatch } from '../../src/log/record/batch-builder.js'
import { iterateBatches } from '../../src/log/record/record-batch.js'
import type { RecordInput } from '../../src/log/record/record.js'

/** A batch of `count` records whose values are `${tag}:${i}` and keys `k${i % 7}`. */
export function batchOf(count: number, tag: string, timestampMs = 1_700_000_000_000): Buffer {
  const records: RecordInput[] = []
  for (let i = 0; i < count; i++) {
    records.push({ key: Buffer.from(`k${i % 7}`), value: Buffer.from(`${tag}:${i}`), timestampMs: timestampMs + i })
  }
  return encodeRecordBatch(records)
}

/** One batch holding exactly the given values (keys null). */
export function batchOfValues(values: readonly string[], timestampMs = 1_700_000_000_000): Buffer {
  return encodeRecordBatch(values.map((v, i) => ({ key: null, value: Buffer.from(v), timestampMs: timestampMs + i })))
}

export interface DecodedRecord {
  offset: number
  timestampMs: number
  key: string | null
  value: string | null
}

/** Decodes every record of the concatenated batches in `bytes`. */
export function decodeAll(bytes: Uint8Array): DecodedRecord[] {
  const out: DecodedRecord[] = []
  for (const batch of iterateBatches(bytes)) {
    batch.forEachRecord((r) => {
      const key = r.key
      const value = r.value
      out.push({
        offset: r.offset,
        timestampMs: r.timestampMs,
        key: key === null ? null : Buffer.from(key).toString(),
        value: value === null ? null : Buffer.from(value).toString(),
      })
    })
  }
  return out
}
