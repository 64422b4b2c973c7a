/**
 * Opening a partition directory: completes or discards interrupted cleaner swaps, removes
 * leftovers, opens the segments and recovers them.
 *
 * After a clean shutdown only segments whose indexes fail their checks are scanned (and rebuilt).
 * After an unclean one every segment from the one holding the recovery point onwards is scanned
 * batch by batch (structure + CRC-32C): a torn tail above the recovery point is truncated and
 * reported in the {@link RecoveryReport}; damage below it — data that had been fsynced — is
 * thrown as `LOG_CORRUPT_SEGMENT` with file, position and offset, never silently dropped.
 */
import { join } from 'node:path'
import { logError, MillraceError, type LogError } from '../errors.js'
import type { FileIO } from './file-io.js'
import {
  LOG_SUFFIX,
  LogSegment,
  SEGMENT_FILE_SUFFIXES,
  findSegmentIndex,
  parseSegmentFileName,
  type SegmentOptions,
} from './segment.js'
import { completeInterruptedSwaps } from './segment-swap.js'

/** What opening the log found and repaired. */
export interface RecoveryReport {
  /** Segments whose batches were scanned and CRC-checked. */
  scannedSegments: number
  /** Segments whose indexes were missing or inconsistent and were rebuilt. */
  rebuiltIndexes: string[]
  /** Bytes cut from a torn (never fsynced) tail, and where. */
  truncatedBytes: number
  truncatedAt?: { file: string; position: number; reason: string }
  /** Incomplete cleaner or delete files removed or completed. */
  cleanedUpFiles: string[]
}

export interface RecoveryContext {
  io: FileIO
  dir: string
  topic: string
  partition: number
  nowMs: number
  segmentOptions: SegmentOptions
  /** Filled in as recovery goes. */
  report: RecoveryReport
}

export interface RecoveryInput {
  /** Offsets below this were fsynced before the last shutdown; 0 when unknown. */
  recoveryPoint: number
  logStartOffset?: number
  cleanShutdown: boolean
}

export interface RecoveredPartition {
  segments: LogSegment[]
  logStartOffset: number
  logEndOffset: number
  /** Everything below it is durable now (recovered segments are fsynced before returning). */
  recoveryPoint: number
}

export function emptyRecoveryReport(): RecoveryReport {
  return { scannedSegments: 0, rebuiltIndexes: [], truncatedBytes: 0, cleanedUpFiles: [] }
}

/**
 * Opens and recovers the partition in `ctx.dir` (created when missing). The caller owns the
 * returned segments. @throws `LOG_CORRUPT_SEGMENT` when fsynced data is damaged or missing.
 */
export function loadPartition(ctx: RecoveryContext, input: RecoveryInput): RecoveredPartition {
  const segments: LogSegment[] = []
  try {
    return recover(ctx, input, segments)
  } catch (err) {
    for (const seg of segments) closeQuietly(seg)
    throw err
  }
}

function recover(ctx: RecoveryContext, input: RecoveryInput, segments: LogSegment[]): RecoveredPartition {
  const { io, dir, report } = ctx
  if (!io.exists(dir)) io.mkdir(dir)
  // Interrupted cleaner swaps are completed (committed) or discarded before anything is opened.
  const listed = io.list(dir)
  const swaps = completeInterruptedSwaps(io, dir, listed)
  report.cleanedUpFiles.push(...swaps.touchedFiles)
  const swapped = swaps.swappedBases
  const names = swaps.touchedFiles.length > 0 ? io.list(dir) : listed
  const bases: number[] = []
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    // `.tmp`: an interrupted atomic write (a checkpoint, or a producer snapshot `<offset>.snapshot.tmp`).
    if (!parsed || parsed.suffix.endsWith('.tmp')) {
      if (name.endsWith('.tmp')) removeLeftover(ctx, name)
      continue
    }
    if (parsed.suffix === LOG_SUFFIX) bases.push(parsed.baseOffset)
  }
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    if (parsed && parsed.suffix !== LOG_SUFFIX && SEGMENT_FILE_SUFFIXES.includes(parsed.suffix as never)) {
      if (!bases.includes(parsed.baseOffset)) removeLeftover(ctx, name)
    }
  }
  bases.sort((a, b) => a - b)
  for (const b of bases) segments.push(LogSegment.open(io, dir, b, ctx.segmentOptions, ctx.nowMs))

  const recoveryPoint = input.recoveryPoint
  // Which segments must be scanned: all from the one holding the recovery point (unclean), or
  // only those whose indexes fail their checks (clean).
  let firstUnflushed = input.cleanShutdown ? segments.length : findSegmentIndex(segments, recoveryPoint)
  if (!input.cleanShutdown && recoveryPoint <= 0) firstUnflushed = 0
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as LogSegment
    if (swapped.includes(seg.baseOffset)) {
      // Its index files may be the replaced segment's (a swap renames them one by one):
      // rebuild. The cleaned data was fsynced before the swap committed, so damage is corruption.
      report.rebuiltIndexes.push(seg.fileName)
      seg.resetTxnIndexForReplay()
      const result = seg.recover()
      if (result.error) throw corruptSegment(ctx, seg, result.validEnd, result.error)
    } else if (i < firstUnflushed) {
      if (!seg.loadIndexes()) {
        report.rebuiltIndexes.push(seg.fileName)
        seg.resetTxnIndexForReplay()
        const result = seg.recover()
        if (result.error) {
          // Below the recovery point (or after a clean shutdown) every byte had been fsynced.
          throw corruptSegment(ctx, seg, result.validEnd, result.error, result.nextOffset)
        }
      }
    } else {
      const stop = recoverSegment(ctx, segments, recoveryPoint, i)
      if (stop) break
    }
  }
  if (segments.length === 0) {
    const start = Math.max(input.logStartOffset ?? 0, 0)
    segments.push(LogSegment.create(io, dir, start, ctx.segmentOptions, ctx.nowMs))
    io.syncDir(dir)
  }
  const last = segments[segments.length - 1] as LogSegment
  const logEndOffset = last.nextOffset
  const first = segments[0] as LogSegment
  const logStartOffset = Math.min(Math.max(input.logStartOffset ?? 0, first.baseOffset), logEndOffset)
  if (!input.cleanShutdown && logEndOffset < recoveryPoint) {
    throw logError(
      'LOG_CORRUPT_SEGMENT',
      `${ctx.topic}-${ctx.partition} ends at offset ${logEndOffset}, below its recovery point ${recoveryPoint}: fsynced data is missing`,
      { topic: ctx.topic, partition: ctx.partition, file: join(dir, last.fileName), offset: logEndOffset, position: last.sizeBytes },
    )
  }
  // Everything now on disk was validated; make it durable before claiming it as such.
  if (!input.cleanShutdown && report.scannedSegments > 0) {
    for (let i = Math.max(0, firstUnflushed); i < segments.length; i++) (segments[i] as LogSegment).syncAllNow()
  }
  return { segments, logStartOffset, logEndOffset, recoveryPoint: logEndOffset }
}

