/**
 * `KStream<K, V>`: an unbounded stream of records, each one an independent event (Kafka Streams
 * `KStream`). Operators only add nodes to the builder's graph; nothing runs until the built
 * topology is run by a `StreamsApp` or a `TopologyTestDriver`.
 *
 * Callbacks are plain synchronous functions called once per record, depth-first: `filter`,
 * `map`, `selectKey`, `flatMap`, `peek` and `foreach` take `(key, value)`; `mapValues` and
 * `flatMapValues` take `(value, key)` — the value first, as Kafka's `ValueMapper`. A callback that
 * throws is handled by the app's processing exception handler. Output records keep the input
 * record's timestamp and headers (`flatMap`: every output record).
 */
import type { FixedKeyProcessorSupplier, ProcessorSupplier } from '../processor/processor.js'
import type { StreamPartitioner, TopicNameExtractor } from '../topology/node-spec.js'
import type { Serde, Windowed } from '../../serdes/index.js'
import type { TimeWindows } from './time-windows.js'
import type { SessionWindows } from './session-windows.js'
import type { SlidingWindows } from './sliding-windows.js'
import type { EmitStrategy } from './operators/window-aggregate.js'
import type { SuppressOptions, Suppressed } from './suppressed.js'
import type { Grouped, KeyValue, Materialized, Named, Processed, Produced, Repartitioned } from './options.js'

export interface KStream<K, V> {
  /** Records for which `predicate` holds; a type guard narrows the value type. */
  filter<V2 extends V>(predicate: (key: K, value: V) => value is V2, options?: Named): KStream<K, V2>
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V>
  /** Records for which `predicate` does not hold. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KStream<K, V>
  /** A new key and value per record. Marks the stream for repartitioning before a later grouping or join. */
  map<K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>, options?: Named): KStream<K2, V2>
  /** A new value per record; the key (and so the partitioning) is kept. */
  mapValues<V2>(mapper: (value: V, key: K) => V2, options?: Named): KStream<K, V2>
  /** Zero or more records per record. Marks the stream for repartitioning. */
  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>, options?: Named): KStream<K2, V2>
  /** Zero or more values per record, each with the input's key. */
  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, options?: Named): KStream<K, V2>
  /** A new key per record (the value is kept). Marks the stream for repartitioning. */
  selectKey<K2>(mapper: (key: K, value: V) => K2, options?: Named): KStream<K2, V>
  /** Calls `action` for each record and passes it on unchanged. */
  peek(action: (key: K, value: V) => void, options?: Named): KStream<K, V>
  /** Calls `action` for each record; terminal. */
  foreach(action: (key: K, value: V) => void, options?: Named): void
  /**
   * Routes each record to the first branch whose predicate holds (Kafka `split()`); see
   * {@link BranchedKStream}. `name` prefixes the branch names (and names the branch processor).
   */
  split<P extends string = never>(options?: { readonly name?: P }): BranchedKStream<K, V, P, never>
  /** Records of both streams; each keeps its order, with no order between the two. */
  merge(other: KStream<K, V>, options?: Named): KStream<K, V>
  /**
   * Writes the stream to an internal topic `<applicationId>-<name>-repartition` and reads it back,
   * so records are partitioned by their current key (Kafka `repartition()`). Records with a
   * `null` key are dropped, as Kafka does.
   * @throws `STREAMS_TOPOLOGY_INVALID` when no serde is given and the stream carries none.
   */
  repartition(options?: Repartitioned<K, V>): KStream<K, V>
  /**
   * Writes every record to `topic`, or to the topic `topic(key, value, context)` names per record.
   * @throws `STREAMS_TOPOLOGY_INVALID` when no serde is given and the stream carries none.
   */
  to(topic: string | TopicNameExtractor<K, V>, options?: Produced<K, V>): void
  /** Passes records through a processor of the Processor API; its output is the new stream. */
  process<KOut, VOut>(processor: ProcessorSupplier<K, V, KOut, VOut>, options?: Processed): KStream<KOut, VOut>
  /** As `process`, with a processor that cannot change keys (no repartitioning follows). */
  processValues<VOut>(processor: FixedKeyProcessorSupplier<K, V, VOut>, options?: Processed): KStream<K, VOut>
  /**
   * Groups records by their key for an aggregation. When an operator upstream changed the key,
   * the aggregation first repartitions through `<applicationId>-<name>-repartition`.
   */
  groupByKey(grouped?: Grouped<K, V>): KGroupedStream<K, V>
  /** Groups records by a new key (always repartitions before the aggregation). */
  groupBy<K2>(selector: (key: K, value: V) => K2, grouped?: Grouped<K2, V>): KGroupedStream<K2, V>
  /**
   * The stream as a table: each record an upsert of its key, a `null` value a deletion; records
   * with a `null` key are skipped. Materialized in a store (`materialized.name`, or generated).
   */
  toTable(materialized?: Materialized<K, V>): KTable<K, V>
}

