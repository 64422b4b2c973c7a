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
 * written to its file in runs of entries (see {@link IndexFile}), and is rebuilt from the log
 * whenever it fails the sanity checks of {@link OffsetIndex.load} or a lookup finds it pointing at
 * the wrong batch.
 */
import type { FileHandle } from './file-io.js'
import { IndexFile } from './index-file.js'
import { readInt32At } from '../binary/reader.js'

export const OFFSET_INDEX_ENTRY_BYTES = 8

export class OffsetIndex {
  private relOffsets: Int32Array
  private positions: Int32Array
  private count = 0
  /** The index's file: writes, syncs and closes go through it. */
  readonly file: IndexFile

  constructor(
    readonly baseOffset: number,
    handle: FileHandle,
    readonly maxEntries: number,
  ) {
    this.relOffsets = new Int32Array(64)
    this.positions = new Int32Array(64)
    this.file = new IndexFile(handle, OFFSET_INDEX_ENTRY_BYTES, () => this.count, (from, n, b) => {
      for (let i = 0; i < n; i++) {
        b.writeInt32BE(this.relOffsets[from + i] as number, i * 8)
        b.writeInt32BE(this.positions[from + i] as number, i * 8 + 4)
      }
    })
  }

  /**
   * Loads entries from the file; returns false (leaving the index empty) when the file fails the
   * sanity checks: size a multiple of 8, offsets and positions strictly increasing, positions
   * inside the segment (`logSizeBytes`).
   */
  load(logSizeBytes: number): boolean {
    const bytes = this.file.readAll()
    if (bytes === undefined) return false
    const n = bytes.length / OFFSET_INDEX_ENTRY_BYTES
    if (n > this.maxEntries) return false
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
    this.file.markLoaded(this.count)
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
    this.file.entryAdded()
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
    this.file.truncatedTo(n)
  }

  /** Empties the index and its file. */
  reset(): void {
    this.count = 0
    this.file.reset()
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