/**
 * Scans one segment at or after the recovery point. On the first bad batch: damage that lies
 * below the recovery point is corruption of durable data (thrown); above it, it is a torn tail,
 * truncated here, with every later segment deleted. Returns true when it truncated.
 */
function recoverSegment(ctx: RecoveryContext, segments: LogSegment[], recoveryPoint: number, index: number): boolean {
  const seg = segments[index] as LogSegment
  ctx.report.scannedSegments++
  seg.resetTxnIndexForReplay()
  const result = seg.recover()
  if (!result.error) return cutAfterMissingOffsets(ctx, segments, recoveryPoint, index)
  // The scan's offset, not `seg.nextOffset`: a batch whose (CRC-unprotected) baseOffset was
  // raised by a flipped bit passes the scan and would move `seg.nextOffset` past the recovery
  // point, passing off damage to fsynced data as a torn tail (and renumbering its records).
  const firstLostOffset = result.nextOffset
  if (firstLostOffset < recoveryPoint) throw corruptSegment(ctx, seg, result.validEnd, result.error, firstLostOffset)
  const file = join(ctx.dir, seg.fileName)
  let cut = seg.sizeBytes - result.validEnd
  seg.truncateToPosition(result.validEnd)
  seg.syncAllNow()
  cut += deleteSegmentsAfter(ctx, segments, index)
  ctx.report.truncatedBytes += cut
  ctx.report.truncatedAt = {
    file,
    position: result.validEnd,
    reason: String(result.error.details.reason ?? result.error.message),
  }
  return true
}

/**
 * A scanned segment must end where its successor starts. Segments are fsynced independently, so
 * a power loss can drop the unsynced tail of one and keep its successor (whose creation was
 * fsynced at roll, and maybe some of its data): the offsets in between are gone, and the log
 * must end where they begin, as after a torn tail — never at the successor's end, across a gap.
 * Below the recovery point the missing offsets had been fsynced: corruption. Overlapping
 * offsets never come from a crash (a damaged baseOffset does that): corruption too.
 */
function cutAfterMissingOffsets(ctx: RecoveryContext, segments: LogSegment[], recoveryPoint: number, index: number): boolean {
  const seg = segments[index] as LogSegment
  const next = segments[index + 1]
  if (next === undefined || seg.nextOffset === next.baseOffset) return false
  const file = join(ctx.dir, seg.fileName)
  const reason = `${seg.fileName} ends at offset ${seg.nextOffset} but ${next.fileName} starts at ${next.baseOffset}`
  if (seg.nextOffset < recoveryPoint || seg.nextOffset > next.baseOffset) {
    throw corruptSegment(ctx, seg, seg.sizeBytes, logError('LOG_CORRUPT_BATCH', reason, { file, position: seg.sizeBytes, reason }))
  }
  ctx.report.truncatedBytes += deleteSegmentsAfter(ctx, segments, index)
  ctx.report.truncatedAt = { file, position: seg.sizeBytes, reason }
  return true
}

/** Deletes every segment after `index` (durably); returns the bytes they held. */
function deleteSegmentsAfter(ctx: RecoveryContext, segments: LogSegment[], index: number): number {
  let bytes = 0
  for (const later of segments.splice(index + 1)) {
    bytes += later.sizeBytes
    later.delete()
  }
  ctx.io.syncDir(ctx.dir)
  return bytes
}

function removeLeftover(ctx: RecoveryContext, name: string): void {
  ctx.io.remove(join(ctx.dir, name))
  ctx.report.cleanedUpFiles.push(name)
}

/** `offset`: the first offset the damage takes (the scan's `nextOffset` where one ran). */
function corruptSegment(ctx: RecoveryContext, seg: LogSegment, position: number, cause: LogError, offset = seg.nextOffset): LogError {
  const file = join(ctx.dir, seg.fileName)
  return new MillraceError(
    'LOG_CORRUPT_SEGMENT',
    `fsynced data of ${ctx.topic}-${ctx.partition} is corrupt in ${file} at position ${position} (offset ${offset})`,
    { cause, details: { topic: ctx.topic, partition: ctx.partition, file, position, offset } },
  )
}

function closeQuietly(seg: LogSegment): void {
  try {
    seg.close()
  } catch {
    // Closing a descriptor after a failed open cannot lose data; the open's error is reported.
  }
}
