/**
 * The RocksDB key-value backend (Kafka Streams' `RocksDBStore`) on `@nxtedition/rocksdb`, the one
 * Node binding with synchronous reads (perf-anchor Part B (7): a threadpool hop costs ~100 µs on
 * these machines; a synchronous get ~15 µs). One RocksDB database per store directory.
 *
 * Synchronous calls (see nxtedition-rocksdb.d.ts): `get`/`getMany` are one `MultiGet`
 * (`_getManySync`), iterators read a native iterator in chunks (`_nextvSync`), and `write` is one
 * `WriteBatch` (`_writeSync`) holding the changes and the changelog offset (changelog-offset.ts:
 * its own column family, so both are applied atomically). Opening and closing are asynchronous in
 * the binding: `openRocksDbBackend` is async, and `close()`/`destroy()` return at once while the
 * native close (and the removal of a destroyed store's files) finishes on the threadpool —
 * `whenReleased()` resolves when it has. Reopening the same directory waits for that by itself.
 *
 * Durability: batches are written to the write-ahead log without fsync. A process crash loses
 * nothing (the log is in the page cache); a machine crash can lose the newest batches, and then
 * the store reflects an older changelog offset and restore replays from there — the changelog,
 * written and committed first (DESIGN.md §4), is the source of truth.
 *
 * Memory: each store takes a slot of the app's `RocksDbResources` (block cache + memtables).
 * Ownership: the caller owns the returned backend and must `close()` or `destroy()` it; values
 * returned by reads are fresh Buffers the caller may keep. One writer: the task owning the store.
 */
import { RocksLevel, type RocksChainedBatch, type RocksColumn, type RocksIterator, type RocksOpenOptions } from '@nxtedition/rocksdb'
import { existsSync, realpathSync, writeFileSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ConfigInvalidError, type ConfigProblem } from '../../../log/index.js'
import { streamsError } from '../../errors.js'
import type { BytesEntry, BytesIterator, BytesKeyValueBackend } from '../bytes-store.js'
import { CHANGELOG_OFFSET_KEY, META_COLUMN, decodeChangelogOffset, encodeChangelogOffset } from './changelog-offset.js'
import { RocksDbIterator, type RocksDbIteratorOwner } from './rocksdb-iterator.js'
import { RocksDbResources, type RocksDbSlot, type RocksDbStoreBudget } from './rocksdb-resources.js'

export interface RocksDbBackendOptions {
  /** The store's name, for errors (`<storeName>` or `<storeName>-<taskId>`). */
  readonly name: string
  /** The store's own directory, created when missing. At most one open backend per directory. */
  readonly dir: string
  /** The app's shared memory budget; the backend holds one of its slots until released. */
  readonly resources: RocksDbResources
}

/** Batches are not fsynced (see the file comment). */
const WRITE_OPTIONS = Object.freeze({ sync: false })
/** Options of a read or a batch entry in the default column family. */
const DEFAULT_COLUMN = Object.freeze({})
const BUFFERS = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const
/**
 * The meta column family holds one key, overwritten by every write: RocksDB's smallest write
 * buffer (64 KiB = budget/4) flushes it every ~1,600 writes, so it does not keep old write-ahead
 * log files alive much longer than the data does.
 */
const META_MEMTABLE_BUDGET_BYTES = 256 * 1024
/**
 * Stands in for every empty key, value and bound: a zero-length array may have no backing store,
 * and the binding hands its null data pointer to RocksDB, whose `Slice::compare` asserts (the
 * prebuilt binding keeps assertions on, so that aborts the process). A zero-length view into a
 * real buffer has a valid pointer.
 */
const EMPTY_BYTES = Buffer.alloc(8).subarray(0, 0)
const nonNull = (bytes: Uint8Array): Uint8Array => (bytes.length === 0 ? EMPTY_BYTES : bytes)
/**
 * Written into a store's directory by `destroy` before anything else: the files can only be
 * removed once the native close has finished (renaming the directory under a closing database
 * makes RocksDB's close fail), so a process that dies in between leaves the marker, and the next
 * open removes the directory and starts empty instead of reviving the destroyed store.
 */
