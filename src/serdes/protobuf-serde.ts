/**
 * Protobuf messages in the protobuf binary encoding, through protobufjs's reflection.
 *
 * Byte layout:
 * ```
 *   [0, n)   the message in protobuf binary (wire) encoding: tagged fields, no length prefix,
 *            no type name. The reader must know the message type.
 * ```
 *
 * Value shape: plain objects, as protobufjs `toObject` makes them with these options, because
 * they are lossless and need no generated classes:
 * - 64-bit integer fields are `bigint`s (`longs: BigInt`); a Java long never loses precision.
 * - enums are symbol names (`enums: String`); a number this schema does not know stays a number.
 * - `bytes` are `Buffer`s (so `Uint8Array`s) that own their memory.
 * - every field is present (`defaults: true`, `arrays`, `objects`): scalars with their default,
 *   repeated fields as `[]`, maps as `{}`, unset message fields as `null`; only oneof members and
 *   proto3 `optional` fields that are unset are absent. Map keys are strings (`'42'`, `'true'`).
 * Serialize accepts the same shape; `null`/`undefined` fields are unset, and 64-bit fields also
 * take safe-integer `number`s.
 */
import protobuf from 'protobufjs'
import type { IConversionOptions, Type } from 'protobufjs'
import type { Serde } from './serde.js'
import { invalidBytes, invalidValue } from './errors.js'
import { ownedCopy } from './internal/buffers.js'
import { findMessage, parseProto, resolveMessage } from './protobuf-schema.js'
import { findProtobufValueProblem } from './protobuf-value-check.js'

/** A message type given as `.proto` source text and the name of one of its messages. */
export interface ProtobufSource {
  /** One self-contained `.proto` file (imports are not followed). */
  readonly proto: string
  /** The message's name, fully qualified with its package (`shop.v1.Order`). */
  readonly messageType: string
  /** Keep field names as written (`order_id`); default false: lowerCamelCase (`orderId`), as protobufjs does. */
  readonly keepCase?: boolean
}

/**
 * A protobufjs message `Type` (from this package's `protobufjs`, so that its reflection classes
 * are the ones the serde knows), or the `.proto` source to parse one from.
 */
export type ProtobufMessageType = Type | ProtobufSource

const TO_OBJECT: IConversionOptions = { longs: BigInt, enums: String, defaults: true, arrays: true, objects: true }

/** True when some field of `type`, or of a message it contains, is `bytes`. */
function hasBytesField(type: Type, seen = new Set<Type>()): boolean {
  seen.add(type)
  return type.fieldsArray.some((field) => {
    if (field.type === 'bytes') return true
    const nested = field.resolvedType
    return nested instanceof protobuf.Type && !seen.has(nested) && hasBytesField(nested, seen)
  })
}

/**
 * Encoding and decoding of one message type; shared by the plain and the registry Protobuf serdes,
 * which differ only in framing.
 */
export class ProtobufCodec<T> {
  readonly type: Type
  private readonly serde: string
  /**
   * protobufjs decodes `bytes` fields as views of its input; the input is copied first when the
   * message has any, so a value never holds on to the record's (pooled) bytes.
   */
  private readonly copyInput: boolean

  /** @throws `SERDES_INVALID_SCHEMA` when a field type of `type` cannot be resolved. */
  constructor(serde: string, type: Type) {
    resolveMessage(type, serde)
    this.serde = serde
    this.type = type
    this.copyInput = hasBytesField(type)
  }

  /** @throws `SERDES_INVALID_VALUE` naming the first invalid path and what was expected there. */
  encode(topic: string, value: T): Uint8Array {
    const problem = findProtobufValueProblem(this.type, value)
    if (problem !== undefined) {
      throw invalidValue(this.serde, topic, `not a valid ${this.type.name} at ${problem.path} (expected ${problem.expected})`, undefined, {
        path: problem.path,
        expected: problem.expected,
      })
    }
    try {
      return this.type.encode(this.type.fromObject(value as Record<string, unknown>)).finish()
    } catch (err) {
      throw invalidValue(this.serde, topic, `protobufjs cannot encode the ${this.type.name}`, err)
    }
  }

  /** @throws `SERDES_INVALID_BYTES` for truncated or malformed bytes, or a missing required field. */
  decode(topic: string, bytes: Uint8Array): T {
    const input = this.copyInput ? ownedCopy(bytes) : bytes
    try {
      return this.type.toObject(this.type.decode(input), TO_OBJECT) as T
    } catch (err) {
      throw invalidBytes(this.serde, topic, `the bytes are not a ${this.type.name} message`, err)
    }
  }
}

/** The message type that `messageType` names, parsed and resolved. @throws `SERDES_INVALID_SCHEMA` */
export function protobufTypeOf(messageType: ProtobufMessageType, serde: string): Type {
  if (messageType instanceof protobuf.Type) return messageType
  const parsed = parseProto(messageType.proto, messageType.keepCase ?? false, serde)
  return findMessage(parsed, messageType.messageType, serde)
}

/**
 * A serde of protobuf messages in plain protobuf binary (no framing), as plain objects of the shape
 * described in this file's comment. Evolution follows protobuf's rules: fields the reader does not
 * know are skipped, fields the writer did not send read as their defaults.
 *
 * Creation throws `SERDES_INVALID_SCHEMA` for a source that does not parse, names no message, or
 * leaves a type unresolved. Serialize throws `SERDES_INVALID_VALUE`; deserialize throws
 * `SERDES_INVALID_BYTES`.
 */
export function protobufSerde<T>(messageType: ProtobufMessageType): Serde<T> {
  const codec = new ProtobufCodec<T>('protobuf', protobufTypeOf(messageType, 'protobuf'))
  return {
    serialize(topic, value) {
      return value === null ? null : codec.encode(topic, value)
    },
    deserialize(topic, bytes) {
      return bytes === null ? null : codec.decode(topic, bytes)
    },
  }
}
