/**
 * The `CogroupedKStream` implementation (Kafka KIP-150), with Kafka's nodes and names: the store
 * (`materialized.name`, else `COGROUPKSTREAM-AGGREGATE-STATE-STORE-<n>`) first; then, for each
 * input whose key changed upstream, its repartition (`<grouping name or store name>-repartition`,
 * the nodes named after the topic); then one `COGROUPKSTREAM-AGGREGATE-<n>` processor per input,
 * in cogroup order, each with its own aggregator; last the `COGROUPKSTREAM-MERGE-<n>` pass-through
 * that all of them feed and that is the result table's node.
 *
 * Every processor writes the one store. Without caching each forwards its own updates; with
 * caching the store forwards one update per key per commit, as the processor that registered its
 * flush listener last — every processor's only child is the merge node, so which one it is does
 * not matter.
 */
import type { Serde, Windowed } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import { addAggregationStore, aggregationProcessor, groupedStreamInput, missingSerde, type AggregationStore } from './aggregation-store.js'
import { NAME_PREFIX } from './internal-builder.js'
import type { GroupedState } from './stream-state.js'
import type { CogroupedKStream, KGroupedStream, KTable, SessionWindowedCogroupedKStream, TimeWindowedCogroupedKStream } from './kstream.js'
import { KTableImpl } from './ktable-impl.js'
import { passThroughProcessor } from './operators/branch.js'
import type { Materialized } from './options.js'
import { TimeWindows } from './time-windows.js'
import { SlidingWindows } from './sliding-windows.js'
import { SessionWindows } from './session-windows.js'
import { addSessionStore, sessionTable } from './session-windowed-kstream-impl.js'
import { sessionWindowAggregateProcessor } from './operators/session-window-aggregate.js'
import type { Processor } from '../processor/processor.js'

/** The state behind a grouped stream of this builder's DSL, or `undefined` for anything else (passed in: no import cycle). */
export type GroupedStateOf = (grouped: unknown) => GroupedState<unknown, unknown> | undefined

interface CogroupInput<K, VA> {
  readonly grouped: GroupedState<K, unknown>
  readonly aggregator: (key: K, value: unknown, aggregate: VA) => VA
}

type AggregateMaterialized<K, VA> = Materialized<K, VA> & { readonly value: Serde<VA> }

export class CogroupedKStreamImpl<K, VA> implements CogroupedKStream<K, VA> {
  private constructor(
    private readonly stateOf: GroupedStateOf,
    /** Never empty once `start` returned. */
    private readonly inputs: readonly CogroupInput<K, VA>[],
  ) {}

  /** `grouped.cogroup(aggregator)`. */
  static start<K, V, VA>(stateOf: GroupedStateOf, grouped: KGroupedStream<K, V>, aggregator: (key: K, value: V, aggregate: VA) => VA): CogroupedKStream<K, VA> {
    return new CogroupedKStreamImpl<K, VA>(stateOf, []).cogroup(grouped, aggregator)
  }

  cogroup<V>(grouped: KGroupedStream<K, V>, aggregator: (key: K, value: V, aggregate: VA) => VA): CogroupedKStream<K, VA> {
    const state = this.stateOf(grouped) as GroupedState<K, unknown> | undefined
    const first = this.inputs[0]
    if (state === undefined || (first !== undefined && state.builder !== first.grouped.builder)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'cogroup() takes a grouped stream (groupByKey() or groupBy()) of the same StreamsBuilder')
    }
    // Kafka keeps one aggregator per grouped stream and silently replaces the first: refuse instead.
    if (this.inputs.some((input) => input.grouped === state)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'a grouped stream is in the cogroup twice', { node: state.node })
    }
    if (typeof aggregator !== 'function') throw streamsError('STREAMS_TOPOLOGY_INVALID', 'cogroup() takes an aggregator function')
    const input: CogroupInput<K, VA> = { grouped: state, aggregator: aggregator as (key: K, value: unknown, aggregate: VA) => VA }
    return new CogroupedKStreamImpl<K, VA>(this.stateOf, [...this.inputs, input])
  }

  windowedBy(windows: SessionWindows): SessionWindowedCogroupedKStream<K, VA>
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedCogroupedKStream<K, VA>
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedCogroupedKStream<K, VA> | SessionWindowedCogroupedKStream<K, VA> {
    if (windows instanceof SessionWindows) {
      return { aggregate: (initializer, merger, materialized) => aggregateSessionCogroup(this.inputs, initializer, merger, materialized, windows) }
    }
    if (!(windows instanceof TimeWindows) && !(windows instanceof SlidingWindows)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'a cogroup is windowed by TimeWindows, SlidingWindows or SessionWindows')
    }
    const timed: TimeWindowedCogroupedKStream<K, VA> = {
      // The table's key is `Windowed<K>`: the store's key serde is the windowed one.
      aggregate: (initializer, materialized) => aggregateCogroup(this.inputs, initializer, materialized, windows) as unknown as KTable<Windowed<K>, VA>,
    }
    return timed
  }

  aggregate(initializer: () => VA, materialized: AggregateMaterialized<K, VA>): KTable<K, VA> {
    return aggregateCogroup(this.inputs, initializer, materialized, undefined)
  }
}

