import { serdesError } from '../errors.js'
import type { SchemaRegistry, SchemaType } from './schema-registry.js'

/**
 * The deserializer side of a registry serde: what it derives from each writer schema id it meets
 * (an Avro resolver, a parsed `.proto`), built on first sight and cached — a registered schema
 * never changes, and a topic carries few ids.
 */
export class WriterSchemas<V> {
  private readonly byId = new Map<number, V>()
  private readonly serde: string
  private readonly registry: SchemaRegistry
  private readonly schemaType: SchemaType
  private readonly build: (schema: string, schemaId: number) => V

  /** @param build derives the cached value; it throws `SERDES_…` errors, which are not cached. */
  constructor(serde: string, registry: SchemaRegistry, schemaType: SchemaType, build: (schema: string, schemaId: number) => V) {
    this.serde = serde
    this.registry = registry
    this.schemaType = schemaType
    this.build = build
  }

  /**
   * @throws `SERDES_UNKNOWN_SCHEMA` when the registry has no schema `schemaId`;
   *   `SERDES_INCOMPATIBLE_SCHEMA` when it is of another schema type; what `build` throws.
   */
  get(schemaId: number, topic: string): V {
    const cached = this.byId.get(schemaId)
    if (cached !== undefined) return cached
    const definition = this.registry.getById(schemaId)
    if (definition === undefined) {
      throw serdesError('SERDES_UNKNOWN_SCHEMA', `${this.serde} serde: a record of topic ${topic} names an unknown schema id`, {
        serde: this.serde,
        topic,
        schemaId,
      })
    }
    if (definition.schemaType !== this.schemaType) {
      throw serdesError(
        'SERDES_INCOMPATIBLE_SCHEMA',
        `${this.serde} serde: a record of topic ${topic} was written with a ${definition.schemaType} schema`,
        { serde: this.serde, topic, schemaId, schemaType: definition.schemaType },
      )
    }
    const derived = this.build(definition.schema, schemaId)
    this.byId.set(schemaId, derived)
    return derived
  }
}
