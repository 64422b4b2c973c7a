/**
 * Protobuf in the schema-registry wire format (Confluent's `KafkaProtobufSerializer`/`Deserializer`).
 *
 * Byte layout (see `wire-format.ts`):
 * ```
 *   0        magic byte 0x00
 *   1..4     schema id, int32 big-endian
 *   5..      message indexes: zigzag varint count, then each index ([0] is the single byte 00)
 *   then     the message in protobuf binary encoding
 * ```
 */
import type { Serde } from '../serde.js'
import { invalidBytes, serdesError } from '../errors.js'
import { ProtobufCodec, protobufTypeOf, type ProtobufSource } from '../protobuf-serde.js'
import { findMessageAt, messageIndexesOf, parseProto } from '../protobuf-schema.js'
import type { SchemaRegistry } from './schema-registry.js'
import { SubjectSchemaIds, type RegistrySerdeOptions } from './subject-schema-ids.js'
import { decodeWireFormat, encodeWireFormat } from './wire-format.js'
import { WriterSchemas } from './writer-schemas.js'

const SERDE = 'registry-protobuf'

/**
 * The `.proto` source (registered as given: protobuf has no canonical text) and the message the
 * serde reads and writes, plus the registry options.
 */
export interface RegistryProtobufSerdeOptions extends RegistrySerdeOptions, ProtobufSource {}

/**
 * A serde of protobuf messages framed with their schema id and message indexes, as plain objects
 * shaped as in the plain Protobuf serde.
 *
 * Serialize registers (or looks up) the source under the topic's subject once per topic and writes
 * the message's index path within it. Deserialize fetches the writer's schema by id (once per id),
 * follows the indexes to a message there, and requires that message to have the reader's full
 * name; it then decodes with the reader's type, so protobuf's own evolution rules apply.
 *
 * Creation throws `SERDES_INVALID_SCHEMA`. Serialize throws `SERDES_INVALID_VALUE`, and
 * `SERDES_UNKNOWN_SCHEMA` when auto-registration is off and the schema is not registered.
 * Deserialize throws `SERDES_UNKNOWN_MAGIC_BYTE`, `SERDES_UNKNOWN_SCHEMA` for an id the registry
 * lacks, `SERDES_INVALID_SCHEMA` for a writer source that does not parse,
 * `SERDES_INCOMPATIBLE_SCHEMA` when the record's message is another message than the reader's,
 * and `SERDES_INVALID_BYTES` (indexes that lead to no message included).
 */
export function registryProtobufSerde<T>(registry: SchemaRegistry, options: RegistryProtobufSerdeOptions): Serde<T> {
  const codec = new ProtobufCodec<T>(SERDE, protobufTypeOf(options, SERDE))
  const fullName = codec.type.fullName.replace(/^\./, '')
  const messageIndexes = messageIndexesOf(codec.type)
  const ids = new SubjectSchemaIds(SERDE, registry, { schemaType: 'PROTOBUF', schema: options.proto }, fullName, options)
  const writers = new WriterSchemas(SERDE, registry, 'PROTOBUF', (schema) => parseProto(schema, false, SERDE).file)
  return {
    serialize(topic, value) {
      if (value === null) return null
      const payload = codec.encode(topic, value)
      return encodeWireFormat(ids.idFor(topic), payload, messageIndexes)
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      const record = decodeWireFormat(topic, bytes, true)
      const indexes = record.messageIndexes ?? [0]
      const writerMessage = findMessageAt(writers.get(record.schemaId, topic), indexes)
      if (writerMessage === undefined) {
        throw invalidBytes(SERDE, topic, `the message indexes lead to no message of schema ${record.schemaId}`, undefined, {
          schemaId: record.schemaId,
          messageIndexes: indexes.join(','),
        })
      }
      if (writerMessage.fullName !== codec.type.fullName) {
        throw serdesError(
          'SERDES_INCOMPATIBLE_SCHEMA',
          `${SERDE} serde: a record of topic ${topic} holds another message type than the reader's`,
          {
            serde: SERDE,
            topic,
            schemaId: record.schemaId,
            writerMessageType: writerMessage.fullName.replace(/^\./, ''),
            readerMessageType: fullName,
          },
        )
      }
      return codec.decode(topic, record.payload)
    },
  }
}
