/**
 * A processor topology (Kafka `Topology`): sources, processors and sinks connected by name. The
 * DSL (`StreamsBuilder.build()`) produces one; the Processor API builds one directly:
 *
 * ```ts
 * const topology = new Topology()
 *   .addSource({ name: 'in', topics: ['words'], key: Serdes.string(), value: Serdes.string() })
 *   .addProcessor({ name: 'upper', parents: ['in'], processor: () => new UpperCase() })
 *   .addSink({ name: 'out', topic: 'shouts', parents: ['upper'], key: Serdes.string(), value: Serdes.string() })
 * ```
 *
 * A topology is a description: it holds no state and runs nowhere until a `StreamsApp` or a
 * `TopologyTestDriver` instantiates its processors, once per task. Nodes connected through parents
 * form a sub-topology; each sub-topology runs as one task per input partition number.
 */
import type { Deserializer, Serializer } from '../../serdes/index.js'
import { Serdes } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { Processor } from '../processor/processor.js'
import type { AnyStoreSpec, KeyValueStoreSpec, StoreSpec } from '../state/stores.js'
import type {
  InternalTopicSpec,
  NodeSpec,
  ProcessorNodeSpec,
  SinkNodeSpec,
  SourceNodeSpec,
  StreamPartitioner,
  TimestampExtractor,
  TopicNameExtractor,
} from './node-spec.js'
import type { GlobalStoreSpec } from './global-store-spec.js'
import { computeSubtopologies, type NodeGroups } from './subtopologies.js'
import type { TopologyDefinition } from './topology-definition.js'
import { TopologyDescription } from './topology-description.js'

export type { TopologyDefinition }

export interface AddSourceOptions<K, V> {
  readonly name: string
  /** Topics to read; or `pattern`. */
  readonly topics?: readonly string[]
  /** Every topic whose whole name matches (evaluated when partitions are assigned). */
  readonly pattern?: RegExp
  /** Default `Serdes.bytes()`. */
  readonly key?: Deserializer<K>
  /** Default `Serdes.bytes()`. */
  readonly value?: Deserializer<V>
  /** Default: the record's own timestamp. */
  readonly timestampExtractor?: TimestampExtractor<K, V>
}

export interface AddProcessorOptions<KIn, VIn, KOut, VOut> {
  readonly name: string
  readonly parents: readonly string[]
  /** Called once per task: each task gets its own processor. */
  readonly processor: () => Processor<KIn, VIn, KOut, VOut>
  /** State stores the processor uses. */
  readonly stores?: readonly string[]
}

/**
 * A global store (Kafka `addGlobalStore`): `processor` keeps `store` from every partition of
 * `topic`, on every app instance, before any task processes and for as long as the app runs.
 */
export interface AddGlobalStoreOptions<K, V, SK, SV> {
  /** The store (from `Stores`), with `logging: false`: `topic` is its changelog. */
  readonly store: KeyValueStoreSpec<SK, SV>
  /** The name of the source node reading `topic`. */
  readonly sourceName: string
  readonly topic: string
  /** Default `Serdes.bytes()`. */
  readonly key?: Deserializer<K>
  /** Default `Serdes.bytes()`. */
  readonly value?: Deserializer<V>
  /** Default: the record's own timestamp. */
  readonly timestampExtractor?: TimestampExtractor<K, V>
  /** The name of the processor node keeping the store. */
  readonly processorName: string
  /**
   * Keeps the store: gets it with `context.getStateStore(store.name)` and puts each record's
   * change into it (Kafka's state update processor). It has no children to forward to.
   */
  readonly processor: () => Processor<K, V, never, never>
}

export interface AddSinkOptions<K, V> {
  readonly name: string
  readonly parents: readonly string[]
  /** A topic, or a function choosing one per record. */
  readonly topic: string | TopicNameExtractor<K, V>
  readonly key: Serializer<K>
  readonly value: Serializer<V>
  readonly partitioner?: StreamPartitioner<K, V>
}


interface MutableDefinition extends TopologyDefinition {
  readonly internalTopics: Map<string, InternalTopicSpec>
  readonly stores: Map<string, StoreSpec>
}

const definitions = new WeakMap<Topology, MutableDefinition>()

/** The definition behind `topology` (runtime and test driver only). */
export function definitionOf(topology: Topology): TopologyDefinition {
  return mutableDefinitionOf(topology)
}

function mutableDefinitionOf(topology: Topology): MutableDefinition {
  const definition = definitions.get(topology)
  if (definition === undefined) throw streamsError('STREAMS_TOPOLOGY_INVALID', 'not a Topology built by Millrace')
  return definition
}

