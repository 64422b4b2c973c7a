/**
 * A task's session store: the typed `SessionStore<K, V>` over a key-value store of session keys
 * (`window-key.ts`: key, then end, then start), sharing the key-value store's write buffer,
 * changelog, commit protocol and backends. Retention (`retention.ts`) is Kafka's segmented-store
 * rule, counted from the latest session end put.
 */
import type { Serde, Windowed } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import { Retention } from './retention.js'
import type { KeyValueIterator } from './key-value-store.js'
import type { KeyValueStoreImpl } from './key-value-store-impl.js'
import { mapIterator } from './mapped-iterator.js'
import type { SessionStore } from './session-store.js'
import { MAX_TIME_MS, TIME_BYTES, checkStoreTime, storeKeyBytes, sessionEndOf, sessionKey, sessionStartOf } from './window-key.js'

const SESSION_BYTES = 2 * TIME_BYTES

export class SessionStoreImpl<K, V> implements SessionStore<K, V> {
  readonly name: string
  private readonly retention: Retention

  constructor(
    /** The key-value store underneath (bytes keys); the task commits and closes it. */
    readonly inner: KeyValueStoreImpl<Uint8Array, V>,
    private readonly keySerde: Serde<K>,
    readonly retentionMs: number,
  ) {
    this.name = inner.name
    this.retention = new Retention(retentionMs)
  }

  get caching(): boolean {
    return this.inner.caching
  }

  /** With caching: called at flush with each session's latest change (a session table forwards from here). */
  setFlushListener(listener: ((session: Windowed<K>, newValue: V | undefined, oldValue: V | undefined, timestampMs: number) => void) | undefined): void {
    this.inner.setFlushListener(listener === undefined ? undefined : (bytes, newValue, oldValue, timestampMs) => listener(this.session(bytes), newValue, oldValue, timestampMs))
  }

  put(session: Windowed<K>, aggregate: V | null): void {
    const { startMs, endMs } = session.window
    checkStoreTime(this.name, startMs)
    checkStoreTime(this.name, endMs)
    if (endMs < startMs) throw streamsError('STREAMS_ILLEGAL_STATE', `session store ${this.name}: a session ends at or after its start`, { store: this.name, startMs, endMs })
    this.retention.observe(endMs)
    if (this.retention.isExpired(endMs)) return
    this.inner.put(sessionKey(this.keyBytes(session.key), endMs, startMs), aggregate)
    this.retention.sweepIfDue(this.inner as KeyValueStoreImpl<Uint8Array, unknown>, (key) => (key.length >= SESSION_BYTES ? sessionEndOf(key) : undefined))
  }

  remove(session: Windowed<K>): void {
    const { startMs, endMs } = session.window
    checkStoreTime(this.name, startMs)
    checkStoreTime(this.name, endMs)
    this.inner.put(sessionKey(this.keyBytes(session.key), endMs, startMs), null)
  }

  /** Whether `put` of a session ending at `endMs` would be refused as expired (that end observed first). */
  wouldRefuse(endMs: number): boolean {
    return this.retention.wouldRefuse(endMs)
  }

  /** The lowest session end reads return once a session ending at `endMs` is put: earlier ones are hidden. */
  lowestLiveEndAfter(endMs: number): number {
    return this.retention.lowestLiveAfter(endMs)
  }

  fetchSession(key: K, sessionStartMs: number, sessionEndMs: number): V | undefined {
    checkStoreTime(this.name, sessionStartMs)
    checkStoreTime(this.name, sessionEndMs)
    if (this.retention.isExpired(sessionEndMs)) return undefined
    return this.inner.get(sessionKey(this.keyBytes(key), sessionEndMs, sessionStartMs))
  }

  findSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, V> {
    return this.find(key, earliestSessionEndMs, latestSessionStartMs, false)
  }

  backwardFindSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, V> {
    return this.find(key, earliestSessionEndMs, latestSessionStartMs, true)
  }

  fetch(key: K): KeyValueIterator<Windowed<K>, V> {
    return this.find(key, 0, MAX_TIME_MS, false)
  }

  backwardFetch(key: K): KeyValueIterator<Windowed<K>, V> {
    return this.find(key, 0, MAX_TIME_MS, true)
  }

  all(): KeyValueIterator<Windowed<K>, V> {
    const lowest = this.retention.lowestLive(0)
    return mapIterator(this.inner.all(), (e) => (e.key.length >= SESSION_BYTES && sessionEndOf(e.key) >= lowest ? { key: this.session(e.key), value: e.value } : undefined))
  }

  close(): void {
    this.inner.close()
  }

  /** The session (`Windowed` key, end inclusive) of a store key. */
  session(bytes: Uint8Array): Windowed<K> {
    const key = this.keySerde.deserialize(this.inner.topic, bytes.subarray(0, bytes.length - SESSION_BYTES)) as K
    return { key, window: { startMs: sessionStartOf(bytes), endMs: sessionEndOf(bytes) } }
  }

  // ---------------------------------------------------------------- internals

  private find(key: K, earliestSessionEndMs: number, latestSessionStartMs: number, reverse: boolean): KeyValueIterator<Windowed<K>, V> {
    checkStoreTime(this.name, earliestSessionEndMs)
    checkStoreTime(this.name, latestSessionStartMs)
    const k = this.keyBytes(key)
    const from = sessionKey(k, this.retention.lowestLive(earliestSessionEndMs), 0)
    const to = new Uint8Array(k.length + SESSION_BYTES).fill(0xff)
    to.set(k, 0)
    const length = k.length + SESSION_BYTES
    const range = reverse ? this.inner.reverseRange(from, to) : this.inner.range(from, to)
    // Longer keys that start with `k` can sort inside the range: the length tells them apart.
    return mapIterator(range, (e) => (e.key.length === length && sessionStartOf(e.key) <= latestSessionStartMs ? { key: this.session(e.key), value: e.value } : undefined))
  }

  private keyBytes(key: K): Uint8Array {
    return storeKeyBytes(this.name, this.keySerde, this.inner.topic, key)
  }
}
