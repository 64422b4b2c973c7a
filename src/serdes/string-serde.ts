/**
 * UTF-8 strings, byte for byte what Kafka's `StringSerializer`/`StringDeserializer` write and read.
 *
 * Byte layout:
 * ```
 *   [0, n)   the string's UTF-8 bytes: no length prefix, no terminator, no byte-order mark added
 *            or stripped (a leading U+FEFF is kept as the character it is, as Java does)
 * ```
 */
import type { Serde } from './serde.js'
import { invalidValue } from './errors.js'
import { asBuffer, typeName } from './internal/buffers.js'
import { decodeUtf8Strict } from './internal/utf8.js'

const SERDE = 'string'

/** How a string serde treats bytes that are not UTF-8, and strings that cannot become UTF-8. */
export type Utf8Errors = 'replace' | 'fatal'

/** Options of `Serdes.string()`. */
export interface StringSerdeOptions {
  /**
   * `'replace'` (the default) follows Kafka: invalid byte sequences decode to U+FFFD, and unpaired
   * surrogates in a string encode as U+FFFD (Java writes `?`; both are lossy, neither throws).
   * `'fatal'` raises `SERDES_INVALID_BYTES` for such bytes and `SERDES_INVALID_VALUE` for such
   * strings, for topics where silently damaged text is worse than a stopped consumer.
   */
  utf8Errors?: Utf8Errors
}

/** An unpaired high surrogate, or an unpaired low surrogate. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Strings up to this many UTF-16 units are copied byte by byte when they are ASCII: for keys
 * and short values the loop costs less than `Buffer.from`'s two native calls (length, then
 * write); longer strings go to `Buffer.from` at once.
 */
const SHORT_STRING_UNITS = 64
/** The largest ASCII code unit (an ASCII string's UTF-8 bytes are its code units). */
const ASCII_MAX = 0x7f

/** `value`'s UTF-8 bytes, as `Buffer.from(value, 'utf8')` writes them. */
function encodeUtf8(value: string): Buffer {
  const units = value.length
  if (units > SHORT_STRING_UNITS) return Buffer.from(value, 'utf8')
  const out = Buffer.allocUnsafe(units)
  for (let i = 0; i < units; i++) {
    const unit = value.charCodeAt(i)
    if (unit > ASCII_MAX) return Buffer.from(value, 'utf8')
    out[i] = unit
  }
  return out
}

/**
 * A serde of UTF-8 strings (Kafka's `Serdes.String()`).
 *
 * Serialize throws `SERDES_INVALID_VALUE` for a non-string, and in `'fatal'` mode for a string with
 * unpaired surrogates. Deserialize never throws in the default `'replace'` mode; in `'fatal'` mode
 * it throws `SERDES_INVALID_BYTES` for bytes that are not UTF-8.
 */
export function stringSerde(options: StringSerdeOptions = {}): Serde<string> {
  const fatal = options.utf8Errors === 'fatal'
  return {
    serialize(topic, value) {
      if (value === null) return null
      if (typeof value !== 'string') throw invalidValue(SERDE, topic, `expected a string, got ${typeName(value)}`)
      if (fatal && LONE_SURROGATE.test(value)) throw invalidValue(SERDE, topic, 'the string has an unpaired surrogate')
      return encodeUtf8(value)
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      // toString() without arguments is UTF-8 with no encoding lookup.
      return fatal ? decodeUtf8Strict(SERDE, topic, bytes) : asBuffer(bytes).toString()
    },
  }
}
