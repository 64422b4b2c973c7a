/**
 * The cleaner's side of a segment's life: its output segment (`.cleaned` files) and the swap
 * protocol that replaces live segments with it — `.cleaned` → `.swap` (the commit point is
 * `<base>.log.swap`) → live names — plus the loader's completion or rollback of a swap a crash
 * interrupted.
 */
import { join } from 'node:path'
import { MillraceError } from '../errors.js'
import type { FileIO } from './file-io.js'
import type { AbortedTxn } from './txn-index.js'
import { scanBatches } from './batch-scan.js'
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  LogSegment,
  SEGMENT_FILE_SUFFIXES,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  parseSegmentFileName,
  segmentFileName,
} from './segment.js'

/**
 * Rename order of a swap: the indexes first, the log last. `<base>.log.swap` is the commit point
 * of a swap, so it must appear only after every other file of the segment is a `.swap`, and
 * disappear only after every other file has its live name (see {@link swapInCleanedSegment}).
 */
const SWAP_RENAME_ORDER = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, LOG_SUFFIX] as const

/**
 * The cleaner's output for one group of segments: `<base>.log.cleaned` and its indexes, written in
 * offset order by one writer, fsynced, then swapped into the log by `PartitionLog.replaceSegments`
 * (or discarded). Indexes are built as batches are appended, exactly as for a live segment.
 */
export class CleanedSegment {
  private synced = false
  private closed = false
  /** Size when sealed (a closed handle cannot be asked). */
  private sealedSizeBytes = 0

  constructor(private readonly segment: LogSegment) {}

  get baseOffset(): number {
    return this.segment.baseOffset
  }

  /** One past the last offset written (== baseOffset while empty). */
  get nextOffset(): number {
    return this.segment.nextOffset
  }

  get sizeBytes(): number {
    return this.closed ? this.sealedSizeBytes : this.segment.sizeBytes
  }

  get offsetIndexEntries(): number {
    return this.segment.offsetIndex.entries
  }

  /**
   * Appends whole batches whose offsets are assigned, ascending and above everything written so
   * far (the cleaner copies them from the source segments in order).
   */
  append(batches: Uint8Array): void {
    this.synced = false
    this.segment.append(batches, batches.length)
  }

  /** Carries an aborted-transaction entry of a replaced segment over to this one. */
  addAbortedTxn(txn: AbortedTxn): void {
    this.synced = false
    this.segment.txnIndex().append(txn)
  }

  /** Adds the final time-index entry and fsyncs every file on the thread pool. */
  async sync(): Promise<void> {
    this.segment.onBecomeInactive()
    await this.segment.syncAll()
    this.synced = true
  }

  /** Makes the files durable (synchronously, when `sync` was not awaited since the last write) and closes them. */
  seal(): void {
    if (this.closed) return
    if (!this.synced) {
      this.segment.onBecomeInactive()
      this.segment.syncAllNow()
      this.synced = true
    }
    this.sealedSizeBytes = this.segment.sizeBytes
    this.closed = true
    this.segment.close()
  }

  /** Closes and removes the files (a cleaning round that was abandoned). */
  discard(): void {
    this.closed = true
    this.segment.delete()
  }
}

function segmentPath(dir: string, baseOffset: number, suffix: string): string {
  return join(dir, segmentFileName(baseOffset, suffix))
}

/**
 * Swaps the sealed cleaned segment at `baseOffset` into the live log in place of the live
 * segments `replacedBases` (ascending; the first has the same base offset and is overwritten by
 * the renames). Synchronous. Every prefix of these steps is a state that
 * {@link completeInterruptedSwaps} turns into exactly the old log or exactly the new one:
 *
 * 1. Rename the cleaned indexes to `.swap`, fsync the directory, rename `<base>.log.cleaned` to
 *    `<base>.log.swap`, fsync the directory. The `.log.swap` file is the **commit point**: from
 *    then on recovery completes the swap; before it, recovery deletes the cleaned output.
 * 2. Remove the replaced segments' files (of the first one, only those the new segment does not
 *    overwrite, e.g. a `.txnindex` it lacks), fsync the directory. Recovery finds the replaced
 *    segments by the offset range of the `.log.swap` file, which therefore must end exactly where
 *    the last replaced segment ends (the cleaner keeps each group's last batch for this).
 * 3. Rename the `.swap` indexes to their live names, fsync the directory, rename `.log.swap` to
 *    `.log`, fsync the directory.
 *
 * The directory fsyncs between renames order them under power loss as well: renames of different
 * names are otherwise independent until the directory is synced, and e.g. a surviving `.log`
 * rename whose earlier removals were lost would leave overlapping segments.
 */
