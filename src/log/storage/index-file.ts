/**
 * The file behind a sparse index (offset or time index): fixed-size entries held in memory by the
 * index and appended to the file in runs — every {@link INDEX_WRITE_EVERY_ENTRIES} entries, and
 * on sync and close. One write per entry doubled the syscalls of an append and was ~40% of
 * recovery time. A file that lags its log after a crash stays consistent: lookups walk the batches
 * after its last entry, and recovery rebuilds what it must.
 */
import type { FileHandle } from './file-io.js'

/** Entries held in memory before they are written to the index file in one append. */
export const INDEX_WRITE_EVERY_ENTRIES = 64

export class IndexFile {
  /** Entries [0, written) are in the file. */
  private written = 0

  /**
   * @param entries how many entries the index holds in memory now
   * @param encode writes entries [from, from + count) into `target` (count × entryBytes bytes)
   */
  constructor(
    private readonly file: FileHandle,
    private readonly entryBytes: number,
    private readonly entries: () => number,
    private readonly encode: (from: number, count: number, target: Buffer) => void,
  ) {}

  /** The whole file, or undefined when its size is not a whole number of entries. */
  readAll(): Buffer | undefined {
    const size = this.file.size()
    if (size % this.entryBytes !== 0) return undefined
    const bytes = Buffer.allocUnsafe(size)
    return this.file.read(bytes, 0, size, 0) === size ? bytes : undefined
  }

  /** The index loaded `count` entries from the file. */
  markLoaded(count: number): void {
    this.written = count
  }

  /** Called after an entry was added: writes a run once enough are pending. */
  entryAdded(): void {
    if (this.entries() - this.written >= INDEX_WRITE_EVERY_ENTRIES) this.writePending()
  }

  /** Appends the entries not yet in the file, in one write. */
  writePending(): void {
    const count = this.entries()
    const n = count - this.written
    if (n <= 0) return
    const b = Buffer.allocUnsafe(n * this.entryBytes)
    this.encode(this.written, n, b)
    this.file.append(b)
    this.written = count
  }

  /** The index now holds its first `count` entries only. */
  truncatedTo(count: number): void {
    if (count >= this.written) return
    this.written = count
    this.file.truncate(count * this.entryBytes)
  }

  reset(): void {
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
}
