/**
 * The nodes of a {@link Topology} as data: what `addSource`/`addProcessor`/`addSink` record and
 * what the runtime and the test driver instantiate per task. Keys and values are `unknown` here:
 * the typed DSL and the typed `Topology` methods guarantee that neighbouring nodes agree.
 */
import type { Deserializer, Serializer } from '../../serdes/index.js'
import type { Processor } from '../processor/processor.js'

/** What a timestamp extractor sees: the deserialized input record and where it came from. */
export interface ExtractableRecord<K, V> {
  readonly key: K
  readonly value: V
  /** The timestamp stored with the record (create or log-append time). */
  readonly timestampMs: number
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

/**
 * Chooses a record's event time (Kafka `TimestampExtractor`). `partitionTimeMs` is the largest
 * timestamp extracted so far on the record's partition (−1 before any). A negative result fails
 * the record with `STREAMS_INVALID_TIMESTAMP` (Kafka's FailOnInvalidTimestamp), whichever extractor.
 */
export type TimestampExtractor<K, V> = (record: ExtractableRecord<K, V>, partitionTimeMs: number) => number

/** Where a record goes, chosen per record (Kafka `TopicNameExtractor`). The topic must exist. */
export type TopicNameExtractor<K, V> = (key: K, value: V, context: { readonly timestampMs: number }) => string

/**
 * The partition of an output record (Kafka `StreamPartitioner`); `undefined` leaves it to the
 * producer's default partitioner (murmur2 of the serialized key, as the Java client).
 */
export type StreamPartitioner<K, V> = (topic: string, key: K, value: V, partitionCount: number) => number | undefined

export interface SourceNodeSpec {
  readonly kind: 'source'
  readonly name: string
  /** Topics read (names as the user gave them; internal ones without the application id prefix). */
  readonly topics: readonly string[]
  /** A subscription pattern instead of `topics` (matched against topic names at assignment). */
  readonly pattern: RegExp | undefined
  readonly key: Deserializer<unknown>
  readonly value: Deserializer<unknown>
  readonly timestampExtractor: TimestampExtractor<unknown, unknown> | undefined
}

export interface ProcessorNodeSpec {
  readonly kind: 'processor'
  readonly name: string
  readonly parents: readonly string[]
  readonly supplier: () => Processor<unknown, unknown, unknown, unknown>
  /** Names of the state stores the processor may use (`context.getStateStore`). */
  readonly stores: readonly string[]
}

export interface SinkNodeSpec {
  readonly kind: 'sink'
  readonly name: string
  readonly parents: readonly string[]
  readonly topic: string | TopicNameExtractor<unknown, unknown>
  readonly key: Serializer<unknown>
  readonly value: Serializer<unknown>
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined
}

export type NodeSpec = SourceNodeSpec | ProcessorNodeSpec | SinkNodeSpec

/** A topic the app creates and owns, named `<applicationId>-<name>` at runtime. */
export interface InternalTopicSpec {
  /** Without the application id prefix, e.g. `KSTREAM-REPARTITION-0000000001-repartition`. */
  readonly name: string
  readonly kind: 'repartition'
  /** Partition count; `undefined`: that of the upstream sub-topology's source topics (the largest). */
  readonly partitions: number | undefined
}
