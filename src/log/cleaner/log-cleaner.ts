/**
 * One cleaning round of one compacted partition (Kafka `Cleaner.doClean`), log-anchor §2.7:
 *
 * 1. Range: [firstDirty, firstUncleanable) from the checkpoint, the active segment,
 *    `maxCleanableOffset` and `min.compaction.lag.ms` (`cleanable-range.ts`).
 * 2. Map: read the dirty range batch by batch and record each key's latest offset
 *    (`KeyOffsetMap`; control batches are skipped). If the map fills up, the round's upper bound
 *    stops at the last batch mapped and the rest stays dirty for the next round.
 * 3. Recopy: every inactive segment below the upper bound — the clean head too, since dirty
 *    records supersede clean ones — in groups merged into one output segment each
 *    (`segment-groups.ts`), keeping what `CompactionFilter` keeps. Offsets never change.
 * 4. Swap each group's output in (`PartitionLog.replaceSegments`: `.cleaned` → `.swap` → live).
 *
 * The round never blocks the event loop for long: it yields with `setImmediate` after every
 * chunk (`ioBufferBytes`, default 1 MiB) it reads and every {@link RECORDS_PER_SLICE} records it
 * decodes, so appends, reads and flushes of every
 * partition interleave with it; only each swap is one synchronous step. The segments it reads
 * are inactive, so appends never touch them; if retention, truncation, a close or an abort
 * changes them between two slices, the round stops, removes its output and reports `'aborted'`.
 *
 * Crash safety is the swap protocol's (see `swapInCleanedSegment`). For it, the last batch of
 * every output segment is kept even when compaction empties it (as a header without records), so
 * a `.swap` file always ends exactly where the segments it replaces ended; Kafka keeps only the
 * round's last batch (`batch.nextOffset == upperBoundOffsetOfCleaningRound`), which is kept here
 * too.
 *
 * Left for transactions: aborted data is not removed, markers are never removed, producers'
 * last batches are not kept by producer state, and `maxCleanableOffset` is the caller's (the
 * broker passes the log end; it must become the last stable offset).
 */
import { isMillraceError, MillraceError } from '../errors.js'
import { iterateBatches } from '../record/record-batch.js'
import type { CleanedSegment } from '../storage/segment-swap.js'
import type { PartitionLog, SegmentSnapshot } from '../storage/partition-log.js'
import { cleanableRange, type CleanableRange } from './cleanable-range.js'
import { CompactionFilter } from './compaction-filter.js'
import type { KeyOffsetMap } from './key-offset-map.js'
import { groupSegmentsBySize } from './segment-groups.js'
import { DEFAULT_CLEANER_IO_BUFFER_BYTES, SegmentChunkReader } from './segment-chunk-reader.js'

/** The topic settings a round uses (camelCase forms of Kafka's topic configs). */
export interface LogCleanerConfig {
  segmentBytes: number
  segmentIndexBytes: number
  minCompactionLagMs: number
  deleteRetentionMs: number
}

export interface CleanLogOptions {
  config: LogCleanerConfig
  /** The checkpointed first dirty offset; undefined when the partition was never cleaned. */
  checkpointOffset: number | undefined
  /** Nothing at or above this offset is cleaned; default the log end (the LSO with transactions). */
  maxCleanableOffset?: number
  /** The round's time (tombstone horizons, compaction lag), from the broker's clock. */
  nowMs: number
  /** Reused across rounds and partitions; cleared at the start of the round. */
  offsetMap: KeyOffsetMap
  signal?: AbortSignal
  /** Bytes read per slice between two yields (default 1 MiB). */
  ioBufferBytes?: number
}

export interface CleanerStats {
  /** Records read while building the offset map. */
  mapRecordsRead: number
  /** Bytes read and written while recopying. */
  bytesRead: number
  bytesWritten: number
  recordsRead: number
  recordsRetained: number
  segmentsReplaced: number
  segmentsWritten: number
  /** Times the round yielded to the event loop. */
  yields: number
}

export type CleanOutcome =
  /** Every group was swapped in. */
  | 'cleaned'
  /** No segment lies below the round's upper bound. */
  | 'nothing-to-clean'
  /** Stopped by the signal or a concurrent change of the log; output removed. */
  | 'aborted'