/**
 * A grouped stream (Kafka `KGroupedStream`): aggregations keep one value per key in a state store
 * and produce a table of it. Records with a `null` key or value are skipped, as in Kafka. The
 * result's timestamp is the largest timestamp of the records that built it.
 */
export interface KGroupedStream<K, V> {
  /**
   * Aggregations per key and session (`SessionWindows`): see {@link SessionWindowedKStream}.
   */
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>
  /**
   * Aggregations per key and time window: tumbling or hopping (`TimeWindows`), or sliding
   * (`SlidingWindows`: windows `[start, start + difference]`, both ends inclusive, one per distinct
   * set of records within the difference of each other; the store's retention is at least
   * 2 × difference + grace, Kafka's default).
   * @throws `STREAMS_TOPOLOGY_INVALID` for other windows (the aggregation throws it for a
   *   retention below the minimum).
   */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>
  /**
   * Starts a cogroup (Kafka `cogroup`, KIP-150): this and other grouped streams of the same key
   * folded into one aggregate per key, in one store, each stream with its own `aggregator`. See
   * {@link CogroupedKStream}.
   */
  cogroup<VA>(aggregator: (key: K, value: V, aggregate: VA) => VA): CogroupedKStream<K, VA>
  /** The number of records per key. */
  count(materialized?: Materialized<K, number>): KTable<K, number>
  /** Combines the values of a key: the first value as is, then `reducer(aggregate, value, key)`. */
  reduce(reducer: (aggregate: V, value: V, key: K) => V, materialized?: Materialized<K, V>): KTable<K, V>
  /** Folds the values of a key into `initializer()` with `aggregator(key, value, aggregate)`. */
  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized: Materialized<K, VA> & { readonly value: Serde<VA> }): KTable<K, VA>
}

/**
 * A grouped stream windowed by time (Kafka `TimeWindowedKStream`): the aggregations of
 * `KGroupedStream` per key and window, keyed by `Windowed<K>`. A record later than its window's
 * end plus the grace period is dropped. Results are updated on every record (with caching: once
 * per window per commit).
 */
export interface TimeWindowedKStream<K, V> {
  /**
   * When results go downstream: on every update (default), or once per window with its final
   * value when stream time closes it (`'on-window-close'`, Kafka `EmitStrategy.onWindowClose()`).
   */
  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V>
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number>
  reduce(reducer: (aggregate: V, value: V, key: K) => V, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>
  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized: Materialized<K, VA> & { readonly value: Serde<VA> }): KTable<Windowed<K>, VA>
}

