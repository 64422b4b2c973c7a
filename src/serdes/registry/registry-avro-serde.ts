/**
 * Avro in the schema-registry wire format (Confluent's `KafkaAvroSerializer`/`Deserializer`).
 *
 * Byte layout (see `wire-format.ts`):
 * ```
 *   0        magic byte 0x00
 *   1..4     schema id, int32 big-endian
 *   5..      the value in Avro binary encoding under that schema
 * ```
 */
import type { Serde } from '../serde.js'
import { AvroCodec, parseAvroSchema, type AvroSchema } from '../avro-serde.js'
import type { SchemaRegistry } from './schema-registry.js'
import { SubjectSchemaIds, type RegistrySerdeOptions } from './subject-schema-ids.js'
import { decodeWireFormat, encodeWireFormat } from './wire-format.js'
import { WriterSchemas } from './writer-schemas.js'

const SERDE = 'registry-avro'

/** Options of `Serdes.registryAvro()`: the schema, plus how its id is found per topic. */
export interface RegistryAvroSerdeOptions extends RegistrySerdeOptions {
  /** The schema the serde writes with, and the reader schema it resolves every writer schema to. */
  readonly schema: AvroSchema
}

/**
 * A serde of Avro values framed with their schema id.
 *
 * Serialize writes with `options.schema`, registered (or looked up) under the topic's subject once
 * per topic; the text registered is avsc's canonical JSON of the schema, so equivalent schemas
 * share an id. Deserialize fetches the writer schema by the record's id (once per id) and resolves
 * it to `options.schema` (Avro evolution), so records written by older and newer producers read
 * alike. Values map to JavaScript as in the plain Avro serde.
 *
 * Creation throws `SERDES_INVALID_SCHEMA`. Serialize throws `SERDES_INVALID_VALUE`, and
 * `SERDES_UNKNOWN_SCHEMA` when auto-registration is off and the schema is not registered.
 * Deserialize throws `SERDES_UNKNOWN_MAGIC_BYTE`, `SERDES_UNKNOWN_SCHEMA` for an id the registry
 * lacks, `SERDES_INVALID_SCHEMA` / `SERDES_INCOMPATIBLE_SCHEMA` when the writer schema is not
 * valid Avro or cannot be resolved to the reader's, and `SERDES_INVALID_BYTES`.
 */
export function registryAvroSerde<T>(registry: SchemaRegistry, options: RegistryAvroSerdeOptions): Serde<T> {
  const codec = new AvroCodec<T>(SERDE, options.schema)
  const canonical = JSON.stringify(codec.type.schema({ exportAttrs: true }))
  const recordName = codec.type.name ?? codec.type.typeName
  const ids = new SubjectSchemaIds(SERDE, registry, { schemaType: 'AVRO', schema: canonical }, recordName, options)
  const writers = new WriterSchemas(SERDE, registry, 'AVRO', (schema, schemaId) => ({
    resolver: codec.resolverFrom(parseAvroSchema(schema, SERDE), { schemaId }),
  }))
  return {
    serialize(topic, value) {
      if (value === null) return null
      const payload = codec.encode(topic, value)
      return encodeWireFormat(ids.idFor(topic), payload)
    },
    deserialize(topic, bytes) {
      if (bytes === null) return null
      const record = decodeWireFormat(topic, bytes, false)
      const { resolver } = writers.get(record.schemaId, topic)
      return codec.decode(topic, record.payload, resolver)
    },
  }
}
