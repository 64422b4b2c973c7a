/**
 * Session stores (Kafka `SessionStore` / `ReadOnlySessionStore`): one aggregate per key and
 * session window `[start, end]` (both inclusive), for session-windowed aggregations. Reads are
 * synchronous; iterators must be closed (or ended by `for…of`).
 *
 * Order: by the stored bytes — serialized key, then session end, then start (Kafka's session key
 * layout) — so one key's sessions are by end ascending; across keys, a key that is a byte prefix
 * of another can sort among the other's sessions. `backward…` reverses it. Sessions past the
 * store's retention (relative to the latest session end put, by Kafka's segments of
 * `max(retention / 2, 1 min)`) are not returned and are deleted as time passes.
 */
import type { Windowed } from '../../serdes/index.js'
import type { StateStore } from '../processor/state-store.js'
import type { KeyValueIterator } from './key-value-store.js'

export interface ReadOnlySessionStore<K, V> {
  /**
   * The sessions of `key` that end at or after `earliestSessionEndMs` and start at or before
   * `latestSessionStartMs` — the sessions a record at `t` merges with are
   * `findSessions(key, t − gap, t + gap)`.
   */
  findSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, V>
  backwardFindSessions(key: K, earliestSessionEndMs: number, latestSessionStartMs: number): KeyValueIterator<Windowed<K>, V>
  /** The aggregate of `key`'s session `[sessionStartMs, sessionEndMs]`, or `undefined`. */
  fetchSession(key: K, sessionStartMs: number, sessionEndMs: number): V | undefined
  /** Every session of `key`. */
  fetch(key: K): KeyValueIterator<Windowed<K>, V>
  backwardFetch(key: K): KeyValueIterator<Windowed<K>, V>
  /** Every session of every key. */
  all(): KeyValueIterator<Windowed<K>, V>
  /** How long a session is kept after its end, relative to the latest session end put (ms). */
  readonly retentionMs: number
}

export interface SessionStore<K, V> extends StateStore, ReadOnlySessionStore<K, V> {
  /** Sets the aggregate of `session`; `null` removes it. Sessions already expired are ignored. */
  put(session: Windowed<K>, aggregate: V | null): void
  /** Removes `session`. */
  remove(session: Windowed<K>): void
}