/**
 * A grouped stream windowed by sessions (Kafka `SessionWindowedKStream`): per key, a session is a
 * run of records each at most the inactivity gap after the previous one, keyed by `Windowed<K>`
 * whose window is `[first, last]` — both ends inclusive (read it with `Serdes.sessionWindowed`).
 * A record within the gap of one or more sessions merges them (their aggregates combined with the
 * merger, then the record added); the table then deletes each merged session (a `null` update)
 * and adds the merged one. A record is dropped when its merged session ends before
 * `streamTime − grace − gap` (the session is closed), as are records with a `null` key or value.
 * Results are stamped with their session's end. With caching (the default) the table forwards
 * one update per session per commit, and nothing for a session merged away within the commit.
 *
 * The sessions live in a session store (`materialized.name`, else `KSTREAM-AGGREGATE-STATE-STORE-<n>`
 * / `KSTREAM-REDUCE-STATE-STORE-<n>`), queryable with `StreamsApp.sessionStore(name)`, kept
 * `materialized.retentionMs` after they end (default and minimum: gap + grace).
 *
 * ```ts
 * const sessionsPerUser = clicks.groupByKey()
 *   .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5 * 60_000))
 *   .count({ name: 'sessions' })
 * sessionsPerUser.toStream().to('clicks-per-session') // keys written as Serdes.sessionWindowed(…) writes them
 * ```
 * @throws (each aggregation) `STREAMS_TOPOLOGY_INVALID` for a retention below gap + grace or an
 *   unknown key or value serde.
 */
export interface SessionWindowedKStream<K, V> {
  /**
   * When results go downstream: on every update (default), or once per session with its final
   * value when stream time closes it (`'on-window-close'`: `end < streamTime − grace − gap`; the
   * store is then not cached).
   */
  emitStrategy(strategy: EmitStrategy): SessionWindowedKStream<K, V>
  /** The number of records per session. */
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number>
  /** Combines the values of a session: the first as is, then `reducer(aggregate, value, key)`; merged sessions with `reducer(earlier, later, key)`. */
  reduce(reducer: (aggregate: V, value: V, key: K) => V, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>
  /**
   * Folds the values of a session into `initializer()` with `aggregator`. Merging sessions folds
   * their aggregates, in session-end order, into `initializer()` with `merger(key, aggregate, other)`
   * before the record is added (Kafka `Merger`).
   */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, aggregate: VA, other: VA) => VA,
    materialized: Materialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<Windowed<K>, VA>
}

/**
 * Several grouped streams aggregated together (Kafka `CogroupedKStream`, KIP-150): one aggregate
 * per key, one store, one result table; each input folds its own records in with its own
 * aggregator, and every update of the aggregate, whichever input made it, is one update of the
 * table. Records with a `null` key or value are skipped. A grouped stream whose key changed
 * upstream is repartitioned (`<grouping name or store name>-repartition`) before it joins in; the
 * inputs must then be co-partitioned, as for a join (else the app fails to start with
 * `STREAMS_COPARTITION_MISMATCH`).
 *
 * ```ts
 * const activity = clicks.groupByKey()
 *   .cogroup<number>((user, n, total) => total + n)
 *   .cogroup(views.groupByKey(), (user, n, total) => total + n)
 *   .aggregate(() => 0, { name: 'activity', value: Serdes.int32() })
 * ```
 */
export interface CogroupedKStream<K, VA> {
  /**
   * Adds `grouped` (of the same `StreamsBuilder`) with its own aggregator.
   * @throws `STREAMS_TOPOLOGY_INVALID` for a grouped stream of another builder, or one already in the cogroup.
   */
  cogroup<V>(grouped: KGroupedStream<K, V>, aggregator: (key: K, value: V, aggregate: VA) => VA): CogroupedKStream<K, VA>
  /**
   * Aggregates per key and session (Kafka `SessionWindowedCogroupedKStream`), keyed by
   * `Windowed<K>` sessions, as `KGroupedStream.windowedBy(SessionWindows)` does.
   */
  windowedBy(windows: SessionWindows): SessionWindowedCogroupedKStream<K, VA>
  /**
   * Aggregates per key and time window — tumbling or hopping (`TimeWindows`) or sliding
   * (`SlidingWindows`) — keyed by `Windowed<K>`.
   * @throws `STREAMS_TOPOLOGY_INVALID` for anything but `TimeWindows`, `SlidingWindows` or `SessionWindows`.
   */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedCogroupedKStream<K, VA>
  /**
   * The table of aggregates: a key's first record starts from `initializer()`. The store is
   * `materialized.name`, else `COGROUPKSTREAM-AGGREGATE-STATE-STORE-<n>`.
   * @throws `STREAMS_TOPOLOGY_INVALID` when no key serde is known (give `materialized.key`) or an
   *   input that must be repartitioned has no value serde.
   */
  aggregate(initializer: () => VA, materialized: Materialized<K, VA> & { readonly value: Serde<VA> }): KTable<K, VA>
}

