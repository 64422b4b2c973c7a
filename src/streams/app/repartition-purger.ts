/**
 * Deletes what an instance has committed of repartition topics (Kafka's `repartition.purge.interval.ms`,
 * 30 s): committed offsets of internal topics are noted at every commit, and at most once per
 * interval the records below them are deleted. Best effort: a failure is reported and the
 * offsets of the next commits are purged next time.
 */
import type { Admin } from '../../log/index.js'
import type { WarningListener } from '../runtime/error-handlers.js'

interface CommittedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

export class RepartitionPurger {
  /** Committed offsets of repartition topic partitions not yet purged up to. */
  private readonly purgeable = new Map<string, CommittedOffset>()
  private lastPurgeMs = 0

  constructor(
    private readonly intervalMs: number,
    private readonly onWarning: WarningListener,
  ) {}

  /** Starts the interval over (the app started at `nowMs`, monotonic). */
  reset(nowMs: number): void {
    this.lastPurgeMs = nowMs
  }

  /** Notes `committed` offsets of `internalTopics` and purges what is noted when the interval has passed. */
  async afterCommit(admin: Admin, internalTopics: ReadonlyMap<string, unknown>, committed: readonly CommittedOffset[], nowMs: number): Promise<void> {
    for (const o of committed) if (internalTopics.has(o.topic)) this.purgeable.set(`${o.topic}\u0000${o.partition}`, o)
    if (this.purgeable.size === 0 || nowMs - this.lastPurgeMs < this.intervalMs) return
    this.lastPurgeMs = nowMs
    const offsets = [...this.purgeable.values()]
    this.purgeable.clear()
    try {
      await admin.deleteRecords(offsets)
    } catch (err) {
      this.onWarning(`could not purge repartition topics: ${err instanceof Error ? err.message : String(err)}`, {})
    }
  }
}
