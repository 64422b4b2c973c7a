/**
 * Options of the DSL operators, as plain objects (Kafka's `Named`, `Consumed`, `Produced`,
 * `Repartitioned`, `Branched` builders). Every operator takes `name`: the node's name in the
 * topology (and the base of any internal topic it creates) instead of a generated
 * `KSTREAM-<OP>-<counter>` one — give names to keep them stable when the topology changes.
 */
import type { Serde } from '../../serdes/index.js'
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
