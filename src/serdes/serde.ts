/**
 * The serde contract (DESIGN.md §3): how typed keys and values become the bytes of a record and
 * back. Streams sources, sinks and stores, and connect's converters, all speak it.
 *
 * Null handling (Kafka's convention, relied on by every layer above): `serialize(topic, null)`
 * returns `null` (no key, or a tombstone) and `deserialize(topic, null)` returns `null`, for every
 * built-in serde. A serde never throws for null; it throws a `SERDES_…` error for bytes or values
 * it cannot handle, naming the topic and the serde, never the payload.
 *
 * Serdes are called once per record on the hot path: implementations keep no per-call promise and
 * allocate no more than the result needs. They must not retain or mutate `bytes` or `headers`.
 */
import type { RecordHeader } from '../log/index.js'

export interface Serializer<T> {
  /**
   * @param topic the topic the bytes are written to (schema-registry serdes derive the subject).
   * @param headers the record's headers so far (read only).
   * @returns the bytes, or `null` for a `null` value.
   */
  serialize(topic: string, value: T | null, headers?: readonly RecordHeader[]): Uint8Array | null
}

export interface Deserializer<T> {
  /** @returns the value, or `null` for `null` bytes. */
  deserialize(topic: string, bytes: Uint8Array | null, headers?: readonly RecordHeader[]): T | null
}

/** A serializer and deserializer of one type; built-ins are made by `Serdes`. */
export interface Serde<T> extends Serializer<T>, Deserializer<T> {}

/** The type a serde carries: `SerdeType<Serde<Order>>` is `Order`. */
export type SerdeType<S> = S extends Serde<infer T> ? T : never
