/**
 * Sparse offset index of one segment (Kafka `OffsetIndex`), file `<base>.index`.
 *
 * ```
 * entry (8 bytes, big-endian), repeated:
 *   0  int32  relativeOffset   last offset of the indexed batch − segment base offset
 *   4  int32  position         byte position of that batch in the segment's .log
 * ```
 * An entry is added when more than `index.interval.bytes` were appended since the previous one,
 * so lookups scan at most ~one interval of batches. Entries strictly increase in both fields.
 * The index is derived data: it has no checksum, is kept in memory (Kafka memory-maps it), is
 * written to its file in runs of entries (every {@link INDEX_WRITE_EVERY_ENTRIES} entries, and on
 * sync and close — one write per entry doubled the syscalls of an append and was 40% of recovery
 * time), and is rebuilt from the log whenever it fails the sanity checks of
 * {@link OffsetIndex.load} or a lookup finds it pointing at the wrong batch. A file that lags the
 * log after a crash is still consistent: lookups walk the batches after its last entry.
 */
import type { FileHandle } from './file-io.js'
import { readInt32At } from '../binary/reader.js'

export const OFFSET_INDEX_ENTRY_BYTES = 8
/** Entries held in memory before they are written to the index file in one append. */
export const INDEX_WRITE_EVERY_ENTRIES = 64

export class OffsetIndex {
  private relOffsets: Int32Array
  private positions: Int32Array
  private count = 0
  /** Entries [0, written) are in the file. */
  private written = 0

  constructor(
    readonly baseOffset: number,
    private file: FileHandle,
    readonly maxEntries: number,
  ) {
    this.relOffsets = new Int32Array(64)
    this.positions = new Int32Array(64)
  }

  /**
   * Loads entries from the file; returns false (leaving the index empty) when the file fails the
   * sanity checks: size a multiple of 8, offsets and positions strictly increasing, positions
   * inside the segment (`logSizeBytes`).
   */
  load(logSizeBytes: number): boolean {
    const size = this.file.size()
    if (size % OFFSET_INDEX_ENTRY_BYTES !== 0) return false
    const n = size / OFFSET_INDEX_ENTRY_BYTES
    if (n > this.maxEntries) return false
    const bytes = Buffer.allocUnsafe(size)
    if (this.file.read(bytes, 0, size, 0) !== size) return false
    let prevRel = -1
    let prevPos = -1
    this.count = 0
    for (let i = 0; i < n; i++) {
      const rel = readInt32At(bytes, i * 8)
      const pos = readInt32At(bytes, i * 8 + 4)
      if (rel <= prevRel || pos <= prevPos || pos >= logSizeBytes || rel < 0) {
        this.count = 0
        return false
      }
      this.push(rel, pos)
      prevRel = rel
      prevPos = pos
    }
    this.written = this.count
    return true
  }

  get entries(): number {
    return this.count
  }

  isFull(): boolean {
    return this.count >= this.maxEntries
  }

  /** Offset of the last entry, or undefined when empty. */
  lastOffset(): number | undefined {
    return this.count === 0 ? undefined : this.baseOffset + (this.relOffsets[this.count - 1] as number)
  }

  lastPosition(): number {
    return this.count === 0 ? 0 : (this.positions[this.count - 1] as number)
  }

  /** Records that the batch whose last offset is `offset` starts at `position`. */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset
    this.push(rel, position)
    if (this.count - this.written >= INDEX_WRITE_EVERY_ENTRIES) this.writePending()
  }

  /** Appends the entries not yet in the file, in one write. */
  writePending(): void {
    const n = this.count - this.written
    if (n <= 0) return
    const b = Buffer.allocUnsafe(n * OFFSET_INDEX_ENTRY_BYTES)
    for (let i = 0; i < n; i++) {
      b.writeInt32BE(this.relOffsets[this.written + i] as number, i * 8)
      b.writeInt32BE(this.positions[this.written + i] as number, i * 8 + 4)
    }
    this.file.append(b)
    this.written = this.count
  }

  /**
   * The greatest entry whose offset is ≤ `target`, as `[offset, position]`; or the segment
   * start when none is.
   */
  lookup(target: number): { offset: number; position: number; slot: number } {
    const rel = target - this.baseOffset
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.relOffsets[mid] as number) <= rel) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    if (found < 0) return { offset: this.baseOffset - 1, position: 0, slot: -1 }
    return {
      offset: this.baseOffset + (this.relOffsets[found] as number),
      position: this.positions[found] as number,
      slot: found,
    }
  }

  /** Drops entries whose position is ≥ `position` (after the log was truncated there). */
  truncateToPosition(position: number): void {
    let n = this.count
    while (n > 0 && (this.positions[n - 1] as number) >= position) n--
    if (n === this.count) return
    this.count = n
    if (n < this.written) {
      this.written = n
      this.file.truncate(n * OFFSET_INDEX_ENTRY_BYTES)
    }
  }

  /** Empties the index and its file. */
  reset(): void {
    this.count = 0
    this.written = 0
    this.file.truncate(0)
  }

  /** Writes pending entries, then fdatasyncs; failures of either reject (never throw). */
  sync(): Promise<void> {
    try {
      this.writePending()
      return this.file.sync()
    } catch (err) {
      return Promise.reject(err)
    }
  }

  syncNow(): void {
    this.writePending()
    this.file.syncNow()
  }

  close(): void {
    this.writePending()
    this.file.close()
  }

  private push(rel: number, pos: number): void {
    if (this.count === this.relOffsets.length) {
      const size = this.relOffsets.length * 2
      const r = new Int32Array(size)
      r.set(this.relOffsets)
      const p = new Int32Array(size)
      p.set(this.positions)
      this.relOffsets = r
      this.positions = p
    }
    this.relOffsets[this.count] = rel
    this.positions[this.count] = pos
    this.count++
  }
}
