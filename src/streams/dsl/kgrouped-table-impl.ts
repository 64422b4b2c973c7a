/**
 * The `KGroupedTable` implementation (`table.groupBy(selector)`), with Kafka's nodes and names:
 * `groupBy` names the select node (`KTABLE-SELECT-<n>`, or the grouping's name); each aggregation
 * then adds its store (`KTABLE-AGGREGATE-STATE-STORE-<n>` / `KTABLE-REDUCE-STATE-STORE-<n>`), a
 * sink and a source (`KSTREAM-SINK-<n>`, `KSTREAM-SOURCE-<n>`) around the repartition topic
 * `<store name>-repartition` (or `<grouping name>-repartition`, shared by every aggregation of a
 * named grouping, as in Kafka), and its processor (`KTABLE-AGGREGATE-<n>` / `KTABLE-REDUCE-<n>`).
 *
 * A table aggregation always repartitions — the selector may move any row to any group — and
 * the repartition topic carries changes, not rows (`change-serde.ts`): the aggregation must know
 * what to subtract as well as what to add. The select node is added to the graph with the first
 * aggregation, when the serde that decides whether two groups are the same (KIP-904) is known;
 * its name is taken at `groupBy`, so generated names match a Java app's.
 */
import type { Serde } from '../../serdes/index.js'
import type { Processor, ProcessorSupplier } from '../processor/processor.js'
import { compareBytes } from '../state/bytes-store.js'
import { addAggregationStore, missingSerde } from './aggregation-store.js'
import { changeSerde } from './change-serde.js'
import { countSerde } from './count-serde.js'
import { NAME_PREFIX, type InternalStreamsBuilder } from './internal-builder.js'
import type { KGroupedTable, KStream, KTable } from './kstream.js'
import type { TableState } from './stream-state.js'
import { tableAggregateProcessor, type TableAggregator } from './operators/table-aggregate.js'
import { tableSelectProcessor } from './operators/table-group-by.js'
import type { Grouped, KeyValue, Materialized } from './options.js'
import type { StreamState } from './stream-state.js'

const REPARTITION_TOPIC_SUFFIX = '-repartition'

/** A grouped table: where its select node goes, how it selects, and the repartition's serdes and name. */
interface GroupedTableState<K, V> {
  readonly builder: InternalStreamsBuilder
  /** The node forwarding the grouped table's changes (the select node's parent). */
  readonly table: string
  readonly selectName: string
  /** The select node's processor, given how to tell whether two groups are one. */
  readonly select: (isSameGroup: (a: K, b: K) => boolean) => () => Processor<unknown, unknown, unknown, unknown>
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly repartitionName: string | undefined
  readonly newStream: <K2, V2>(state: StreamState<K2, V2>) => KStream<K2, V2>
  /** Makes the result tables (passed in: this module does not import the table class). */
  readonly newTable: <K2, V2>(state: TableState<K2, V2>) => KTable<K2, V2>
}

export class KGroupedTableImpl<K, V> implements KGroupedTable<K, V> {
  private selectAdded = false
  /** A named grouping's repartition source, once added: later aggregations read it too. */
  private sharedSource: string | undefined

  private constructor(private readonly state: GroupedTableState<K, V>) {}

