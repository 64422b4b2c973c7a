/**
 * Checks a plain object against a protobuf message type before it is encoded.
 *
 * protobufjs's own `verify` checks its runtime message shape (numeric enums, `Long`s), not the
 * plain-object shape the serdes hand out (enum names, `bigint`s), and its `fromObject` coerces
 * rather than rejects (`'abc'` becomes 0 in an int32 field). So the serde walks the fields itself:
 * a value that passes here converts and encodes without loss.
 */
import protobuf from 'protobufjs'
import type { Enum, FieldBase, MapField, Type } from 'protobufjs'

/** Where a value fails its message type (`$.items.2.price`) and what was expected there. */
export interface ProtobufValueProblem {
  readonly path: string
  readonly expected: string
}

/** protobufjs's own `util.recursionLimit`; also what stops a cyclic object. */
const MAX_DEPTH = 100

const INT32_RANGE = [-0x8000_0000, 0x7fff_ffff] as const
const UINT32_RANGE = [0, 0xffff_ffff] as const
const INT64_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const
const UINT64_RANGE = [0n, 2n ** 64n - 1n] as const

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int32: INT32_RANGE,
  sint32: INT32_RANGE,
  sfixed32: INT32_RANGE,
  uint32: UINT32_RANGE,
  fixed32: UINT32_RANGE,
}
const LONG_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int64: INT64_RANGE,
  sint64: INT64_RANGE,
  sfixed64: INT64_RANGE,
  uint64: UINT64_RANGE,
  fixed64: UINT64_RANGE,
}
const DECIMAL_INTEGER = /^-?(0|[1-9][0-9]*)$/

/** The first problem of `value` as a `type` message, or `undefined` when it encodes losslessly. */
export function findProtobufValueProblem(type: Type, value: unknown): ProtobufValueProblem | undefined {
  return checkMessage(type, value, '$', 0)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function checkMessage(type: Type, value: unknown, path: string, depth: number): ProtobufValueProblem | undefined {
  if (depth > MAX_DEPTH) return { path, expected: `messages nested at most ${MAX_DEPTH} deep` }
  if (!isRecord(value)) return { path, expected: `message ${type.fullName}` }
  // Undeclared properties are rejected: a misspelt field name would otherwise vanish silently.
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(type.fields, key)) return { path: `${path}.${key}`, expected: 'no such field' }
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((field) => value[field.name] !== undefined && value[field.name] !== null)
    if (set.length > 1) return { path: `${path}.${oneof.name}`, expected: 'at most one field of the oneof set' }
  }
  for (const field of type.fieldsArray) {
    const fieldValue = value[field.name]
    const fieldPath = `${path}.${field.name}`
    if (fieldValue === undefined || fieldValue === null) {
      if (field.required) return { path: fieldPath, expected: 'a value (the field is required)' }
      continue
    }
    const problem =
      field instanceof protobuf.MapField
        ? checkMap(field, fieldValue, fieldPath, depth)
        : field.repeated
          ? checkRepeated(field, fieldValue, fieldPath, depth)
          : checkSingle(field, fieldValue, fieldPath, depth)
    if (problem !== undefined) return problem
  }
  return undefined
}

function checkRepeated(field: FieldBase, value: unknown, path: string, depth: number): ProtobufValueProblem | undefined {
  if (!Array.isArray(value)) return { path, expected: 'an array' }
  for (let i = 0; i < value.length; i++) {
    const problem = checkSingle(field, value[i], `${path}.${i}`, depth)
    if (problem !== undefined) return problem
  }
  return undefined
}

function checkMap(field: MapField, value: unknown, path: string, depth: number): ProtobufValueProblem | undefined {
  if (!isRecord(value)) return { path, expected: 'an object (map)' }
  for (const [key, entry] of Object.entries(value)) {
    const keyProblem = checkMapKey(field.keyType, key)
    if (keyProblem !== undefined) return { path: `${path}.${key}`, expected: keyProblem }
    const problem = checkSingle(field, entry, `${path}.${key}`, depth)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** Map keys are object keys, so strings: decimal integers for integer key types. */
function checkMapKey(keyType: string, key: string): string | undefined {
  if (keyType === 'string') return undefined
  if (keyType === 'bool') return key === 'true' || key === 'false' ? undefined : "a bool key ('true' or 'false')"
  const expected = `a decimal ${keyType} key`
  if (!DECIMAL_INTEGER.test(key)) return expected
  const intRange = INT_RANGES[keyType]
  if (intRange !== undefined) return inRange(Number(key), intRange) ? undefined : expected
  const longRange = LONG_RANGES[keyType]
  return longRange !== undefined && inRange(BigInt(key), longRange) ? undefined : expected
}

function checkSingle(field: FieldBase, value: unknown, path: string, depth: number): ProtobufValueProblem | undefined {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, value, path, depth + 1)
  const expected = resolved instanceof protobuf.Enum ? checkEnum(resolved, value) : checkScalar(field.type, value)
  return expected === undefined ? undefined : { path, expected }
}

/** Enums are written by name, or by number (an open enum keeps numbers it does not know). */
function checkEnum(enumType: Enum, value: unknown): string | undefined {
  const expected = `a symbol of enum ${enumType.fullName} or an int32`
  if (typeof value === 'string') return Object.hasOwn(enumType.values, value) ? undefined : expected
  return typeof value === 'number' && Number.isInteger(value) && inRange(value, INT32_RANGE) ? undefined : expected
}

function checkScalar(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'double':
    case 'float':
      return typeof value === 'number' ? undefined : 'a number'
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'a boolean'
    case 'string':
      return typeof value === 'string' ? undefined : 'a string'
    case 'bytes':
      return value instanceof Uint8Array ? undefined : 'a Uint8Array'
  }
  const intRange = INT_RANGES[type]
  if (intRange !== undefined) {
    return typeof value === 'number' && Number.isInteger(value) && inRange(value, intRange) ? undefined : `an ${type}`
  }
  const longRange = LONG_RANGES[type]
  if (longRange !== undefined) {
    // Safe-integer numbers are accepted too: lossless, and convenient for small values.
    const asBigInt = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value as number) : undefined
    return asBigInt !== undefined && inRange(asBigInt, longRange) ? undefined : `a bigint in the ${type} range`
  }
  return `a value of type ${type}`
}

function inRange<N extends number | bigint>(value: N, [min, max]: readonly [N, N]): boolean {
  return value >= min && value <= max
}
