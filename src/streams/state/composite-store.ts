/**
 * Interactive queries over one store of every local task (Kafka's `CompositeReadOnlyKeyValueStore`):
 * a key lives in the task of its partition, so `get` asks each local instance until one has it;
 * iterations run the instances one after the other (ordered within each, not across them, as in
 * Kafka). Reads see committed and uncommitted changes of the live stores.
 */
import type { KeyValue } from '../dsl/options.js'
import type { KeyValueIterator, ReadOnlyKeyValueStore } from './key-value-store.js'

export function compositeReadOnlyStore<K, V>(stores: () => readonly ReadOnlyKeyValueStore<K, V>[]): ReadOnlyKeyValueStore<K, V> {
  const chain = (open: (s: ReadOnlyKeyValueStore<K, V>) => KeyValueIterator<K, V>): KeyValueIterator<K, V> => {
    const queue = [...stores()]
    let current: KeyValueIterator<K, V> | undefined
    const it: KeyValueIterator<K, V> = {
      next(): IteratorResult<KeyValue<K, V>> {
        for (;;) {
          if (current === undefined) {
            const store = queue.shift()
            if (store === undefined) return { done: true, value: undefined }
            current = open(store)
          }
          const r = current.next()
          if (r.done !== true) return r
          current.close()
          current = undefined
        }
      },
      return(): IteratorResult<KeyValue<K, V>> {
        it.close()
        return { done: true, value: undefined }
      },
      close(): void {
        current?.close()
        current = undefined
        queue.length = 0
      },
      [Symbol.iterator]: () => it,
    }
    return it
  }
  return {
    get(key) {
      for (const s of stores()) {
        const v = s.get(key)
        if (v !== undefined) return v
      }
      return undefined
    },
    range: (from, to) => chain((s) => s.range(from, to)),
    reverseRange: (from, to) => chain((s) => s.reverseRange(from, to)),
    all: () => chain((s) => s.all()),
    reverseAll: () => chain((s) => s.reverseAll()),
    prefixScan: (prefix) => chain((s) => s.prefixScan(prefix)),
    approximateNumEntries: () => stores().reduce((n, s) => n + s.approximateNumEntries(), 0),
  }
}
