/**
 * A synchronous iterator over a range of a RocksDB store: one native iterator (a consistent view
 * of the database as of its creation, so writes made while it is open are not seen — the same
 * snapshot rule as the in-memory backend) read in chunks with the binding's `_nextvSync`.
 *
 * Chunks grow 16 → 64 → 256 → 1024 entries: a short scan (a prefix lookup, a window fetch) copies
 * little more than it uses, and a long one crosses into native code once per 1024 entries. The
 * native iterator is closed as soon as its last chunk is read, so an exhausted iterator pins no
 * memtable or SST file even if the caller never calls `close()`.
 */
import type { RocksIterator } from '@nxtedition/rocksdb'
import type { BytesIterator } from '../bytes-store.js'

const FIRST_CHUNK_ENTRIES = 16
const MAX_CHUNK_ENTRIES = 1024
const CHUNK_GROWTH = 4
/** Passed to `_nextvSync`, which takes (and ignores) an options object. */
const NO_OPTIONS = Object.freeze({})

type Entry = { readonly key: Uint8Array; readonly value: Uint8Array }
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })

/** What an iterator needs from its backend. @internal */
export interface RocksDbIteratorOwner {
  /** @throws `STREAMS_ILLEGAL_STATE` once the store is closed. */
  checkOpen(operation: string): void
  /** The typed error for a failed native call. */
  failure(operation: string, cause: unknown): Error
  /** Called once per iterator, when it is closed or runs out. */
  iteratorDone(): void
  /** Releases a native iterator (synchronously; the binding's promise only detaches it). */
  releaseNative(native: RocksIterator): void
}

export class RocksDbIterator implements BytesIterator {
  private rows: readonly Buffer[] = []
  private position = 0
  private chunkEntries = FIRST_CHUNK_ENTRIES
  private closed = false

  /** `native` is `undefined` for a range known to be empty. */
  constructor(
    private readonly owner: RocksDbIteratorOwner,
    private native: RocksIterator | undefined,
  ) {}

  /**
   * @throws `STREAMS_ILLEGAL_STATE` when the store was closed while this iterator was open, or a
   * native read failed (the iterator is closed then).
   */
  next(): IteratorResult<Entry, undefined> {
    if (this.closed) return DONE
    this.owner.checkOpen('iterator.next')
    if (this.position === this.rows.length && !this.fill()) {
      this.close()
      return DONE
    }
    const key = this.rows[this.position] as Buffer
    const value = this.rows[this.position + 1] as Buffer
    this.position += 2
    return { done: false, value: { key, value } }
  }

  /** Called by `for…of` when the loop ends early (`break`, `return`, a throw): closes the iterator. */
  return(): IteratorResult<Entry, undefined> {
    this.close()
    return DONE
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.rows = []
    this.dropNative()
    this.owner.iteratorDone()
  }

  [Symbol.iterator](): this {
    return this
  }

  /** Reads the next chunk; false when the range is exhausted. */
  private fill(): boolean {
    const native = this.native
    if (native === undefined) return false
    let chunk: { rows: Buffer[]; finished: boolean }
    try {
      chunk = native._nextvSync(this.chunkEntries, NO_OPTIONS)
    } catch (err) {
      this.close()
      throw this.owner.failure('iterator.next', err)
    }
    this.chunkEntries = Math.min(this.chunkEntries * CHUNK_GROWTH, MAX_CHUNK_ENTRIES)
    if (chunk.finished) this.dropNative()
    this.rows = chunk.rows
    this.position = 0
    return chunk.rows.length > 0
  }

  private dropNative(): void {
    const native = this.native
    if (native === undefined) return
    this.native = undefined
    this.owner.releaseNative(native)
  }
}
