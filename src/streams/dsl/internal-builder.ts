/**
 * The logical graph a `StreamsBuilder` accumulates (DESIGN.md §4: the DSL only builds a graph;
 * `build()` compiles it into a `Topology`), and Kafka's node naming: a generated name is
 * `<PREFIX><counter>`, the counter shared by the whole builder and zero-padded to 10 digits
 * (`KSTREAM-FILTER-0000000001`), so a Java app with the same DSL calls prints the same names.
 */
import { streamsError } from '../errors.js'
import type { StoreSpec } from '../state/stores.js'
import type { InternalTopicSpec } from '../topology/node-spec.js'
import { Topology, addInternalTopic, type AddGlobalStoreOptions, type AddProcessorOptions, type AddSinkOptions, type AddSourceOptions } from '../topology/topology.js'

type GraphNode =
  | { readonly kind: 'source'; readonly options: AddSourceOptions<unknown, unknown> }
  | { readonly kind: 'processor'; readonly options: AddProcessorOptions<unknown, unknown, unknown, unknown> }
  | { readonly kind: 'sink'; readonly options: AddSinkOptions<unknown, unknown> }
  | { readonly kind: 'internal-topic'; readonly spec: InternalTopicSpec }
  | { readonly kind: 'store'; readonly spec: StoreSpec }
  | { readonly kind: 'global-store'; readonly options: AddGlobalStoreOptions<unknown, unknown, unknown, unknown> }

/** Kafka's generated-name prefixes (streams anchor A.1). */
export const NAME_PREFIX = {
  source: 'KSTREAM-SOURCE-',
  sink: 'KSTREAM-SINK-',
  filter: 'KSTREAM-FILTER-',
  map: 'KSTREAM-MAP-',
  mapValues: 'KSTREAM-MAPVALUES-',
  flatMap: 'KSTREAM-FLATMAP-',
  flatMapValues: 'KSTREAM-FLATMAPVALUES-',
  selectKey: 'KSTREAM-KEY-SELECT-',
  peek: 'KSTREAM-PEEK-',
  foreach: 'KSTREAM-FOREACH-',
  branch: 'KSTREAM-BRANCH-',
  merge: 'KSTREAM-MERGE-',
  repartition: 'KSTREAM-REPARTITION-',
  process: 'KSTREAM-PROCESSOR-',
  processValues: 'KSTREAM-PROCESSVALUES-',
  aggregate: 'KSTREAM-AGGREGATE-',
  reduce: 'KSTREAM-REDUCE-',
  toStream: 'KTABLE-TOSTREAM-',
  toTable: 'KSTREAM-TOTABLE-',
  tableSource: 'KTABLE-SOURCE-',
  tableFilter: 'KTABLE-FILTER-',
  tableMapValues: 'KTABLE-MAPVALUES-',
  tableSelect: 'KTABLE-SELECT-',
  tableAggregate: 'KTABLE-AGGREGATE-',
  tableReduce: 'KTABLE-REDUCE-',
  cogroupAggregate: 'COGROUPKSTREAM-AGGREGATE-',
  cogroupMerge: 'COGROUPKSTREAM-MERGE-',
  suppress: 'KTABLE-SUPPRESS-',
} as const

/** Kafka's generated store names: `<operator prefix>STATE-STORE-<counter>`. */
const STORE_INFIX = 'STATE-STORE-'

const COUNTER_DIGITS = 10

export class InternalStreamsBuilder {
  private counter = 0
  private readonly graph: GraphNode[] = []
  private readonly names = new Set<string>()
  private readonly storeNames = new Set<string>()

  /** The next generated name with `prefix` (burns one counter value). */
  newName(prefix: string): string {
    return `${prefix}${String(this.counter++).padStart(COUNTER_DIGITS, '0')}`
  }

  /** The next generated store name for an operator with `prefix` (`KSTREAM-AGGREGATE-STATE-STORE-0000000001`). */
  newStoreName(prefix: string): string {
    return this.newName(`${prefix}${STORE_INFIX}`)
  }

  /** `name` if given (checked unique), else a generated name. */
  nameOr(given: string | undefined, prefix: string): string {
    if (given === undefined) return this.newName(prefix)
    if (typeof given !== 'string' || given.length === 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', 'a name must be a non-empty string')
    return given
  }

  addSource(options: AddSourceOptions<unknown, unknown>): void {
    this.claim(options.name)
    this.graph.push({ kind: 'source', options })
  }

  addProcessor(options: AddProcessorOptions<unknown, unknown, unknown, unknown>): void {
    this.claim(options.name)
    this.graph.push({ kind: 'processor', options })
  }

  addSink(options: AddSinkOptions<unknown, unknown>): void {
    this.claim(options.name)
    this.graph.push({ kind: 'sink', options })
  }

  addInternalTopic(spec: InternalTopicSpec): void {
    this.graph.push({ kind: 'internal-topic', spec })
  }

  addStateStore(spec: StoreSpec): void {
    if (this.storeNames.has(spec.name)) throw streamsError('STREAMS_TOPOLOGY_INVALID', `state store ${spec.name} is added twice`, { store: spec.name })
    this.storeNames.add(spec.name)
    this.graph.push({ kind: 'store', spec })
  }

  /** A global store with its source and processor (`builder.globalTable`). */
  addGlobalStore(options: AddGlobalStoreOptions<unknown, unknown, unknown, unknown>): void {
    const store = options.store.name
    if (this.storeNames.has(store)) throw streamsError('STREAMS_TOPOLOGY_INVALID', `state store ${store} is added twice`, { store })
    this.claim(options.sourceName)
    this.claim(options.processorName)
    this.storeNames.add(store)
    this.graph.push({ kind: 'global-store', options })
  }

  /** A new `Topology` of everything added so far (the builder may go on growing). */
  build(): Topology {
    const topology = new Topology()
    for (const node of this.graph) {
      switch (node.kind) {
        case 'source':
          topology.addSource(node.options)
          break
        case 'processor':
          topology.addProcessor(node.options)
          break
        case 'sink':
          topology.addSink(node.options)
          break
        case 'internal-topic':
          addInternalTopic(topology, node.spec)
          break
        case 'store':
          topology.addStateStore(node.spec)
          break
        case 'global-store':
          topology.addGlobalStore(node.options)
          break
      }
    }
    return topology
  }

  /** Names must be unique: fail at the operator call that repeats one, not later at build(). */
  private claim(name: string): void {
    if (this.names.has(name)) throw streamsError('STREAMS_TOPOLOGY_INVALID', `node name ${name} is used twice`, { node: name })
    this.names.add(name)
  }
}