function aggregateCogroup<K, VA>(
  inputs: readonly CogroupInput<K, VA>[],
  initializer: () => VA,
  materialized: AggregateMaterialized<K, VA>,
  windows: TimeWindows | SlidingWindows | undefined,
): KTable<K, VA> {
  const { builder, newStream, key, storeName, parents } = cogroupInputs(inputs, initializer, materialized)
  const store: AggregationStore<K, VA> = { name: storeName, key, value: materialized.value, materialized, windows }
  const storeKey = addAggregationStore(builder, store)
  const processors = parents.map(({ input, parent }) => {
    const name = builder.newName(NAME_PREFIX.cogroupAggregate)
    const combine = (k: K, value: unknown, previous: VA | undefined): VA => input.aggregator(k, value, previous === undefined ? initializer() : previous)
    builder.addProcessor({ name, parents: [parent], processor: aggregationProcessor(store, 'on-window-update', combine), stores: [storeName] })
    return name
  })
  const merge = addMerge(builder, processors)
  // Windowed results tell a downstream suppress(untilWindowCloses) when a window is final.
  const windowed = windows === undefined ? undefined : { graceMs: windows.graceMs }
  return new KTableImpl<K, VA>({ builder, node: merge, keySerde: storeKey, valueSerde: materialized.value, newStream, windowed })
}

/**
 * What every cogroup aggregation starts with: the checks, the key serde, the store name, and each
 * input's node — repartitioned first when its key changed (Kafka's order: every repartition, then
 * every processor; generated names follow it).
 */
function cogroupInputs<K, VA>(inputs: readonly CogroupInput<K, VA>[], initializer: () => VA, materialized: AggregateMaterialized<K, VA>) {
  const [first] = inputs
  if (first === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', 'a cogroup without inputs')
  if (typeof initializer !== 'function') throw streamsError('STREAMS_TOPOLOGY_INVALID', 'aggregate() takes an initializer function')
  const { builder, newStream } = first.grouped
  const key = materialized.key ?? inputs.find((input) => input.grouped.keySerde !== undefined)?.grouped.keySerde
  if (key === undefined) throw missingSerde('the cogroup aggregation', 'key')
  if (materialized.value === undefined) throw missingSerde('the cogroup aggregation', 'value')
  const storeName = materialized.name ?? builder.newStoreName(NAME_PREFIX.cogroupAggregate)
  const parents = inputs.map((input) => ({ input, parent: groupedStreamInput(input.grouped, storeName, input.grouped.keySerde ?? key) }))
  return { builder, newStream, key, storeName, parents }
}

/** The `COGROUPKSTREAM-MERGE-<n>` pass-through all of a cogroup's processors feed: the result table's node. */
function addMerge(builder: GroupedState<unknown, unknown>['builder'], processors: readonly string[]): string {
  const merge = builder.newName(NAME_PREFIX.cogroupMerge)
  builder.addProcessor({ name: merge, parents: [...processors], processor: passThroughProcessor<unknown, unknown>(), stores: [] })
  return merge
}

/** A session-windowed cogroup (Kafka `SessionWindowedCogroupedKStreamImpl`): one session store, one session aggregation per input. */
function aggregateSessionCogroup<K, VA>(
  inputs: readonly CogroupInput<K, VA>[],
  initializer: () => VA,
  merger: (key: K, aggregate: VA, other: VA) => VA,
  materialized: AggregateMaterialized<K, VA>,
  windows: SessionWindows,
): KTable<Windowed<K>, VA> {
  if (typeof merger !== 'function') throw streamsError('STREAMS_TOPOLOGY_INVALID', 'aggregate() takes a session merger function')
  const { builder, newStream, key, storeName, parents } = cogroupInputs(inputs, initializer, materialized)
  addSessionStore(builder, { name: storeName, key, value: materialized.value, materialized, windows, emit: 'on-window-update' })
  const processors = parents.map(({ input, parent }) => {
    const name = builder.newName(NAME_PREFIX.cogroupAggregate)
    const processor = sessionWindowAggregateProcessor<K, unknown, VA, VA>({ storeName, windows, emit: 'on-window-update', aggregation: { initializer, aggregator: input.aggregator, merger } })
    builder.addProcessor({ name, parents: [parent], processor: processor as unknown as () => Processor<unknown, unknown, unknown, unknown>, stores: [storeName] })
    return name
  })
  return sessionTable({ builder, newStream }, addMerge(builder, processors), key, materialized.value, windows)
}