  /** `table.groupBy(selector, grouped)`: takes the select node's name now (Kafka's counter order). */
  static groupBy<KT, VT, K, V>(
    table: TableState<KT, VT>,
    selector: (key: KT, value: VT) => KeyValue<K, V>,
    grouped: Grouped<K, V>,
    newTable: <K2, V2>(state: TableState<K2, V2>) => KTable<K2, V2>,
  ): KGroupedTable<K, V> {
    return new KGroupedTableImpl<K, V>({
      builder: table.builder,
      table: table.node,
      selectName: table.builder.nameOr(grouped.name, NAME_PREFIX.tableSelect),
      select: (isSameGroup) => erase(tableSelectProcessor(selector, isSameGroup)),
      keySerde: grouped.key,
      valueSerde: grouped.value,
      repartitionName: grouped.name,
      newStream: table.newStream,
      newTable,
    })
  }

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.build(NAME_PREFIX.tableAggregate, materialized, materialized.value ?? countSerde, {
      add: (_key, _value, count) => (count ?? 0) + 1,
      subtract: (_key, _value, count) => count - 1,
    })
  }

  reduce(adder: (aggregate: V, value: V, key: K) => V, subtractor: (aggregate: V, value: V, key: K) => V | null, materialized: Materialized<K, V> = {}): KTable<K, V> {
    const value = materialized.value ?? this.state.valueSerde
    if (value === undefined) throw missingSerde('reduce()', 'value')
    return this.build(NAME_PREFIX.tableReduce, materialized, value, {
      add: (key, v, aggregate) => (aggregate === undefined ? v : adder(aggregate, v, key)),
      subtract: (key, v, aggregate) => subtractor(aggregate, v, key),
    })
  }

  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA | null,
    materialized: Materialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<K, VA> {
    return this.build(NAME_PREFIX.tableAggregate, materialized, materialized.value, {
      add: (key, v, aggregate) => adder(key, v, aggregate === undefined ? initializer() : aggregate),
      subtract: subtractor,
    })
  }

  private build<VA>(prefix: string, materialized: Materialized<K, VA>, valueSerde: Serde<VA>, aggregator: TableAggregator<K, V, VA>): KTable<K, VA> {
    const { builder } = this.state
    const key = this.state.keySerde ?? materialized.key
    if (key === undefined) throw missingSerde('groupBy()', 'key')
    const value = this.state.valueSerde
    if (value === undefined) throw missingSerde('groupBy()', 'value')
    const storeName = materialized.name ?? builder.newStoreName(prefix)
    const source = this.repartition(storeName, key, value)
    const processorName = builder.newName(prefix)
    const storeKey = addAggregationStore(builder, { name: storeName, key: materialized.key ?? key, value: valueSerde, materialized, windows: undefined })
    builder.addProcessor({ name: processorName, parents: [source], processor: erase(tableAggregateProcessor(storeName, aggregator)), stores: [storeName] })
    return this.state.newTable<K, VA>({ builder, node: processorName, keySerde: storeKey, valueSerde, newStream: this.state.newStream })
  }

  /** Adds (or, for a named grouping, reuses) the repartition of changes; returns its source's name. */
  private repartition(storeName: string, key: Serde<K>, value: Serde<V>): string {
    const { builder, repartitionName, selectName } = this.state
    const topic = `${repartitionName ?? storeName}${REPARTITION_TOPIC_SUFFIX}`
    // Kafka takes both names even when it then reuses a named grouping's repartition.
    const sinkName = builder.newName(NAME_PREFIX.sink)
    const sourceName = builder.newName(NAME_PREFIX.source)
    if (this.sharedSource !== undefined) return this.sharedSource
    if (!this.selectAdded) {
      this.selectAdded = true
      // Two groups are one when their keys' bytes are: the same partition and the same store key.
      const isSameGroup = (a: K, b: K): boolean => a === b || isSameBytes(key.serialize(topic, a), key.serialize(topic, b))
      builder.addProcessor({ name: selectName, parents: [this.state.table], processor: this.state.select(isSameGroup), stores: [] })
    }
    builder.addInternalTopic({ name: topic, kind: 'repartition', partitions: undefined })
    const changes = changeSerde(value) as Serde<unknown>
    builder.addSink({ name: sinkName, parents: [selectName], topic, key: key as Serde<unknown>, value: changes })
    builder.addSource({ name: sourceName, topics: [topic], key: key as Serde<unknown>, value: changes })
    if (repartitionName !== undefined) this.sharedSource = sourceName
    return sourceName
  }
}

function isSameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a !== null && b !== null && compareBytes(a, b) === 0
}

/** Topology nodes hold processors with their types erased; the DSL's types guarantee neighbours agree. */
function erase<KIn, VIn, KOut, VOut>(supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>): () => Processor<unknown, unknown, unknown, unknown> {
  return supplier as unknown as () => Processor<unknown, unknown, unknown, unknown>
}
