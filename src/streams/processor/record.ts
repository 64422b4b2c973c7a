/**
 * The record that flows between processors (Kafka Streams `Record`, KIP-478): key, value,
 * timestamp and headers. Immutable: `with…` returns a new record, so a processor may forward one
 * record to several children without them seeing each other's changes.
 *
 * Types describe the data a topology declares; as in Kafka Streams, a `null` key (keyless
 * records) or `null` value (tombstones) reaches processors as `null` at runtime unless the topic
 * cannot carry them. Declare `Serde<V | null>` where a topic does.
 */
import type { RecordHeader } from '../../log/index.js'

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([])

export class Record<K, V> {
  constructor(
    readonly key: K,
    readonly value: V,
    /** Event time in ms since the epoch. */
    readonly timestampMs: number,
    /** Ordered; a key may repeat (Kafka semantics). */
    readonly headers: readonly RecordHeader[] = NO_HEADERS,
  ) {}

  withKey<K2>(key: K2): Record<K2, V> {
    return new Record(key, this.value, this.timestampMs, this.headers)
  }

  withValue<V2>(value: V2): Record<K, V2> {
    return new Record(this.key, value, this.timestampMs, this.headers)
  }

  withTimestamp(timestampMs: number): Record<K, V> {
    return new Record(this.key, this.value, timestampMs, this.headers)
  }

  withHeaders(headers: readonly RecordHeader[]): Record<K, V> {
    return new Record(this.key, this.value, this.timestampMs, headers)
  }
}

/**
 * The record of a {@link FixedKeyProcessor} (Kafka `FixedKeyRecord`): the key cannot be changed,
 * so downstream partitioning stays valid and no repartition is ever needed after it. A type over
 * {@link Record} (what the runtime hands over and forwards, with no conversion per record) that
 * leaves out `withKey`; records are only made by the runtime and by `with…` on one it gave.
 */
export interface FixedKeyRecord<K, V> {
  readonly key: K
  readonly value: V
  readonly timestampMs: number
  readonly headers: readonly RecordHeader[]
  withValue<V2>(value: V2): FixedKeyRecord<K, V2>
  withTimestamp(timestampMs: number): FixedKeyRecord<K, V>
  withHeaders(headers: readonly RecordHeader[]): FixedKeyRecord<K, V>
}
