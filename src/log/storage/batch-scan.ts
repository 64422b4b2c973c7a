/**
 * Sequential readers over a segment's `.log` file: a header cursor for lookups (reads 64 KiB
 * chunks, parses only batch headers) and a validating scanner for recovery and index rebuilds
 * (reads 4 MiB chunks, checks every batch's structure and CRC).
 */
import type { FileHandle } from './file-io.js'
import {
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
  validateBatchAt,
} from '../record/record-batch-v2.js'
import { isMillraceError, logError, type LogError } from '../errors.js'

/**
 * A lookup usually needs one header (the indexed batch) plus the few batches of one index
 * interval, so the cursor starts with a chunk that Node's small-buffer pool serves and grows it
 * 4x per refill for long walks (recovery tails, index rebuilds).
 */
const FIRST_HEADER_CHUNK_BYTES = 4000
const MAX_HEADER_CHUNK_BYTES = 64 * 1024
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024

/**
 * Walks batch headers from `position` to `end`. `next()` loads the header at the current position
 * and returns false at the end, or when the bytes there are not a plausible batch header (the
 * caller decides whether that means corruption). No CRC check.
 */
export class BatchHeaderCursor {
  position: number
  size = 0
  baseOffset = 0
  lastOffset = 0
  maxTimestamp = -1
  private chunk: Buffer
  private chunkStart = 0
  private chunkEnd = 0

  constructor(
    private readonly file: FileHandle,
    start: number,
    private readonly end: number,
  ) {
    this.position = start
    this.chunk = Buffer.allocUnsafe(FIRST_HEADER_CHUNK_BYTES)
  }

  next(): boolean {
    const pos = this.position
    if (pos + BATCH_HEADER_BYTES > this.end) return false
    if (pos < this.chunkStart || pos + BATCH_HEADER_BYTES > this.chunkEnd) {
      if (this.chunkEnd > this.chunkStart && this.chunk.length < MAX_HEADER_CHUNK_BYTES) {
        this.chunk = Buffer.allocUnsafe(Math.min(this.chunk.length * 4, MAX_HEADER_CHUNK_BYTES))
      }
      const n = this.file.read(this.chunk, 0, Math.min(this.chunk.length, this.end - pos), pos)
      this.chunkStart = pos
      this.chunkEnd = pos + n
      if (n < BATCH_HEADER_BYTES) return false
    }
    const at = pos - this.chunkStart
    const c = this.chunk
    const size = batchSizeAt(c, at)
    if (size < BATCH_HEADER_BYTES || pos + size > this.end || c[at + MAGIC_OFFSET] !== MAGIC_V2) return false
    const base = baseOffsetAt(c, at)
    const delta = lastOffsetDeltaAt(c, at)
    if (base === undefined || delta < 0) return false
    this.size = size
    this.baseOffset = base
    this.lastOffset = base + delta
    this.maxTimestamp = maxTimestampAt(c, at) ?? -1
    return true
  }

  advance(): void {
    this.position += this.size
  }

  /** The header bytes of the batch `next()` loaded (a view into the cursor's chunk, valid until the next `next()`). */
  header(): Uint8Array {
    const at = this.position - this.chunkStart
    return this.chunk.subarray(at, at + BATCH_HEADER_BYTES)
  }
}

/** One batch seen by {@link scanBatches}: a view of its bytes and where it sits in the file. */
export interface ScannedBatch {
  bytes: Uint8Array
  /** Start of the batch inside `bytes`. */
  offsetInBytes: number
  size: number
  filePosition: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
}

export interface ScanResult {
  /** Position just past the last valid batch. */
  validEnd: number
  /**
   * One past the last offset of the valid batches in [start, validEnd) (`firstOffset` when there
   * are none): the first offset a cut at `validEnd` would drop. Use this, not offsets taken from
   * `onBatch`, to judge the damage: see the order check in {@link scanBatches}.
   */
  nextOffset: number
  /** Why scanning stopped before the end of the file, if it did. */
  error?: LogError
}

/**
 * Largest `lastOffset − base offset` a segment can hold: index entries store it as an int32
 * (`LogSegment.canHold`). A batch beyond it cannot belong to the segment.
 */
const MAX_RELATIVE_OFFSET = 0x7fff_ffff

