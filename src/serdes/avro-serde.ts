/**
 * Avro values in Avro's binary encoding, through avsc (`Type.forSchema`, resolvers for schema
 * evolution).
 *
 * Byte layout:
 * ```
 *   [0, n)   the value in Avro binary encoding (Avro spec, "Binary Encoding"): no object-container
 *            header, no schema, no fingerprint. The reader must know the writer's schema, given
 *            here as `writerSchema`, or found by id in the registry wire format.
 * ```
 *
 * Value mapping (avsc's): records are objects (instances of a per-schema class without methods),
 * `long` is a `number` within avsc's safe range (about ±2^53), `bytes`/`fixed` are `Buffer`s,
 * enums are symbol strings, a union is unwrapped where its branches can be told apart by value
 * (`["null", "string"]` reads as `string | null`) and wrapped (`{ int: 1 }`) where not. Maps are
 * plain objects that avsc fills by assignment, so a map key `__proto__` does not survive decoding.
 */
import avro from 'avsc'
import type { Type as AvroType } from 'avsc'
import type { Serde } from './serde.js'
import { invalidBytes, invalidValue, serdesError } from './errors.js'
import { asBuffer } from './internal/buffers.js'

/**
 * An Avro schema: its JSON text (`'{"type":"record",…}'`, `'"string"'`), a primitive type name
 * (`'long'`), the parsed JSON (an object, or an array for a union), or an avsc `Type`.
 */
export type AvroSchema = string | AvroType | Readonly<Record<string, unknown>> | readonly unknown[]

/** Options of `Serdes.avro()`. */
export interface AvroSerdeOptions {
  /**
   * The schema the bytes were written with, when it differs from the serde's schema (the reader
   * schema). Deserialize then resolves each value from the writer's schema to the reader's (fields
   * added with defaults appear, removed fields are skipped, `int` promotes to `long`…). Serialize
   * still writes with the serde's schema: such a serde reads a topic another producer writes.
   * Mixed writers on one topic need the schema id of each record: use the registry serdes.
   */
  writerSchema?: AvroSchema
}

type AvroResolver = ReturnType<AvroType['createResolver']>

/**
 * Parses `schema`, raising `SERDES_INVALID_SCHEMA` (naming `serde`) when avsc rejects it.
 */
export function parseAvroSchema(schema: AvroSchema, serde: string): AvroType {
  if (avro.Type.isType(schema)) return schema as AvroType
  let parsed: unknown = schema
  if (typeof schema === 'string') {
    try {
      parsed = JSON.parse(schema)
    } catch {
      // Not JSON text: a bare type name such as `long` or `com.example.Order`; avsc judges it.
      parsed = schema
    }
  }
  try {
    // reason: avsc types its schema argument with a type it does not export; avsc validates it.
    return avro.Type.forSchema(parsed as Parameters<typeof avro.Type.forSchema>[0], { omitRecordMethods: true })
  } catch (err) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${serde} serde: the Avro schema is invalid`, { serde }, err)
  }
}

/**
 * Encoding and decoding against one (reader) schema; shared by the plain and the registry Avro
 * serdes, which differ only in framing and in where the writer's schema comes from.
 */
export class AvroCodec<T> {
  readonly type: AvroType
  private readonly serde: string

  /** @throws `SERDES_INVALID_SCHEMA` */
  constructor(serde: string, schema: AvroSchema) {
    this.serde = serde
    this.type = parseAvroSchema(schema, serde)
  }

  /**
   * The resolver that reads data written with `writerType` as this codec's type, or `undefined`
   * when the two have the same canonical form and no resolution is needed.
   *
   * @throws `SERDES_INCOMPATIBLE_SCHEMA` when Avro's resolution rules cannot read one as the other.
   */
  resolverFrom(writerType: AvroType, details?: Record<string, number>): AvroResolver | undefined {
    if (writerType.fingerprint().equals(this.type.fingerprint())) return undefined
    try {
      return this.type.createResolver(writerType)
    } catch (err) {
      throw serdesError(
        'SERDES_INCOMPATIBLE_SCHEMA',
        `${this.serde} serde: data written with the writer schema cannot be read with the reader schema`,
        { serde: this.serde, ...details },
        err,
      )
    }
  }

  /**
   * @throws `SERDES_INVALID_VALUE` naming the first invalid path (`$.items.2.price`) and the type
   * expected there, never the value. Properties the schema does not declare are invalid too: a
   * misspelt field name would otherwise be dropped without a word.
   */
  encode(topic: string, value: T): Buffer {
    let badPath: string | undefined
    let expected: string | undefined
    const valid = this.type.isValid(value, {
      noUndeclaredFields: true,
      errorHook: (path, _value, type) => {
        if (badPath !== undefined) return
        badPath = ['$', ...path].join('.')
        expected = type.typeName
      },
    })
    if (!valid) {
      throw invalidValue(this.serde, topic, `not valid for the schema at ${badPath} (expected ${expected})`, undefined, {
        path: badPath,
        expected,
      })
    }
    return this.type.toBuffer(value)
  }

  /**
   * @param resolver from `resolverFrom`, when the bytes were written with another schema.
   * @throws `SERDES_INVALID_BYTES` for truncated bytes, trailing bytes, or bytes that are not a
   * value of the writer's schema (a bad union index, a `long` beyond avsc's safe range…).
   */
  decode(topic: string, bytes: Uint8Array, resolver?: AvroResolver): T {
    try {
      return this.type.fromBuffer(asBuffer(bytes), resolver) as T
    } catch (err) {
      throw invalidBytes(this.serde, topic, 'the bytes are not an Avro value of the writer schema', err)
    }
  }
}

/**
 * A serde of Avro values in plain Avro binary (no framing), for topics whose schema is agreed out
 * of band. See `AvroSerdeOptions.writerSchema` for reading data written with another schema.
 *
 * Creation throws `SERDES_INVALID_SCHEMA` for an invalid schema and `SERDES_INCOMPATIBLE_SCHEMA`
 * when `writerSchema` cannot be resolved to `schema`. Serialize throws `SERDES_INVALID_VALUE`;
 * deserialize throws `SERDES_INVALID_BYTES`.
 */
export function avroSerde<T>(schema: AvroSchema, options: AvroSerdeOptions = {}): Serde<T> {
  const codec = new AvroCodec<T>('avro', schema)
  const resolver =
    options.writerSchema === undefined ? undefined : codec.resolverFrom(parseAvroSchema(options.writerSchema, 'avro'))
  return {
    serialize(topic, value) {
      return value === null ? null : codec.encode(topic, value)
    },
    deserialize(topic, bytes) {
      return bytes === null ? null : codec.decode(topic, bytes, resolver)
    },
  }
}
