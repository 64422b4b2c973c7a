/**
 * `<offset>.snapshot`: the idempotent-producer state of one partition, valid for the log up to
 * (excluding) `<offset>` — Kafka's `ProducerStateManager` snapshot, version 1, byte for byte:
 *
 * ```
 * version                 int16   = 1
 * crc                     uint32  CRC-32C of every byte after this field
 * entryCount              int32
 * entryCount × (46 bytes):
 *   producerId            int64
 *   epoch                 int16
 *   lastSequence          int32   of the producer's last batch (−1: no batch)
 *   lastOffset            int64   of the last batch (−1: no batch)
 *   offsetDelta           int32   lastOffset − first offset of the last batch
 *   timestamp             int64   max timestamp of the last batch
 *   coordinatorEpoch      int32   −1 until a transaction marker set it
 *   currentTxnFirstOffset int64   −1 when no transaction is open
 * ```
 *
 * Kafka keeps only the last batch per producer in a snapshot (the dedup window of 5 batches
 * refills from later appends); so do we. The file name is the 20-digit offset, as for segments.
 */
import { Reader, readUint32At } from '../binary/reader.js'
import { Writer } from '../binary/writer.js'
import { logError } from '../errors.js'
import { crc32cRange } from '../record/crc32c.js'

export const PRODUCER_SNAPSHOT_SUFFIX = '.snapshot'
export const PRODUCER_SNAPSHOT_VERSION = 1
const HEADER_BYTES = 10
const CRC_AT = 2
const ENTRY_BYTES = 46

/** One producer's row in a snapshot (see the file comment for the fields). */
export interface ProducerSnapshotEntry {
  producerId: bigint
  epoch: number
  lastSequence: number
  lastOffset: number
  offsetDelta: number
  timestampMs: number
  coordinatorEpoch: number
  currentTxnFirstOffset: number
}

/** Encodes `entries` in the v1 layout. */
export function encodeProducerSnapshot(entries: readonly ProducerSnapshotEntry[]): Buffer {
  const w = new Writer(HEADER_BYTES + entries.length * ENTRY_BYTES)
  w.int16(PRODUCER_SNAPSHOT_VERSION)
  w.uint32(0)
  w.int32(entries.length)
  for (const e of entries) {
    w.int64(e.producerId)
    w.int16(e.epoch)
    w.int32(e.lastSequence)
    w.int64(e.lastOffset)
    w.int32(e.offsetDelta)
    w.int64(e.timestampMs)
    w.int32(e.coordinatorEpoch)
    w.int64(e.currentTxnFirstOffset)
  }
  w.setUint32At(CRC_AT, crc32cRange(w.view(), HEADER_BYTES - 4, w.length))
  return w.finish()
}

/**
 * Decodes a snapshot. @throws `LOG_CORRUPT_BATCH` (details: file, position, reason) for a wrong
 * version, a failed CRC, a truncated file or trailing bytes — the caller then ignores the file and
 * rebuilds the state from the log.
 */
export function decodeProducerSnapshot(bytes: Uint8Array, file: string): ProducerSnapshotEntry[] {
  const corrupt = (reason: string, position: number): never => {
    throw logError('LOG_CORRUPT_BATCH', `producer snapshot ${file}: ${reason}`, { file, position, reason })
  }
  if (bytes.length < HEADER_BYTES) corrupt(`${bytes.length} bytes, shorter than the header`, 0)
  const r = new Reader(bytes, 0, bytes.length, 0, 'producer snapshot')
  const version = r.int16()
  if (version !== PRODUCER_SNAPSHOT_VERSION) corrupt(`version ${version}`, 0)
  const crc = readUint32At(bytes, CRC_AT)
  if (crc !== crc32cRange(bytes, HEADER_BYTES - 4, bytes.length)) corrupt('CRC-32C mismatch', CRC_AT)
  r.skip(4)
  const count = r.int32()
  if (count < 0 || HEADER_BYTES + count * ENTRY_BYTES !== bytes.length) {
    corrupt(`${count} entries do not match the file's ${bytes.length} bytes`, HEADER_BYTES - 4)
  }
  const entries: ProducerSnapshotEntry[] = []
  for (let i = 0; i < count; i++) {
    entries.push({
      producerId: r.bigInt64(),
      epoch: r.int16(),
      lastSequence: r.int32(),
      lastOffset: r.int64(),
      offsetDelta: r.int32(),
      timestampMs: r.int64(),
      coordinatorEpoch: r.int32(),
      currentTxnFirstOffset: r.int64(),
    })
  }
  return entries
}
