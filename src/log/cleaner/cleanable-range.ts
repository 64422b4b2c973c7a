/**
 * Which part of a compacted log a cleaning round may touch, and whether a round is due
 * (Kafka `LogCleanerManager.cleanableOffsets`, `LogToClean`, `grabFilthiestCompactedLog`).
 *
 * ```
 * logStart        firstDirty            firstUncleanable       active base     log end
 *    |── clean ───────|──── cleanable (dirty) ───|─── uncleanable ─|─── active ───|
 * ```
 *
 * - firstDirty: the cleaner checkpoint, reset to the log start when it lies outside
 *   [logStart, logEnd] (Kafka does the same after truncation or DeleteRecords).
 * - firstUncleanable: the smallest of the active segment's base offset, the base of the segment
 *   holding `maxCleanableOffset` (the last stable offset once transactions exist) and, when
 *   `min.compaction.lag.ms` > 0, the base of the first dirty segment with a record younger than
 *   the lag. Always a segment base, as in Kafka: rounds clean whole segments.
 */
import type { SegmentInfo } from '../storage/partition-log.js'

export interface CleanableRangeInput {
  /** Every segment of the log, oldest first, the active one last. */
  segments: readonly SegmentInfo[]
  logStartOffset: number
  logEndOffset: number
  /** The checkpointed first dirty offset; undefined when the partition was never cleaned. */
  checkpointOffset: number | undefined
  /** Nothing at or above this offset is cleaned (today the log end; the LSO with transactions). */
  maxCleanableOffset: number
  nowMs: number
  minCompactionLagMs: number
}

export interface CleanableRange {
  firstDirtyOffset: number
  /** The dirty range is empty when this is ≤ `firstDirtyOffset`. */
  firstUncleanableOffset: number
  /** Bytes of the segments wholly below `firstDirtyOffset`. */
  cleanBytes: number
  /** Bytes of the segments overlapping [firstDirtyOffset, firstUncleanableOffset). */
  cleanableBytes: number
  /** cleanableBytes / (cleanBytes + cleanableBytes); 0 for an empty log. */
  dirtyRatio: number
  /** Smallest first-batch timestamp of the inactive dirty segments (for `max.compaction.lag.ms`). */
  earliestDirtyTimestampMs: number | undefined
}

export function cleanableRange(input: CleanableRangeInput): CleanableRange {
  const { segments, logStartOffset, logEndOffset } = input
  const checkpoint = input.checkpointOffset
  const firstDirty =
    checkpoint === undefined || checkpoint < logStartOffset || checkpoint > logEndOffset ? logStartOffset : checkpoint
  const active = segments[segments.length - 1]
  let firstUncleanable = active === undefined ? logEndOffset : active.baseOffset
  for (const s of segments) {
    if (s.isActive || s.baseOffset >= firstUncleanable) break
    if (s.nextOffset > input.maxCleanableOffset) {
      firstUncleanable = s.baseOffset
      break
    }
  }
  if (input.minCompactionLagMs > 0) {
    const youngestAllowedMs = input.nowMs - input.minCompactionLagMs
    for (const s of segments) {
      if (s.isActive || s.baseOffset >= firstUncleanable) break
      if (s.nextOffset > firstDirty && s.maxTimestampMs > youngestAllowedMs) {
        firstUncleanable = s.baseOffset
        break
      }
    }
  }
  let cleanBytes = 0
  let cleanableBytes = 0
  let earliestDirtyTimestampMs: number | undefined
  for (const s of segments) {
    if (s.isActive) break
    if (s.nextOffset <= firstDirty) {
      cleanBytes += s.sizeBytes
      continue
    }
    if (s.firstBatchTimestampMs >= 0) {
      earliestDirtyTimestampMs = Math.min(earliestDirtyTimestampMs ?? Number.MAX_SAFE_INTEGER, s.firstBatchTimestampMs)
    }
    if (s.baseOffset < firstUncleanable) cleanableBytes += s.sizeBytes
  }
  const total = cleanBytes + cleanableBytes
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: firstUncleanable,
    cleanBytes,
    cleanableBytes,
    dirtyRatio: total === 0 ? 0 : cleanableBytes / total,
    earliestDirtyTimestampMs,
  }
}

export interface CleaningDueSettings {
  minCleanableDirtyRatio: number
  maxCompactionLagMs: number
}

/**
 * Whether a round should run now: some bytes are cleanable and either their ratio reaches
 * `min.cleanable.dirty.ratio`, or dirty data is older than `max.compaction.lag.ms` (Kafka's
 * `needCompactionNow`). Also due once a delete horizon the last round stamped has passed, so
 * tombstones leave a quiet log without waiting for new dirty data (KIP-534).
 */
export function isCleaningDue(
  range: CleanableRange,
  settings: CleaningDueSettings,
  nowMs: number,
  earliestDeleteHorizonMs: number | undefined,
): boolean {
  if (earliestDeleteHorizonMs !== undefined && nowMs >= earliestDeleteHorizonMs) return true
  if (range.cleanableBytes <= 0) return false
  if (range.dirtyRatio >= settings.minCleanableDirtyRatio) return true
  const earliest = range.earliestDirtyTimestampMs
  return earliest !== undefined && settings.maxCompactionLagMs < Number.MAX_SAFE_INTEGER && earliest < nowMs - settings.maxCompactionLagMs
}
