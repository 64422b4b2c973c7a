/**
 * The workload of every log figure: records with a 16-byte key and a 100-byte value (perf-anchor
 * "Implied goals" conventions), encoded with the producer's `RecordBatchBuilder` into 16 KiB
 * batches, plus helpers to fill a partition quickly.
 */
import { randomBytes } from 'node:crypto'
import type { Broker } from '../../src/log/broker.js'
import type { TopicPartition } from '../../src/log/topic-partition.js'
import { RecordBatchBuilder } from '../../src/log/record/batch-builder.js'
import type { RecordInput } from '../../src/log/record/record.js'
import {
  BASE_TIMESTAMP_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  baseTimestampAt,
  batchSizeAt,
  maxTimestampAt,
  stampBatchCrc,
} from '../../src/log/record/record-batch-v2.js'
import { writeInt64At } from '../../src/log/binary/writer.js'

export const KEY_BYTES = 16
export const VALUE_BYTES = 100
export const BATCH_BYTES = 16 * 1024
/** An arbitrary fixed epoch for record timestamps (the bench never reads the wall clock for data). */
export const BASE_TIMESTAMP_MS = 1_700_000_000_000
/** Records per millisecond of record time: timestamps advance the way a busy producer's do. */
const RECORDS_PER_MS = 1024

/** Distinct records cycled through, so the encoder copies varied bytes without the bench allocating per record. */
const POOL_SIZE = 4096

/** A fixed pool of records (random 16-byte keys, random 100-byte values). */
export function recordPool(size = POOL_SIZE): RecordInput[] {
  const keys = randomBytes(KEY_BYTES * size)
  const values = randomBytes(VALUE_BYTES * size)
  const out: RecordInput[] = []
  for (let i = 0; i < size; i++) {
    out.push({
      key: keys.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES),
      value: values.subarray(i * VALUE_BYTES, (i + 1) * VALUE_BYTES),
    })
  }
  return out
}

/**
 * Encodes records `first, first+1, …` (taken round-robin from `pool`) into one batch of at most
 * `maxBatchBytes`, as a producer would: `hasRoomFor` before each append, `build()` at the end.
 * Returns the batch and how many records it holds.
 */
export function encodeBatch(
  pool: readonly RecordInput[],
  first: number,
  limitRecords = Number.MAX_SAFE_INTEGER,
  maxBatchBytes = BATCH_BYTES,
): { bytes: Buffer; records: number } {
  const builder = new RecordBatchBuilder({ maxBatchBytes })
  const mask = pool.length - 1
  let i = first
  const end = first + limitRecords
  while (i < end && builder.hasRoomFor(KEY_BYTES, VALUE_BYTES)) {
    builder.append(pool[i & mask] as RecordInput, BASE_TIMESTAMP_MS + Math.floor(i / RECORDS_PER_MS))
    i++
  }
  return { bytes: builder.build(), records: i - first }
}

/**
 * `count` consecutive 16 KiB batches concatenated into one buffer (one `append` call), with the
 * batch sizes and record count.
 */
export function encodeBatches(pool: readonly RecordInput[], count: number): { bytes: Buffer; sizes: number[]; records: number } {
  const parts: Buffer[] = []
  let records = 0
  for (let b = 0; b < count; b++) {
    const { bytes, records: n } = encodeBatch(pool, records)
    parts.push(bytes)
    records += n
  }
  return { bytes: Buffer.concat(parts), sizes: parts.map((p) => p.length), records }
}

/**
 * Appends about `targetBytes` to `tp` quickly: one pre-encoded group of 16 batches is appended
 * over and over (the log rewrites offsets in place), with its timestamps moved forward and CRCs
 * re-stamped each time so the time index grows as it would with live traffic.
 * Returns the records and bytes appended.
 */
export function fillPartition(broker: Broker, tp: TopicPartition, targetBytes: number): { records: number; bytes: number } {
  const group = encodeBatches(recordPool(), 16)
  // Each batch keeps its own spread of record timestamps (maxTimestamp − baseTimestamp).
  const spreads: number[] = []
  for (let pos = 0; pos < group.bytes.length; pos += batchSizeAt(group.bytes, pos)) {
    spreads.push((maxTimestampAt(group.bytes, pos) as number) - (baseTimestampAt(group.bytes, pos) as number))
  }
  let bytes = 0
  let records = 0
  let step = 0
  while (bytes < targetBytes) {
    let pos = 0
    for (let b = 0; pos < group.bytes.length; b++) {
      const size = batchSizeAt(group.bytes, pos)
      const ts = BASE_TIMESTAMP_MS + step++
      writeInt64At(group.bytes, pos + BASE_TIMESTAMP_OFFSET, ts)
      writeInt64At(group.bytes, pos + MAX_TIMESTAMP_OFFSET, ts + (spreads[b] as number))
      stampBatchCrc(group.bytes, pos, size)
      pos += size
    }
    broker.append(tp, group.bytes, { trusted: true })
    bytes += group.bytes.length
    records += group.records
  }
  return { records, bytes }
}
