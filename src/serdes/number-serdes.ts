/**
 * Fixed-width numbers, byte for byte what Kafka's `IntegerSerializer`, `LongSerializer` and
 * `DoubleSerializer` write (and what their deserializers accept: exactly that many bytes).
 *
 * Byte layouts (all big-endian, i.e. network order, as `java.nio.ByteBuffer` writes them):
 * ```
 *   int32    [0, 4)   two's complement           1 → 00 00 00 01,  -1 → ff ff ff ff
 *   int64    [0, 8)   two's complement           1n → 00 00 00 00 00 00 00 01
 *   double   [0, 8)   IEEE 754 binary64          1.0 → 3f f0 00 00 00 00 00 00
 * ```
 * A NaN is always written as the canonical quiet NaN `7f f8 00 00 00 00 00 00`, as Java's
 * `Double.doubleToLongBits` does, so equal values give equal bytes (keys, compaction).
 */
import type { Serde } from './serde.js'
import { invalidValue } from './errors.js'
import { asBuffer, expectLength, typeName } from './internal/buffers.js'

const INT32_MIN = -0x8000_0000
const INT32_MAX = 0x7fff_ffff
const CANONICAL_NAN = Uint8Array.of(0x7f, 0xf8, 0, 0, 0, 0, 0, 0)

/** One fixed-width number format: its size, what it accepts, and how it is written and read. */
interface FixedWidthFormat<T> {
  readonly serde: string
  readonly byteLength: number
  /** Why `value` cannot be written (naming its type, never the value), or `undefined`. */
  problemOf(value: unknown): string | undefined
  write(out: Buffer, value: T): void
  read(bytes: Buffer): T
}

function fixedWidthSerde<T>(format: FixedWidthFormat<T>): Serde<T> {
  const { serde, byteLength } = format
  return {
    serialize(topic, value) {
      if (value === null) return null
      const problem = format.problemOf(value)
      if (problem !== undefined) throw invalidValue(serde, topic, problem)
      const out = Buffer.allocUnsafe(byteLength)
      format.write(out, value)
      return out
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      expectLength(serde, topic, bytes, byteLength)
      return format.read(asBuffer(bytes))
    },
  }
}

/**
 * A serde of 32-bit signed integers held in `number`s (Kafka's `Serdes.Integer()`).
 *
 * Serialize throws `SERDES_INVALID_VALUE` for a non-number, a fraction, or a number outside
 * [-2^31, 2^31 − 1]; deserialize throws `SERDES_INVALID_BYTES` unless given exactly 4 bytes.
 */
export function int32Serde(): Serde<number> {
  return fixedWidthSerde<number>({
    serde: 'int32',
    byteLength: 4,
    problemOf: (value) =>
      typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX
        ? undefined
        : `expected an integer in [-2^31, 2^31 - 1], got ${describeNumber(value)}`,
    write: (out, value) => out.writeInt32BE(value, 0),
    read: (bytes) => bytes.readInt32BE(0),
  })
}

/**
 * A serde of 64-bit signed integers held in `bigint`s (Kafka's `Serdes.Long()`); `bigint` because
 * Java longs routinely exceed `Number.MAX_SAFE_INTEGER` (ids, hashes, nanosecond times).
 *
 * Serialize throws `SERDES_INVALID_VALUE` for a non-bigint or one outside [-2^63, 2^63 − 1];
 * deserialize throws `SERDES_INVALID_BYTES` unless given exactly 8 bytes.
 */
export function int64Serde(): Serde<bigint> {
  return fixedWidthSerde<bigint>({
    serde: 'int64',
    byteLength: 8,
    problemOf: (value) =>
      typeof value === 'bigint' && BigInt.asIntN(64, value) === value
        ? undefined
        : `expected a bigint in [-2^63, 2^63 - 1], got ${describeNumber(value)}`,
    write: (out, value) => out.writeBigInt64BE(value, 0),
    read: (bytes) => bytes.readBigInt64BE(0),
  })
}

/**
 * A serde of IEEE 754 doubles (Kafka's `Serdes.Double()`). Every number round-trips, `NaN`,
 * `-0` and `±Infinity` included (NaN payloads are not kept: Java's serializer drops them too).
 *
 * Serialize throws `SERDES_INVALID_VALUE` for a non-number; deserialize throws
 * `SERDES_INVALID_BYTES` unless given exactly 8 bytes.
 */
export function doubleSerde(): Serde<number> {
  return fixedWidthSerde<number>({
    serde: 'double',
    byteLength: 8,
    problemOf: (value) => (typeof value === 'number' ? undefined : `expected a number, got ${typeName(value)}`),
    write: (out, value) => {
      if (Number.isNaN(value)) out.set(CANONICAL_NAN)
      else out.writeDoubleBE(value, 0)
    },
    read: (bytes) => bytes.readDoubleBE(0),
  })
}

/** Names what an integer serde was given without quoting large or structured values. */
function describeNumber(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer out of range' : 'a non-integer number'
  if (typeof value === 'bigint') return 'a bigint out of range'
  return typeName(value)
}
