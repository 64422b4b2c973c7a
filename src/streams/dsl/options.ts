/**
 * Options of the DSL operators, as plain objects (Kafka's `Named`, `Consumed`, `Produced`,
 * `Repartitioned`, `Branched` builders). Every operator takes `name`: the node's name in the
 * topology (and the base of any internal topic it creates) instead of a generated
 * `KSTREAM-<OP>-<counter>` one — give names to keep them stable when the topology changes.
 */
import type { Serde } from '../../serdes/index.js'
import type { StoreBackendKind } from '../state/stores.js'
import type { StreamPartitioner, TimestampExtractor } from '../topology/node-spec.js'

/** A new `{ key, value }` pair, returned by `map` and `flatMap` mappers (Kafka `KeyValue`). */
export interface KeyValue<K, V> {
  readonly key: K
  readonly value: V
}

export interface Named {
  readonly name?: string
}

/** How a source reads its topics (Kafka `Consumed`). Serdes default to `Serdes.bytes()`. */
export interface Consumed<K, V> extends Named {
  readonly key?: Serde<K>
  readonly value?: Serde<V>
  /** Default: the record's own timestamp. */
  readonly timestampExtractor?: TimestampExtractor<K, V>
}

/**
 * How a sink writes (Kafka `Produced`). Serdes default to those the stream carries: the source's,
 * as long as no operator changed the key or value type since.
 */
export interface Produced<K, V> extends Named {
  readonly key?: Serde<K>
  readonly value?: Serde<V>
  /** Default: the producer's partitioner (murmur2 of the serialized key). */
  readonly partitioner?: StreamPartitioner<K, V>
}

/** How `repartition()` writes its internal topic (Kafka `Repartitioned`). */
export interface Repartitioned<K, V> extends Named {
  readonly key?: Serde<K>
  readonly value?: Serde<V>
  /** Partitions of the repartition topic; default: as many as the upstream source topics have. */
  readonly partitions?: number
  readonly partitioner?: StreamPartitioner<K, V>
}

/** Options of `process` / `processValues`. */
export interface Processed extends Named {
  /** State stores the processor uses (`context.getStateStore`). */
  readonly stores?: readonly string[]
}

/**
 * How a grouping repartitions when the key changed upstream (Kafka `Grouped`): serdes for the
 * repartition topic (default: those the stream carries) and its name (`<name>-repartition`;
 * default the aggregation's store name).
 */
export interface Grouped<K, V> extends Named {
  readonly key?: Serde<K>
  readonly value?: Serde<V>
}

/**
 * How an aggregation's result is stored (Kafka `Materialized`): `name` names the store (and its
 * changelog `<applicationId>-<name>-changelog`) — give one to keep it stable across topology
 * changes; generated names shift when operators are added upstream.
 */
export interface Materialized<K, V> extends Named {
  readonly key?: Serde<K>
  readonly value?: Serde<V>
  /** Default `'rocksdb'`. */
  readonly backend?: StoreBackendKind
  /** Default true. */
  readonly logging?: boolean
  /** Default true: updates reach the changelog and downstream once per key per commit. */
  readonly caching?: boolean
  /**
   * Windowed aggregations: how long a window is kept after it starts (Kafka `withRetention`;
   * default one day, and at least size + grace). Older windows are deleted (and tombstoned in the
   * changelog) as stream time passes.
   */
  readonly retentionMs?: number
}