const DESTROYED_MARKER = 'MILLRACE-DESTROYED'

/**
 * Directories with an open (or opening) backend, or one whose native close is still running:
 * RocksDB's lock file only guards against other processes and surfaces as an I/O error.
 */
interface DirClaim {
  open: boolean
  /** Resolves (never rejects) when the directory is free again. */
  settled: Promise<void>
}
const claims = new Map<string, DirClaim>()

/**
 * Opens (creating when missing) the RocksDB store in `options.dir` and reads its committed
 * changelog offset.
 * @throws `CONFIG_INVALID` for invalid options; `STREAMS_STATE_DIR_LOCKED` when the directory is
 * already open (in this process or another); `STREAMS_STATE_STORE_FAILED` when the memory budget
 * has no free slot, or RocksDB fails to open it or finds a corrupt offset (the cause is kept).
 */
export async function openRocksDbBackend(options: RocksDbBackendOptions): Promise<RocksDbKeyValueBackend> {
  checkOptions(options)
  const { name, resources } = options
  const location = resolve(options.dir)
  const key = existsSync(location) ? realpathSync(location) : location
  for (let claim = claims.get(key); claim !== undefined; claim = claims.get(key)) {
    if (claim.open) throw dirLocked(name, location, undefined)
    await claim.settled
  }
  const claim: DirClaim = { open: true, settled: Promise.resolve() }
  claims.set(key, claim)
  let slot: RocksDbSlot | undefined
  try {
    slot = await resources.acquire(name)
    const db = await openDatabase(name, location, resources.storeBudget)
    let offset: number | undefined
    try {
      offset = readOffset(db, name, location)
    } catch (err) {
      await db.close().catch((closeError: unknown) => reportBackgroundFailure(storeFailure(name, location, 'close', closeError)))
      throw err
    }
    return new RocksDbKeyValueBackend({ name, location, key, db, slot, claim, offset })
  } catch (err) {
    slot?.release()
    if (claims.get(key) === claim) claims.delete(key)
    throw err
  }
}

async function openDatabase(name: string, location: string, budget: RocksDbStoreBudget): Promise<RocksLevel> {
  try {
    if (existsSync(join(location, DESTROYED_MARKER))) await rm(location, { recursive: true, force: true })
    await mkdir(location, { recursive: true })
  } catch (err) {
    throw storeFailure(name, location, 'open', err)
  }
  const db = new RocksLevel(location, BUFFERS)
  try {
    await db.open(openOptions(budget))
  } catch (err) {
    throw isLockError(err) ? dirLocked(name, location, err) : storeFailure(name, location, 'open', err)
  }
  return db
}

/** @throws `STREAMS_ILLEGAL_STATE` when the meta column family is missing, unreadable or corrupt. */
function readOffset(db: RocksLevel, name: string, location: string): number | undefined {
  const meta = db.columns[META_COLUMN]
  if (meta === undefined) throw storeFailure(name, location, 'open', new Error(`column family ${META_COLUMN} is missing`))
  let recorded: Buffer | undefined | null
  try {
    recorded = db._getManySync([CHANGELOG_OFFSET_KEY], { column: meta })[0]
  } catch (err) {
    throw storeFailure(name, location, 'open', err)
  }
  return recorded === undefined || recorded === null ? undefined : decodeChangelogOffset(recorded, name)
}

function openOptions(budget: RocksDbStoreBudget): RocksOpenOptions {
  return {
    createIfMissing: true,
    errorIfExists: false,
    // Batches are written on the JS thread (`_writeSync`); compressing the log would cost it CPU.
    walCompression: false,
    // With `columns`, only the database-wide part of the top-level options is used; no cache for the rest.
    cacheSize: 0,
    columns: {
      default: {
        cacheSize: budget.blockCacheBytes,
        cacheIndexAndFilterBlocks: true,
        compaction: 'level',
        memtableMemoryBudget: budget.memtableBudgetBytes,
        // The level preset still compresses levels ≥ 2 with ZSTD; this only turns off dictionary training.
        compression: false,
      },
      [META_COLUMN]: { cacheSize: 0, compaction: 'level', memtableMemoryBudget: META_MEMTABLE_BUDGET_BYTES, compression: false },
    },
  }
}

