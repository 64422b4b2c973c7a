/**
 * Window stores (Kafka `WindowStore` / `ReadOnlyWindowStore`): values per key and window start,
 * for windowed aggregations and for processors that keep time-bucketed state. Reads are
 * synchronous; iterators must be closed (or ended by `for…of`).
 *
 * Order: by the stored bytes — serialized key, then window start (Kafka's key-first window
 * layout) — so one key's windows are by start ascending; across keys, a key that is a byte prefix
 * of another can sort among the other's windows. `backward…` reverses it. Time ranges select by
 * window **start**, both ends inclusive, as in Kafka. Windows past the store's retention
 * (relative to the latest window start put, by Kafka's segments of `max(retention / 2, 1 min)`)
 * are not returned and are deleted as time passes.
 */
import type { Windowed } from '../../serdes/index.js'
import type { StateStore } from '../processor/state-store.js'
import type { KeyValueIterator } from './key-value-store.js'

/** The windows of one key: `key` is the window start (ms). */
export type WindowStoreIterator<V> = KeyValueIterator<number, V>

export interface ReadOnlyWindowStore<K, V> {
  /** The value of `key` in the window starting at `windowStartMs`, or `undefined`. */
  fetch(key: K, windowStartMs: number): V | undefined
  /** The windows of `key` starting in `[timeFromMs, timeToMs]`, by start ascending. */
  fetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>
  /** As `fetch(key, from, to)`, by start descending. */
  backwardFetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>
  /** The windows of keys in `[keyFrom, keyTo]` (serialized order; `undefined` is open) starting in `[timeFromMs, timeToMs]`. */
  fetchRange(keyFrom: K | undefined, keyTo: K | undefined, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>
  backwardFetchRange(keyFrom: K | undefined, keyTo: K | undefined, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>
  /** Every window starting in `[timeFromMs, timeToMs]`, of every key. */
  fetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>
  backwardFetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V>
  /** Every window of every key. */
  all(): KeyValueIterator<Windowed<K>, V>
  backwardAll(): KeyValueIterator<Windowed<K>, V>
  /** The store's window size (ms): `Windowed` keys it returns end at `start + windowSizeMs`. */
  readonly windowSizeMs: number
  /** How long a window is kept after its start, relative to the latest start put (ms). */
  readonly retentionMs: number
}

export interface WindowStore<K, V> extends StateStore, ReadOnlyWindowStore<K, V> {
  /** Sets the value of `key` in the window starting at `windowStartMs`; `null` deletes it. Windows already expired are ignored. */
  put(key: K, value: V | null, windowStartMs: number): void
}
