/**
 * Reads an inactive segment's `.log` in chunks of whole batches, one `read` per chunk (Kafka's
 * cleaner reads `log.cleaner.io.buffer.size` at a time). The buffer is reused: a chunk's bytes
 * are valid until the next call, so callers copy what they keep. Only a batch larger than the
 * buffer grows it (to that batch's size).
 */
import { logError } from '../errors.js'
import { BATCH_HEADER_BYTES, LOG_OVERHEAD, batchSizeAt } from '../record/record-batch-v2.js'
import type { SegmentSnapshot } from '../storage/partition-log.js'

/** Default read size: Kafka's `log.cleaner.io.buffer.size` (512 KiB) doubled for one buffer. */
export const DEFAULT_CLEANER_IO_BUFFER_BYTES = 1024 * 1024

export interface SegmentChunk {
  /** Whole batches. */
  bytes: Uint8Array
  /** Position of `bytes[0]` in the segment file. */
  filePosition: number
}

export class SegmentChunkReader {
  private buf: Buffer
  private position: number

  constructor(
    private readonly segment: SegmentSnapshot,
    start: number,
    bufferBytes: number = DEFAULT_CLEANER_IO_BUFFER_BYTES,
  ) {
    this.position = start
    this.buf = Buffer.allocUnsafe(Math.max(bufferBytes, BATCH_HEADER_BYTES))
  }

  /**
   * The next chunk, or undefined at the end of the segment.
   * @throws LOG_CORRUPT_BATCH (details: segmentBaseOffset, position) when a batch length is
   *   impossible or runs past the end of the segment.
   */
  next(): SegmentChunk | undefined {
    const start = this.position
    const end = this.segment.sizeBytes
    if (start >= end) return undefined
    let n = this.segment.read(this.buf, 0, Math.min(this.buf.length, end - start), start)
    let p = 0
    while (p + LOG_OVERHEAD <= n) {
      const size = batchSizeAt(this.buf, p)
      if (size < BATCH_HEADER_BYTES) throw this.corrupt(start + p, `batch length ${size - LOG_OVERHEAD}`)
      if (p + size > n) break
      p += size
    }
    if (p === 0) {
      // The first batch does not fit the buffer: read exactly that batch.
      const size = n >= LOG_OVERHEAD ? batchSizeAt(this.buf, 0) : -1
      if (size < BATCH_HEADER_BYTES || start + size > end) throw this.corrupt(start, 'batch runs past the end of the segment')
      this.buf = Buffer.allocUnsafe(size)
      n = this.segment.read(this.buf, 0, size, start)
      if (n < size) throw this.corrupt(start, 'short read')
      p = size
    }
    this.position = start + p
    return { bytes: this.buf.subarray(0, p), filePosition: start }
  }

  private corrupt(position: number, reason: string): Error {
    const base = this.segment.baseOffset
    return logError('LOG_CORRUPT_BATCH', `corrupt batch in segment ${base} at position ${position}: ${reason}`, {
      segmentBaseOffset: base,
      position,
      reason,
    })
  }
}