/**
 * A cogroup windowed by time (Kafka `TimeWindowedCogroupedKStream`): the aggregate per key and
 * window, updated on every record (with caching: once per window per commit); a record later than
 * its window's end plus the grace period is dropped.
 */
export interface TimeWindowedCogroupedKStream<K, VA> {
  /**
   * The table of aggregates keyed by `Windowed<K>`; each window starts from `initializer()`.
   * @throws `STREAMS_TOPOLOGY_INVALID` as `CogroupedKStream.aggregate`, or for a retention below size + grace.
   */
  aggregate(initializer: () => VA, materialized: Materialized<K, VA> & { readonly value: Serde<VA> }): KTable<Windowed<K>, VA>
}

/**
 * A cogroup windowed by sessions (Kafka `SessionWindowedCogroupedKStream`): one aggregate per key
 * and session; a record within the gap of sessions merges them (their aggregates combined with
 * `merger`), as in `SessionWindowedKStream.aggregate`.
 */
export interface SessionWindowedCogroupedKStream<K, VA> {
  /**
   * The table of aggregates keyed by `Windowed<K>` sessions (end inclusive; `Serdes.sessionWindowed`).
   * @throws `STREAMS_TOPOLOGY_INVALID` as `CogroupedKStream.aggregate`, or for a retention below gap + grace.
   */
  aggregate(initializer: () => VA, merger: (key: K, aggregate: VA, other: VA) => VA, materialized: Materialized<K, VA> & { readonly value: Serde<VA> }): KTable<Windowed<K>, VA>
}

/**
 * A grouped table (Kafka `KGroupedTable`), from `KTable.groupBy`: an aggregation keeps one value
 * per group, adding each row's value when it joins the group and subtracting it when the row
 * leaves (changes group, or is deleted). An update applies the subtractor to the old value, then
 * the adder to the new one; when the row stays in its group (KIP-904) that is one update of the
 * result, else one for each group. A subtractor returning `null` removes the group. The result's
 * timestamp is the largest timestamp of the changes that built it.
 *
 * Each aggregation throws `STREAMS_TOPOLOGY_INVALID` when the grouping has no key or value serde
 * (give them to `groupBy`), or for a store or node name used twice.
 */
export interface KGroupedTable<K, V> {
  /** The number of rows per group (a group emptied by subtractions stays, with count 0, as in Kafka). */
  count(materialized?: Materialized<K, number>): KTable<K, number>
  /** Combines the values of a group: the first as is, then `adder(aggregate, value, key)`; a leaving row's value is removed with `subtractor`. */
  reduce(adder: (aggregate: V, value: V, key: K) => V, subtractor: (aggregate: V, value: V, key: K) => V | null, materialized?: Materialized<K, V>): KTable<K, V>
  /** Folds the values of a group into `initializer()` with `adder`, and removes a leaving row's value with `subtractor`. */
  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA | null,
    materialized: Materialized<K, VA> & { readonly value: Serde<VA> },
  ): KTable<K, VA>
}

/**
 * A changelog stream: the latest value per key (Kafka `KTable`). With caching (the default), a
 * table forwards at most one update per key per commit.
 */