/**
 * Declares an internal topic of `topology`: created by the app as `<applicationId>-<name>`, read
 * and written by the sources and sinks that name it (the DSL's repartition topics). Not public:
 * users name their own topics.
 */
export function addInternalTopic(topology: Topology, spec: InternalTopicSpec): void {
  const { internalTopics } = mutableDefinitionOf(topology)
  if (internalTopics.has(spec.name)) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `internal topic ${spec.name} is declared twice`, { topic: spec.name })
  }
  internalTopics.set(spec.name, Object.freeze({ ...spec }))
}

export class Topology {
  readonly #nodes = new Map<string, NodeSpec>()
  readonly #internalTopics = new Map<string, InternalTopicSpec>()
  readonly #stores = new Map<string, StoreSpec>()
  readonly #globalStores = new Map<string, GlobalStoreSpec>()
  #groups: NodeGroups | undefined

  constructor() {
    const nodes = this.#nodes
    const internalTopics = this.#internalTopics
    const stores = this.#stores
    const globalStores = this.#globalStores
    const groups = (): NodeGroups => (this.#groups ??= computeSubtopologies(nodes, globalStores))
    definitions.set(this, {
      nodes,
      internalTopics,
      stores,
      globalStores,
      subtopologies: () => groups().subtopologies,
      globalStoreIds: () => groups().globalStoreIds,
    })
  }

  /** @throws `STREAMS_TOPOLOGY_INVALID`: a name used twice, neither or both of `topics`/`pattern`, an empty topic list. */
  addSource<K = Uint8Array, V = Uint8Array>(options: AddSourceOptions<K, V>): this {
    const { name, topics, pattern } = options
    this.checkNewName(name)
    if ((topics === undefined) === (pattern === undefined)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `source ${name} needs either topics or a pattern`, { node: name })
    }
    if (topics !== undefined && topics.length === 0) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `source ${name} has an empty topic list`, { node: name })
    }
    for (const topic of topics ?? []) this.checkUnread(topic, name)
    const spec: SourceNodeSpec = {
      kind: 'source',
      name,
      topics: Object.freeze([...(topics ?? [])]),
      pattern,
      key: (options.key ?? Serdes.bytes()) as Deserializer<unknown>,
      value: (options.value ?? Serdes.bytes()) as Deserializer<unknown>,
      timestampExtractor: options.timestampExtractor as TimestampExtractor<unknown, unknown> | undefined,
    }
    this.add(spec)
    return this
  }

  /**
   * Adds a state store (from `Stores`); processors name it in `stores` to use it. Processors that
   * share a store run in one sub-topology (one task owns the store's partition).
   * @throws `STREAMS_TOPOLOGY_INVALID` for a store name used twice.
   */
  addStateStore<K, V>(spec: AnyStoreSpec<K, V>): this {
    if (this.#stores.has(spec.name)) throw streamsError('STREAMS_TOPOLOGY_INVALID', `state store ${spec.name} is added twice`, { store: spec.name })
    this.#stores.set(spec.name, spec as unknown as StoreSpec)
    this.#groups = undefined
    return this
  }

  /**
   * Adds a global store (Kafka `addGlobalStore`): a source reading every partition of `topic`
   * and the processor keeping the store from it, on every app instance. They make no tasks and
   * have no children; processors of the topology read the store (read-only) by naming it in their
   * `stores`. The topic must exist when the app starts.
   * @throws `STREAMS_TOPOLOGY_INVALID`: a node or store name used twice, an empty topic, a topic
   *   another source reads, a store with logging enabled.
   */
  addGlobalStore<K = Uint8Array, V = Uint8Array, SK = unknown, SV = unknown>(options: AddGlobalStoreOptions<K, V, SK, SV>): this {
    const { store, sourceName, processorName, topic } = options
    this.checkNewName(sourceName)
    this.checkNewName(processorName)
    if (sourceName === processorName) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node name ${sourceName} is used twice`, { node: sourceName })
    if (typeof topic !== 'string' || topic.length === 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', `global store source ${sourceName} needs a topic`, { node: sourceName })
    this.checkUnread(topic, sourceName)
    if (store.logging) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `global store ${store.name} must have logging disabled: its topic ${topic} is its changelog`, { store: store.name, topic })
    }
    if (typeof options.processor !== 'function') throw streamsError('STREAMS_TOPOLOGY_INVALID', `global store processor ${processorName} needs a processor supplier`, { node: processorName })
    this.addStateStore(store)
    const source: SourceNodeSpec = {
      kind: 'source',
      name: sourceName,
      topics: Object.freeze([topic]),
      pattern: undefined,
      key: (options.key ?? Serdes.bytes()) as Deserializer<unknown>,
      value: (options.value ?? Serdes.bytes()) as Deserializer<unknown>,
      timestampExtractor: options.timestampExtractor as TimestampExtractor<unknown, unknown> | undefined,
    }
    const processor: ProcessorNodeSpec = {
      kind: 'processor',
      name: processorName,
      parents: Object.freeze([sourceName]),
      supplier: options.processor as unknown as () => Processor<unknown, unknown, unknown, unknown>,
      stores: Object.freeze([store.name]),
    }
    this.#globalStores.set(store.name, Object.freeze({ store: store as unknown as StoreSpec, topic, source: Object.freeze(source), processor: Object.freeze(processor) }))
    this.#groups = undefined
    return this
  }

  /** @throws `STREAMS_TOPOLOGY_INVALID`: a name used twice, no parents, an unknown parent, a sink as parent or an unknown store. */
  addProcessor<KIn, VIn, KOut = never, VOut = never>(options: AddProcessorOptions<KIn, VIn, KOut, VOut>): this {
    this.checkNewName(options.name)
    this.checkParents(options.name, options.parents)
    for (const store of options.stores ?? []) {
      if (!this.#stores.has(store)) {
        throw streamsError('STREAMS_TOPOLOGY_INVALID', `processor ${options.name} uses state store ${store}, which is not added (addStateStore first)`, { node: options.name, store })
      }
    }
    const spec: ProcessorNodeSpec = {
      kind: 'processor',
      name: options.name,
      parents: Object.freeze([...options.parents]),
      supplier: options.processor as unknown as () => Processor<unknown, unknown, unknown, unknown>,
      stores: Object.freeze([...(options.stores ?? [])]),
    }
    this.add(spec)
    return this
  }

  /** @throws `STREAMS_TOPOLOGY_INVALID`: a name used twice, no parents, an unknown parent or a sink as parent. */
  addSink<K, V>(options: AddSinkOptions<K, V>): this {
    this.checkNewName(options.name)
    this.checkParents(options.name, options.parents)
    const spec: SinkNodeSpec = {
      kind: 'sink',
      name: options.name,
      parents: Object.freeze([...options.parents]),
      topic: options.topic as string | TopicNameExtractor<unknown, unknown>,
      key: options.key as Serializer<unknown>,
      value: options.value as Serializer<unknown>,
      partitioner: options.partitioner as StreamPartitioner<unknown, unknown> | undefined,
    }
    this.add(spec)
    return this
  }

  /** The topology in Kafka's `TopologyDescription` form; `toString()` prints Kafka's text. */
  describe(): TopologyDescription {
    return new TopologyDescription(definitionOf(this))
  }

  private add(spec: NodeSpec): void {
    this.#nodes.set(spec.name, Object.freeze(spec))
    this.#groups = undefined
  }

  private checkNewName(name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', 'a node needs a non-empty name')
    if (this.#nodes.has(name) || this.globalStoreOfNode(name) !== undefined) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node name ${name} is used twice`, { node: name })
  }

  /** A topic is read by one source at most, global stores' included (Kafka's rule). */
  private checkUnread(topic: string, name: string): void {
    for (const other of this.#nodes.values()) {
      if (other.kind === 'source' && other.topics.includes(topic)) {
        throw streamsError('STREAMS_TOPOLOGY_INVALID', `topic ${topic} is read by two sources (${other.name}, ${name})`, { node: name, topic })
      }
    }
    for (const global of this.#globalStores.values()) {
      if (global.topic === topic) throw streamsError('STREAMS_TOPOLOGY_INVALID', `topic ${topic} is read by two sources (${global.source.name}, ${name})`, { node: name, topic })
    }
  }

  /** The global store whose source or processor is named `name`. */
  private globalStoreOfNode(name: string): GlobalStoreSpec | undefined {
    for (const global of this.#globalStores.values()) if (global.source.name === name || global.processor.name === name) return global
    return undefined
  }

  private checkParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node ${name} has no parents`, { node: name })
    for (const parent of parents) {
      const spec = this.#nodes.get(parent)
      if (spec === undefined && this.globalStoreOfNode(parent) !== undefined) {
        throw streamsError('STREAMS_TOPOLOGY_INVALID', `node ${name} names ${parent} of a global store as its parent: global stores have no children`, { node: name, parent })
      }
      if (spec === undefined) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node ${name} names unknown parent ${parent}`, { node: name, parent })
      if (spec.kind === 'sink') throw streamsError('STREAMS_TOPOLOGY_INVALID', `node ${name} names sink ${parent} as its parent`, { node: name, parent })
    }
  }
}
