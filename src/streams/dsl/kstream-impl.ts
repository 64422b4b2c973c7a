/**
 * The `KStream` implementation: each operator adds its node to the builder's graph and returns
 * the stream that node produces. A stream carries the serdes of its key and value while no
 * operator has changed their types (they default a later sink's or repartition's serdes), and
 * whether a key-changing operator ran (a later grouping or join will repartition first).
 */
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { FixedKeyProcessorSupplier, Processor, ProcessorSupplier } from '../processor/processor.js'
import type { TopicNameExtractor } from '../topology/node-spec.js'
import { BranchedKStreamImpl } from './branched-kstream-impl.js'
import { NAME_PREFIX } from './internal-builder.js'
import type { BranchedKStream, Branches, KGroupedStream, KStream, KTable } from './kstream.js'
import { materializeTable } from './table-materialize.js'
import type { StreamState } from './stream-state.js'

export type { StreamState }
import { branchProcessor, passThroughProcessor } from './operators/branch.js'
import { filterProcessor } from './operators/filter.js'
import { flatMapValuesProcessor } from './operators/flat-map-values.js'
import { flatMapProcessor } from './operators/flat-map.js'
import { mapValuesProcessor } from './operators/map-values.js'
import { mapProcessor } from './operators/map.js'
import { peekProcessor } from './operators/peek.js'
import { selectKeyProcessor } from './operators/select-key.js'
import type { Grouped, KeyValue, Materialized, Named, Processed, Produced, Repartitioned } from './options.js'
import { addRepartitionNodes } from './repartition-nodes.js'
import { KGroupedStreamImpl } from './kgrouped-stream-impl.js'
import type { StreamPartitioner } from '../topology/node-spec.js'


export class KStreamImpl<K, V> implements KStream<K, V> {
  constructor(readonly state: StreamState<K, V>) {}

