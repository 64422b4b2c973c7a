/**
 * Re-encodes a record batch that lost some records to compaction, the way Kafka's
 * `MemoryRecords.filterTo` does for the cleaner. Layout is the v2 batch of `record-batch-v2.ts`;
 * what the cleaner keeps and what it recomputes:
 *
 * ```
 * header field          retained batch                          emptied batch (kept as a header)
 * baseOffset            original                                original
 * lastOffsetDelta       original (offsets and sequences span    original
 *                       the same range as before)
 * partitionLeaderEpoch  original                                original
 * attributes            original codec, timestamp type,         codec none, timestamp type,
 *                       transactional, control; bit 6 set iff   transactional, control
 *                       a delete horizon is given
 * baseTimestamp         deleteHorizonMs when bit 6 is set, else original maxTimestamp
 *                       the first retained record's timestamp
 * maxTimestamp          CreateTime: max of retained records;    original maxTimestamp
 *                       LogAppendTime: original
 * producerId/Epoch,     original                                original
 * baseSequence
 * recordsCount          retained records                        0
 * records               each with its ORIGINAL offset delta and —
 *                       its timestamp re-based on baseTimestamp;
 *                       compressed as a whole with the original codec
 * ```
 *
 * Why not `RecordBatchBuilder`: it numbers offset deltas 0, 1, 2, … and sets lastOffsetDelta to
 * count − 1, so it cannot express "records at deltas 3 and 7 of a batch spanning 0–9", which is
 * what preserving offsets needs. Header keys are re-encoded from their decoded UTF-8 strings, as
 * Kafka's Java cleaner does (invalid UTF-8 in a header key is therefore not byte-preserved).
 */
import { sizeOfVarint, sizeOfVarlong, writeInt64At, writeZigZag32, writeZigZag64 } from '../binary/writer.js'
import { compress } from '../record/compression/index.js'
import type { LogRecord } from '../record/log-record.js'
import type { RecordHeader } from '../record/record.js'
import type { RecordBatch } from '../record/record-batch.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  stampBatchCrc,
} from '../record/record-batch-v2.js'

/**
 * `source` with only `records` (a non-empty, offset-ordered subset of its records), stamped with
 * `deleteHorizonMs` when given. A new buffer; `source` is not modified.
 * @throws LOG_UNSUPPORTED_COMPRESSION when the batch's codec has no backend here.
 */
export function encodeRetainedBatch(
  source: RecordBatch,
  records: readonly LogRecord[],
  deleteHorizonMs: number | undefined,
): Buffer {
  const first = records[0]
  if (first === undefined) return encodeEmptyBatch(source)
  const baseOffset = source.baseOffset
  const logAppendTime = source.timestampType === 'log-append-time'
  const baseTimestamp = deleteHorizonMs ?? first.timestampMs
  let maxTimestamp = logAppendTime ? source.maxTimestamp : first.timestampMs

  // Sizes first, so the region is allocated once and no length prefix needs back-patching.
  const headerLists: (RecordHeader[] | undefined)[] = new Array(records.length)
  const bodySizes = new Int32Array(records.length)
  let regionBytes = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LogRecord
    if (!logAppendTime && r.timestampMs > maxTimestamp) maxTimestamp = r.timestampMs
    const headers = r.headers
    headerLists[i] = headers.length > 0 ? headers : undefined
    const body = recordBodyBytes(r, r.offset - baseOffset, r.timestampMs - baseTimestamp, headers)
    bodySizes[i] = body
    regionBytes += sizeOfVarint(body) + body
  }

  const region = Buffer.allocUnsafe(regionBytes)
  let pos = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LogRecord
    const delta = { offset: r.offset - baseOffset, timestamp: r.timestampMs - baseTimestamp }
    pos = writeRecord(region, pos, bodySizes[i] as number, r, delta, headerLists[i])
  }
  const codec = source.compression
  const payload = codec === 'none' ? region : compress(codec, region)
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length)
  out.set(payload, BATCH_HEADER_BYTES)
  const keptFlags = COMPRESSION_CODEC_MASK | TIMESTAMP_TYPE_MASK | TRANSACTIONAL_FLAG_MASK | CONTROL_FLAG_MASK
  let attributes = source.attributes & keptFlags
  if (deleteHorizonMs !== undefined) attributes |= DELETE_HORIZON_FLAG_MASK
  writeHeader(out, source, attributes, baseTimestamp, maxTimestamp, records.length)
  return out
}

