/**
 * The native memory budget of an app's RocksDB stores: created once per app and handed to every
 * `openRocksDbBackend` call.
 *
 * Kafka Streams bounds RocksDB memory with one block cache and one `WriteBufferManager` shared by
 * every store. `@nxtedition/rocksdb` cannot do that: it builds a new block cache for each column
 * family it opens (`InitOptions` in binding.cc) and has no write buffer manager. So the budget is
 * split into `maxOpenStores` equal slots, one per open store, each divided between the store's
 * block cache and its memtables:
 *
 *   per store = memoryBudgetBytes / maxOpenStores
 *   block cache = per store × blockCacheRatio (index and filter blocks are charged to it too)
 *   memtables ≤ per store × (1 − blockCacheRatio): RocksDB's level-style preset keeps at most 6
 *     write buffers of budget/4, i.e. 1.5 × the `memtableMemoryBudget` it is given, so it is
 *     given two thirds of the memtable share.
 *
 * A store holds its slot from open until its native close has finished. Opening one more store
 * than there are slots waits for a closing store to finish, or fails when every slot belongs to
 * an open store: the bound is a guarantee, so running out of it is an error, not a silent
 * overcommit. Not counted (so the budget is approximate): iterators' pinned blocks, `MultiGet`
 * buffers, compaction buffers and RocksDB's own small per-database structures.
 */
import { ConfigInvalidError, type ConfigProblem } from '../../../log/index.js'
import { streamsError } from '../../errors.js'

const MiB = 1024 * 1024

export interface RocksDbResourcesConfig {
  /** Native memory all RocksDB stores of the app may use together: block caches + memtables. */
  readonly memoryBudgetBytes: number
  /** Stores open at once; each gets `memoryBudgetBytes / maxOpenStores`. */
  readonly maxOpenStores: number
  /** Fraction of each store's share that is block cache (the rest bounds its memtables), in (0, 1). */
  readonly blockCacheRatio: number
}

export type RocksDbResourcesConfigInput = Partial<RocksDbResourcesConfig>

/** 512 MiB over 16 stores: 16 MiB block cache and 16 MiB of memtables per store. */
export const ROCKSDB_RESOURCES_DEFAULTS = Object.freeze({
  memoryBudgetBytes: 512 * MiB,
  maxOpenStores: 16,
  blockCacheRatio: 0.5,
})

/** Smallest share per store: below this, write buffers get so small that flushes dominate. */
const MIN_STORE_BYTES = 2 * MiB
/** The binding reads `cacheSize` as a uint32. */
const MAX_CACHE_BYTES = 0xffff_ffff
/** RocksDB's level-style preset keeps up to 6 write buffers of budget/4. */
const MEMTABLE_WORST_CASE_FACTOR = 6 / 4
const KNOWN = new Set(Object.keys(ROCKSDB_RESOURCES_DEFAULTS))

