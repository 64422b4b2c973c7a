/**
 * UUIDs as Kafka's `UUIDSerializer` writes them: the textual form, not the 16 raw bytes.
 *
 * Byte layout:
 * ```
 *   [0, 36)   8-4-4-4-12 lower-case hex digits and hyphens, as ASCII (= UTF-8)
 *             123e4567-e89b-12d3-a456-426614174000 → 31 32 33 65 … 30
 * ```
 */
import type { Serde } from './serde.js'
import { invalidBytes, invalidValue } from './errors.js'
import { asBuffer, expectLength, typeName } from './internal/buffers.js'

const SERDE = 'uuid'
const UUID_CHARS = 36
/** Any version and variant: Kafka's deserializer (`UUID.fromString`) accepts them all. */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A serde of UUID strings (Kafka's `Serdes.UUID()`).
 *
 * Values are written and returned lower-case, the canonical form Java's `UUID.toString()` writes,
 * so equal UUIDs give equal key bytes whatever case the producer used. Stricter than Java's
 * `UUID.fromString` on input: exactly 36 characters, each hex group at full width.
 *
 * Serialize throws `SERDES_INVALID_VALUE` for anything but a UUID string; deserialize throws
 * `SERDES_INVALID_BYTES` for bytes that are not 36 bytes of a UUID.
 */
export function uuidSerde(): Serde<string> {
  return {
    serialize(topic, value) {
      if (value === null) return null
      if (typeof value !== 'string') throw invalidValue(SERDE, topic, `expected a UUID string, got ${typeName(value)}`)
      if (!UUID_PATTERN.test(value)) throw invalidValue(SERDE, topic, 'the string is not an 8-4-4-4-12 hex UUID')
      return Buffer.from(value.toLowerCase(), 'latin1')
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      expectLength(SERDE, topic, bytes, UUID_CHARS)
      // latin1 maps each byte to one character, so a non-ASCII byte fails the pattern below.
      const text = asBuffer(bytes).toString('latin1')
      if (!UUID_PATTERN.test(text)) throw invalidBytes(SERDE, topic, 'the bytes are not an 8-4-4-4-12 hex UUID')
      return text.toLowerCase()
    },
  }
}
