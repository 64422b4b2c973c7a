/**
 * Raw bytes (Kafka's `Serdes.ByteArray()`).
 *
 * Byte layout:
 * ```
 *   [0, n)   the bytes themselves
 * ```
 */
import type { Serde } from './serde.js'
import { invalidValue } from './errors.js'
import { ownedCopy, typeName } from './internal/buffers.js'

/**
 * A pass-through serde of `Uint8Array`s (a `Buffer` is one).
 *
 * Serialize returns the given array itself, not a copy (as Kafka's `ByteArraySerializer` does):
 * the caller keeps it unchanged until the record is sent. Deserialize returns a copy, a `Buffer`
 * that owns its memory, because the record's bytes may live in a pooled read buffer.
 *
 * Serialize throws `SERDES_INVALID_VALUE` for anything but a `Uint8Array`; deserialize never throws.
 */
export function bytesSerde(): Serde<Uint8Array> {
  return {
    serialize(topic, value) {
      if (value === null) return null
      if (!(value instanceof Uint8Array)) throw invalidValue('bytes', topic, `expected a Uint8Array, got ${typeName(value)}`)
      return value
    },
    deserialize(_topic, bytes) {
      return bytes === null ? null : ownedCopy(bytes)
    },
  }
}
