/**
 * One segment of a partition log: `<base>.log` (record batches exactly as on the wire) with its
 * derived `<base>.index`, `<base>.timeindex` and (when transactions abort) `<base>.txnindex`.
 * File names are the base offset zero-padded to 20 digits, so `ls` sorts them numerically.
 *
 * A segment knows nothing about durability policy or rolling; {@link PartitionLog} drives it.
 */
import { join } from 'node:path'
import type { FileHandle, FileIO } from './file-io.js'
import { OffsetIndex } from './offset-index.js'
import { TimeIndex } from './time-index.js'
import { TransactionIndex } from './txn-index.js'
import { BatchHeaderCursor, scanBatches, type ScanResult } from './batch-scan.js'
import { baseOffsetAt, batchSizeAt, lastOffsetDeltaAt, maxTimestampAt } from '../record/record-batch-v2.js'

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
export const TXN_INDEX_SUFFIX = '.txnindex'
/** Suffixes of a segment's files, the log first. */
export const SEGMENT_FILE_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] as const
/**
 * Transient suffixes appended to a segment file's name (log-anchor §2.1): the cleaner writes
 * `<base>.log.cleaned` (+ indexes), renames them to `.swap` to commit, then to their live names.
 */
export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'
export const DELETED_SUFFIX = '.deleted'

const OFFSET_DIGITS = 20

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, '0') + suffix
}

/** `{ baseOffset, suffix }` of a segment file name (suffix may be compound: `.log.swap`). */
export function parseSegmentFileName(name: string): { baseOffset: number; suffix: string } | undefined {
  if (name.length <= OFFSET_DIGITS || !/^\d{20}\./.test(name)) return undefined
  const baseOffset = Number(name.slice(0, OFFSET_DIGITS))
  if (!Number.isSafeInteger(baseOffset)) return undefined
  return { baseOffset, suffix: name.slice(OFFSET_DIGITS) }
}

export interface SegmentOptions {
  indexIntervalBytes: number
  /** `segment.index.bytes` / 8: the offset index's capacity (the time index gets the same count). */
  maxIndexEntries: number
}