/**
 * `source` as a header without records (Kafka `DefaultRecordBatch.writeEmptyHeader`): it keeps
 * the batch's offset range, producer id, epoch and sequences when compaction removed every
 * record but the batch must stay (the last batch of a cleaning round or of a cleaned segment).
 */
export function encodeEmptyBatch(source: RecordBatch): Buffer {
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES)
  const attributes = source.attributes & (TIMESTAMP_TYPE_MASK | TRANSACTIONAL_FLAG_MASK | CONTROL_FLAG_MASK)
  const timestamp = source.maxTimestamp
  writeHeader(out, source, attributes, timestamp, timestamp, 0)
  return out
}

function writeHeader(
  out: Buffer,
  source: RecordBatch,
  attributes: number,
  baseTimestamp: number,
  maxTimestamp: number,
  recordsCount: number,
): void {
  writeInt64At(out, BASE_OFFSET_OFFSET, source.baseOffset)
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  out.writeInt32BE(source.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
  out[MAGIC_OFFSET] = MAGIC_V2
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
  out.writeInt32BE(source.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET)
  writeInt64At(out, BASE_TIMESTAMP_OFFSET, baseTimestamp)
  writeInt64At(out, MAX_TIMESTAMP_OFFSET, maxTimestamp)
  writeInt64At(out, PRODUCER_ID_OFFSET, source.producerId)
  out.writeInt16BE(source.producerEpoch, PRODUCER_EPOCH_OFFSET)
  out.writeInt32BE(source.baseSequence, BASE_SEQUENCE_OFFSET)
  out.writeInt32BE(recordsCount, RECORDS_COUNT_OFFSET)
  stampBatchCrc(out, 0, out.length)
}

/** Bytes of a record after its length prefix (layout in `record.ts`). */
function recordBodyBytes(r: LogRecord, offsetDelta: number, timestampDelta: number, headers: readonly RecordHeader[]): number {
  const keySize = r.keySize
  const valueSize = r.valueSize
  let bytes =
    1 +
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    sizeOfVarint(keySize) +
    (keySize > 0 ? keySize : 0) +
    sizeOfVarint(valueSize) +
    (valueSize > 0 ? valueSize : 0) +
    sizeOfVarint(headers.length)
  for (const h of headers) {
    const keyBytes = Buffer.byteLength(h.key, 'utf8')
    const valueBytes = h.value === null ? -1 : h.value.length
    bytes += sizeOfVarint(keyBytes) + keyBytes + sizeOfVarint(valueBytes) + (valueBytes > 0 ? valueBytes : 0)
  }
  return bytes
}

function writeRecord(
  buf: Buffer,
  start: number,
  bodyBytes: number,
  r: LogRecord,
  delta: { offset: number; timestamp: number },
  headers: readonly RecordHeader[] | undefined,
): number {
  let pos = writeZigZag32(buf, start, bodyBytes)
  buf[pos++] = 0 // record attributes: unused in v2
  pos = writeZigZag64(buf, pos, delta.timestamp)
  pos = writeZigZag32(buf, pos, delta.offset)
  pos = writeBytes(buf, pos, r.key)
  pos = writeBytes(buf, pos, r.value)
  pos = writeZigZag32(buf, pos, headers === undefined ? 0 : headers.length)
  if (headers !== undefined) {
    for (const h of headers) {
      const keyBytes = Buffer.byteLength(h.key, 'utf8')
      pos = writeZigZag32(buf, pos, keyBytes)
      pos += buf.write(h.key, pos, keyBytes, 'utf8')
      pos = writeBytes(buf, pos, h.value)
    }
  }
  return pos
}

/** Length-prefixed (zigzag varint, −1 = null) bytes. */
function writeBytes(buf: Buffer, start: number, bytes: Uint8Array | null): number {
  if (bytes === null) return writeZigZag32(buf, start, -1)
  const pos = writeZigZag32(buf, start, bytes.length)
  buf.set(bytes, pos)
  return pos + bytes.length
}
