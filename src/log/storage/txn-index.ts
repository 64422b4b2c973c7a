/**
 * Aborted-transaction index of one segment (Kafka `TransactionIndex` / `AbortedTxn`), file
 * `<base>.txnindex`. One entry per aborted transaction whose ABORT marker lies in the segment.
 *
 * ```
 * entry (34 bytes, big-endian), repeated:
 *   0  int16  version           0
 *   2  int64  producerId
 *  10  int64  firstOffset       first offset of the transaction (may be in an earlier segment)
 *  18  int64  lastOffset        offset of the ABORT marker
 *  26  int64  lastStableOffset  the partition's LSO when the abort completed
 * ```
 * The transactions layer fills it; read_committed fetches use {@link TransactionIndex.collect}.
 */
import type { FileHandle } from './file-io.js'
import { readBigInt64At, readInt16At, readInt64At } from '../binary/reader.js'
import { writeInt64At } from '../binary/writer.js'

export const TXN_INDEX_ENTRY_BYTES = 34
const TXN_INDEX_VERSION = 0

export interface AbortedTxn {
  producerId: bigint
  firstOffset: number
  lastOffset: number
  lastStableOffset: number
}

export class TransactionIndex {
  private items: AbortedTxn[] = []
  /** Changed since the last sync: the next fsync of the segment's data must sync this file too. */
  private dirty = false

  constructor(private file: FileHandle) {}

  /** Loads entries; false when the file is malformed (wrong size, bad version, offsets out of order). */
  load(): boolean {
    const size = this.file.size()
    if (size % TXN_INDEX_ENTRY_BYTES !== 0) return false
    const bytes = Buffer.allocUnsafe(size)
    if (this.file.read(bytes, 0, size, 0) !== size) return false
    const items: AbortedTxn[] = []
    for (let at = 0; at < size; at += TXN_INDEX_ENTRY_BYTES) {
      if (readInt16At(bytes, at) !== TXN_INDEX_VERSION) return false
      const firstOffset = readInt64At(bytes, at + 10)
      const lastOffset = readInt64At(bytes, at + 18)
      const lastStableOffset = readInt64At(bytes, at + 26)
      if (firstOffset === undefined || lastOffset === undefined || lastStableOffset === undefined) return false
      if (lastOffset < firstOffset) return false
      items.push({ producerId: readBigInt64At(bytes, at + 2), firstOffset, lastOffset, lastStableOffset })
    }
    this.items = items
    return true
  }

  get entries(): readonly AbortedTxn[] {
    return this.items
  }

  append(txn: AbortedTxn): void {
    const b = Buffer.allocUnsafe(TXN_INDEX_ENTRY_BYTES)
    b.writeInt16BE(TXN_INDEX_VERSION, 0)
    writeInt64At(b, 2, txn.producerId)
    writeInt64At(b, 10, txn.firstOffset)
    writeInt64At(b, 18, txn.lastOffset)
    writeInt64At(b, 26, txn.lastStableOffset)
    this.file.append(b)
    this.dirty = true
    this.items.push({ ...txn })
  }

  /**
   * Aborted transactions overlapping `[fetchOffset, upperBoundOffset)`; `complete` is true when an
   * entry's lastStableOffset reached the upper bound, i.e. later segments need not be searched.
   */
  collect(fetchOffset: number, upperBoundOffset: number): { aborted: AbortedTxn[]; complete: boolean } {
    const aborted: AbortedTxn[] = []
    for (const t of this.items) {
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) aborted.push(t)
      if (t.lastStableOffset >= upperBoundOffset) return { aborted, complete: true }
    }
    return { aborted, complete: false }
  }

  /** Drops entries whose marker offset is ≥ `offset`. */
  truncateToOffset(offset: number): void {
    const keep = this.items.filter((t) => t.lastOffset < offset)
    if (keep.length === this.items.length) return
    this.items = keep
    this.file.truncate(keep.length * TXN_INDEX_ENTRY_BYTES)
    this.dirty = true
  }

  reset(): void {
    this.items = []
    this.file.truncate(0)
    this.dirty = true
  }

  get isDirty(): boolean {
    return this.dirty
  }

  /** fdatasync on the thread pool; covers every change made before the call. */
  sync(): Promise<void> {
    this.dirty = false
    return this.file.sync().catch((err: unknown) => {
      this.dirty = true
      throw err
    })
  }

  syncNow(): void {
    this.file.syncNow()
    this.dirty = false
  }

  close(): void {
    this.file.close()
  }
}