/** Index of the segment with the greatest base offset ≤ `offset` in `segments` (0 when before all). */
export function findSegmentIndex(segments: readonly { baseOffset: number }[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  let found = 0
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if ((segments[mid] as { baseOffset: number }).baseOffset <= offset) {
      found = mid
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  return found
}

/** Thrown by lookups when an index entry does not point at the batch it claims to. */
export class IndexMismatch extends Error {}

export class LogSegment {
  readonly baseOffset: number
  readonly log: FileHandle
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  private txn: TransactionIndex | undefined
  /**
   * Set by {@link resetTxnIndexForReplay}: the aborted-transaction index was emptied and must be
   * refilled by replaying the segment's markers (the producer-state rebuild does that).
   */
  txnIndexStale = false
  /** One past the last offset stored here (== baseOffset when empty). */
  nextOffset: number
  /** Largest record timestamp (batch maxTimestamp) in the segment, −1 when none. */
  maxTimestamp = -1
  /** maxTimestamp of the first batch; segment.ms measures from it (Kafka `timeWaitedForRoll`). */
  firstBatchTimestamp = -1
  /** Wall-clock time the segment was created or opened; used when it holds no timestamps. */
  readonly createdAtMs: number
  private bytesSinceIndexEntry = 0
  private syncsInFlight = 0
  private closeDeferred = false
  /** Set by `onBecomeInactive`: no more index entries come, and `sync` covers the indexes. */
  private indexesFinal = false

  private constructor(
    private readonly io: FileIO,
    readonly dir: string,
    baseOffset: number,
    private readonly options: SegmentOptions,
    nowMs: number,
    create: boolean,
    /** Appended to every file name: '' for live segments, {@link CLEANED_SUFFIX} for cleaner output. */
    private readonly fileSuffix: string,
  ) {
    this.baseOffset = baseOffset
    this.createdAtMs = nowMs
    const path = (suffix: string): string => join(dir, segmentFileName(baseOffset, suffix + fileSuffix))
    this.log = io.open(path(LOG_SUFFIX), { create })
    this.offsetIndex = new OffsetIndex(baseOffset, io.open(path(INDEX_SUFFIX), { create: true }), options.maxIndexEntries)
    this.timeIndex = new TimeIndex(baseOffset, io.open(path(TIME_INDEX_SUFFIX), { create: true }), options.maxIndexEntries)
    if (io.exists(path(TXN_INDEX_SUFFIX))) this.txn = new TransactionIndex(io.open(path(TXN_INDEX_SUFFIX)))
    this.nextOffset = baseOffset
  }

  /**
   * Creates a new, empty segment (files must not exist yet, or are emptied). `fileSuffix` names
   * a transient segment (`.cleaned`), e.g. `00000000000000000000.log.cleaned`.
   */
  static create(io: FileIO, dir: string, baseOffset: number, options: SegmentOptions, nowMs: number, fileSuffix = ''): LogSegment {
    const seg = new LogSegment(io, dir, baseOffset, options, nowMs, true, fileSuffix)
    if (seg.log.size() > 0) seg.log.truncate(0)
    seg.offsetIndex.reset()
    seg.timeIndex.reset()
    seg.txn?.reset()
    return seg
  }

  /** Opens an existing segment's files; indexes are not loaded yet (see `loadIndexes`, `rebuild`). */
  static open(io: FileIO, dir: string, baseOffset: number, options: SegmentOptions, nowMs: number): LogSegment {
    return new LogSegment(io, dir, baseOffset, options, nowMs, false, '')
  }

  get sizeBytes(): number {
    return this.log.size()
  }

  get isEmpty(): boolean {
    return this.log.size() === 0
  }

  get fileName(): string {
    return segmentFileName(this.baseOffset, LOG_SUFFIX + this.fileSuffix)
  }

  /** The aborted-transaction index, created on first use. */
  txnIndex(): TransactionIndex {
    if (!this.txn) {
      this.txn = new TransactionIndex(
        this.io.open(join(this.dir, segmentFileName(this.baseOffset, TXN_INDEX_SUFFIX + this.fileSuffix)), { create: true }),
      )
    }
    return this.txn
  }

  hasTxnIndex(): boolean {
    return this.txn !== undefined
  }

  /**
   * Whether an index can take another entry and `lastOffset` fits a 4-byte relative offset —
   * otherwise the log must roll first (Kafka roll rules 3 and 4).
   */
  canHold(lastOffset: number): boolean {
    return !this.offsetIndex.isFull() && !this.timeIndex.isFull() && lastOffset - this.baseOffset <= 0x7fffffff
  }

  /**
   * Appends `buf[0, length)`, one or more whole batches whose offsets are already assigned, with
   * one write, then updates the indexes (after the data, so an index never points past it).
   */
  append(buf: Uint8Array, length: number): void {
    const startPosition = this.log.size()
    this.log.append(length === buf.length ? buf : buf.subarray(0, length))
    let pos = 0
    while (pos < length) {
      const size = batchSizeAt(buf, pos)
      const lastOffset = (baseOffsetAt(buf, pos) as number) + lastOffsetDeltaAt(buf, pos)
      this.indexBatch(startPosition + pos, size, lastOffset, maxTimestampAt(buf, pos) ?? -1)
      pos += size
    }
  }

  private indexBatch(position: number, size: number, lastOffset: number, maxTimestamp: number): void {
    if (this.firstBatchTimestamp < 0 && position === 0) this.firstBatchTimestamp = maxTimestamp
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp
    // Kafka checks before adding the batch's bytes, so the first batch of a segment is never indexed.
    if (this.bytesSinceIndexEntry > this.options.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position)
      this.timeIndex.maybeAppend(this.maxTimestamp, lastOffset)
      this.bytesSinceIndexEntry = 0
    }
    this.bytesSinceIndexEntry += size
    this.nextOffset = lastOffset + 1
  }

  /**
   * Loads the index files and derives `nextOffset` and `maxTimestamp` by walking headers after
   * the last index entry. Returns false when an index is missing or inconsistent, or the tail
   * does not parse; the caller then rebuilds (`recover`).
   */
  loadIndexes(): boolean {
    const size = this.log.size()
    if (!this.offsetIndex.load(size)) return false
    if (!this.timeIndex.load(0x7fffffff)) return false
    if (this.txn && !this.txn.load()) return false
    if (size > 0 && this.offsetIndex.entries === 0 && size > 2 * this.options.indexIntervalBytes + 1024 * 1024) {
      // A big segment without a single entry means the index was lost: rebuild instead of scanning.
      return false
    }
    const cursor = new BatchHeaderCursor(this.log, this.offsetIndex.lastPosition(), size)
    let seenIndexed = false
    this.maxTimestamp = this.timeIndex.lastTimestamp() ?? -1
    this.bytesSinceIndexEntry = 0
    while (cursor.next()) {
      if (!seenIndexed && this.offsetIndex.entries > 0) {
        if (cursor.lastOffset !== this.offsetIndex.lastOffset()) return false
        seenIndexed = true
        this.bytesSinceIndexEntry = cursor.size
      } else {
        this.bytesSinceIndexEntry += cursor.size
      }
      if (cursor.maxTimestamp > this.maxTimestamp) this.maxTimestamp = cursor.maxTimestamp
      this.nextOffset = cursor.lastOffset + 1
      cursor.advance()
    }
    if (cursor.position !== size) return false
    const tlast = this.timeIndex.lastOffset()
    if (tlast !== undefined && tlast >= this.nextOffset) return false
    if (!this.timeIndexCoversOffsetIndex()) return false
    if (size > 0) this.firstBatchTimestamp = this.readFirstBatchTimestamp()
    return true
  }

  /**
   * `maxTimestamp` above is the time index's last timestamp plus the batches after the last
   * offset-index entry. That is exact only if the time index vouches for every batch up to that
   * entry: each offset-index entry gets a time-index entry whenever the running maximum grew, so
   * a batch in between with a larger timestamp than the time index's last one proves entries were
   * lost (never synced before a crash, truncated, deleted). Without this check `maxTimestamp`
   * would miss it: timestamp lookups would skip the segment and retention would delete it early.
   * Walks headers only where the time index stops before the offset index (usually nowhere).
   */
  private timeIndexCoversOffsetIndex(): boolean {
    const indexedLast = this.offsetIndex.lastOffset()
    const covered = this.timeIndex.lastOffset() ?? this.baseOffset - 1
    if (indexedLast === undefined || covered >= indexedLast) return true
    const lastTimestamp = this.timeIndex.lastTimestamp() ?? -1
    const end = this.offsetIndex.lastPosition()
    const cursor = new BatchHeaderCursor(this.log, this.offsetIndex.lookup(covered + 1).position, this.log.size())
    while (cursor.position <= end && cursor.next()) {
      if (cursor.maxTimestamp > lastTimestamp) return false
      cursor.advance()
    }
    return true
  }

  private readFirstBatchTimestamp(): number {
    const cursor = new BatchHeaderCursor(this.log, 0, this.log.size())
    return cursor.next() ? cursor.maxTimestamp : -1
  }

  /**
   * Scans the whole segment, validating every batch (CRC-32C) and rebuilding the offset and time
   * indexes. Stops at the first invalid batch and reports where; truncation is the caller's call.
   */
  recover(): ScanResult {
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.maxTimestamp = -1
    this.firstBatchTimestamp = -1
    this.bytesSinceIndexEntry = 0
    this.nextOffset = this.baseOffset
    const result = scanBatches(
      this.log,
      0,
      (b) => this.indexBatch(b.filePosition, b.size, b.lastOffset, b.maxTimestamp),
      join(this.dir, this.fileName),
      this.baseOffset,
    )
    return result
  }

  /**
   * Position of the first batch whose last offset is ≥ `target` (the batch containing it, or the
   * next one after a compaction gap); `sizeBytes` when there is none. Throws {@link IndexMismatch}
   * when the index points at a batch that is not the one it recorded.
   */
  findPosition(target: number, end = this.log.size()): number {
    if (target < this.baseOffset) return 0
    const entry = this.offsetIndex.lookup(target)
    const cursor = new BatchHeaderCursor(this.log, entry.position, end)
    if (entry.slot >= 0) {
      if (!cursor.next() || cursor.lastOffset !== entry.offset) throw new IndexMismatch(this.fileName)
      if (cursor.lastOffset >= target) return cursor.position
      cursor.advance()
    }
    while (cursor.next()) {
      if (cursor.lastOffset >= target) return cursor.position
      cursor.advance()
    }
    return cursor.position
  }

  /**
   * Empties the aborted-transaction index of a segment recovery scans: the index is derived from
   * the markers, and the partition's producer-state rebuild appends them again in order.
   */
  resetTxnIndexForReplay(): void {
    this.txn?.reset()
    this.txnIndexStale = true
  }

  /** Rebuilds both indexes from the log without truncating anything (derived data repair). */
  rebuildIndexes(): void {
    const result = this.recover()
    if (result.error) throw result.error
  }

  /**
   * Removes every batch with an offset ≥ `offset`: cuts the log at the start of the batch that
   * contains `offset`. Returns the segment's new `nextOffset`.
   */
  truncateTo(offset: number): number {
    if (offset >= this.nextOffset) return this.nextOffset
    const position = offset <= this.baseOffset ? 0 : this.findPosition(offset)
    return this.truncateToPosition(position)
  }

  /** Cuts the log at `position` (a batch boundary) and trims the indexes; returns nextOffset. */
  truncateToPosition(position: number): number {
    this.log.truncate(position)
    this.offsetIndex.truncateToPosition(position)
    // Re-derive nextOffset / maxTimestamp from the remaining tail.
    const cursor = new BatchHeaderCursor(this.log, 0, position)
    this.nextOffset = this.baseOffset
    this.maxTimestamp = -1
    this.firstBatchTimestamp = -1
    this.bytesSinceIndexEntry = 0
    const lastEntryPos = this.offsetIndex.lastPosition()
    while (cursor.next()) {
      if (this.firstBatchTimestamp < 0 && cursor.position === 0) this.firstBatchTimestamp = cursor.maxTimestamp
      if (cursor.maxTimestamp > this.maxTimestamp) this.maxTimestamp = cursor.maxTimestamp
      this.bytesSinceIndexEntry = cursor.position >= lastEntryPos ? this.bytesSinceIndexEntry + cursor.size : 0
      this.nextOffset = cursor.lastOffset + 1
      cursor.advance()
    }
    this.timeIndex.truncateToOffset(this.nextOffset)
    this.txn?.truncateToOffset(this.nextOffset)
    return this.nextOffset
  }

  /** Adds the final time-index entry (Kafka forces one on roll and close). */
  onBecomeInactive(): void {
    this.indexesFinal = true
    if (this.maxTimestamp >= 0 && this.nextOffset > this.baseOffset) {
      this.timeIndex.maybeAppend(this.maxTimestamp, this.nextOffset - 1)
    }
  }

  /**
   * fdatasync of the log — and of the indexes too once the segment is inactive. The active
   * segment's offset and time indexes are rebuilt after a crash, but loading trusts the indexes of
   * segments below the recovery point (after checks that a torn entry can pass), so a rolled
   * segment's final indexes must become durable with it (Kafka flushes every file of a rolled
   * segment). The aborted-transaction index is synced with the data whenever it changed: a
   * recovery point covering a marker must cover its entry, or a checkpoint taken before the
   * rolled segment's own sync would vouch for a lost entry (an aborted transaction made visible).
   */
  sync(): Promise<void> {
    let done: Promise<void>
    try {
      done = this.indexesFinal ? this.syncAll() : this.txn?.isDirty ? Promise.all([this.log.sync(), this.txn.sync()]).then(() => undefined) : this.log.sync()
    } catch (err) {
      // Failures reject, never throw: the group commit starts syncs of several segments at once.
      return Promise.reject(err)
    }
    this.syncsInFlight++
    return done.finally(() => {
      this.syncsInFlight--
      if (this.syncsInFlight === 0 && this.closeDeferred) this.closeFiles()
    })
  }

  /** fdatasync of every file on the thread pool (the cleaner's output before its swap). */
  async syncAll(): Promise<void> {
    // Write pending index entries before any sync starts: a write that fails after one sync is
    // in flight would leave that sync's promise with nobody to handle its outcome.
    this.offsetIndex.file.writePending()
    this.timeIndex.file.writePending()
    await Promise.all([this.log.sync(), this.offsetIndex.file.sync(), this.timeIndex.file.sync()])
    // The transaction index has no asynchronous sync; it is a few entries at most.
    this.txn?.syncNow()
  }

  /** Synchronous fsync of every file (clean shutdown, roll). */
  syncAllNow(): void {
    this.log.syncNow()
    this.offsetIndex.file.syncNow()
    this.timeIndex.file.syncNow()
    this.txn?.syncNow()
  }

  /**
   * Closes the files — or, while an fdatasync of them is still on the thread pool (retention or
   * truncation racing a group commit), as soon as it settles: closing a descriptor under a pending
   * fdatasync makes it fail with EBADF, or sync whatever file reuses the descriptor number.
   * Removing the files meanwhile is fine: an unlinked inode lives while it is open.
   */
  close(): void {
    if (this.syncsInFlight > 0) {
      this.closeDeferred = true
      return
    }
    this.closeFiles()
  }

  private closeFiles(): void {
    this.closeDeferred = false
    this.log.close()
    this.offsetIndex.file.close()
    this.timeIndex.file.close()
    this.txn?.close()
  }

  /**
   * Closes the segment and renames its files to `<name>.deleted` (cheap, on the event loop);
   * returns the new paths for the caller to remove in the background once the renames are
   * durable. A crash before that leaves `.deleted` files, which the loader removes.
   */
  retire(): string[] {
    this.close()
    const renamed: string[] = []
    for (const suffix of SEGMENT_FILE_SUFFIXES) {
      const path = join(this.dir, segmentFileName(this.baseOffset, suffix + this.fileSuffix))
      if (!this.io.exists(path)) continue
      this.io.rename(path, path + DELETED_SUFFIX)
      renamed.push(path + DELETED_SUFFIX)
    }
    return renamed
  }

  /** Closes and removes the segment's files. */
  delete(): void {
    this.close()
    for (const suffix of SEGMENT_FILE_SUFFIXES) {
      this.io.remove(join(this.dir, segmentFileName(this.baseOffset, suffix + this.fileSuffix)))
    }
  }
}
