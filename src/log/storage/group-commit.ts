/**
 * Group commit for one partition log: which segments hold data not yet fsynced, the fsync in
 * flight, and the callers waiting for durability.
 *
 * Every caller of `flush()` is made durable by the first fdatasync that starts after its call;
 * while one runs, later callers queue for the next, which covers all of them. The next sync
 * starts from `setImmediate` rather than at once: writers whose acks just resolved append again
 * in the same turn of the event loop and join it (measured: 4 → 8 batches per fsync with 8
 * writers, 1.7x the throughput). Appends never wait for a sync — only the acks do.
 *
 * A failed fsync is fatal for the log (after a failed fsync the page cache state is unknowable;
 * retrying can report success for lost data): the host fails the log and every waiter is rejected.
 */
import type { Clock } from '../clock.js'
import type { LogError } from '../errors.js'
import type { LogSegment } from './segment.js'

export interface GroupCommitHost {
  /** The offset a sync started now makes everything below durable (the log end). */
  logEndOffset(): number
  /** Why no sync may start (the log is closed or failed), or undefined. */
  blockedBy(): LogError | undefined
  /** An fsync failed: fail the log and return the error the waiters get. */
  onSyncFailure(cause: unknown): LogError
}

interface Waiter {
  target: number
  resolve: (offset: number) => void
  reject: (err: unknown) => void
}

export class GroupCommit {
  /** Offsets below this are durable. */
  durableOffset: number
  /** Monotonic time of the last completed sync (for `flush.ms`). */
  lastSyncMs: number
  /** Records appended since the last sync started (for `flush.messages`). */
  unflushedMessages = 0
  /** Bytes appended since the last sync started (for the background sync of open transactions). */
  unflushedBytes = 0
  private dirty = new Set<LogSegment>()
  /** Segments the fsync in flight covers (they must not be closed or swapped under it). */
  private inFlight: ReadonlySet<LogSegment> = new Set()
  private syncing = false
  private scheduled = false
  /** A sync was asked for while one ran; start it when that one ends, waiters or not. */
  private scheduleAfterInFlight = false
  private waiters: Waiter[] = []

  constructor(
    private readonly host: GroupCommitHost,
    private readonly clock: Clock,
    durableOffset: number,
  ) {
    this.durableOffset = durableOffset
    this.lastSyncMs = clock.monotonicMs()
  }

  /** `records` in `bytes` were appended to `segment`. */
  noteAppend(segment: LogSegment, records: number, bytes: number): void {
    this.dirty.add(segment)
    this.unflushedBytes += bytes
    this.unflushedMessages += records
  }

  /** `segment` needs a sync (a rolled segment's final indexes) even if its data is durable. */
  markDirty(segment: LogSegment): void {
    this.dirty.add(segment)
  }

  /** `segment` left the log (deleted, truncated away): nothing of it needs syncing any more. */
  forget(segment: LogSegment): void {
    this.dirty.delete(segment)
  }

  /** Whether `segment` has unsynced data or an fsync in flight. */
  isPending(segment: LogSegment): boolean {
    return this.dirty.has(segment) || this.inFlight.has(segment)
  }

  /** Segments with unsynced data or an fsync in flight. */
  pendingSegments(): LogSegment[] {
    return [...new Set([...this.dirty, ...this.inFlight])]
  }

  /** Resolves with the durable offset once everything appended before the call is fsynced. */
  flush(): Promise<number> {
    const blocked = this.host.blockedBy()
    if (blocked) return Promise.reject(blocked)
    const target = this.host.logEndOffset()
    if (target <= this.durableOffset) return Promise.resolve(this.durableOffset)
    return new Promise<number>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject })
      this.scheduleSync()
    })
  }

  /** Starts a sync of the dirty segments now, or right after the one in flight. */
  syncSoon(): void {
    if (this.syncing) this.scheduleAfterInFlight = true
    else this.startSync()
  }

  /**
   * Starts a sync now unless one runs or is scheduled. Nobody waits for it: it writes data back
   * while the writer goes on, so a later `flush()` only has the tail left to sync.
   */
  syncInBackground(): void {
    if (this.syncing || this.scheduled || this.host.blockedBy() !== undefined) return
    this.startSync()
  }

  /** The log was truncated below the durable offset. */
  truncatedTo(logEndOffset: number): void {
    this.durableOffset = Math.min(this.durableOffset, logEndOffset)
  }

  /**
   * The log closed: everything below `durableOffset` was made durable synchronously. Waiters it
   * covers resolve; the others are rejected with `err`.
   */
  settleOnClose(durableOffset: number, err: LogError): void {
    this.durableOffset = Math.max(this.durableOffset, durableOffset)
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) {
      if (w.target <= this.durableOffset) w.resolve(this.durableOffset)
      else w.reject(err)
    }
  }

  private scheduleSync(): void {
    if (this.syncing || this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      if (!this.syncing && this.host.blockedBy() === undefined && this.waiters.length > 0) this.startSync()
    })
  }

  private startSync(): void {
    this.syncing = true
    this.scheduleAfterInFlight = false
    const target = this.host.logEndOffset()
    const segments = [...this.dirty]
    this.dirty.clear()
    this.inFlight = new Set(segments)
    const recordsCovered = this.unflushedMessages
    const bytesCovered = this.unflushedBytes
    this.unflushedMessages = 0
    this.unflushedBytes = 0
    Promise.all(segments.map((s) => s.sync())).then(
      () => {
        this.syncing = false
        this.inFlight = new Set()
        if (target > this.durableOffset) this.durableOffset = target
        this.lastSyncMs = this.clock.monotonicMs()
        const still: Waiter[] = []
        for (const w of this.waiters) {
          if (w.target <= this.durableOffset) w.resolve(this.durableOffset)
          else still.push(w)
        }
        this.waiters = still
        if (this.host.blockedBy() !== undefined) return
        if (still.length > 0) this.scheduleSync()
        else if (this.scheduleAfterInFlight) this.startSync()
      },
      (cause: unknown) => {
        this.syncing = false
        this.inFlight = new Set()
        this.unflushedMessages += recordsCovered
        this.unflushedBytes += bytesCovered
        const err = this.host.onSyncFailure(cause)
        const waiters = this.waiters
        this.waiters = []
        for (const w of waiters) w.reject(err)
      },
    )
  }
}
