/**
 * Time-based retention of window and session stores, Kafka's segmented-store rule without the
 * segments: the store observes the largest time put (window start, session end); an entry whose
 * time is `retentionMs` or more below it is expired — invisible to reads and refused by puts at
 * once — and deleted (with changelog tombstones, and no update downstream of a caching table) by
 * a sweep that runs once per half retention of observed time; an entry changed since the last
 * commit waits for a later sweep, so its change is flushed first. After a restart nothing is observed until the first put.
 */
import type { KeyValueStoreImpl } from './key-value-store-impl.js'

export class Retention {
  /** The largest time put (−1: none since the store was opened). */
  private observedMs = -1
  private sweptAtMs = -1

  constructor(readonly retentionMs: number) {}

  observe(timeMs: number): void {
    if (timeMs > this.observedMs) this.observedMs = timeMs
  }

  isExpired(timeMs: number): boolean {
    return this.observedMs >= 0 && timeMs <= this.observedMs - this.retentionMs
  }

  /** The lowest time a read starting at `fromMs` can return. */
  lowestLive(fromMs: number): number {
    return this.observedMs < 0 ? fromMs : Math.max(fromMs, this.observedMs - this.retentionMs + 1)
  }

  /** Deletes the expired entries of `store` (`timeOf` reads an entry's time from its key) when a sweep is due. */
  sweepIfDue(store: KeyValueStoreImpl<Uint8Array, unknown>, timeOf: (key: Uint8Array) => number | undefined): void {
    if (this.sweptAtMs >= 0 && this.observedMs - this.sweptAtMs < Math.max(1, Math.floor(this.retentionMs / 2))) return
    this.sweptAtMs = this.observedMs
    const limit = this.observedMs - this.retentionMs
    if (limit < 0) return
    const expired: Uint8Array[] = []
    const all = store.all()
    try {
      for (const { key } of all) {
        const timeMs = timeOf(key)
        if (timeMs !== undefined && timeMs <= limit) expired.push(key)
      }
    } finally {
      all.close()
    }
    for (const key of expired) store.expire(key)
  }
}
