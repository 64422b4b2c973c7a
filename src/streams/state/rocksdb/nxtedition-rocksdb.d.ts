/**
 * Types for the part of `@nxtedition/rocksdb` 12.2.12 this folder uses (the package ships no
 * types). The synchronous calls are the fork's extras over `abstract-level`, read from its
 * `index.js`, `iterator.js`, `chained-batch.js` and `binding.cc`; they are undocumented, which is
 * why the version is pinned exactly in package.json:
 * - `_getManySync(keys, { column })` → `binding.db_get_many_sync` (RocksDB `MultiGet` on the JS thread);
 * - `iterator(range)._nextvSync(n)` → `binding.iterator_nextv_sync` (the next `n` entries of a
 *   native iterator, which reads one consistent view of the database for its whole life);
 * - `_chainedBatch()` + `_put`/`_del`/`_clear` + `_writeSync()` → `binding.batch_write` (one
 *   `WriteBatch`, across column families, written on the JS thread).
 * Opening and closing run on the libuv threadpool (promises).
 */
declare module '@nxtedition/rocksdb' {
  /** Options of one column family (`InitOptions` in binding.cc). Sizes are bytes. */
  export interface RocksColumnOptions {
    /** Block cache of this column family (a cache of its own; 0 = none). uint32. Default 8 MiB. */
    cacheSize?: number
    /** Charge index and filter blocks to the block cache instead of keeping them on the heap. */
    cacheIndexAndFilterBlocks?: boolean
    /** `'level'` applies RocksDB's `OptimizeLevelStyleCompaction(memtableMemoryBudget)`. */
    compaction?: 'level' | 'universal'
    /** With `compaction`: write buffers of budget/4, at most 6 of them. Default 256 MiB. */
    memtableMemoryBudget?: number
    /** ZSTD with a trained dictionary when true (default); per-level settings of `compaction` win. */
    compression?: boolean
  }

  export interface RocksOpenOptions extends RocksColumnOptions {
    createIfMissing?: boolean
    errorIfExists?: boolean
    /** ZSTD-compress the write-ahead log (default true). */
    walCompression?: boolean
    /** Column families to open (created when missing); `default` must be listed with the others. */
    columns?: Record<string, RocksColumnOptions>
  }

  /** A column family handle (an N-API external). */
  export interface RocksColumn {
    readonly __rocksColumn: never
  }

  export interface RocksIteratorOptions {
    gt?: Uint8Array
    gte?: Uint8Array
    lt?: Uint8Array
    lte?: Uint8Array
    reverse?: boolean
    keyEncoding: 'buffer'
    valueEncoding: 'buffer'
  }

  export interface RocksIterator {
    /** Up to `size` entries as `[key0, value0, key1, value1, …]`; `finished` once the range is done. */
    _nextvSync(size: number, options: object): { rows: Buffer[]; finished: boolean }
    /** Closes the native iterator synchronously (the returned promise only detaches it from the db). */
    close(): Promise<void>
  }

  export interface RocksChainedBatch {
    _put(key: Uint8Array, value: Uint8Array, options: { column?: RocksColumn }): void
    _del(key: Uint8Array, options: { column?: RocksColumn }): void
    _clear(): void
    _writeSync(options: { sync?: boolean }): void
  }

  export class RocksLevel {
    constructor(location: string, options?: { keyEncoding?: 'buffer'; valueEncoding?: 'buffer' })
    readonly status: 'opening' | 'open' | 'closing' | 'closed'
    readonly columns: Readonly<Record<string, RocksColumn>>
    open(options?: RocksOpenOptions): Promise<void>
    /** Closes open iterators and batches, then the database (threadpool). */
    close(): Promise<void>
    getProperty(property: string): string
    iterator(options: RocksIteratorOptions): RocksIterator
    /** Values in key order: a Buffer, `undefined` when absent, `null` when the read was aborted. */
    _getManySync(keys: readonly Uint8Array[], options: { column?: RocksColumn }): (Buffer | undefined | null)[]
    _chainedBatch(): RocksChainedBatch
  }
}
