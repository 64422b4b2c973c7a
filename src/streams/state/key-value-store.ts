/**
 * The key-value store interfaces (Kafka Streams `KeyValueStore`/`ReadOnlyKeyValueStore`). Reads
 * are synchronous — a processor reads state inside `process()` without awaiting — and iterators
 * are synchronous iterables that must be closed (`close()`, or a `for…of` that ends, which closes
 * them) because a backend may pin resources (a RocksDB snapshot) while one is open.
 *
 * Keys are ordered by their serialized bytes (unsigned lexicographic, as RocksDB and Kafka order
 * them): `range(from, to)` is over serialized keys, both ends inclusive.
 */
import type { KeyValue } from '../dsl/options.js'
import type { StateStore } from '../processor/state-store.js'

/** A synchronous iterator over store entries; `close()` releases what it holds (idempotent). */
export interface KeyValueIterator<K, V> extends IterableIterator<KeyValue<K, V>> {
  close(): void
}

export interface ReadOnlyKeyValueStore<K, V> {
  /** The value of `key`, or `undefined` when absent. */
  get(key: K): V | undefined
  /** Entries with `from ≤ key ≤ to` (by serialized key), ascending; an `undefined` end is open. */
  range(from: K | undefined, to: K | undefined): KeyValueIterator<K, V>
  /** As `range`, descending. */
  reverseRange(from: K | undefined, to: K | undefined): KeyValueIterator<K, V>
  all(): KeyValueIterator<K, V>
  reverseAll(): KeyValueIterator<K, V>
  /** Entries whose serialized key starts with the serialized `prefix`, ascending. */
  prefixScan(prefix: K): KeyValueIterator<K, V>
  /** An estimate of the number of entries (exact for the in-memory backend). */
  approximateNumEntries(): number
}

export interface KeyValueStore<K, V> extends StateStore, ReadOnlyKeyValueStore<K, V> {
  /** Sets `key` to `value`; `null` deletes it. */
  put(key: K, value: V | null): void
  /** Sets `key` only when absent; returns the value it had (`undefined` when it was absent). */
  putIfAbsent(key: K, value: V): V | undefined
  putAll(entries: Iterable<KeyValue<K, V | null>>): void
  /** Deletes `key`; returns the value it had. */
  delete(key: K): V | undefined
}
