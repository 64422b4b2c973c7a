/**
 * The schema registry as the serdes see it: ids for schemas, schemas for ids, versions per subject
 * (Confluent's model: a schema has one global id; a subject is a versioned history of schemas).
 *
 * **Synchronous, on purpose.** Serdes run once per record on the hot path and return values, not
 * promises (DESIGN.md §4), so an id must be found without awaiting. Kafka's Java serdes block on
 * the first lookup of an id; Node cannot block. Rejected alternatives: async methods (a promise per
 * record, or a serde that fails until a background fetch lands — non-deterministic), and fetching
 * every schema when a serde is made (a reader cannot know the ids its topic will carry).
 * So an implementation answers from memory: the in-memory registry is its own store; one backed by
 * a compacted topic replays that topic before it is handed to serdes and keeps following it (as
 * Confluent's own registry nodes do); a client of a remote registry preloads the subjects it serves.
 * I/O happens there, at startup and in the background, never inside a serde call.
 */

/** The schema languages of the registry (Confluent's `schemaType`). */
export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON'

/** A schema as the registry stores it: its language and its text. */
export interface SchemaDefinition {
  readonly schemaType: SchemaType
  /** Avro JSON text, `.proto` source, or JSON Schema text. */
  readonly schema: string
}

/** One version of a subject. */
export interface RegisteredSchema extends SchemaDefinition {
  /** The global id, the same in every subject the schema is registered under. */
  readonly id: number
  readonly subject: string
  /** 1 for the subject's first schema, then one more for each new schema. */
  readonly version: number
}

/**
 * What a registry-aware serde needs from a registry; see the file comment for why it is synchronous.
 * One registry is shared by all the serdes of an application.
 */
export interface SchemaRegistry {
  /**
   * Registers `schema` under `subject` and returns its global id. A schema already registered
   * under the subject returns its id without a new version; a schema registered under another
   * subject keeps its id and becomes a new version here.
   *
   * @throws `SERDES_INVALID_SCHEMA` when the schema is not valid in its language.
   */
  register(subject: string, schema: SchemaDefinition): number
  /** The schema with global id `id`, or `undefined`. */
  getById(id: number): SchemaDefinition | undefined
  /** The latest version of `subject`, or `undefined` when the subject has none. */
  getLatest(subject: string): RegisteredSchema | undefined
  /** Version `version` of `subject`, or `undefined`. */
  getVersion(subject: string, version: number): RegisteredSchema | undefined
  /** The version of `subject` that holds `schema` (same type and text), or `undefined`. */
  lookup(subject: string, schema: SchemaDefinition): RegisteredSchema | undefined
}

/**
 * How a serde names the subject of a topic (Confluent's `subject.name.strategy`):
 * - `'topic'` (TopicNameStrategy, the default): `<topic>-key` / `<topic>-value`; one schema
 *   history per topic.
 * - `'record'` (RecordNameStrategy): the record's full name, e.g. `shop.v1.Order`; one history per
 *   type, shared by every topic that carries it.
 * - `'topic-record'` (TopicRecordNameStrategy): `<topic>-<record full name>`.
 * - a function of the topic, whether the serde is for keys, and the record's full name.
 */
export type SubjectNameStrategy =
  | 'topic'
  | 'record'
  | 'topic-record'
  | ((topic: string, isKey: boolean, recordName: string) => string)

/** The subject that `strategy` gives to a record of `topic`. */
export function subjectName(strategy: SubjectNameStrategy, topic: string, isKey: boolean, recordName: string): string {
  switch (strategy) {
    case 'topic':
      return `${topic}-${isKey ? 'key' : 'value'}`
    case 'record':
      return recordName
    case 'topic-record':
      return `${topic}-${recordName}`
    default:
      return strategy(topic, isKey, recordName)
  }
}