interface BackendParts {
  readonly name: string
  readonly location: string
  readonly key: string
  readonly db: RocksLevel
  readonly slot: RocksDbSlot
  readonly claim: DirClaim
  readonly offset: number | undefined
}

export class RocksDbKeyValueBackend implements BytesKeyValueBackend, RocksDbIteratorOwner {
  readonly persistent = true
  readonly name: string
  /** The store's directory (absolute). */
  readonly location: string
  private readonly db: RocksLevel
  private readonly meta: RocksColumn
  private readonly slot: RocksDbSlot
  private readonly claim: DirClaim
  private readonly key: string
  /** One native `WriteBatch`, cleared after each write. */
  private readonly batch: RocksChainedBatch
  private offset: number | undefined
  private openIterators = 0
  private state: 'open' | 'closed' | 'destroyed' = 'open'
  /** Settles when the native close (and, after `destroy`, the removal of the files) has finished. */
  private released: Promise<Error | undefined> | undefined

  /** Use `openRocksDbBackend`. @internal */
  constructor(parts: BackendParts) {
    this.name = parts.name
    this.location = parts.location
    this.key = parts.key
    this.db = parts.db
    this.meta = parts.db.columns[META_COLUMN] as RocksColumn
    this.slot = parts.slot
    this.claim = parts.claim
    this.offset = parts.offset
    this.batch = parts.db._chainedBatch()
  }

  /** Iterators created and not yet closed or exhausted (Kafka's `num-open-iterators`). */
  get openIteratorCount(): number {
    return this.openIterators
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.readMany([nonNull(key)], 'get')[0]
  }

  getMany(keys: readonly Uint8Array[]): (Uint8Array | undefined)[] {
    if (keys.length > 0) return this.readMany(keys.map(nonNull), 'getMany')
    this.checkOpen('getMany')
    return []
  }

  range(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): BytesIterator {
    this.checkOpen('range')
    if (from !== undefined && to !== undefined && Buffer.compare(from, to) > 0) return this.iterate(undefined, 'range')
    // An empty lower bound is no bound at all.
    const lower = from === undefined || from.length === 0 ? {} : { gte: from }
    return this.iterate({ ...BUFFERS, reverse, ...lower, ...(to === undefined ? {} : { lte: nonNull(to) }) }, 'range')
  }

  prefixScan(prefix: Uint8Array): BytesIterator {
    this.checkOpen('prefixScan')
    const end = prefixEnd(prefix)
    return this.iterate({ ...BUFFERS, ...(prefix.length === 0 ? {} : { gte: prefix }), ...(end === undefined ? {} : { lt: end }) }, 'prefixScan')
  }

  /** RocksDB's `rocksdb.estimate-num-keys` (deletes and overwrites not yet compacted make it approximate). */
  approximateNumEntries(): number {
    this.checkOpen('approximateNumEntries')
    let estimate: string
    try {
      estimate = this.db.getProperty('rocksdb.estimate-num-keys')
    } catch (err) {
      throw this.failure('approximateNumEntries', err)
    }
    const n = Number(estimate)
    return Number.isSafeInteger(n) && n >= 0 ? n : 0
  }

