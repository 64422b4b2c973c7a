import { serdesError } from '../errors.js'
import { subjectName, type SchemaDefinition, type SchemaRegistry, type SubjectNameStrategy } from './schema-registry.js'

/** Options shared by the registry serdes: how they find the id of their schema for a topic. */
export interface RegistrySerdeOptions {
  /** A key serde: the subject is `<topic>-key` under the `'topic'` strategy. Default `false`. */
  readonly isKey?: boolean
  /** Default `'topic'` (`<topic>-key` / `<topic>-value`). */
  readonly subjectNameStrategy?: SubjectNameStrategy
  /**
   * Register the serde's schema under a topic's subject the first time the serde writes to it
   * (default `true`, Confluent's `auto.register.schemas`). With `false` the schema must already
   * be registered there, or serialize throws `SERDES_UNKNOWN_SCHEMA`: for producers that must not
   * change a subject that is governed elsewhere.
   */
  readonly autoRegister?: boolean
}

/**
 * The serializer side of a registry serde: the id of its one schema in each topic's subject,
 * asked of the registry once per topic and then cached (an id never changes).
 */
export class SubjectSchemaIds {
  private readonly idsByTopic = new Map<string, number>()
  private readonly registry: SchemaRegistry
  private readonly schema: SchemaDefinition
  private readonly recordName: string
  private readonly options: RegistrySerdeOptions
  private readonly serde: string

  constructor(
    serde: string,
    registry: SchemaRegistry,
    schema: SchemaDefinition,
    recordName: string,
    options: RegistrySerdeOptions,
  ) {
    this.serde = serde
    this.registry = registry
    this.schema = schema
    this.recordName = recordName
    this.options = options
  }

  /**
   * @throws `SERDES_UNKNOWN_SCHEMA` when auto-registration is off and the subject lacks the schema;
   *   whatever the registry's `register` throws (`SERDES_INVALID_SCHEMA`) when it is on.
   */
  idFor(topic: string): number {
    const cached = this.idsByTopic.get(topic)
    if (cached !== undefined) return cached
    const { isKey = false, subjectNameStrategy = 'topic', autoRegister = true } = this.options
    const subject = subjectName(subjectNameStrategy, topic, isKey, this.recordName)
    let id: number
    if (autoRegister) {
      id = this.registry.register(subject, this.schema)
    } else {
      const registered = this.registry.lookup(subject, this.schema)
      if (registered === undefined) {
        throw serdesError('SERDES_UNKNOWN_SCHEMA', `${this.serde} serde: the schema is not registered under subject ${subject}`, {
          serde: this.serde,
          topic,
          subject,
        })
      }
      id = registered.id
    }
    this.idsByTopic.set(topic, id)
    return id
  }
}