  filter<V2 extends V>(predicate: (key: K, value: V) => value is V2, options?: Named): KStream<K, V2>
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V>
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.through(options?.name, NAME_PREFIX.filter, filterProcessor(predicate, false))
  }

  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V> {
    return this.through(options?.name, NAME_PREFIX.filter, filterProcessor(predicate, true))
  }

  map<K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>, options?: Named): KStream<K2, V2> {
    return this.next(this.add(options?.name, NAME_PREFIX.map, mapProcessor(mapper)), undefined, undefined, true)
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2, options?: Named): KStream<K, V2> {
    return this.next(this.add(options?.name, NAME_PREFIX.mapValues, mapValuesProcessor(mapper)), this.state.keySerde, undefined)
  }

  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>, options?: Named): KStream<K2, V2> {
    return this.next(this.add(options?.name, NAME_PREFIX.flatMap, flatMapProcessor(mapper)), undefined, undefined, true)
  }

  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, options?: Named): KStream<K, V2> {
    return this.next(this.add(options?.name, NAME_PREFIX.flatMapValues, flatMapValuesProcessor(mapper)), this.state.keySerde, undefined)
  }

  selectKey<K2>(mapper: (key: K, value: V) => K2, options?: Named): KStream<K2, V> {
    return this.next(this.add(options?.name, NAME_PREFIX.selectKey, selectKeyProcessor(mapper)), undefined, this.state.valueSerde, true)
  }

  peek(action: (key: K, value: V) => void, options?: Named): KStream<K, V> {
    return this.through(options?.name, NAME_PREFIX.peek, peekProcessor(action, true))
  }

  foreach(action: (key: K, value: V) => void, options?: Named): void {
    this.add(options?.name, NAME_PREFIX.foreach, peekProcessor(action, false))
  }

  split<P extends string = never>(options?: { readonly name?: P }): BranchedKStream<K, V, P, never> {
    const name = this.state.builder.nameOr(options?.name, NAME_PREFIX.branch)
    return new BranchedKStreamImpl<K, V, P, never>(name, (childNames, predicates, defaultName) => this.addBranches(name, childNames, predicates, defaultName))
  }

  merge(other: KStream<K, V>, options?: Named): KStream<K, V> {
    if (!(other instanceof KStreamImpl) || other.state.builder !== this.state.builder) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'merge() takes a stream of the same StreamsBuilder')
    }
    const that = other as KStreamImpl<K, V>
    const builder = this.state.builder
    const name = builder.nameOr(options?.name, NAME_PREFIX.merge)
    builder.addProcessor({ name, parents: [this.state.node, that.state.node], processor: erase(passThroughProcessor<K, V>()), stores: [] })
    return new KStreamImpl<K, V>({
      builder,
      node: name,
      keySerde: this.state.keySerde ?? that.state.keySerde,
      valueSerde: this.state.valueSerde ?? that.state.valueSerde,
      repartitionRequired: this.state.repartitionRequired || that.state.repartitionRequired,
    })
  }

  repartition(options: Repartitioned<K, V> = {}): KStream<K, V> {
    const builder = this.state.builder
    const key = this.serdeOr(options.key, this.state.keySerde, 'key', 'repartition()')
    const value = this.serdeOr(options.value, this.state.valueSerde, 'value', 'repartition()')
    if (options.partitions !== undefined && !(Number.isInteger(options.partitions) && options.partitions >= 1)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `repartition() partitions must be a positive integer`, { partitions: String(options.partitions) })
    }
    const source = addRepartitionNodes({
      builder,
      parent: this.state.node,
      base: builder.nameOr(options.name, NAME_PREFIX.repartition),
      named: options.name !== undefined,
      key: key as Serde<unknown>,
      value: value as Serde<unknown>,
      partitions: options.partitions,
      partitioner: options.partitioner as StreamPartitioner<unknown, unknown> | undefined,
    })
    return new KStreamImpl<K, V>({ builder, node: source, keySerde: key, valueSerde: value, repartitionRequired: false })
  }

  to(topic: string | TopicNameExtractor<K, V>, options: Produced<K, V> = {}): void {
    const what = typeof topic === 'string' ? `to(${topic})` : 'to(<extractor>)'
    const key = this.serdeOr(options.key, this.state.keySerde, 'key', what)
    const value = this.serdeOr(options.value, this.state.valueSerde, 'value', what)
    const builder = this.state.builder
    const name = builder.nameOr(options.name, NAME_PREFIX.sink)
    builder.addSink({
      name,
      parents: [this.state.node],
      topic: topic as string | TopicNameExtractor<unknown, unknown>,
      key: key as Serde<unknown>,
      value: value as Serde<unknown>,
      partitioner: options.partitioner as ((topic: string, key: unknown, value: unknown, partitionCount: number) => number | undefined) | undefined,
    })
  }

  process<KOut, VOut>(processor: ProcessorSupplier<K, V, KOut, VOut>, options?: Processed): KStream<KOut, VOut> {
    if (typeof processor !== 'function') throw streamsError('STREAMS_TOPOLOGY_INVALID', 'process() takes a function returning a new processor per task')
    // Kafka: process() never triggers automatic repartitioning (the processor may or may not change keys).
    return this.next(this.add(options?.name, NAME_PREFIX.process, processor, options?.stores), undefined, undefined)
  }

  processValues<VOut>(processor: FixedKeyProcessorSupplier<K, V, VOut>, options?: Processed): KStream<K, VOut> {
    if (typeof processor !== 'function') throw streamsError('STREAMS_TOPOLOGY_INVALID', 'processValues() takes a function returning a new processor per task')
    // The runtime hands a fixed-key processor `Record`s (a FixedKeyRecord is a Record without withKey).
    const supplier = processor as unknown as ProcessorSupplier<K, V, K, VOut>
    return this.next(this.add(options?.name, NAME_PREFIX.processValues, supplier, options?.stores), this.state.keySerde, undefined)
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStreamImpl<K, V>({
      builder: this.state.builder,
      node: this.state.node,
      keySerde: grouped.key ?? this.state.keySerde,
      valueSerde: grouped.value ?? this.state.valueSerde,
      repartitionRequired: this.state.repartitionRequired,
      repartitionName: grouped.name,
      newStream,
    })
  }

  groupBy<K2>(selector: (key: K, value: V) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    const keyed = this.selectKey(selector) as KStreamImpl<K2, V>
    return new KGroupedStreamImpl<K2, V>({
      builder: this.state.builder,
      node: keyed.state.node,
      keySerde: grouped.key,
      valueSerde: grouped.value ?? this.state.valueSerde,
      repartitionRequired: true,
      repartitionName: grouped.name,
      newStream,
    })
  }

  toTable(materialized: Materialized<K, V> = {}): KTable<K, V> {
    const builder = this.state.builder
    const processorName = builder.newName(NAME_PREFIX.toTable)
    const storeName = materialized.name ?? builder.newStoreName(NAME_PREFIX.toTable)
    return materializeTable({
      builder,
      parent: this.state.node,
      processorName,
      storeName,
      key: this.state.keySerde,
      value: this.state.valueSerde,
      materialized,
      newStream,
    })
  }

  // ---------------------------------------------------------------- internals

  /** Adds a processor fed by this stream; returns its name. */
  private add<KOut, VOut>(given: string | undefined, prefix: string, processor: ProcessorSupplier<K, V, KOut, VOut>, stores: readonly string[] = []): string {
    const builder = this.state.builder
    const name = builder.nameOr(given, prefix)
    builder.addProcessor({ name, parents: [this.state.node], processor: erase(processor), stores })
    return name
  }

  /** A processor that keeps both types (and so the serdes). */
  private through(given: string | undefined, prefix: string, processor: ProcessorSupplier<K, V, K, V>): KStream<K, V> {
    return this.next(this.add(given, prefix, processor), this.state.keySerde, this.state.valueSerde)
  }

  private next<K2, V2>(node: string, keySerde: Serde<K2> | undefined, valueSerde: Serde<V2> | undefined, keyChanged = false): KStream<K2, V2> {
    return new KStreamImpl<K2, V2>({
      builder: this.state.builder,
      node,
      keySerde,
      valueSerde,
      repartitionRequired: this.state.repartitionRequired || keyChanged,
    })
  }

  serdeOr<T>(given: Serde<T> | undefined, carried: Serde<T> | undefined, which: 'key' | 'value', what: string): Serde<T> {
    const serde = given ?? carried
    if (serde === undefined) {
      throw streamsError(
        'STREAMS_TOPOLOGY_INVALID',
        `${what} needs a ${which} serde: an operator upstream changed the ${which} type; pass { ${which}: … }`,
        { operation: what, serde: which },
      )
    }
    return serde
  }

  private addBranches(
    splitName: string,
    childNames: readonly string[],
    predicates: readonly ((key: K, value: V) => boolean)[],
    defaultName: string | undefined,
  ): Branches<K, V, string> {
    const builder = this.state.builder
    builder.addProcessor({ name: splitName, parents: [this.state.node], processor: erase(branchProcessor(predicates, childNames, defaultName)), stores: [] })
    const result: { [key: string]: KStream<K, V> } = {}
    for (const child of defaultName === undefined ? childNames : [...childNames, defaultName]) {
      builder.addProcessor({ name: child, parents: [splitName], processor: erase(passThroughProcessor<K, V>()), stores: [] })
      result[child] = this.next(child, this.state.keySerde, this.state.valueSerde)
    }
    return result
  }
}

/** Topology nodes hold processors with their types erased; the DSL's types guarantee neighbours agree. */
function erase<KIn, VIn, KOut, VOut>(supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>): () => Processor<unknown, unknown, unknown, unknown> {
  return supplier as unknown as () => Processor<unknown, unknown, unknown, unknown>
}

/** Makes streams for tables and groupings (which do not import this class: no import cycle). */
export function newStream<K, V>(state: StreamState<K, V>): KStream<K, V> {
  return new KStreamImpl<K, V>(state)
}
