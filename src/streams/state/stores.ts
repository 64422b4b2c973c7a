/**
 * Store definitions (Kafka `Stores` / `StoreBuilder`): what a topology declares; each task opens
 * its own instance. A key-value store is, from the top: the typed store (serdes) → the write
 * buffer of uncommitted changes (with caching, also the deduplication of updates per key between
 * commits) → the changelog (`<applicationId>-<name>-changelog`, compacted) → the backend
 * (RocksDB or in-memory). See DESIGN.md §4 for the commit protocol that ties them together.
 */
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'

export type StoreBackendKind = 'rocksdb' | 'memory'

export interface KeyValueStoreSpec<K, V> {
  readonly kind: 'key-value'
  /** Unique in the topology; names the changelog topic. Kafka's rule: `[a-zA-Z0-9._-]+`. */
  readonly name: string
  readonly key: Serde<K>
  readonly value: Serde<V>
  readonly backend: StoreBackendKind
  /** Back the store with a compacted changelog topic (default true): without it, state is lost with the instance. */
  readonly logging: boolean
  /**
   * Keep updates in the store's write buffer until commit and write (and forward, for tables) only
   * the latest per key (default true). Without caching every update goes to the changelog at once.
   */
  readonly caching: boolean
  /** Extra configs of the changelog topic (Kafka's `withLoggingEnabled(config)`). */
  readonly changelogConfigs: Readonly<Record<string, string>>
  /** Values are `ValueAndTimestamp`s (an aggregation's store): read facades unwrap them. */
  readonly timestamped?: boolean
}

export type StoreSpec = KeyValueStoreSpec<unknown, unknown>

export interface KeyValueStoreOptions<K, V> {
  readonly name: string
  readonly key: Serde<K>
  readonly value: Serde<V>
  /** Default `'rocksdb'`. */
  readonly backend?: StoreBackendKind
  readonly logging?: boolean
  readonly caching?: boolean
  readonly changelogConfigs?: Readonly<Record<string, string>>
}

const NAME = /^[a-zA-Z0-9._-]+$/

/** The store builders (Kafka `Stores`). */
export const Stores = Object.freeze({
  /** @throws `STREAMS_TOPOLOGY_INVALID` for an invalid name or missing serdes. */
  keyValue<K, V>(options: KeyValueStoreOptions<K, V>): KeyValueStoreSpec<K, V> {
    const { name, key, value } = options
    if (typeof name !== 'string' || !NAME.test(name) || name.length > 200) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'a store name is 1-200 characters of [a-zA-Z0-9._-]', { store: String(name).slice(0, 64) })
    }
    if (key === undefined || value === undefined) throw streamsError('STREAMS_TOPOLOGY_INVALID', `store ${name} needs key and value serdes`, { store: name })
    const backend = options.backend ?? 'rocksdb'
    if (backend !== 'rocksdb' && backend !== 'memory') throw streamsError('STREAMS_TOPOLOGY_INVALID', `store ${name}: backend must be 'rocksdb' or 'memory'`, { store: name })
    return Object.freeze({
      kind: 'key-value',
      name,
      key,
      value,
      backend,
      logging: options.logging ?? true,
      caching: options.caching ?? true,
      changelogConfigs: Object.freeze({ ...(options.changelogConfigs ?? {}) }),
    })
  },
})

/** The changelog topic of `store` (Kafka's naming). */
export function changelogTopicOf(applicationId: string, store: string): string {
  return `${applicationId}-${store}-changelog`
}

/** The write buffer a store may hold before it asks for an early commit (Kafka's `statestore.cache.max.bytes` default, 10 MiB). */
export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 * 1024