export interface CleanLogResult {
  outcome: CleanOutcome
  /** The next round's first dirty offset (the new checkpoint when `'cleaned'`). */
  firstDirtyOffset: number
  /** Smallest delete horizon of a tombstone batch left in the cleaned segments. */
  earliestDeleteHorizonMs: number | undefined
  range: CleanableRange
  stats: CleanerStats
}

/** How often a swap is retried after `'busy'` (an fsync of a replaced segment in flight). */
const MAX_SWAP_ATTEMPTS = 3
/** Records decoded per slice at most (~5 ms of work here), whatever the chunk's byte size. */
const RECORDS_PER_SLICE = 16_384
/** Page cache freed per slice when releasing replaced segments (~1–2 ms of work here). */
const RELEASE_STEP_BYTES = 8 * 1024 * 1024

/**
 * Runs one cleaning round on `log` (one cleaner per partition at a time; appends may continue).
 * Throws `LOG_CORRUPT_BATCH` when a batch it reads fails its checks (nothing is swapped),
 * `LOG_IO_ERROR` from writing its output or from the swap (the log is then failed),
 * `LOG_UNSUPPORTED_COMPRESSION` when a codec it must re-encode has no backend here.
 */
export async function cleanLog(log: PartitionLog, options: CleanLogOptions): Promise<CleanLogResult> {
  try {
    return await runRound(log, options)
  } catch (err) {
    if (isMillraceError(err)) throw err
    // A system error from reading the segments or writing the output (ENOSPC, EIO, …).
    const code = (err as NodeJS.ErrnoException | undefined)?.code
    throw new MillraceError('LOG_IO_ERROR', `cleaning ${log.topic}-${log.partition} failed: ${code ?? 'error'}`, {
      cause: err,
      retriable: code === 'ENOSPC',
      details: { topic: log.topic, partition: log.partition, operation: 'clean', errno: code },
    })
  }
}

async function runRound(log: PartitionLog, options: CleanLogOptions): Promise<CleanLogResult> {
  const stats: CleanerStats = {
    mapRecordsRead: 0,
    bytesRead: 0,
    bytesWritten: 0,
    recordsRead: 0,
    recordsRetained: 0,
    segmentsReplaced: 0,
    segmentsWritten: 0,
    yields: 0,
  }
  const range = cleanableRange({
    segments: log.segmentInfos(),
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    checkpointOffset: options.checkpointOffset,
    maxCleanableOffset: options.maxCleanableOffset ?? log.logEndOffset,
    nowMs: options.nowMs,
    minCompactionLagMs: options.config.minCompactionLagMs,
  })
  const result = (outcome: CleanOutcome, firstDirtyOffset: number, horizon?: number): CleanLogResult => ({
    outcome,
    firstDirtyOffset,
    earliestDeleteHorizonMs: horizon,
    range,
    stats,
  })
  const round = new Round(log, options, stats)
  const segments = log.inactiveSegments()
  const mapped = await round.buildOffsetMap(segments, range)
  if (mapped === undefined) return result('aborted', range.firstDirtyOffset)
  const upperBound = mapped.upperBoundOffset
  const toClean = segments.filter((s) => s.baseOffset < upperBound)
  if (toClean.length === 0) return result('nothing-to-clean', range.firstDirtyOffset)
  const filter = new CompactionFilter({
    offsetMap: options.offsetMap,
    upperBoundOffset: upperBound,
    nowMs: options.nowMs,
    deleteRetentionMs: options.config.deleteRetentionMs,
  })
  const groups = groupSegmentsBySize(toClean, {
    maxBytes: options.config.segmentBytes,
    maxIndexEntries: Math.max(1, Math.floor(options.config.segmentIndexBytes / 8)),
  })
  for (const group of groups) {
    const swapped = await round.cleanGroup(group, filter, mapped.lastBatchOffset)
    if (!swapped) return result('aborted', range.firstDirtyOffset)
  }
  stats.recordsRead = filter.recordsRead
  stats.recordsRetained = filter.recordsRetained
  return result('cleaned', Math.max(range.firstDirtyOffset, upperBound), filter.earliestDeleteHorizonMs)
}

interface MappedRange {
  /** Kafka's `upperBoundOffsetOfCleaningRound`: everything below was mapped. */
  upperBoundOffset: number
  /** Last offset of the last batch mapped (the round's last batch); undefined when none. */
  lastBatchOffset: number | undefined
}

class Round {
  private readonly ioBufferBytes: number
  /** Records decoded since the last yield (compressed chunks can hold far more than their bytes suggest). */
  private sliceRecords = 0

