/**
 * The cleaner's read-only views of inactive segments ({@link SegmentSnapshot}), handed out by
 * `PartitionLog.inactiveSegments()` and given back to `PartitionLog.replaceSegments()`.
 */
import type { LogSegment } from './segment.js'
import type { AbortedTxn } from './txn-index.js'

/**
 * A read-only view of one inactive segment as it was when the view was taken: the cleaner's
 * input. It is valid while `isCurrent()` — the segment is still part of the open log and has not
 * changed (retention, truncation or another swap may remove it between the cleaner's slices).
 */
export interface SegmentSnapshot {
  readonly baseOffset: number
  /** One past the last offset stored in the segment. */
  readonly nextOffset: number
  readonly sizeBytes: number
  /** Largest record timestamp, or the segment's creation time when it holds none. */
  readonly maxTimestampMs: number
  readonly offsetIndexEntries: number
  readonly timeIndexEntries: number
  /** The segment's aborted-transaction entries (empty without a `.txnindex`). */
  readonly abortedTxns: readonly AbortedTxn[]
  isCurrent(): boolean
  /**
   * Reads up to `length` raw bytes of the `.log` at `position` into `target[targetOffset…]`;
   * returns the bytes read. Only while `isCurrent()`; system errors are thrown as they are.
   */
  read(target: Uint8Array, targetOffset: number, length: number, position: number): number
  /** Position of the first batch whose last offset is ≥ `offset`; `sizeBytes` when none is. */
  positionOf(offset: number): number
}

/** What {@link PartitionLog.replaceSegments} did. */
export type SegmentReplaceOutcome =
  /** The cleaned segment is live; the replaced ones are gone. */
  | 'replaced'
  /** A replaced segment changed or left the log since it was read: nothing was done. */
  | 'stale'
  /** A replaced segment has an fsync pending or in flight: nothing was done; flush and retry. */
  | 'busy'

/** The one implementation of {@link SegmentSnapshot}; `segment` is for the owning log only. */
export class InactiveSegmentView implements SegmentSnapshot {
  readonly baseOffset: number
  readonly nextOffset: number
  readonly sizeBytes: number
  readonly maxTimestampMs: number
  readonly offsetIndexEntries: number
  readonly timeIndexEntries: number
  readonly abortedTxns: readonly AbortedTxn[]

  constructor(
    readonly segment: LogSegment,
    private readonly isLive: (segment: LogSegment, sizeBytes: number) => boolean,
    private readonly locate: (segment: LogSegment, offset: number) => number,
  ) {
    this.baseOffset = segment.baseOffset
    this.nextOffset = segment.nextOffset
    this.sizeBytes = segment.sizeBytes
    this.maxTimestampMs = segment.maxTimestamp >= 0 ? segment.maxTimestamp : segment.createdAtMs
    this.offsetIndexEntries = segment.offsetIndex.entries
    this.timeIndexEntries = segment.timeIndex.entries
    this.abortedTxns = segment.hasTxnIndex() ? [...segment.txnIndex().entries] : []
  }

  isCurrent(): boolean {
    return this.isLive(this.segment, this.sizeBytes)
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    return this.segment.log.read(target, targetOffset, Math.min(length, this.sizeBytes - position), position)
  }

  positionOf(offset: number): number {
    return this.locate(this.segment, offset)
  }
}
