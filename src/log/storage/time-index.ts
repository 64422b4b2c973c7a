/**
 * Sparse time index of one segment (Kafka `TimeIndex`), file `<base>.timeindex`.
 *
 * ```
 * entry (12 bytes, big-endian), repeated:
 *   0  int64  timestamp        the segment's max record timestamp so far
 *   8  int32  relativeOffset   last offset of the batch that brought it − segment base offset
 * ```
 * Invariant: every record with offset ≤ entry offset has timestamp ≤ entry timestamp. So for a
 * target timestamp T, the earliest record with timestamp ≥ T lies after the greatest entry whose
 * timestamp is < T. Entries are made at offset-index points when the max timestamp grew, plus one
 * final entry when the segment is rolled or closed. Derived data, rebuilt like the offset index,
 * and written to its file in runs of entries like it.
 */
import type { FileHandle } from './file-io.js'
import { readInt32At, readInt64At } from '../binary/reader.js'
import { writeInt64At } from '../binary/writer.js'
import { IndexFile } from './index-file.js'

export const TIME_INDEX_ENTRY_BYTES = 12

export class TimeIndex {
  private timestamps: Float64Array
  private relOffsets: Int32Array
  private count = 0
  /** The index's file: writes, syncs and closes go through it. */
  readonly file: IndexFile

  constructor(
    readonly baseOffset: number,
    handle: FileHandle,
    readonly maxEntries: number,
  ) {
    this.timestamps = new Float64Array(32)
    this.relOffsets = new Int32Array(32)
    this.file = new IndexFile(handle, TIME_INDEX_ENTRY_BYTES, () => this.count, (from, n, b) => {
      for (let i = 0; i < n; i++) {
        writeInt64At(b, i * 12, this.timestamps[from + i] as number)
        b.writeInt32BE(this.relOffsets[from + i] as number, i * 12 + 8)
      }
    })
  }

  /** Loads and sanity-checks the file (size multiple of 12, both fields non-decreasing/increasing). */
  load(maxRelativeOffset: number): boolean {
    const bytes = this.file.readAll()
    if (bytes === undefined) return false
    const n = bytes.length / TIME_INDEX_ENTRY_BYTES
    if (n > this.maxEntries) return false
    this.count = 0
    let prevTs = -Infinity
    let prevRel = -1
    for (let i = 0; i < n; i++) {
      const ts = readInt64At(bytes, i * 12)
      const rel = readInt32At(bytes, i * 12 + 8)
      if (ts === undefined || ts < prevTs || rel < prevRel || rel < 0 || rel > maxRelativeOffset) {
        this.count = 0
        return false
      }
      this.push(ts, rel)
      prevTs = ts
      prevRel = rel
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

  /** Timestamp of the last entry (the segment's max timestamp when the index is complete). */
  lastTimestamp(): number | undefined {
    return this.count === 0 ? undefined : this.timestamps[this.count - 1]
  }

  lastOffset(): number | undefined {
    return this.count === 0 ? undefined : this.baseOffset + (this.relOffsets[this.count - 1] as number)
  }

  /** Adds (timestamp, offset) when it extends the index; ignores entries that would not. */
  maybeAppend(timestamp: number, offset: number): void {
    const rel = offset - this.baseOffset
    if (this.count > 0) {
      const lastTs = this.timestamps[this.count - 1] as number
      const lastRel = this.relOffsets[this.count - 1] as number
      if (timestamp <= lastTs || rel < lastRel) return
      if (rel === lastRel) {
        // Same offset, larger timestamp: cannot happen for one batch; keep the index monotonic.
        return
      }
    }
    if (this.isFull()) return
    this.push(timestamp, rel)
    this.file.entryAdded()
  }

  /**
   * The last offset known to hold only records with timestamps < `target`, i.e. the offset of
   * the greatest entry with timestamp < target; `baseOffset − 1` when there is none.
   */
  lookupBefore(target: number): number {
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.timestamps[mid] as number) < target) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? this.baseOffset - 1 : this.baseOffset + (this.relOffsets[found] as number)
  }

  /** Drops entries whose offset is ≥ `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.count
    while (n > 0 && this.baseOffset + (this.relOffsets[n - 1] as number) >= offset) n--
    if (n === this.count) return
    this.count = n
    this.file.truncatedTo(n)
  }

  reset(): void {
    this.count = 0
    this.file.reset()
  }

  private push(ts: number, rel: number): void {
    if (this.count === this.timestamps.length) {
      const size = this.count * 2
      const t = new Float64Array(size)
      t.set(this.timestamps)
      const r = new Int32Array(size)
      r.set(this.relOffsets)
      this.timestamps = t
      this.relOffsets = r
    }
    this.timestamps[this.count] = ts
    this.relOffsets[this.count] = rel
    this.count++
  }
}