  constructor(
    private readonly log: PartitionLog,
    private readonly options: CleanLogOptions,
    private readonly stats: CleanerStats,
  ) {
    this.ioBufferBytes = options.ioBufferBytes ?? DEFAULT_CLEANER_IO_BUFFER_BYTES
  }

  /** Step 2; undefined when aborted. */
  async buildOffsetMap(segments: readonly SegmentSnapshot[], range: CleanableRange): Promise<MappedRange | undefined> {
    const map = this.options.offsetMap
    map.clear()
    const start = range.firstDirtyOffset
    const stop = range.firstUncleanableOffset
    let lastBatchOffset: number | undefined
    for (const segment of segments) {
      if (segment.nextOffset <= start) continue
      if (segment.baseOffset >= stop) break
      const reader = new SegmentChunkReader(segment, segment.baseOffset >= start ? 0 : segment.positionOf(start), this.ioBufferBytes)
      for (;;) {
        if (!(await this.yieldAndCheck([segment]))) return undefined
        const chunk = this.readChunk(reader, [segment])
        if (chunk === undefined) return undefined
        if (chunk === 'end') break
        for (const batch of iterateBatches(chunk.bytes, 0, chunk.bytes.length, { positionBase: chunk.filePosition })) {
          if (batch.lastOffset < start) continue
          if (!batch.isControl) {
            if (map.needsGrowth(batch.recordsCount)) {
              // Rehash between yields rather than inside `put` (a stall of ~70 ms per 1M keys).
              const grown = await map.growInSteps(() => this.yieldAndCheck([segment]))
              if (grown === 'stopped') return undefined
            }
            let full = false
            batch.forEachRecord((record) => {
              this.stats.mapRecordsRead++
              this.sliceRecords++
              if (full || record.keySize < 0 || record.offset < start) return
              if (!map.put(record.key as Uint8Array, record.offset)) full = true
            })
            // A partly mapped batch is outside the round: its records are kept as they are, and
            // the keys it did map only ever point at offsets above the bound (still correct).
            if (full) return { upperBoundOffset: lastBatchOffset === undefined ? start : lastBatchOffset + 1, lastBatchOffset }
          }
          lastBatchOffset = batch.lastOffset
          if (this.sliceRecords >= RECORDS_PER_SLICE && !(await this.yieldAndCheck([segment]))) return undefined
        }
      }
    }
    return { upperBoundOffset: stop, lastBatchOffset }
  }

  /** Steps 3 and 4 for one group; false when aborted. */
  async cleanGroup(group: readonly SegmentSnapshot[], filter: CompactionFilter, lastBatchOfRound: number | undefined): Promise<boolean> {
    const first = group[0] as SegmentSnapshot
    const cleaned = this.log.createCleanedSegment(first.baseOffset)
    let written: boolean
    try {
      written = await this.writeGroup(group, cleaned, filter, lastBatchOfRound)
    } catch (err) {
      const failure = this.discardAfterError(cleaned, err)
      // A read that failed because the segments changed or closed under the round is an abort.
      if (!group.every((s) => s.isCurrent())) return false
      throw failure
    }
    if (!written || !(await this.swap(group, cleaned))) return false
    this.stats.segmentsReplaced += group.length
    this.stats.segmentsWritten++
    this.stats.bytesWritten += cleaned.sizeBytes
    return true
  }

  /** Step 3: filters the group's segments into `cleaned` and fsyncs it; false when aborted. */
  private async writeGroup(
    group: readonly SegmentSnapshot[],
    cleaned: CleanedSegment,
    filter: CompactionFilter,
    lastBatchOfRound: number | undefined,
  ): Promise<boolean> {
    const last = group[group.length - 1] as SegmentSnapshot
    for (const segment of group) for (const txn of segment.abortedTxns) cleaned.addAbortedTxn(txn)
    for (const segment of group) {
      const reader = new SegmentChunkReader(segment, 0, this.ioBufferBytes)
      for (;;) {
        if (!(await this.yieldAndCheck(group))) return this.discard(cleaned)
        const chunk = this.readChunk(reader, group)
        if (chunk === undefined) return this.discard(cleaned)
        if (chunk === 'end') break
        this.stats.bytesRead += chunk.bytes.length
        const copied = await this.copyChunk(chunk.bytes, chunk.filePosition, cleaned, filter, {
          // Kept even when emptied: the group's last batch (so the output ends where the
          // replaced segments end, which crash recovery relies on) and the round's last batch.
          mustRetain: (lastOffset) => lastOffset === last.nextOffset - 1 || lastOffset === lastBatchOfRound,
          segments: group,
        })
        if (!copied) return this.discard(cleaned)
      }
    }
    await cleaned.sync()
    return true
  }

