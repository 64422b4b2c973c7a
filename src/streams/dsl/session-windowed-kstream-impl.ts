/**
 * The `SessionWindowedKStream` implementation (Kafka `SessionWindowedKStreamImpl`): each
 * aggregation adds its session store, then the processor (and, when the key changed upstream, the
 * repartition in front of it), named as Kafka names them — `KSTREAM-AGGREGATE-…` for `count` and
 * `aggregate`, `KSTREAM-REDUCE-…` for `reduce`, with `count(materialized)` burning one store name
 * first when the materialized has no name (Kafka keeps that for topology compatibility).
 *
 * The store (Kafka `SessionStoreMaterializer`) keeps plain aggregates (a session's timestamp is
 * its end), for `materialized.retentionMs` or else gap + grace, and is never cached when emitting
 * on window close (Kafka disables caching there too).
 */
import { Serdes, type Serde, type Windowed } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { Processor } from '../processor/processor.js'
import { Stores, type StoreSpec } from '../state/stores.js'
import { groupedStreamInput, missingSerde } from './aggregation-store.js'
import { countSerde } from './count-serde.js'
import { NAME_PREFIX, type InternalStreamsBuilder } from './internal-builder.js'
import type { GroupedState } from './stream-state.js'
import type { KTable, SessionWindowedKStream } from './kstream.js'
import { KTableImpl } from './ktable-impl.js'
import { sessionWindowAggregateProcessor, type SessionAggregation } from './operators/session-window-aggregate.js'
import type { EmitStrategy } from './operators/window-aggregate.js'
import type { Materialized } from './options.js'
import type { SessionWindows } from './session-windows.js'

export class SessionWindowedKStreamImpl<K, V> implements SessionWindowedKStream<K, V> {
  constructor(
    private readonly state: GroupedState<K, V>,
    private readonly windows: SessionWindows,
    private readonly emit: EmitStrategy = 'on-window-update',
  ) {}

  emitStrategy(strategy: EmitStrategy): SessionWindowedKStream<K, V> {
    if (strategy !== 'on-window-update' && strategy !== 'on-window-close') {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', "emitStrategy is 'on-window-update' or 'on-window-close'", { strategy: String(strategy) })
    }
    return new SessionWindowedKStreamImpl(this.state, this.windows, strategy)
  }

  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number> {
    if (materialized !== undefined && materialized.name === undefined) this.state.builder.newStoreName(NAME_PREFIX.aggregate)
    return this.build(NAME_PREFIX.aggregate, materialized ?? {}, materialized?.value ?? countSerde, {
      initializer: () => 0,
      aggregator: (_key, _value, count) => count + 1,
      merger: (_key, count, session) => count + session,
    })
  }

  reduce(reducer: (aggregate: V, value: V, key: K) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    const value = materialized.value ?? this.state.valueSerde
    if (value === undefined) throw missingSerde('reduce()', 'value')
    // Kafka's reduce starts from null: the first value (or merged session) is taken as is.
    return this.build<V | undefined, V>(NAME_PREFIX.reduce, materialized, value, {
      initializer: () => undefined,
      aggregator: (key, v, aggregate) => (aggregate === undefined ? v : reducer(aggregate, v, key)),
      merger: (key, aggregate, session) => (aggregate === undefined ? session : reducer(aggregate, session, key)),
    })
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, aggregate: VA, other: VA) => VA,
    materialized: Materialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<Windowed<K>, VA> {
    return this.build<VA, VA>(NAME_PREFIX.aggregate, materialized, materialized.value, { initializer, aggregator, merger })
  }

  private build<A, VA extends A>(prefix: string, materialized: Materialized<K, VA>, valueSerde: Serde<VA>, aggregation: SessionAggregation<K, V, A, VA>): KTable<Windowed<K>, VA> {
    const { builder } = this.state
    const keySerde = materialized.key ?? this.state.keySerde
    if (keySerde === undefined) throw missingSerde('the aggregation', 'key')
    const { windows, emit } = this
    const storeName = materialized.name ?? builder.newStoreName(prefix)
    const processorName = builder.newName(prefix)
    const parent = groupedStreamInput(this.state, storeName, keySerde)
    addSessionStore(builder, { name: storeName, key: keySerde, value: valueSerde, materialized, windows, emit })
    builder.addProcessor({
      name: processorName,
      parents: [parent],
      processor: sessionWindowAggregateProcessor<K, V, A, VA>({ storeName, windows, emit, aggregation }) as unknown as () => Processor<unknown, unknown, unknown, unknown>,
      stores: [storeName],
    })
    return sessionTable(this.state, processorName, keySerde, valueSerde, windows)
  }
}

/**
 * Adds a session aggregation's store (Kafka `SessionStoreMaterializer`): plain aggregates, kept
 * for `materialized.retentionMs` or else gap + grace, never cached when emitting on window close.
 */
export function addSessionStore<K, VA>(
  builder: InternalStreamsBuilder,
  store: { readonly name: string; readonly key: Serde<K>; readonly value: Serde<VA>; readonly materialized: Materialized<K, VA>; readonly windows: SessionWindows; readonly emit: EmitStrategy },
): void {
  const { materialized } = store
  builder.addStateStore(
    Stores.session({
      name: store.name,
      key: store.key,
      value: store.value,
      backend: materialized.backend,
      logging: materialized.logging,
      caching: store.emit === 'on-window-close' ? false : materialized.caching,
      retentionMs: sessionRetentionOf(store.windows, materialized.retentionMs),
    }) as unknown as StoreSpec,
  )
}

/** The table of a session aggregation whose changes `node` forwards. */
export function sessionTable<K, VA>(
  grouped: { readonly builder: InternalStreamsBuilder; readonly newStream: GroupedState<K, unknown>['newStream'] },
  node: string,
  key: Serde<K>,
  value: Serde<VA>,
  windows: SessionWindows,
): KTable<Windowed<K>, VA> {
  // Kafka's suppress(untilWindowCloses) waits grace + gap past a session's end (GraphGraceSearchUtil).
  const windowed = { graceMs: windows.graceMs + windows.inactivityGapMs }
  return new KTableImpl<Windowed<K>, VA>({ builder: grouped.builder, node, keySerde: Serdes.sessionWindowed(key), valueSerde: value, newStream: grouped.newStream, windowed })
}

/**
 * A session store's retention: as asked, else gap + grace — the longest a session can still be
 * merged into after it ends (Kafka `SessionStoreMaterializer`).
 * @throws `STREAMS_TOPOLOGY_INVALID` below gap + grace.
 */
export function sessionRetentionOf(windows: SessionWindows, retentionMs: number | undefined): number {
  const minimum = windows.inactivityGapMs + windows.graceMs
  if (retentionMs === undefined) return minimum
  if (!(Number.isSafeInteger(retentionMs) && retentionMs >= minimum)) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `session store retention must be an integer ≥ gap + grace (${minimum} ms)`, { retentionMs: String(retentionMs) })
  }
  return retentionMs
}
