import { parseAvroSchema } from '../avro-serde.js'
import { serdesError } from '../errors.js'
import { parseProto } from '../protobuf-schema.js'
import type { RegisteredSchema, SchemaDefinition, SchemaRegistry, SchemaType } from './schema-registry.js'

const SERDE = 'schema-registry'
const SCHEMA_TYPES: ReadonlySet<string> = new Set<SchemaType>(['AVRO', 'PROTOBUF', 'JSON'])

/**
 * A schema registry held in memory: for tests, the topology test driver, and single-process
 * applications. Ids start at 1 and grow by one per distinct schema (type and text); versions start
 * at 1 per subject. Schemas are compared by their text as given: the registry serdes register a
 * normalised text (avsc's canonical JSON for Avro), so equivalent schemas meet at one id.
 *
 * `register` validates each schema in its language (Avro with avsc, Protobuf with protobufjs,
 * JSON Schema as JSON) and throws `SERDES_INVALID_SCHEMA` otherwise. It checks no compatibility
 * between versions of a subject: every valid schema is accepted, as with Confluent's `NONE` level.
 * Nothing is ever deleted; the registry owns no resources.
 */
export class InMemorySchemaRegistry implements SchemaRegistry {
  private readonly schemasById = new Map<number, SchemaDefinition>()
  private readonly idsBySchema = new Map<string, number>()
  private readonly versionsBySubject = new Map<string, RegisteredSchema[]>()

  register(subject: string, schema: SchemaDefinition): number {
    const existing = this.lookup(subject, schema)
    if (existing !== undefined) return existing.id
    const key = schemaKey(schema)
    let id = this.idsBySchema.get(key)
    if (id === undefined) {
      validateSchema(schema)
      id = this.schemasById.size + 1
      this.schemasById.set(id, Object.freeze({ schemaType: schema.schemaType, schema: schema.schema }))
      this.idsBySchema.set(key, id)
    }
    const versions = this.versionsBySubject.get(subject) ?? []
    versions.push(Object.freeze({ id, subject, version: versions.length + 1, schemaType: schema.schemaType, schema: schema.schema }))
    this.versionsBySubject.set(subject, versions)
    return id
  }

  getById(id: number): SchemaDefinition | undefined {
    return this.schemasById.get(id)
  }

  getLatest(subject: string): RegisteredSchema | undefined {
    return this.versionsBySubject.get(subject)?.at(-1)
  }

  getVersion(subject: string, version: number): RegisteredSchema | undefined {
    return this.versionsBySubject.get(subject)?.[version - 1]
  }

  lookup(subject: string, schema: SchemaDefinition): RegisteredSchema | undefined {
    const id = this.idsBySchema.get(schemaKey(schema))
    if (id === undefined) return undefined
    return this.versionsBySubject.get(subject)?.find((registered) => registered.id === id)
  }

  /** The subjects with at least one version, in the order they were first registered. */
  getSubjects(): string[] {
    return [...this.versionsBySubject.keys()]
  }
}

function schemaKey(schema: SchemaDefinition): string {
  return `${schema.schemaType}\n${schema.schema}`
}

function validateSchema(schema: SchemaDefinition): void {
  if (!SCHEMA_TYPES.has(schema.schemaType)) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${SERDE}: unknown schema type ${String(schema.schemaType)}`, {
      serde: SERDE,
      schemaType: String(schema.schemaType),
    })
  }
  if (typeof schema.schema !== 'string') {
    throw serdesError('SERDES_INVALID_SCHEMA', `${SERDE}: a schema is text`, { serde: SERDE })
  }
  switch (schema.schemaType) {
    case 'AVRO':
      parseAvroSchema(schema.schema, SERDE)
      return
    case 'PROTOBUF':
      resolveProto(schema.schema)
      return
    case 'JSON':
      parseJsonSchema(schema.schema)
      return
  }
}

function resolveProto(source: string): void {
  const parsed = parseProto(source, false, SERDE)
  try {
    parsed.root.resolveAll()
  } catch (err) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${SERDE}: the .proto source has unresolved types`, { serde: SERDE }, err)
  }
}

function parseJsonSchema(text: string): void {
  try {
    JSON.parse(text)
  } catch (err) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${SERDE}: the JSON Schema is not JSON text`, { serde: SERDE }, err)
  }
}