  /**
   * Step 4: swaps `cleaned` in, then frees the replaced files a slice at a time. False (output
   * removed) when the segments changed meanwhile; a failed swap is thrown (the log is failed).
   */
  private async swap(group: readonly SegmentSnapshot[], cleaned: CleanedSegment): Promise<boolean> {
    try {
      for (let attempt = 1; ; attempt++) {
        if (!(await this.yieldAndCheck(group))) return this.discard(cleaned)
        const outcome = this.log.replaceSegments(group, cleaned)
        if (outcome === 'replaced') break
        if (outcome === 'stale' || attempt >= MAX_SWAP_ATTEMPTS) return this.discard(cleaned)
        await this.log.flush()
      }
    } catch (err) {
      // Only `.cleaned` names are removed: `.swap` files of a committed swap stay for recovery.
      throw this.discardAfterError(cleaned, err)
    }
    while (this.log.releaseReplacedSegments(RELEASE_STEP_BYTES)) await this.yieldNow()
    return true
  }

  /** Filters one chunk into `cleaned` with one write; false when aborted while yielding. */
  private async copyChunk(
    bytes: Uint8Array,
    filePosition: number,
    cleaned: CleanedSegment,
    filter: CompactionFilter,
    context: { mustRetain: (lastOffset: number) => boolean; segments: readonly SegmentSnapshot[] },
  ): Promise<boolean> {
    const out: Uint8Array[] = []
    let outBytes = 0
    for (const batch of iterateBatches(bytes, 0, bytes.length, { positionBase: filePosition })) {
      const kept = filter.filter(batch, context.mustRetain(batch.lastOffset))
      this.sliceRecords += batch.recordsCount
      if (kept !== undefined) {
        out.push(kept)
        outBytes += kept.length
      }
      // The chunk buffer is only reused by the next read, so views of it survive a yield.
      if (this.sliceRecords >= RECORDS_PER_SLICE && !(await this.yieldAndCheck(context.segments))) return false
    }
    // One write per chunk; views of the chunk buffer are copied here, before it is reused.
    if (out.length === 1) cleaned.append(out[0] as Uint8Array)
    else if (out.length > 1) cleaned.append(Buffer.concat(out, outBytes))
    return true
  }

  /**
   * The next chunk; 'end' at the end of the segment; undefined when the read failed because the
   * segments changed or closed under the round (anything else is thrown).
   */
  private readChunk(
    reader: SegmentChunkReader,
    segments: readonly SegmentSnapshot[],
  ): { bytes: Uint8Array; filePosition: number } | 'end' | undefined {
    try {
      return reader.next() ?? 'end'
    } catch (err) {
      if (!segments.every((s) => s.isCurrent())) return undefined
      throw err
    }
  }

  private async yieldNow(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.stats.yields++
    this.sliceRecords = 0
  }

  /** Yields to the event loop; false when the round must stop (aborted, or its segments changed). */
  private async yieldAndCheck(segments: readonly SegmentSnapshot[]): Promise<boolean> {
    await this.yieldNow()
    if (this.options.signal?.aborted === true) return false
    return segments.every((s) => s.isCurrent())
  }

  private discard(cleaned: CleanedSegment): false {
    cleaned.discard()
    return false
  }

  /** Removes the output after `err`; returns the error to throw, naming a failed cleanup too. */
  private discardAfterError(cleaned: CleanedSegment, err: unknown): unknown {
    try {
      cleaned.discard()
    } catch (cleanupErr) {
      // A `.cleaned` leftover is harmless (the next open of the log removes it), but say so.
      const code = isMillraceError(err) ? err.code : 'LOG_IO_ERROR'
      return new MillraceError(code, `cleaning ${this.log.topic}-${this.log.partition} failed; removing its output failed too`, {
        cause: err,
        details: {
          topic: this.log.topic,
          partition: this.log.partition,
          cleanupError: (cleanupErr as NodeJS.ErrnoException).code ?? String(cleanupErr),
        },
      })
    }
    return err
  }
}