  /** @throws `STREAMS_ILLEGAL_STATE` when closed, for an invalid offset, or when RocksDB fails (nothing is applied then). */
  write(batch: readonly BytesEntry[], changelogOffset: number | undefined): void {
    this.checkOpen('write')
    if (changelogOffset !== undefined && !(Number.isSafeInteger(changelogOffset) && changelogOffset >= 0)) {
      throw streamsError('STREAMS_ILLEGAL_STATE', `state store ${this.name}: changelog offset must be an integer in [0, 2^53-1]`, {
        store: this.name,
        offset: changelogOffset,
      })
    }
    if (batch.length === 0 && changelogOffset === undefined) return
    const native = this.batch
    try {
      for (const { key, value } of batch) {
        if (value === null) native._del(nonNull(key), DEFAULT_COLUMN)
        else native._put(nonNull(key), nonNull(value), DEFAULT_COLUMN)
      }
      if (changelogOffset !== undefined) native._put(CHANGELOG_OFFSET_KEY, encodeChangelogOffset(changelogOffset), { column: this.meta })
      native._writeSync(WRITE_OPTIONS)
    } catch (err) {
      throw this.failure('write', err)
    } finally {
      native._clear()
    }
    if (changelogOffset !== undefined) this.offset = changelogOffset
  }

  committedOffset(): number | undefined {
    this.checkOpen('committedOffset')
    return this.offset
  }

  /**
   * Stops all use of the store at once and starts the native close (open iterators are closed
   * with it; their `next()` throws from now on). Idempotent. The directory stays locked, and the
   * memory slot held, until `whenReleased()` resolves.
   */
  close(): void {
    if (this.state !== 'open') return
    this.state = 'closed'
    this.openIterators = 0
    this.claim.open = false
    this.slot.closing()
    this.released = this.db.close().then(
      () => undefined,
      (err: unknown) => this.failure('close', err),
    )
    this.settleWith(this.released)
  }

  /**
   * Closes the store and removes its directory. The removal waits for the native close, so it
   * finishes when `whenReleased()` resolves; the store counts as destroyed at once: a marker file
   * written now makes any later open (even after a crash) start empty. Idempotent, also after `close()`.
   * @throws `STREAMS_STATE_DIR_LOCKED` when the directory has been opened again since this backend
   * released it; `STREAMS_STATE_STORE_FAILED` when the marker cannot be written (the directory is
   * still removed).
   */
  destroy(): void {
    if (this.state === 'destroyed') return
    this.close()
    this.state = 'destroyed'
    const current = claims.get(this.key)
    if (current !== undefined && current !== this.claim) throw dirLocked(this.name, this.location, new Error('the directory was opened again'))
    claims.set(this.key, this.claim)
    let markError: Error | undefined
    try {
      writeFileSync(join(this.location, DESTROYED_MARKER), '')
    } catch (err) {
      // ENOENT: the directory is already gone, and so is everything to destroy.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') markError = this.failure('destroy', err)
    }
    const closed = this.released ?? Promise.resolve(undefined)
    this.released = closed.then(async (closeError) => {
      try {
        await rm(this.location, { recursive: true, force: true })
        return closeError
      } catch (err) {
        return closeError ?? this.failure('destroy', err)
      }
    })
    this.settleWith(this.released)
    if (markError !== undefined) throw markError
  }

  /**
   * Resolves when the native database is closed (and, after `destroy`, its files are removed);
   * rejects with `STREAMS_ILLEGAL_STATE` if that failed. Call after `close()`/`destroy()`.
   */
  async whenReleased(): Promise<void> {
    if (this.released === undefined) {
      throw streamsError('STREAMS_ILLEGAL_STATE', `state store ${this.name} is open (whenReleased before close)`, { store: this.name })
    }
    const err = await this.released
    if (err !== undefined) throw err
  }

  /** @internal @throws `STREAMS_ILLEGAL_STATE` once the store is closed. */
  checkOpen(operation: string): void {
    if (this.state !== 'open') {
      throw streamsError('STREAMS_ILLEGAL_STATE', `state store ${this.name} is closed (${operation})`, { store: this.name, operation })
    }
  }

  /** @internal */
  failure(operation: string, cause: unknown): Error {
    return storeFailure(this.name, this.location, operation, cause)
  }

  /** @internal */
  iteratorDone(): void {
    if (this.state === 'open') this.openIterators--
  }

