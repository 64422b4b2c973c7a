/**
 * Time-based retention of window and session stores, by Kafka's segmented-store rule
 * (`AbstractSegments`): the store observes the largest time put (window start, session end) and
 * divides time into segments of `max(retention / 2, 60 s)` (Kafka's default segment interval). An
 * entry lives while its segment is not older than the segment of `observed − retention` — so it
 * stays readable for up to one segment past its retention, exactly as in Kafka's RocksDB stores
 * (which is why Kafka's javadoc examples merge sessions with no grace). Puts into dead segments
 * are refused; reads skip them; a sweep deletes their entries (with changelog tombstones, and no
 * update downstream of a caching table) when the oldest live segment moves; an entry changed
 * since the last commit waits for a later sweep, so its change is flushed first. After a restart
 * nothing is observed until the first put.
 */
import type { KeyValueStoreImpl } from './key-value-store-impl.js'

export class Retention {
  /** The largest time put (−1: none since the store was opened). */
  private observedMs = -1
  /** The oldest live segment at the last sweep. */
  private sweptSegment = -1
  /** Kafka's default segment interval of window and session stores. */
  readonly segmentIntervalMs: number

  constructor(readonly retentionMs: number) {
    this.segmentIntervalMs = Math.max(Math.floor(retentionMs / 2), 60_000)
  }

  observe(timeMs: number): void {
    if (timeMs > this.observedMs) this.observedMs = timeMs
  }

  /** Whether a put at `timeMs` is refused: its segment is older than the one of `observed − retention` (Kafka `getOrCreateSegmentIfLive`). */
  isExpired(timeMs: number): boolean {
    return this.observedMs >= 0 && this.segmentOf(timeMs) < this.segmentOf(this.observedMs - this.retentionMs)
  }

  /** The lowest time a read starting at `fromMs` can return: the start of the oldest live segment (Kafka's `minLiveTime` segment). */
  lowestLive(fromMs: number): number {
    return this.observedMs < 0 ? fromMs : Math.max(fromMs, this.oldestLiveSegment() * this.segmentIntervalMs)
  }

  /** Whether a put at `timeMs` would be refused, that put observed first. */
  wouldRefuse(timeMs: number): boolean {
    return this.segmentOf(timeMs) < this.segmentOf(Math.max(this.observedMs, timeMs) - this.retentionMs)
  }

  /** The lowest time reads return once a put at `timeMs` is observed (entries below it are hidden). */
  lowestLiveAfter(timeMs: number): number {
    return this.segmentOf(Math.max(this.observedMs, timeMs) - this.retentionMs + 1) * this.segmentIntervalMs
  }

  private oldestLiveSegment(): number {
    return this.segmentOf(this.observedMs - this.retentionMs + 1)
  }

  private segmentOf(timeMs: number): number {
    return timeMs <= 0 ? 0 : Math.floor(timeMs / this.segmentIntervalMs)
  }

  /** Deletes the expired entries of `store` (`timeOf` reads an entry's time from its key) when a sweep is due. */
  sweepIfDue(store: KeyValueStoreImpl<Uint8Array, unknown>, timeOf: (key: Uint8Array) => number | undefined): void {
    const oldestLive = this.oldestLiveSegment()
    if (oldestLive <= this.sweptSegment || oldestLive === 0) return
    this.sweptSegment = oldestLive
    const limit = oldestLive * this.segmentIntervalMs
    const expired: Uint8Array[] = []
    const all = store.all()
    try {
      for (const { key } of all) {
        const timeMs = timeOf(key)
        if (timeMs !== undefined && timeMs < limit) expired.push(key)
      }
    } finally {
      all.close()
    }
    for (const key of expired) store.expire(key)
  }
}
