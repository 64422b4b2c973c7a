/**
 * Keys of windowed aggregations (Kafka `Windowed<K>` and `TimeWindowedSerde`): the record key and
 * the window it was aggregated in.
 *
 * Byte layout (Kafka's `TimeWindowedSerializer`):
 * ```
 *   [0, n)      the inner key's bytes (its own serde)
 *   [n, n + 8)  window start, int64 big-endian (ms)
 * ```
 * The end is not stored: time windows have one size, so `endMs = startMs + sizeMs`.
 */
import type { Serde } from './serde.js'
import { invalidBytes, invalidValue } from './errors.js'

/** A time window: `[startMs, endMs)`. */
export interface TimeWindow {
  readonly startMs: number
  readonly endMs: number
}

export interface Windowed<K> {
  readonly key: K
  readonly window: TimeWindow
}

const SERDE = 'windowed'
const START_BYTES = 8
const TWO_POW_32 = 4294967296

export function windowedSerde<K>(inner: Serde<K>, sizeMs: number): Serde<Windowed<K>> {
  if (!(Number.isSafeInteger(sizeMs) && sizeMs > 0)) throw invalidValue(SERDE, '', 'the window size must be a positive integer of ms')
  return {
    serialize(topic, value) {
      if (value === null) return null
      const key = inner.serialize(topic, value.key)
      if (key === null) throw invalidValue(SERDE, topic, 'a windowed key needs a non-null key')
      const start = value.window.startMs
      if (!Number.isSafeInteger(start)) throw invalidValue(SERDE, topic, 'the window start must be an integer of ms')
      const out = Buffer.allocUnsafe(key.length + START_BYTES)
      out.set(key, 0)
      const high = Math.floor(start / TWO_POW_32)
      out.writeInt32BE(high, key.length)
      out.writeUInt32BE(start - high * TWO_POW_32, key.length + 4)
      return out
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      if (bytes.length < START_BYTES) throw invalidBytes(SERDE, topic, `a windowed key has ${bytes.length} bytes, fewer than its 8-byte window start`)
      const at = bytes.length - START_BYTES
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, START_BYTES)
      const startMs = view.getInt32(0) * TWO_POW_32 + view.getUint32(4)
      return { key: inner.deserialize(topic, bytes.subarray(0, at)) as K, window: { startMs, endMs: startMs + sizeMs } }
    },
  }
}