  /** @internal */
  releaseNative(native: RocksIterator): void {
    // After close, the database's own close has released every native iterator.
    if (this.state !== 'open') return
    native.close().then(undefined, (err: unknown) => reportBackgroundFailure(this.failure('iterator.close', err)))
  }

  private readMany(keys: readonly Uint8Array[], operation: string): (Uint8Array | undefined)[] {
    this.checkOpen(operation)
    let values: (Buffer | undefined | null)[]
    try {
      values = this.db._getManySync(keys, DEFAULT_COLUMN)
    } catch (err) {
      throw this.failure(operation, err)
    }
    // `null` marks a read RocksDB aborted (no deadline is set, so only its value-size limit can).
    if (values.includes(null)) throw this.failure(operation, new Error('MultiGet aborted a read'))
    return values as (Buffer | undefined)[]
  }

  private iterate(range: Parameters<RocksLevel['iterator']>[0] | undefined, operation: string): BytesIterator {
    let native: RocksIterator | undefined
    if (range !== undefined) {
      try {
        native = this.db.iterator(range)
      } catch (err) {
        throw this.failure(operation, err)
      }
    }
    this.openIterators++
    return new RocksDbIterator(this, native)
  }

  /** Frees the memory slot and the directory once `released` settles. */
  private settleWith(released: Promise<Error | undefined>): void {
    this.claim.settled = released.then((err) => {
      this.slot.release()
      // A `destroy` after `close` chains a later promise: only the last one frees the directory and reports.
      if (this.released !== released) return
      if (claims.get(this.key) === this.claim) claims.delete(this.key)
      if (err !== undefined) reportBackgroundFailure(err)
    })
  }
}

/**
 * The first key after every key starting with `prefix` (the exclusive end of a prefix scan):
 * the prefix without its trailing 0xff bytes, last byte plus one. `undefined` when the prefix is
 * empty or all 0xff: no key is greater than every key so prefixed, so the scan has no end.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return undefined
  const bytes = Uint8Array.from(prefix.subarray(0, end))
  bytes[end - 1] = (bytes[end - 1] as number) + 1
  return bytes
}

function checkOptions(options: RocksDbBackendOptions): void {
  const problems: ConfigProblem[] = []
  if (options === null || typeof options !== 'object') {
    throw new ConfigInvalidError('RocksDB store', [{ path: '', reason: 'wrong-type', message: 'the options must be an object' }])
  }
  if (typeof options.name !== 'string' || options.name.length === 0) problems.push({ path: 'name', reason: 'wrong-type', message: 'name must be a non-empty string' })
  if (typeof options.dir !== 'string' || options.dir.length === 0) problems.push({ path: 'dir', reason: 'wrong-type', message: 'dir must be a non-empty path' })
  if (!(options.resources instanceof RocksDbResources)) problems.push({ path: 'resources', reason: 'wrong-type', message: 'resources must be a RocksDbResources' })
  if (problems.length > 0) throw new ConfigInvalidError('RocksDB store', problems)
}

function isLockError(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined
  return (cause as { code?: unknown } | undefined)?.code === 'LEVEL_LOCKED'
}

function dirLocked(store: string, dir: string, cause: unknown): Error {
  return streamsError('STREAMS_STATE_DIR_LOCKED', `state store ${store}: directory ${dir} is already open`, { store, dir, reason: 'locked' }, cause)
}

function storeFailure(store: string, dir: string, operation: string, cause: unknown): Error {
  return streamsError('STREAMS_STATE_STORE_FAILED', `state store ${store}: RocksDB ${operation} failed (${dir})`, { store, dir, operation }, cause)
}

/**
 * A failure after `close()` returned (the native close, removing a destroyed store's files): it
 * is also delivered by `whenReleased()`, but nobody may be waiting, so it is emitted as a process
 * warning rather than lost.
 */
function reportBackgroundFailure(err: Error): void {
  process.emitWarning(err)
}
