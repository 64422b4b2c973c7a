/**
 * A task's window store: the typed `WindowStore<K, V>` over a key-value store of window keys
 * (`window-key.ts`), so windows share the key-value store's write buffer, changelog, commit
 * protocol and backends. Retention (`retention.ts`) is Kafka's segmented-store rule, counted
 * from the latest window start put.
 */
import type { Serde, Windowed } from '../../serdes/index.js'
import { Retention } from './retention.js'
import type { KeyValueIterator } from './key-value-store.js'
import type { KeyValueStoreImpl } from './key-value-store-impl.js'
import { mapIterator } from './mapped-iterator.js'
import { compareBytes } from './bytes-store.js'
import { MAX_TIME_MS, TIME_BYTES, checkStoreTime, storeKeyBytes, windowKey, windowStartOf } from './window-key.js'
import type { WindowStore, WindowStoreIterator } from './window-store.js'


export class WindowStoreImpl<K, V> implements WindowStore<K, V> {
  readonly name: string
  private readonly retention: Retention

  constructor(
    /** The key-value store underneath (bytes keys); the task commits and closes it. */
    readonly inner: KeyValueStoreImpl<Uint8Array, V>,
    private readonly keySerde: Serde<K>,
    readonly windowSizeMs: number,
    readonly retentionMs: number,
  ) {
    this.name = inner.name
    this.retention = new Retention(retentionMs)
  }

  get caching(): boolean {
    return this.inner.caching
  }

  /** With caching: called at flush with each window's latest change (a windowed table forwards from here). */
  setFlushListener(listener: ((key: Windowed<K>, newValue: V | undefined, oldValue: V | undefined, timestampMs: number) => void) | undefined): void {
    this.inner.setFlushListener(listener === undefined ? undefined : (bytes, newValue, oldValue, timestampMs) => listener(this.windowed(bytes), newValue, oldValue, timestampMs))
  }

  put(key: K, value: V | null, windowStartMs: number): void {
    checkStoreTime(this.name, windowStartMs)
    this.retention.observe(windowStartMs)
    if (this.retention.isExpired(windowStartMs)) return
    this.inner.put(windowKey(this.keyBytes(key), windowStartMs), value)
    this.retention.sweepIfDue(this.inner as KeyValueStoreImpl<Uint8Array, unknown>, (key) => (key.length >= TIME_BYTES ? windowStartOf(key) : undefined))
  }

  fetch(key: K, windowStartMs: number): V | undefined
  fetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V>
  fetch(key: K, timeFromMs: number, timeToMs?: number): V | undefined | WindowStoreIterator<V> {
    if (timeToMs === undefined) {
      checkStoreTime(this.name, timeFromMs)
      return this.retention.isExpired(timeFromMs) ? undefined : this.inner.get(windowKey(this.keyBytes(key), timeFromMs))
    }
    return this.fetchKey(key, timeFromMs, timeToMs, false)
  }

  backwardFetch(key: K, timeFromMs: number, timeToMs: number): WindowStoreIterator<V> {
    return this.fetchKey(key, timeFromMs, timeToMs, true)
  }

  fetchRange(keyFrom: K | undefined, keyTo: K | undefined, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    return this.scan(keyFrom, keyTo, timeFromMs, timeToMs, false)
  }

  backwardFetchRange(keyFrom: K | undefined, keyTo: K | undefined, timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    return this.scan(keyFrom, keyTo, timeFromMs, timeToMs, true)
  }

  fetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    return this.scan(undefined, undefined, timeFromMs, timeToMs, false)
  }

  backwardFetchAll(timeFromMs: number, timeToMs: number): KeyValueIterator<Windowed<K>, V> {
    return this.scan(undefined, undefined, timeFromMs, timeToMs, true)
  }

  all(): KeyValueIterator<Windowed<K>, V> {
    return this.scan(undefined, undefined, 0, MAX_TIME_MS, false)
  }

  backwardAll(): KeyValueIterator<Windowed<K>, V> {
    return this.scan(undefined, undefined, 0, MAX_TIME_MS, true)
  }

  close(): void {
    this.inner.close()
  }

  /** The `Windowed` key of a store key. */
  windowed(bytes: Uint8Array): Windowed<K> {
    const startMs = windowStartOf(bytes)
    const key = this.keySerde.deserialize(this.inner.topic, bytes.subarray(0, bytes.length - TIME_BYTES)) as K
    return { key, window: { startMs, endMs: startMs + this.windowSizeMs } }
  }

  // ---------------------------------------------------------------- internals

  private fetchKey(key: K, timeFromMs: number, timeToMs: number, reverse: boolean): WindowStoreIterator<V> {
    checkStoreTime(this.name, timeFromMs)
    checkStoreTime(this.name, timeToMs)
    const k = this.keyBytes(key)
    const from = windowKey(k, this.retention.lowestLive(timeFromMs))
    const to = windowKey(k, timeToMs)
    const length = k.length + TIME_BYTES
    const range = reverse ? this.inner.reverseRange(from, to) : this.inner.range(from, to)
    // Longer keys that start with `k` can sort inside the range: the length tells them apart.
    return mapIterator(range, (e) => (e.key.length === length ? { key: windowStartOf(e.key), value: e.value } : undefined))
  }

  private scan(keyFrom: K | undefined, keyTo: K | undefined, timeFromMs: number, timeToMs: number, reverse: boolean): KeyValueIterator<Windowed<K>, V> {
    checkStoreTime(this.name, timeFromMs)
    checkStoreTime(this.name, timeToMs)
    const lo = keyFrom === undefined ? undefined : this.keyBytes(keyFrom)
    const hi = keyTo === undefined ? undefined : this.keyBytes(keyTo)
    const lowest = this.retention.lowestLive(timeFromMs)
    const from = lo === undefined ? undefined : windowKey(lo, 0)
    const to = hi === undefined ? undefined : upperBound(hi)
    const range = reverse ? this.inner.reverseRange(from, to) : this.inner.range(from, to)
    return mapIterator(range, (e) => {
      if (e.key.length < TIME_BYTES) return undefined
      const startMs = windowStartOf(e.key)
      if (startMs < lowest || startMs > timeToMs) return undefined
      const k = e.key.subarray(0, e.key.length - TIME_BYTES)
      if ((lo !== undefined && compareBytes(k, lo) < 0) || (hi !== undefined && compareBytes(k, hi) > 0)) return undefined
      return { key: this.windowed(e.key), value: e.value }
    })
  }

  private keyBytes(key: K): Uint8Array {
    return storeKeyBytes(this.name, this.keySerde, this.inner.topic, key)
  }
}

/**
 * The upper byte bound of a key range ending at `key`: its windows end at `key ++ max time`.
 * (A key that is a proper byte prefix of `key` can have windows sorting above this bound when its
 * time bytes sort above the rest of `key`'s bytes: an edge of key-range scans only — point and
 * per-key fetches are exact.)
 */
function upperBound(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + TIME_BYTES).fill(0xff)
  out.set(key, 0)
  return out
}
