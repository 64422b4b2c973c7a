/**
 * Kafka record batch v2 (magic 2) header: the on-disk and on-wire layout, byte for byte
 * (apache/kafka `DefaultRecordBatch.java`). All integers big-endian.
 *
 * ```
 * offset size field                  notes
 *  0     8    baseOffset             assigned by the log on append (producers send 0)
 *  8     4    batchLength            bytes after this field = batch size − 12
 * 12     4    partitionLeaderEpoch   stamped by the log (0 on one node); outside the CRC
 * 16     1    magic                  2
 * 17     4    crc                    CRC-32C of bytes [21, end)
 * 21     2    attributes             bits 0–2 codec, 3 timestamp type, 4 transactional,
 *                                    5 control, 6 delete horizon
 * 23     4    lastOffsetDelta        last record offset − baseOffset (kept by compaction)
 * 27     8    baseTimestamp          (deleteHorizonMs when bit 6 is set)
 * 35     8    maxTimestamp
 * 43     8    producerId             −1 when not idempotent
 * 51     2    producerEpoch          −1 when not idempotent
 * 53     4    baseSequence           −1 when not idempotent
 * 57     4    recordsCount           never compressed
 * 61     …    records                one compressed blob when the codec is not none
 * ```
 *
 * These functions read and patch headers in place on a byte array holding one or more batches;
 * they are what the storage engine needs without decoding records.
 */
import { logError, type LogError } from '../errors.js'
import { readInt16At, readInt32At, readInt64At, readBigInt64At } from '../binary/reader.js'
import { writeInt64At } from '../binary/writer.js'
import { crc32cRange } from './crc32c.js'

export const BASE_OFFSET_OFFSET = 0
export const BATCH_LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORDS_COUNT_OFFSET = 57
export const RECORDS_OFFSET = 61

/** Size of the batch header; the smallest valid batch (no records). */
export const BATCH_HEADER_BYTES = 61
/** baseOffset + batchLength: the bytes not counted by batchLength (Kafka `LOG_OVERHEAD`). */
export const LOG_OVERHEAD = 12
export const MAGIC_V2 = 2

export const COMPRESSION_CODEC_MASK = 0x07
export const TIMESTAMP_TYPE_MASK = 0x08
export const TRANSACTIONAL_FLAG_MASK = 0x10
export const CONTROL_FLAG_MASK = 0x20
export const DELETE_HORIZON_FLAG_MASK = 0x40

/** Codec ids of attribute bits 0–2 (`CompressionType.java`). */
export const CompressionCodecId = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type CompressionType = keyof typeof CompressionCodecId

export type TimestampType = 'create-time' | 'log-append-time'

