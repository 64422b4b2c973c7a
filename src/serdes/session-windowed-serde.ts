/**
 * Keys of session-windowed aggregations (Kafka `SessionWindowedSerde`): the record key and its
 * session `[startMs, endMs]` (both inclusive).
 *
 * Byte layout (Kafka's `SessionKeySchema.toBinary`):
 * ```
 *   [0, n)           the inner key's bytes (its own serde)
 *   [n, n + 8)       session end, int64 big-endian (ms)
 *   [n + 8, n + 16)  session start, int64 big-endian (ms)
 * ```
 * The end comes first because Kafka's session stores use the same bytes as their keys: a key's
 * sessions then sort by end, which is what a search for sessions overlapping a time range scans.
 */
import type { Serde } from './serde.js'
import { invalidBytes, invalidValue } from './errors.js'
import type { Windowed } from './windowed-serde.js'

const SERDE = 'sessionWindowed'
const TIME_BYTES = 8
const SESSION_BYTES = 2 * TIME_BYTES
const TWO_POW_32 = 4294967296

export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    serialize(topic, value) {
      if (value === null) return null
      const key = inner.serialize(topic, value.key)
      if (key === null) throw invalidValue(SERDE, topic, 'a session-windowed key needs a non-null key')
      const { startMs, endMs } = value.window
      if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs)) throw invalidValue(SERDE, topic, 'session start and end must be integers of ms')
      // Kafka's SessionWindow refuses an end before its start.
      if (endMs < startMs) throw invalidValue(SERDE, topic, 'a session ends at or after its start')
      const out = new Uint8Array(key.length + SESSION_BYTES)
      out.set(key, 0)
      const view = new DataView(out.buffer, out.byteOffset + key.length, SESSION_BYTES)
      writeInt64(view, 0, endMs)
      writeInt64(view, TIME_BYTES, startMs)
      return out
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      if (bytes.length < SESSION_BYTES) throw invalidBytes(SERDE, topic, `a session-windowed key has ${bytes.length} bytes, fewer than its 16 bytes of session end and start`)
      const at = bytes.length - SESSION_BYTES
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, SESSION_BYTES)
      const endMs = readInt64(view, 0)
      const startMs = readInt64(view, TIME_BYTES)
      if (endMs === undefined || startMs === undefined) throw invalidBytes(SERDE, topic, 'a session time is outside ±(2^53 − 1) ms', undefined, { position: at })
      if (endMs < startMs) throw invalidBytes(SERDE, topic, 'the session ends before it starts', undefined, { position: at })
      return { key: inner.deserialize(topic, bytes.subarray(0, at)) as K, window: { startMs, endMs } }
    },
  }
}

/** A safe integer as int64 big-endian (two's complement through the high word's sign). */
function writeInt64(view: DataView, at: number, ms: number): void {
  const high = Math.floor(ms / TWO_POW_32)
  view.setInt32(at, high)
  view.setUint32(at + 4, ms - high * TWO_POW_32)
}

/** An int64 big-endian, or `undefined` when it is not a safe integer. */
function readInt64(view: DataView, at: number): number | undefined {
  const ms = view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4)
  return Number.isSafeInteger(ms) ? ms : undefined
}