export function swapInCleanedSegment(io: FileIO, dir: string, baseOffset: number, replacedBases: readonly number[]): void {
  const present = SWAP_RENAME_ORDER.filter((suffix) => io.exists(segmentPath(dir, baseOffset, suffix + CLEANED_SUFFIX)))
  const renameAll = (from: string, to: string): void => {
    for (const suffix of present) {
      if (suffix === LOG_SUFFIX) {
        io.syncDir(dir)
      }
      io.rename(segmentPath(dir, baseOffset, suffix + from), segmentPath(dir, baseOffset, suffix + to))
    }
    io.syncDir(dir)
  }
  renameAll(CLEANED_SUFFIX, SWAP_SUFFIX)
  for (const base of replacedBases) {
    for (const suffix of SEGMENT_FILE_SUFFIXES) {
      if (base !== baseOffset || !present.includes(suffix)) io.remove(segmentPath(dir, base, suffix))
    }
  }
  io.syncDir(dir)
  renameAll(SWAP_SUFFIX, '')
}

/** What {@link completeInterruptedSwaps} did. */
export interface SwapRecovery {
  /** Base offsets of segments whose interrupted swap was completed: rebuild their indexes. */
  swappedBases: number[]
  /** Names removed or renamed. */
  touchedFiles: string[]
}

/**
 * Resolves interrupted cleaner swaps and deletions in `dir` before its segments are opened (Kafka
 * `LogLoader`), matching the steps of {@link swapInCleanedSegment}:
 *
 * - `.cleaned` and `.deleted` files are removed: output of a clean that never committed, or
 *   segments already scheduled for deletion.
 * - A `<base>.log.swap` is a committed swap: live segments that start inside its offset range
 *   `(base, nextOffset)` are removed (they were merged into it), then its `.swap` files take their
 *   live names, indexes first, each step fsynced — so a crash during recovery is recovered the same way.
 * - Any other `.swap` file belongs to a swap that never reached its commit point and is removed.
 *
 * Throws `LOG_CORRUPT_SEGMENT` when a committed `.log.swap` (fsynced before its commit) fails its scan.
 */
export function completeInterruptedSwaps(io: FileIO, dir: string, names: readonly string[]): SwapRecovery {
  const touchedFiles: string[] = []
  const committed = new Set<number>()
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    if (parsed?.suffix === LOG_SUFFIX + SWAP_SUFFIX) committed.add(parsed.baseOffset)
  }
  let changed = false
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    if (!parsed) continue
    const { baseOffset, suffix } = parsed
    const uncommittedSwap = suffix.endsWith(SWAP_SUFFIX) && !committed.has(baseOffset)
    if (suffix.endsWith(CLEANED_SUFFIX) || suffix.endsWith(DELETED_SUFFIX) || uncommittedSwap) {
      io.remove(join(dir, name))
      touchedFiles.push(name)
      changed = true
    }
  }
  if (changed) io.syncDir(dir)
  const swappedBases = [...committed].sort((a, b) => a - b)
  for (const base of swappedBases) {
    const end = swapFileNextOffset(io, dir, base)
    let removed = false
    for (const name of names) {
      const parsed = parseSegmentFileName(name)
      if (parsed?.suffix !== LOG_SUFFIX || parsed.baseOffset <= base || parsed.baseOffset >= end) continue
      for (const suffix of SEGMENT_FILE_SUFFIXES) io.remove(segmentPath(dir, parsed.baseOffset, suffix))
      touchedFiles.push(name)
      removed = true
    }
    if (removed) io.syncDir(dir)
    for (const suffix of SWAP_RENAME_ORDER) {
      const from = segmentPath(dir, base, suffix + SWAP_SUFFIX)
      if (!io.exists(from)) continue
      if (suffix === LOG_SUFFIX) io.syncDir(dir)
      io.rename(from, segmentPath(dir, base, suffix))
      touchedFiles.push(segmentFileName(base, suffix + SWAP_SUFFIX))
    }
    io.syncDir(dir)
  }
  return { swappedBases, touchedFiles }
}

/** One past the last offset in `<base>.log.swap`, validating every batch on the way. */
function swapFileNextOffset(io: FileIO, dir: string, baseOffset: number): number {
  const path = segmentPath(dir, baseOffset, LOG_SUFFIX + SWAP_SUFFIX)
  const file = io.open(path)
  try {
    let next = baseOffset
    const result = scanBatches(file, 0, (b) => (next = b.lastOffset + 1), path, baseOffset)
    if (result.error) {
      throw new MillraceError('LOG_CORRUPT_SEGMENT', `fsynced swap file ${path} is corrupt at position ${result.validEnd}`, {
        cause: result.error,
        details: { file: path, position: result.validEnd, offset: next },
      })
    }
    return next
  } finally {
    file.close()
  }
}
