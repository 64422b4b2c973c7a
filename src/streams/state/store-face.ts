/**
 * What processors, the test driver and queries see of a task's store: the key-value store itself,
 * or the typed window / session store over it (`KeyValueStoreSpec.layout`). One face per store
 * (kept beside it), so a processor's flush listener and retention state are the store's own.
 */
import type { StateStore } from '../processor/state-store.js'
import type { KeyValueStoreImpl } from './key-value-store-impl.js'
import type { KeyValueIterator } from './key-value-store.js'
import { mapIterator } from './mapped-iterator.js'
import { SessionStoreImpl } from './session-store-impl.js'
import type { ValueAndTimestamp } from './value-and-timestamp.js'
import { WindowStoreImpl } from './window-store-impl.js'
import type { WindowStore, WindowStoreIterator } from './window-store.js'

const faces = new WeakMap<KeyValueStoreImpl<unknown, unknown>, StateStore>()

export function storeFace(store: KeyValueStoreImpl<unknown, unknown>): StateStore {
  let face = faces.get(store)
  if (face !== undefined) return face
  const layout = store.spec.layout
  const inner = store as unknown as KeyValueStoreImpl<Uint8Array, unknown>
  if (layout === undefined) face = store
  else if (layout.kind === 'window') face = new WindowStoreImpl(inner, layout.key, layout.windowSizeMs, layout.retentionMs)
  else face = new SessionStoreImpl(inner, layout.key, layout.retentionMs)
  faces.set(store, face)
  return face
}

/**
 * A timestamped window store seen with plain values (Kafka's `WindowStoreFacade`): what queries
 * and `TopologyTestDriver.getWindowStore` return for a windowed aggregation's store. Writes
 * through it stamp `nowMs()`.
 */
export function plainWindowFacade<K, V>(inner: WindowStore<K, ValueAndTimestamp<V>>, nowMs: () => number): WindowStore<K, V> {
  const unwrap = <KK>(it: KeyValueIterator<KK, ValueAndTimestamp<V>>): KeyValueIterator<KK, V> => mapIterator(it, (e) => ({ key: e.key, value: e.value.value }))
  function fetch(key: K, windowStartMs: number): V | undefined
  function fetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>
  function fetch(key: K, timeFromMs: number, timeToMs?: number): V | undefined | WindowStoreIterator<V> {
    return timeToMs === undefined ? inner.fetch(key, timeFromMs)?.value : unwrap(inner.fetch(key, timeFromMs, timeToMs))
  }
  return {
    name: inner.name,
    put: (key, value, windowStartMs) => inner.put(key, value === null ? null : { value, timestampMs: nowMs() }, windowStartMs),
    close: () => inner.close(),
    windowSizeMs: inner.windowSizeMs,
    retentionMs: inner.retentionMs,
    fetch,
    backwardFetch: (key, from, to) => unwrap(inner.backwardFetch(key, from, to)),
    fetchRange: (kf, kt, from, to) => unwrap(inner.fetchRange(kf, kt, from, to)),
    backwardFetchRange: (kf, kt, from, to) => unwrap(inner.backwardFetchRange(kf, kt, from, to)),
    fetchAll: (from, to) => unwrap(inner.fetchAll(from, to)),
    backwardFetchAll: (from, to) => unwrap(inner.backwardFetchAll(from, to)),
    all: () => unwrap(inner.all()),
    backwardAll: () => unwrap(inner.backwardAll()),
  }
}
