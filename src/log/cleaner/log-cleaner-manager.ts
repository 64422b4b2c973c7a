/**
 * Picks the compacted partitions that are due for a cleaning round, runs the rounds one at a
 * time, and keeps each partition's first dirty offset in `<dataDir>/cleaner-offset-checkpoint`
 * (Kafka `LogCleanerManager`; text format in `checkpoint-file.ts`).
 *
 * The checkpoint is written after every successful round, atomically. A crash between a swap and
 * the checkpoint only means the next round re-cleans a range that is already clean: rounds are
 * idempotent (they keep the same records, and a stamped delete horizon is never moved).
 *
 * Delete horizons the last round left in a partition are kept in memory only, so after a restart
 * a quiet log drops its expired tombstones on its next round caused by new dirty data.
 */
import { join } from 'node:path'
import type { Clock } from '../clock.js'
import { isMillraceError } from '../errors.js'
import type { FileIO } from '../storage/file-io.js'
import type { PartitionLog } from '../storage/partition-log.js'
import { readOffsetCheckpoint, writeOffsetCheckpoint, type OffsetCheckpointEntry } from '../storage/checkpoint-file.js'
import type { TopicConfig } from '../topic-config.js'
import { cleanableRange, isCleaningDue } from './cleanable-range.js'
import { DEFAULT_DEDUPE_BUFFER_BYTES, KeyOffsetMap } from './key-offset-map.js'
import { cleanLog } from './log-cleaner.js'

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint'

/** A partition of a `cleanup.policy=compact` topic. */
export interface CompactedPartition {
  topic: string
  partition: number
  log: PartitionLog
  config: TopicConfig
  /** Nothing at or above this offset is cleaned; default the log end (the LSO with transactions). */
  maxCleanableOffset?: number
}

export interface LogCleanerManagerOptions {
  io: FileIO
  dataDir: string
  clock: Clock
  /** Memory bound of the key → offset map (Kafka `log.cleaner.dedupe.buffer.size`, 128 MiB). */
  dedupeBufferBytes?: number
  /** Receives the error of a partition's round; the other partitions are still cleaned. */
  onError: (task: string, err: unknown) => void
}

export class LogCleanerManager {
  private readonly checkpointPath: string
  private readonly firstDirty = new Map<string, number>()
  private readonly deleteHorizons = new Map<string, number>()
  /** Partitions whose data failed the cleaner's checks: skipped until the broker restarts (Kafka's "uncleanable"). */
  private readonly uncleanable = new Set<string>()
  private offsetMap: KeyOffsetMap | undefined

  /**
   * Reads the checkpoint. @throws `LOG_CORRUPT_SEGMENT` when it is not a valid checkpoint,
   * `LOG_IO_ERROR` when it cannot be read.
   */
  constructor(private readonly options: LogCleanerManagerOptions) {
    this.checkpointPath = join(options.dataDir, CLEANER_OFFSET_CHECKPOINT)
    for (const e of readOffsetCheckpoint(options.io, this.checkpointPath)) this.firstDirty.set(key(e.topic, e.partition), e.offset)
  }

  /** The checkpointed first dirty offset of a partition, if it was ever cleaned. */
  firstDirtyOffset(topic: string, partition: number): number | undefined {
    return this.firstDirty.get(key(topic, partition))
  }

  /** Drops what is known about a deleted topic (its checkpoint entries go with the next write). */
  forgetTopic(topic: string): void {
    for (const map of [this.firstDirty, this.deleteHorizons]) {
      for (const k of [...map.keys()]) if (k.startsWith(`${topic}\u0000`)) map.delete(k)
    }
    for (const k of [...this.uncleanable]) if (k.startsWith(`${topic}\u0000`)) this.uncleanable.delete(k)
  }

  /**
   * One pass over `partitions` (the live compacted partitions): every partition that is due is
   * cleaned once, dirtiest first. Returns how many partitions were cleaned. Errors of one
   * partition go to `onError`; `LOG_CORRUPT_BATCH` also marks it uncleanable.
   */
  async cleanDue(partitions: readonly CompactedPartition[], signal: AbortSignal): Promise<number> {
    const nowMs = this.options.clock.nowMs()
    const due: { p: CompactedPartition; ratio: number }[] = []
    for (const p of partitions) {
      const k = key(p.topic, p.partition)
      if (this.uncleanable.has(k) || p.log.failedWith !== undefined) continue
      const range = cleanableRange({
        segments: p.log.segmentInfos(),
        logStartOffset: p.log.logStartOffset,
        logEndOffset: p.log.logEndOffset,
        checkpointOffset: this.firstDirty.get(k),
        maxCleanableOffset: p.maxCleanableOffset ?? p.log.logEndOffset,
        nowMs,
        minCompactionLagMs: p.config.minCompactionLagMs,
      })
      if (isCleaningDue(range, p.config, nowMs, this.deleteHorizons.get(k))) due.push({ p, ratio: range.dirtyRatio })
    }
    due.sort((a, b) => b.ratio - a.ratio)
    let cleaned = 0
    try {
      for (const { p } of due) {
        if (signal.aborted) break
        if (await this.cleanOne(p, partitions, signal)) cleaned++
      }
    } finally {
      // Up to dedupeBufferBytes: shared by this pass's rounds, not kept between passes (Kafka
      // keeps it for good; an embedded log should not pin that much memory while idle).
      this.offsetMap = undefined
    }
    return cleaned
  }

  private async cleanOne(p: CompactedPartition, live: readonly CompactedPartition[], signal: AbortSignal): Promise<boolean> {
    const k = key(p.topic, p.partition)
    try {
      this.offsetMap ??= new KeyOffsetMap(this.options.dedupeBufferBytes ?? DEFAULT_DEDUPE_BUFFER_BYTES)
      const result = await cleanLog(p.log, {
        config: p.config,
        checkpointOffset: this.firstDirty.get(k),
        maxCleanableOffset: p.maxCleanableOffset ?? p.log.logEndOffset,
        nowMs: this.options.clock.nowMs(),
        offsetMap: this.offsetMap,
        signal,
      })
      if (result.outcome !== 'cleaned') return false
      this.firstDirty.set(k, result.firstDirtyOffset)
      if (result.earliestDeleteHorizonMs === undefined) this.deleteHorizons.delete(k)
      else this.deleteHorizons.set(k, result.earliestDeleteHorizonMs)
      this.writeCheckpoint(live)
      return true
    } catch (err) {
      // The partition was closed under the round (topic deleted, broker closing): nothing failed.
      if (isMillraceError(err, 'LOG_CLOSED')) return false
      if (isMillraceError(err, 'LOG_CORRUPT_BATCH')) this.uncleanable.add(k)
      this.options.onError(`cleaner of ${p.topic}-${p.partition}`, err)
      return false
    }
  }

  /** Writes the checkpoint for the live partitions that have one. */
  writeCheckpoint(live: readonly CompactedPartition[]): void {
    const entries: OffsetCheckpointEntry[] = []
    for (const p of live) {
      const offset = this.firstDirty.get(key(p.topic, p.partition))
      if (offset !== undefined) entries.push({ topic: p.topic, partition: p.partition, offset })
    }
    writeOffsetCheckpoint(this.options.io, this.checkpointPath, entries)
  }
}

/** Map key of a partition; NUL cannot occur in topic names, so prefixes are unambiguous. */
function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}