export interface KTable<K, V> {
  /** The table's updates as a stream (a deletion becomes a `null` value). */
  toStream(options?: Named): KStream<K, V>
  /** The rows for which `predicate` holds; a row that stops passing is deleted downstream. */
  filter(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V>
  /** The rows for which `predicate` does not hold. */
  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V>
  /** Each row's value mapped (`(value, key)`); deletions stay deletions. */
  mapValues<V2>(mapper: (value: V, key: K) => V2, options?: Named): KTable<K, V2>
  /**
   * Groups the rows by a new key and value, `selector(key, value)` → `{ key, value }` (Kafka
   * `KTable#groupBy`), for an aggregation that adds each row's pair to its group and subtracts the
   * pair it replaces (see {@link KGroupedTable}). Always repartitions, through
   * `<store name>-repartition` (or `<grouped.name>-repartition`). A row whose pair has a `null` key
   * or value belongs to no group. The selector makes new types: give their serdes in
   * `grouped` (`{ key, value }`), or the aggregation throws `STREAMS_TOPOLOGY_INVALID`.
   */
  groupBy<K2, V2>(selector: (key: K, value: V) => KeyValue<K2, V2>, grouped?: Grouped<K2, V2>): KGroupedTable<K2, V2>
  /**
   * Holds back updates (Kafka `suppress`): `Suppressed.untilWindowCloses(…)` — only on a windowed
   * aggregation's table — each window's final result once, `Suppressed.untilTimeLimit(ms, …)` at
   * most one update per key per `ms` of stream time. The buffer is a state store with a changelog
   * (`KTABLE-SUPPRESS-STATE-STORE-<n>`, or `<name>-store`), so held-back updates survive restarts.
   * @throws `STREAMS_TOPOLOGY_INVALID` for `untilWindowCloses` on a table no windowed aggregation
   *   made, or without serdes for the buffer. At runtime a full buffer that shuts down when full
   *   fails the record with `STREAMS_SUPPRESSION_BUFFER_FULL` (through the processing exception handler).
   */
  suppress(suppressed: Suppressed<K>, options?: SuppressOptions<K, V>): KTable<K, V>
}

/**
 * `stream.split()` (Kafka `BranchedKStream`, KIP-418): each record goes to the first branch whose
 * predicate holds; records no predicate takes go to the default branch, or are dropped with
 * `noDefaultBranch()`. The result maps branch names to streams:
 *
 * ```ts
 * const branches = orders.split({ name: 'orders-' })
 *   .branch((k, o) => o.total > 1000, { name: 'large' })
 *   .branch((k, o) => o.total > 100, { name: 'medium' })
 *   .defaultBranch({ name: 'small' })
 * branches['orders-large'].to('large-orders')
 * ```
 *
 * Names are Kafka's: a branch's key is the split's name followed by the branch's name; a branch
 * without a name is numbered from 1 in `branch` order, the default branch is `0`. With a `name`
 * given to `split` and to every branch, the result's keys are known to the compiler.
 */

/** The key of a branch: `${P}${N}` when the split is named, else a generated string. */
export type BranchKey<P extends string, N extends string> = [P] extends [never] ? string : `${P}${N}`

/** The branches `split()` made, by name. */
export type Branches<K, V, Keys extends string> = { readonly [key in Keys]: KStream<K, V> }

export interface BranchedKStream<K, V, P extends string, Keys extends string> {
  branch<N extends string>(predicate: (key: K, value: V) => boolean, options: { readonly name: N }): BranchedKStream<K, V, P, Keys | BranchKey<P, N>>
  branch(predicate: (key: K, value: V) => boolean): BranchedKStream<K, V, P, Keys | string>
  /** Ends the split; records no predicate took form the branch `name` (default `0`). */
  defaultBranch<N extends string = '0'>(options?: { readonly name?: N }): Branches<K, V, Keys | BranchKey<P, N>>
  /** Ends the split; records no predicate took are dropped. */
  noDefaultBranch(): Branches<K, V, Keys>
}

export type { StreamPartitioner, TopicNameExtractor }
