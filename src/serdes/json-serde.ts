/**
 * JSON values as UTF-8 text (what Kafka Connect's `JsonConverter` with `schemas.enable=false` and
 * most non-Java clients write).
 *
 * Byte layout:
 * ```
 *   [0, n)   JSON.stringify(value) as UTF-8: no length prefix, no schema envelope, no BOM
 * ```
 */
import type { Serde } from './serde.js'
import { invalidBytes, invalidValue } from './errors.js'
import { decodeUtf8Strict } from './internal/utf8.js'

const SERDE = 'json'

/**
 * The optional hook that gives a JSON serde a schema. Give at most one of:
 * - `validate`: a predicate (a type guard, an Ajv validate function, …). It runs on **both**
 *   paths: a value it rejects is never written, and bytes whose value it rejects are never handed
 *   on, so a topic's contract is checked at the producer, where the bug is.
 * - `parse`: a function from the parsed JSON to `T` that throws on rejection (a zod schema's
 *   `parse`, a reviver of dates, …). It runs on deserialize only, because it maps JSON to `T`, the
 *   one direction in which it is defined; serialize writes `T` as `JSON.stringify` does.
 *
 * A hook that returns `false` or throws makes the serde throw `SERDES_INVALID_VALUE`, with the
 * hook's error as `cause` when it threw.
 */
export type JsonSerdeOptions<T> =
  | { validate: (value: unknown) => boolean; parse?: never }
  | { parse: (value: unknown) => T; validate?: never }
  | { validate?: never; parse?: never }

/**
 * A serde of JSON values.
 *
 * `JSON.stringify` semantics apply: object properties that are `undefined` or functions are
 * omitted, `NaN` and `±Infinity` become `null`, `toJSON()` is honoured.
 *
 * Serialize throws `SERDES_INVALID_VALUE` when `JSON.stringify` cannot encode the value (top-level
 * `undefined`, a function or a symbol, a BigInt anywhere, a cycle) or the `validate` hook rejects
 * it. Deserialize throws `SERDES_INVALID_BYTES` for bytes that are not UTF-8 JSON text, and
 * `SERDES_INVALID_VALUE` when the hook rejects the parsed value.
 */
export function jsonSerde<T = unknown>(options: JsonSerdeOptions<T> = {}): Serde<T> {
  const { validate, parse } = options
  return {
    serialize(topic, value) {
      if (value === null) return null
      if (validate !== undefined) runValidate(validate, topic, value)
      let text: string | undefined
      try {
        text = JSON.stringify(value)
      } catch (err) {
        throw invalidValue(SERDE, topic, 'JSON.stringify cannot encode the value (a BigInt or a cycle)', err)
      }
      // JSON.stringify answers undefined, without throwing, for undefined, functions and symbols.
      if (text === undefined) throw invalidValue(SERDE, topic, `JSON.stringify cannot encode a ${typeof value}`)
      return Buffer.from(text, 'utf8')
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      const text = decodeUtf8Strict(SERDE, topic, bytes)
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        // The SyntaxError is not kept as the cause on purpose: V8's message quotes the input, and
        // error messages must not carry payloads.
        throw invalidBytes(SERDE, topic, 'the bytes are not JSON text')
      }
      if (parse !== undefined) return runParse(parse, topic, value)
      if (validate !== undefined) runValidate(validate, topic, value)
      return value as T
    },
  }
}

function runValidate(validate: (value: unknown) => boolean, topic: string, value: unknown): void {
  let accepted: boolean
  try {
    accepted = validate(value)
  } catch (err) {
    throw invalidValue(SERDE, topic, 'the validate hook threw', err)
  }
  if (!accepted) throw invalidValue(SERDE, topic, 'the validate hook rejected the value')
}

function runParse<T>(parse: (value: unknown) => T, topic: string, value: unknown): T {
  try {
    return parse(value)
  } catch (err) {
    throw invalidValue(SERDE, topic, 'the parse hook threw', err)
  }
}
