/**
 * A key-value view of a timestamped store that shows plain values (Kafka's
 * `ReadOnlyKeyValueStoreFacade`): what queries and `TopologyTestDriver.getKeyValueStore` return
 * for an aggregation's store. Writes through it stamp the current time of the task.
 */
import type { KeyValueIterator, KeyValueStore } from './key-value-store.js'
import { mapIterator } from './mapped-iterator.js'
import type { ValueAndTimestamp } from './value-and-timestamp.js'

export function plainValueFacade<K, V>(inner: KeyValueStore<K, ValueAndTimestamp<V>>, nowMs: () => number): KeyValueStore<K, V> {
  const unwrap = (it: KeyValueIterator<K, ValueAndTimestamp<V>>): KeyValueIterator<K, V> => mapIterator(it, (e) => ({ key: e.key, value: e.value.value }))
  const stamp = (value: V | null): ValueAndTimestamp<V> | null => (value === null ? null : { value, timestampMs: nowMs() })
  return {
    name: inner.name,
    get: (key) => inner.get(key)?.value,
    range: (from, to) => unwrap(inner.range(from, to)),
    reverseRange: (from, to) => unwrap(inner.reverseRange(from, to)),
    all: () => unwrap(inner.all()),
    reverseAll: () => unwrap(inner.reverseAll()),
    prefixScan: (prefix) => unwrap(inner.prefixScan(prefix)),
    approximateNumEntries: () => inner.approximateNumEntries(),
    put: (key, value) => inner.put(key, stamp(value)),
    putIfAbsent: (key, value) => inner.putIfAbsent(key, { value, timestampMs: nowMs() })?.value,
    putAll: (entries) => {
      for (const { key, value } of entries) inner.put(key, stamp(value))
    },
    delete: (key) => inner.delete(key)?.value,
    close: () => inner.close(),
  }
}