/** @throws `CONFIG_INVALID` (a `ConfigInvalidError`) listing every problem by option name. */
export function resolveRocksDbResourcesConfig(input: RocksDbResourcesConfigInput = {}): RocksDbResourcesConfig {
  if (input === null || typeof input !== 'object') {
    throw new ConfigInvalidError('RocksDB resources', [{ path: '', reason: 'wrong-type', message: 'the config must be an object' }])
  }
  const problems: ConfigProblem[] = []
  const problem = (path: string, reason: ConfigProblem['reason'], message: string): void => void problems.push({ path, reason, message })
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) problem(key, 'unknown-key', `${key.slice(0, 64)} is not a RocksDB resources option`)
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))
  const c = { ...ROCKSDB_RESOURCES_DEFAULTS, ...defined } as Record<string, unknown>

  const budget = c['memoryBudgetBytes']
  const stores = c['maxOpenStores']
  const ratio = c['blockCacheRatio']
  if (typeof budget !== 'number' || !Number.isSafeInteger(budget) || budget <= 0) problem('memoryBudgetBytes', 'not-integer', 'memoryBudgetBytes must be a positive integer')
  if (typeof stores !== 'number' || !Number.isSafeInteger(stores) || stores < 1) problem('maxOpenStores', 'not-integer', 'maxOpenStores must be an integer ≥ 1')
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1)) problem('blockCacheRatio', 'out-of-range', 'blockCacheRatio must be a number in (0, 1)')
  if (problems.length === 0) {
    const perStore = (budget as number) / (stores as number)
    if (perStore < MIN_STORE_BYTES) {
      problem('memoryBudgetBytes', 'conflict', `memoryBudgetBytes / maxOpenStores must be at least ${MIN_STORE_BYTES} bytes per store`)
    } else if (perStore * (ratio as number) > MAX_CACHE_BYTES) {
      problem('memoryBudgetBytes', 'conflict', 'a store\'s block cache (memoryBudgetBytes / maxOpenStores × blockCacheRatio) must stay below 4 GiB')
    }
  }
  if (problems.length > 0) throw new ConfigInvalidError('RocksDB resources', problems)
  return Object.freeze(c) as unknown as RocksDbResourcesConfig
}

/** What one open store may use, in bytes (the options each backend opens RocksDB with). */
export interface RocksDbStoreBudget {
  readonly blockCacheBytes: number
  /** RocksDB's `memtableMemoryBudget`: the store's memtables stay below 1.5 × this. */
  readonly memtableBudgetBytes: number
}

/** One store's claim on the budget, from open until its native close has finished. @internal */
export interface RocksDbSlot {
  /** The store is closing: an open that finds no free slot waits for this one instead of failing. */
  closing(): void
  /** The native close has finished (or the open failed): the slot is free. Idempotent. */
  release(): void
}

export class RocksDbResources {
  readonly config: RocksDbResourcesConfig
  readonly storeBudget: RocksDbStoreBudget
  private held = 0
  private closingSlots = 0
  private readonly waiters: Array<() => void> = []

  /** @throws `CONFIG_INVALID` for an invalid config (see `resolveRocksDbResourcesConfig`). */
  constructor(input: RocksDbResourcesConfigInput = {}) {
    this.config = resolveRocksDbResourcesConfig(input)
    const perStore = Math.floor(this.config.memoryBudgetBytes / this.config.maxOpenStores)
    const blockCacheBytes = Math.floor(perStore * this.config.blockCacheRatio)
    this.storeBudget = Object.freeze({
      blockCacheBytes,
      memtableBudgetBytes: Math.floor((perStore - blockCacheBytes) / MEMTABLE_WORST_CASE_FACTOR),
    })
  }

  /** Slots in use: open stores plus stores whose native close has not finished yet. */
  get slotsInUse(): number {
    return this.held
  }

  /**
   * Claims a slot for `store`, waiting for a closing store when all slots are taken.
   * @internal
   * @throws `STREAMS_STATE_STORE_FAILED` when every slot belongs to an open store.
   */
  async acquire(store: string): Promise<RocksDbSlot> {
    while (this.held >= this.config.maxOpenStores) {
      if (this.closingSlots === 0) {
        throw streamsError(
          'STREAMS_STATE_STORE_FAILED',
          `state store ${store}: all ${this.config.maxOpenStores} RocksDB store slots of the memory budget are in use (raise maxOpenStores or close stores)`,
          { store, maxOpenStores: this.config.maxOpenStores, memoryBudgetBytes: this.config.memoryBudgetBytes },
        )
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
    this.held++
    let state: 'open' | 'closing' | 'released' = 'open'
    return {
      closing: () => {
        if (state !== 'open') return
        state = 'closing'
        this.closingSlots++
      },
      release: () => {
        if (state === 'released') return
        if (state === 'closing') this.closingSlots--
        state = 'released'
        this.held--
        this.waiters.shift()?.()
      },
    }
  }
}
