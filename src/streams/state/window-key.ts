/**
 * Byte layouts of window and session store keys (Kafka's `WindowKeySchema` and
 * `SessionKeySchema`, without Kafka's duplicate sequence number):
 * ```
 *   window:  [key bytes][window start int64 BE]
 *   session: [key bytes][session end int64 BE][session start int64 BE]
 * ```
 * Key first, so one key's windows are contiguous and a time range of one key is a byte range.
 * Times are ≥ 0, so big-endian bytes order like the numbers. Entries of a longer key that starts
 * with the same bytes can fall inside such a range; they have a different length and are skipped
 * by the readers (every key of one range has the queried key's length plus the time fields).
 */
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import { readInt64, writeInt64 } from './int64-number.js'

export const TIME_BYTES = 8
/** The largest time a range bound takes (every byte 0x7f… keeps it a valid non-negative int64). */
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER

export function windowKey(key: Uint8Array, startMs: number): Uint8Array {
  const out = new Uint8Array(key.length + TIME_BYTES)
  out.set(key, 0)
  writeInt64(out, key.length, startMs)
  return out
}

export function windowStartOf(bytes: Uint8Array): number {
  return readInt64(bytes, bytes.length - TIME_BYTES)
}

export function sessionKey(key: Uint8Array, endMs: number, startMs: number): Uint8Array {
  const out = new Uint8Array(key.length + 2 * TIME_BYTES)
  out.set(key, 0)
  writeInt64(out, key.length, endMs)
  writeInt64(out, key.length + TIME_BYTES, startMs)
  return out
}

export function sessionEndOf(bytes: Uint8Array): number {
  return readInt64(bytes, bytes.length - 2 * TIME_BYTES)
}

export function sessionStartOf(bytes: Uint8Array): number {
  return readInt64(bytes, bytes.length - TIME_BYTES)
}

/** Whether a time is one the layouts hold: an integer in [0, 2^53 − 1]. */
export function isStoreTime(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= 0
}

/** @throws `STREAMS_ILLEGAL_STATE` for a time the layouts cannot hold. */
export function checkStoreTime(store: string, timeMs: number): void {
  if (!isStoreTime(timeMs)) throw streamsError('STREAMS_ILLEGAL_STATE', `store ${store}: window and session times are integers in [0, 2^53 − 1] ms`, { store, timeMs: String(timeMs) })
}

/** The serialized `key` of a window or session store. @throws `STREAMS_ILLEGAL_STATE` for a null key. */
export function storeKeyBytes<K>(store: string, serde: Serde<K>, topic: string, key: K): Uint8Array {
  if (key === null || key === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', `store ${store} cannot hold a null key`, { store })
  return serde.serialize(topic, key) ?? new Uint8Array(0)
}