/** Size in bytes of the batch starting at `pos` (batchLength + 12); needs 12 readable bytes. */
export function batchSizeAt(buf: Uint8Array, pos: number): number {
  return readInt32At(buf, pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD
}

/** baseOffset of the batch at `pos`; `undefined` when beyond 2^53 − 1. */
export function baseOffsetAt(buf: Uint8Array, pos: number): number | undefined {
  return readInt64At(buf, pos + BASE_OFFSET_OFFSET)
}

export function lastOffsetDeltaAt(buf: Uint8Array, pos: number): number {
  return readInt32At(buf, pos + LAST_OFFSET_DELTA_OFFSET)
}

export function attributesAt(buf: Uint8Array, pos: number): number {
  return readInt16At(buf, pos + ATTRIBUTES_OFFSET)
}

export function baseTimestampAt(buf: Uint8Array, pos: number): number | undefined {
  return readInt64At(buf, pos + BASE_TIMESTAMP_OFFSET)
}

export function maxTimestampAt(buf: Uint8Array, pos: number): number | undefined {
  return readInt64At(buf, pos + MAX_TIMESTAMP_OFFSET)
}

export function producerIdAt(buf: Uint8Array, pos: number): bigint {
  return readBigInt64At(buf, pos + PRODUCER_ID_OFFSET)
}

export function producerEpochAt(buf: Uint8Array, pos: number): number {
  return readInt16At(buf, pos + PRODUCER_EPOCH_OFFSET)
}

export function baseSequenceAt(buf: Uint8Array, pos: number): number {
  return readInt32At(buf, pos + BASE_SEQUENCE_OFFSET)
}

export function recordsCountAt(buf: Uint8Array, pos: number): number {
  return readInt32At(buf, pos + RECORDS_COUNT_OFFSET)
}

export function isControlAt(buf: Uint8Array, pos: number): boolean {
  return (attributesAt(buf, pos) & CONTROL_FLAG_MASK) !== 0
}

export function isTransactionalAt(buf: Uint8Array, pos: number): boolean {
  return (attributesAt(buf, pos) & TRANSACTIONAL_FLAG_MASK) !== 0
}

/** Overwrites baseOffset in place (outside the CRC: no re-checksum needed). */
export function setBaseOffsetAt(buf: Uint8Array, pos: number, baseOffset: number): void {
  writeInt64At(buf, pos + BASE_OFFSET_OFFSET, baseOffset)
}

/** Overwrites partitionLeaderEpoch in place (outside the CRC). */
export function setPartitionLeaderEpochAt(buf: Uint8Array, pos: number, epoch: number): void {
  const b = buf
  const at = pos + PARTITION_LEADER_EPOCH_OFFSET
  b[at] = epoch >>> 24
  b[at + 1] = (epoch >>> 16) & 0xff
  b[at + 2] = (epoch >>> 8) & 0xff
  b[at + 3] = epoch & 0xff
}

/** CRC-32C over [attributes, end) of the batch at `pos` of `size` bytes. */
export function computeBatchCrc(buf: Uint8Array, pos: number, size: number): number {
  return crc32cRange(buf, pos + ATTRIBUTES_OFFSET, pos + size)
}

/** Writes the CRC field of the batch at `pos` of `size` bytes. */
export function stampBatchCrc(buf: Uint8Array, pos: number, size: number): void {
  const crc = computeBatchCrc(buf, pos, size)
  const at = pos + CRC_OFFSET
  buf[at] = crc >>> 24
  buf[at + 1] = (crc >>> 16) & 0xff
  buf[at + 2] = (crc >>> 8) & 0xff
  buf[at + 3] = crc & 0xff
}

/** The batch header fields, decoded. */
export interface BatchHeader {
  baseOffset: number
  /** Total bytes of the batch (batchLength + 12). */
  sizeBytes: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordsCount: number
}

/**
 * Checks the structure and CRC of the batch at `pos` within `[pos, end)` and returns its size.
 * Raises `LOG_CORRUPT_BATCH` (with `position` = `positionBase + pos`) when: fewer than 12 bytes
 * are left, the length field is below the header size or runs past `end`, magic ≠ 2, the CRC does
 * not match, or lastOffsetDelta / recordsCount are negative. Kafka's `isValid` plus the structural
 * checks that catch flips outside the CRC-covered range.
 */
export function validateBatchAt(buf: Uint8Array, pos: number, end: number, positionBase = 0): number {
  const where = positionBase + pos
  if (end - pos < LOG_OVERHEAD) throw corruptAt(where, `truncated batch header (${end - pos} bytes)`)
  const size = batchSizeAt(buf, pos)
  if (size < BATCH_HEADER_BYTES) throw corruptAt(where, `batch length ${size - LOG_OVERHEAD} below the header size`)
  if (size > end - pos) throw corruptAt(where, `batch of ${size} bytes runs past the end (${end - pos} bytes left)`)
  const magic = buf[pos + MAGIC_OFFSET]
  if (magic !== MAGIC_V2) throw corruptAt(where, `magic ${magic}, expected 2`)
  const stored = readInt32At(buf, pos + CRC_OFFSET) >>> 0
  const actual = computeBatchCrc(buf, pos, size)
  if (stored !== actual) throw corruptAt(where, `CRC-32C mismatch (stored ${stored}, computed ${actual})`)
  if (lastOffsetDeltaAt(buf, pos) < 0) throw corruptAt(where, 'negative lastOffsetDelta')
  if (recordsCountAt(buf, pos) < 0) throw corruptAt(where, 'negative record count')
  if (baseOffsetAt(buf, pos) === undefined) throw corruptAt(where, 'baseOffset beyond 2^53 − 1')
  return size
}

export function corruptAt(position: number, reason: string): LogError {
  return logError('LOG_CORRUPT_BATCH', `corrupt batch at position ${position}: ${reason}`, { position, reason })
}

/** Decodes the header of the batch at `pos` (no validation beyond bounds). */
export function readBatchHeader(buf: Uint8Array, pos: number): BatchHeader {
  if (buf.length - pos < BATCH_HEADER_BYTES) throw corruptAt(pos, 'truncated batch header')
  const int64 = (at: number): number => {
    const v = readInt64At(buf, pos + at)
    if (v === undefined) throw corruptAt(pos + at, 'int64 outside the safe integer range')
    return v
  }
  return {
    baseOffset: int64(BASE_OFFSET_OFFSET),
    sizeBytes: batchSizeAt(buf, pos),
    partitionLeaderEpoch: readInt32At(buf, pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf[pos + MAGIC_OFFSET] as number,
    crc: readInt32At(buf, pos + CRC_OFFSET) >>> 0,
    attributes: attributesAt(buf, pos),
    lastOffsetDelta: lastOffsetDeltaAt(buf, pos),
    baseTimestamp: int64(BASE_TIMESTAMP_OFFSET),
    maxTimestamp: int64(MAX_TIMESTAMP_OFFSET),
    producerId: producerIdAt(buf, pos),
    producerEpoch: producerEpochAt(buf, pos),
    baseSequence: baseSequenceAt(buf, pos),
    recordsCount: recordsCountAt(buf, pos),
  }
}
