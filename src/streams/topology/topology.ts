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
import type { KeyValueStoreSpec, StoreSpec } from '../state/stores.js'
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
import { computeSubtopologies, type Subtopology } from './subtopologies.js'
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
  #subtopologies: readonly Subtopology[] | undefined

  constructor() {
    const nodes = this.#nodes
    const internalTopics = this.#internalTopics
    const stores = this.#stores
    definitions.set(this, {
      nodes,
      internalTopics,
      stores,
      subtopologies: () => (this.#subtopologies ??= computeSubtopologies(nodes)),
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
    for (const topic of topics ?? []) {
      for (const other of this.#nodes.values()) {
        if (other.kind === 'source' && other.topics.includes(topic)) {
          throw streamsError('STREAMS_TOPOLOGY_INVALID', `topic ${topic} is read by two sources (${other.name}, ${name})`, { node: name, topic })
        }
      }
    }
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
  addStateStore<K, V>(spec: KeyValueStoreSpec<K, V>): this {
    if (this.#stores.has(spec.name)) throw streamsError('STREAMS_TOPOLOGY_INVALID', `state store ${spec.name} is added twice`, { store: spec.name })
    this.#stores.set(spec.name, spec as unknown as StoreSpec)
    this.#subtopologies = undefined
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
    this.#subtopologies = undefined
  }

  private checkNewName(name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', 'a node needs a non-empty name')
    if (this.#nodes.has(name)) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node name ${name} is used twice`, { node: name })
  }

  private checkParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node ${name} has no parents`, { node: name })
    for (const parent of parents) {
      const spec = this.#nodes.get(parent)
      if (spec === undefined) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node ${name} names unknown parent ${parent}`, { node: name, parent })
      if (spec.kind === 'sink') throw streamsError('STREAMS_TOPOLOGY_INVALID', `node ${name} names sink ${parent} as its parent`, { node: name, parent })
    }
  }
}
