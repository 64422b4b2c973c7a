/**
 * The `KGroupedStream` implementation: an aggregation adds its store and processor (and, when the
 * key changed upstream, the repartition in front of them) with Kafka's names: the store
 * `KSTREAM-AGGREGATE-STATE-STORE-<n>` first, then the processor, then the repartition nodes and
 * its topic `<store name>-repartition` (or `<grouped name>-repartition`).
 */
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import { addAggregationStore, aggregationProcessor, groupedStreamInput, missingSerde } from './aggregation-store.js'
import { CogroupedKStreamImpl } from './cogrouped-kstream-impl.js'
import { countSerde } from './count-serde.js'
import { NAME_PREFIX } from './internal-builder.js'
import type { CogroupedKStream, KGroupedStream, KTable, SessionWindowedKStream, TimeWindowedKStream } from './kstream.js'
import { TimeWindows } from './time-windows.js'
import { SlidingWindows } from './sliding-windows.js'
import { SessionWindows } from './session-windows.js'
import { SessionWindowedKStreamImpl } from './session-windowed-kstream-impl.js'
import type { EmitStrategy } from './operators/window-aggregate.js'
import type { GroupedState } from './stream-state.js'
import { KTableImpl } from './ktable-impl.js'
import type { Materialized } from './options.js'

export class KGroupedStreamImpl<K, V> implements KGroupedStream<K, V> {
  constructor(
    private readonly state: GroupedState<K, V>,
    /** Set for a windowed grouping (`windowedBy`): results are keyed by `Windowed<K>`. */
    private readonly windows?: TimeWindows | SlidingWindows,
    private readonly emit: EmitStrategy = 'on-window-update',
  ) {}

  /** (Windowed groupings) when results go downstream; see `EmitStrategy`. */
  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V> {
    if (strategy !== 'on-window-update' && strategy !== 'on-window-close') {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', "emitStrategy is 'on-window-update' or 'on-window-close'", { strategy: String(strategy) })
    }
    return new KGroupedStreamImpl<K, V>(this.state, this.windows, strategy) as unknown as TimeWindowedKStream<K, V>
  }

  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof SessionWindows) return new SessionWindowedKStreamImpl(this.state, windows)
    if (!(windows instanceof TimeWindows || windows instanceof SlidingWindows)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'windowedBy() takes TimeWindows or SlidingWindows (TimeWindows.ofSizeAndGrace(…), SlidingWindows.ofTimeDifferenceAndGrace(…))')
    }
    return new KGroupedStreamImpl<K, V>(this.state, windows) as unknown as TimeWindowedKStream<K, V>
  }

  cogroup<VA>(aggregator: (key: K, value: V, aggregate: VA) => VA): CogroupedKStream<K, VA> {
    return CogroupedKStreamImpl.start(KGroupedStreamImpl.stateOf, this, aggregator)
  }

  /** The state of a grouped stream `cogroup` is given (not a windowed one: those are typed apart). */
  private static stateOf(this: void, grouped: unknown): GroupedState<unknown, unknown> | undefined {
    return grouped instanceof KGroupedStreamImpl && grouped.windows === undefined ? (grouped.state as GroupedState<unknown, unknown>) : undefined
  }

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.build(NAME_PREFIX.aggregate, materialized, materialized.value ?? countSerde, (_key, _value, previous: number | undefined) => (previous ?? 0) + 1)
  }

  reduce(reducer: (aggregate: V, value: V, key: K) => V, materialized: Materialized<K, V> = {}): KTable<K, V> {
    const value = materialized.value ?? this.state.valueSerde
    if (value === undefined) throw missingSerde('reduce()', 'value')
    return this.build(NAME_PREFIX.reduce, materialized, value, (key, v, previous: V | undefined) => (previous === undefined ? v : reducer(previous, v, key)))
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized: Materialized<K, VA> & { readonly value: Serde<VA> }): KTable<K, VA> {
    return this.build(NAME_PREFIX.aggregate, materialized, materialized.value, (key, v, previous: VA | undefined) => aggregator(key, v, previous === undefined ? initializer() : previous))
  }

  private build<VA>(prefix: string, materialized: Materialized<K, VA>, valueSerde: Serde<VA>, combine: (key: K, value: V, previous: VA | undefined) => VA): KTable<K, VA> {
    const { builder } = this.state
    const keySerde = materialized.key ?? this.state.keySerde
    if (keySerde === undefined) throw missingSerde('the aggregation', 'key')
    const windows = this.windows
    const storeName = materialized.name ?? builder.newStoreName(prefix)
    const processorName = builder.newName(prefix)
    const parent = groupedStreamInput(this.state, storeName, keySerde)
    const store = { name: storeName, key: keySerde, value: valueSerde, materialized, windows }
    const storeKey = addAggregationStore(builder, store)
    builder.addProcessor({ name: processorName, parents: [parent], processor: aggregationProcessor(store, this.emit, combine), stores: [storeName] })
    // A windowed table's key is `Windowed<K>`: the caller's types say so (TimeWindowedKStream).
    // Windowed results tell a downstream suppress(untilWindowCloses) when a window is final.
    const windowed = windows === undefined ? undefined : { graceMs: windows.graceMs }
    return new KTableImpl<K, VA>({ builder, node: processorName, keySerde: storeKey, valueSerde, newStream: this.state.newStream, windowed })
  }
}