/**
 * Validates batches (structure + CRC-32C) from `start` to the end of the file, calling `onBatch`
 * for each valid one in order. Stops at the first invalid or incomplete batch. Offsets must
 * strictly increase from batch to batch (compaction leaves gaps, never overlaps) and lie in
 * [`firstOffset`, `firstOffset` + 2^31 − 1] (the segment's base offset and its int32 range).
 *
 * baseOffset is outside the CRC, so when two batches break the order the scanner cannot tell
 * which one is damaged: one whose baseOffset was raised passes, and the order breaks at the next.
 * The previous batch is then not trusted either — `validEnd` is its start (already reported to
 * `onBatch`: callers must use `validEnd`/`nextOffset`, not the offsets they saw, when cutting or
 * judging). Otherwise a single flipped bit could renumber a batch, and make recovery take data
 * below the recovery point for a torn tail above it.
 */
export function scanBatches(
  file: FileHandle,
  start: number,
  onBatch: (batch: ScannedBatch) => void,
  fileName = file.path,
  firstOffset = 0,
): ScanResult {
  const end = file.size()
  let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(end - start, BATCH_HEADER_BYTES)))
  let chunkPos = start // file position of chunk[0]
  let chunkLen = 0
  let pos = start
  let prevLast = firstOffset - 1
  // The start of the last accepted batch (−1: none yet) and the last offset before it.
  let prevPos = -1
  let lastBeforePrev = firstOffset - 1
  const scanned: ScannedBatch = {
    bytes: chunk,
    offsetInBytes: 0,
    size: 0,
    filePosition: 0,
    baseOffset: 0,
    lastOffset: 0,
    maxTimestamp: -1,
  }
  while (pos < end) {
    let at = pos - chunkPos
    if (at + LOG_OVERHEAD > chunkLen) {
      chunkPos = pos
      chunkLen = file.read(chunk, 0, Math.min(chunk.length, end - pos), pos)
      at = 0
    }
    if (at + LOG_OVERHEAD > chunkLen) return stop(pos, 'truncated batch header', prevLast + 1)
    const size = batchSizeAt(chunk, at)
    if (size >= BATCH_HEADER_BYTES && at + size > chunkLen && pos + size <= end) {
      if (size > chunk.length) chunk = Buffer.allocUnsafe(size)
      chunkPos = pos
      chunkLen = file.read(chunk, 0, Math.min(chunk.length, end - pos), pos)
      at = 0
      scanned.bytes = chunk
    }
    try {
      validateBatchAt(chunk, at, Math.min(chunkLen, at + Math.max(size, 0)), pos - at)
    } catch (err) {
      if (isMillraceError(err, 'LOG_CORRUPT_BATCH')) return { validEnd: pos, nextOffset: prevLast + 1, error: withFile(err, fileName) }
      throw err
    }
    const base = baseOffsetAt(chunk, at) as number
    const last = base + lastOffsetDeltaAt(chunk, at)
    if (base <= prevLast) {
      const reason = `offset ${base} at position ${pos} does not follow ${prevLast}`
      // Either this batch's baseOffset or the previous one's is damaged: distrust both.
      return prevPos < 0 ? stop(pos, reason, prevLast + 1) : stop(prevPos, reason, lastBeforePrev + 1)
    }
    if (last - firstOffset > MAX_RELATIVE_OFFSET) {
      return stop(pos, `offset ${last} is beyond the range of the segment based at ${firstOffset}`, prevLast + 1)
    }
    scanned.bytes = chunk
    scanned.offsetInBytes = at
    scanned.size = size
    scanned.filePosition = pos
    scanned.baseOffset = base
    scanned.lastOffset = last
    scanned.maxTimestamp = maxTimestampAt(chunk, at) ?? -1
    lastBeforePrev = prevLast
    prevPos = pos
    prevLast = last
    onBatch(scanned)
    pos += size
  }
  return { validEnd: pos, nextOffset: prevLast + 1 }

  function stop(position: number, reason: string, nextOffset: number): ScanResult {
    return {
      validEnd: position,
      nextOffset,
      error: logError('LOG_CORRUPT_BATCH', `corrupt batch in ${fileName} at position ${position}: ${reason}`, {
        file: fileName,
        position,
        reason,
      }),
    }
  }
}

function withFile(err: LogError, file: string): LogError {
  return logError('LOG_CORRUPT_BATCH', `${err.message} in ${file}`, { ...err.details, file }, err)
}
