/**
 * Buffers for segment reads. On this machine a `read(2)` into a page-aligned destination is ~5x
 * slower than into one that starts a few bytes into a page (perf-anchor note 3), so reads go
 * into views of pooled slabs that never start on a page boundary. Views are handed out by bump
 * allocation and never reused: a slab is garbage once no view of it is alive, so a caller may
 * keep a fetched view as long as it likes.
 */
const PAGE_BYTES = 4096
const MISALIGN_BYTES = 64

export class ReadBufferPool {
  private slab: Buffer
  private cursor: number

  constructor(private readonly slabBytes = 4 * 1024 * 1024) {
    this.slab = Buffer.allocUnsafeSlow(slabBytes)
    this.cursor = MISALIGN_BYTES
  }

  /** A fresh, non-page-aligned view of `length` bytes. */
  take(length: number): Buffer {
    if (length > this.slabBytes / 4) {
      return Buffer.allocUnsafeSlow(length + MISALIGN_BYTES).subarray(MISALIGN_BYTES, MISALIGN_BYTES + length)
    }
    let start = this.cursor
    if (start + length + MISALIGN_BYTES > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes)
      start = MISALIGN_BYTES
    }
    if ((this.slab.byteOffset + start) % PAGE_BYTES === 0) start += MISALIGN_BYTES
    this.cursor = (start + length + 7) & ~7
    return this.slab.subarray(start, start + length)
  }
}
