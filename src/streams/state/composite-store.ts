/**
 * Interactive queries over one store of every local task (Kafka's `CompositeReadOnlyKeyValueStore`):
 * a key lives in the task of its partition, so `get` asks each local instance until one has it;
 * iterations run the instances one after the other (ordered within each, not across them, as in
 * Kafka). Reads see committed and uncommitted changes of the live stores.
 */
import type { KeyValue } from '../dsl/options.js'
import type { KeyValueIterator, ReadOnlyKeyValueStore } from './key-value-store.js'
import type { ReadOnlySessionStore } from './session-store.js'
import type { ReadOnlyWindowStore, WindowStoreIterator } from './window-store.js'

/** The entries of every store in turn (each store's iterator opened when the previous one ends). */
export function chainIterators<S, K, V>(stores: readonly S[], open: (store: S) => KeyValueIterator<K, V>): KeyValueIterator<K, V> {
  const queue = [...stores]
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

export function compositeReadOnlyStore<K, V>(stores: () => readonly ReadOnlyKeyValueStore<K, V>[]): ReadOnlyKeyValueStore<K, V> {
  const chain = (open: (s: ReadOnlyKeyValueStore<K, V>) => KeyValueIterator<K, V>): KeyValueIterator<K, V> => chainIterators(stores(), open)
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

/** Interactive queries over one window store of every local task (Kafka's `CompositeReadOnlyWindowStore`). */
export function compositeReadOnlyWindowStore<K, V>(stores: () => readonly ReadOnlyWindowStore<K, V>[], windowSizeMs: number, retentionMs: number): ReadOnlyWindowStore<K, V> {
  function fetch(key: K, windowStartMs: number): V | undefined
  function fetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>
  function fetch(key: K, timeFromMs: number, timeToMs?: number): V | undefined | WindowStoreIterator<V> {
    if (timeToMs !== undefined) return chainIterators(stores(), (s) => s.fetch(key, timeFromMs, timeToMs))
    for (const s of stores()) {
      const v = s.fetch(key, timeFromMs)
      if (v !== undefined) return v
    }
    return undefined
  }
  return {
    windowSizeMs,
    retentionMs,
    fetch,
    backwardFetch: (key, from, to) => chainIterators(stores(), (s) => s.backwardFetch(key, from, to)),
    fetchRange: (kf, kt, from, to) => chainIterators(stores(), (s) => s.fetchRange(kf, kt, from, to)),
    backwardFetchRange: (kf, kt, from, to) => chainIterators(stores(), (s) => s.backwardFetchRange(kf, kt, from, to)),
    fetchAll: (from, to) => chainIterators(stores(), (s) => s.fetchAll(from, to)),
    backwardFetchAll: (from, to) => chainIterators(stores(), (s) => s.backwardFetchAll(from, to)),
    all: () => chainIterators(stores(), (s) => s.all()),
    backwardAll: () => chainIterators(stores(), (s) => s.backwardAll()),
  }
}

/** Interactive queries over one session store of every local task (Kafka's `CompositeReadOnlySessionStore`). */
export function compositeReadOnlySessionStore<K, V>(stores: () => readonly ReadOnlySessionStore<K, V>[], retentionMs: number): ReadOnlySessionStore<K, V> {
  return {
    retentionMs,
    findSessions: (key, earliestEnd, latestStart) => chainIterators(stores(), (s) => s.findSessions(key, earliestEnd, latestStart)),
    backwardFindSessions: (key, earliestEnd, latestStart) => chainIterators(stores(), (s) => s.backwardFindSessions(key, earliestEnd, latestStart)),
    fetchSession(key, startMs, endMs) {
      for (const s of stores()) {
        const v = s.fetchSession(key, startMs, endMs)
        if (v !== undefined) return v
      }
      return undefined
    },
    fetch: (key) => chainIterators(stores(), (s) => s.fetch(key)),
    backwardFetch: (key) => chainIterators(stores(), (s) => s.backwardFetch(key)),
    all: () => chainIterators(stores(), (s) => s.all()),
  }
}
