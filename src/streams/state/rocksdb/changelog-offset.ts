/**
 * Where a RocksDB store records the changelog offset its data reflects (DESIGN.md §4, commit
 * step 3). Byte layout:
 *
 *   column family  `millrace-meta` (RocksDB column family name, ASCII)
 *   key            `changelog-offset` (16 ASCII bytes)
 *   value          int64, big-endian: the next changelog offset to restore from, 0 ≤ offset ≤ 2^53-1
 *
 * A column family of its own, not a reserved key among the data: a store's keys are arbitrary
 * serialized bytes (the empty key included), so no key can be reserved without prefixing every
 * user key, which would cost a copy per read and write. RocksDB applies one `WriteBatch` across
 * column families atomically (one write-ahead log record), and recovery replays the log for
 * every family that had not flushed, so the data and the offset never disagree after a crash.
 */
import { streamsError } from '../../errors.js'

export const META_COLUMN = 'millrace-meta'
export const CHANGELOG_OFFSET_KEY: Uint8Array = Buffer.from('changelog-offset', 'latin1')
const OFFSET_BYTES = 8

export function encodeChangelogOffset(offset: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(OFFSET_BYTES)
  bytes.writeBigInt64BE(BigInt(offset))
  return bytes
}

/** @throws `STREAMS_STATE_STORE_FAILED` for a value that is not 8 bytes holding an offset in [0, 2^53-1]. */
export function decodeChangelogOffset(bytes: Uint8Array, store: string): number {
  const offset = bytes.length === OFFSET_BYTES ? Buffer.from(bytes.buffer, bytes.byteOffset, OFFSET_BYTES).readBigInt64BE() : -1n
  if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw streamsError('STREAMS_STATE_STORE_FAILED', `state store ${store}: the recorded changelog offset is corrupt (${bytes.length} bytes)`, {
      store,
      bytes: bytes.length,
    })
  }
  return Number(offset)
}
