/**
 * `millrace/serdes` — how typed keys and values become record bytes and back (DESIGN.md §3).
 *
 * Exports are listed by name; everything else under `src/serdes` is internal and may change.
 */
export type { Serde, Serializer, Deserializer, SerdeType } from './serde.js'
export type { SerdesErrorCode, SerdesError } from './errors.js'

export { Serdes } from './serdes.js'
export type { Windowed, TimeWindow } from './windowed-serde.js'
export type { StringSerdeOptions, Utf8Errors } from './string-serde.js'
export type { JsonSerdeOptions } from './json-serde.js'
export type { AvroSchema, AvroSerdeOptions } from './avro-serde.js'
export type { ProtobufMessageType, ProtobufSource } from './protobuf-serde.js'

export type {
  SchemaRegistry,
  SchemaType,
  SchemaDefinition,
  RegisteredSchema,
  SubjectNameStrategy,
} from './registry/schema-registry.js'
export { InMemorySchemaRegistry } from './registry/in-memory-schema-registry.js'
export type { RegistrySerdeOptions } from './registry/subject-schema-ids.js'
export type { RegistryAvroSerdeOptions } from './registry/registry-avro-serde.js'
export type { RegistryProtobufSerdeOptions } from './registry/registry-protobuf-serde.js'
export { encodeWireFormat, decodeWireFormat } from './registry/wire-format.js'
export type { WireFormatRecord } from './registry/wire-format.js'
