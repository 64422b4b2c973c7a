/**
 * What every stream aggregation adds in front of its processors — `KGroupedStream`'s
 * `count`/`reduce`/`aggregate` (windowed or not) and cogroup's shared store — in one place, so a
 * change of store layout (a window store for windowed results) is made once:
 * - the repartition a grouped stream needs when its key changed upstream, through
 *   `<grouped name or store name>-repartition`, with the nodes named as Kafka names them;
 * - the store of results: timestamped values (Kafka's timestamped key-value format); for
 *   windowed aggregations a timestamped window store (`Stores.window`).
 * `KGroupedTable` uses the store part (its repartition carries changes, not records).
 */
import { Serdes, type Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { Processor } from '../processor/processor.js'
import { Stores, type StoreSpec } from '../state/stores.js'
import { valueAndTimestampSerde } from '../state/value-and-timestamp.js'
import type { InternalStreamsBuilder } from './internal-builder.js'
import type { GroupedState } from './stream-state.js'
import { aggregateProcessor } from './operators/aggregate.js'
import { windowAggregateProcessor, type EmitStrategy } from './operators/window-aggregate.js'
import { slidingRetentionOf, slidingWindowAggregateProcessor } from './operators/sliding-window-aggregate.js'
import type { Materialized } from './options.js'
import { addRepartitionNodes } from './repartition-nodes.js'
import type { TimeWindows } from './time-windows.js'
import { SlidingWindows } from './sliding-windows.js'

/**
 * Kafka names a repartition's nodes after its topic (`<topic>-filter`, `-sink`, `-source`) unless
 * the topic's base is a generated `KSTREAM-…-<10 digits>` name (`createRepartitionedSource`): a
 * user's store or grouping name, and cogroup's generated `COGROUPKSTREAM-…` store, name them.
 */
const GENERATED_KSTREAM_NAME = /^KSTREAM.*-[0-9]{10}$/

/**
 * The node an aggregation reads `grouped` from: the stream's own node, or — when an operator
 * upstream changed the key — the source of the repartition topic added here.
 * @throws `STREAMS_TOPOLOGY_INVALID` when the repartition has no value serde.
 */
export function groupedStreamInput<K, V>(grouped: GroupedState<K, V>, storeName: string, keySerde: Serde<K>): string {
  if (!grouped.repartitionRequired) return grouped.node
  const value = grouped.valueSerde
  if (value === undefined) throw missingSerde('the repartition before the aggregation', 'value')
  const base = grouped.repartitionName ?? storeName
  return addRepartitionNodes({
    builder: grouped.builder,
    parent: grouped.node,
    base,
    named: !GENERATED_KSTREAM_NAME.test(base),
    key: keySerde as Serde<unknown>,
    value: value as Serde<unknown>,
    partitions: undefined,
    partitioner: undefined,
  })
}

export interface AggregationStore<K, VA> {
  readonly name: string
  readonly key: Serde<K>
  readonly value: Serde<VA>
  readonly materialized: Materialized<K, VA>
  /** Set for a windowed aggregation: the store is keyed by `Windowed<K>`. */
  readonly windows: TimeWindows | SlidingWindows | undefined
}

/**
 * Adds the store of an aggregation's results (one store, however many processors write it).
 * @returns the serde of the result table's keys (`Windowed<K>` bytes for a windowed store: the
 * caller's types say so).
 */
export function addAggregationStore<K, VA>(builder: InternalStreamsBuilder, store: AggregationStore<K, VA>): Serde<K> {
  const { materialized, windows } = store
  const options = {
    name: store.name,
    value: valueAndTimestampSerde(store.value),
    backend: materialized.backend,
    logging: materialized.logging,
    caching: materialized.caching,
  }
  if (windows === undefined) {
    builder.addStateStore({ ...Stores.keyValue({ ...options, key: store.key }), timestamped: true } as unknown as StoreSpec)
    return store.key
  }
  // Windowed results: a timestamped window store (key, then window start), retention as asked.
  // A sliding window's size is its time difference (it ends at start + difference, inclusive).
  const sliding = windows instanceof SlidingWindows
  const retentionMs = sliding ? slidingRetentionOf(windows, materialized.retentionMs) : retentionOf(windows, materialized.retentionMs)
  const windowSizeMs = sliding ? windows.timeDifferenceMs : windows.sizeMs
  builder.addStateStore({ ...Stores.window({ ...options, key: store.key, windowSizeMs, retentionMs }), timestamped: true } as unknown as StoreSpec)
  return Serdes.windowed(store.key, windowSizeMs) as unknown as Serde<K>
}

/**
 * The processor of one input of an aggregation over `store` (windowed or not): a grouped stream
 * has one, a cogroup one per input stream, all writing the same store.
 */
export function aggregationProcessor<K, V, VA>(
  store: AggregationStore<K, VA>,
  emit: EmitStrategy,
  combine: (key: K, value: V, previous: VA | undefined) => VA,
): () => Processor<unknown, unknown, unknown, unknown> {
  const { name, windows } = store
  const supplier =
    windows === undefined
      ? aggregateProcessor<K, V, VA>(name, combine)
      : windows instanceof SlidingWindows
        ? slidingWindowAggregateProcessor<K, V, VA>(name, windows, emit, combine)
        : windowAggregateProcessor<K, V, VA>(name, windows, emit, combine)
  // Topology nodes hold processors with their types erased; the DSL's types guarantee neighbours agree.
  return supplier as unknown as () => Processor<unknown, unknown, unknown, unknown>
}

/** Kafka's default window retention: one day. */
const DEFAULT_WINDOW_RETENTION_MS = 24 * 60 * 60 * 1000

/** A window store's retention: as asked (at least size + grace), else one day. @throws `STREAMS_TOPOLOGY_INVALID` below size + grace. */
export function retentionOf(windows: TimeWindows, retentionMs: number | undefined): number {
  const minimum = windows.sizeMs + windows.graceMs
  if (retentionMs === undefined) return Math.max(DEFAULT_WINDOW_RETENTION_MS, minimum)
  if (!(Number.isSafeInteger(retentionMs) && retentionMs >= minimum)) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `window retention must be an integer ≥ size + grace (${minimum} ms)`, { retentionMs: String(retentionMs) })
  }
  return retentionMs
}

/** `STREAMS_TOPOLOGY_INVALID` for an aggregation whose key or value serde is unknown (a type changed upstream). */
export function missingSerde(what: string, which: 'key' | 'value'): Error {
  return streamsError('STREAMS_TOPOLOGY_INVALID', `${what} needs a ${which} serde: an operator upstream changed the ${which} type; pass { ${which}: … }`, { serde: which })
}
