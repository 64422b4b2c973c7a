/**
 * Store definitions (Kafka `Stores` / `StoreBuilder`): what a topology declares; each task opens
 * its own instance. A key-value store is, from the top: the typed store (serdes) → the write
 * buffer of uncommitted changes (with caching, also the deduplication of updates per key between
 * commits) → the changelog (`<applicationId>-<name>-changelog`, compacted) → the backend
 * (RocksDB or in-memory). See DESIGN.md §4 for the commit protocol that ties them together.
 */
import { Serdes, type Serde } from '../../serdes/index.js'
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
  /**
   * Set for window and session stores: the key-value store underneath holds their byte keys
   * (`window-key.ts`) and processors get the typed `WindowStore` / `SessionStore` over it.
   */
  readonly layout?: StoreLayout
}

/** How a window or session store lays its keys over the key-value store underneath. */
export type StoreLayout =
  | { readonly kind: 'window'; readonly key: Serde<unknown>; readonly windowSizeMs: number; readonly retentionMs: number }
  | { readonly kind: 'session'; readonly key: Serde<unknown>; readonly retentionMs: number }

/**
 * A window store's definition (`Stores.window`): a key-value store of window keys underneath
 * (`K` and `V` are what the typed `WindowStore<K, V>` holds).
 */
export interface WindowStoreSpec<K, V> extends KeyValueStoreSpec<Uint8Array, V> {
  readonly layout: { readonly kind: 'window'; readonly key: Serde<K>; readonly windowSizeMs: number; readonly retentionMs: number }
}

/** A session store's definition (`Stores.session`). */
export interface SessionStoreSpec<K, V> extends KeyValueStoreSpec<Uint8Array, V> {
  readonly layout: { readonly kind: 'session'; readonly key: Serde<K>; readonly retentionMs: number }
}

/** Any store definition `addStateStore` takes. */
export type AnyStoreSpec<K, V> = KeyValueStoreSpec<K, V> | WindowStoreSpec<K, V> | SessionStoreSpec<K, V>

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

export interface WindowStoreOptions<K, V> extends KeyValueStoreOptions<K, V> {
  /** The size of the windows (ms): `Windowed` keys read back end at `start + windowSizeMs`. */
  readonly windowSizeMs: number
  /** How long a window is kept after its start, counted from the latest window start put (ms; ≥ windowSizeMs). */
  readonly retentionMs: number
}

export interface SessionStoreOptions<K, V> extends KeyValueStoreOptions<K, V> {
  /** How long a session is kept after its end, counted from the latest session end put (ms). */
  readonly retentionMs: number
}

const NAME = /^[a-zA-Z0-9._-]+$/
/** Kafka's `windowstore.changelog.additional.retention.ms`: a window changelog keeps records a day beyond the store. */
const CHANGELOG_ADDITIONAL_RETENTION_MS = 24 * 60 * 60 * 1000

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

  /**
   * A window store (Kafka `Stores.windowStoreBuilder`): values per key and window start, kept for
   * `retentionMs`. Its changelog is `compact,delete` with a retention of `retentionMs` plus one day,
   * as Kafka's. Duplicates per key and window are not kept (Kafka's `retainDuplicates` is for joins).
   * @throws `STREAMS_TOPOLOGY_INVALID` for an invalid name, missing serdes, a window size ≤ 0 or a retention below it.
   */
  window<K, V>(options: WindowStoreOptions<K, V>): WindowStoreSpec<K, V> {
    const { windowSizeMs, retentionMs } = options
    if (!(Number.isSafeInteger(windowSizeMs) && windowSizeMs > 0)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `window store ${options.name}: the window size must be a positive integer of ms`, { store: options.name, windowSizeMs: String(windowSizeMs) })
    }
    checkRetention(options.name, retentionMs, windowSizeMs)
    return Object.freeze({
      ...timedBase(options, retentionMs),
      layout: Object.freeze({ kind: 'window', key: options.key, windowSizeMs, retentionMs }),
    })
  },

  /**
   * A session store (Kafka `Stores.sessionStoreBuilder`): one value per key and session, kept for
   * `retentionMs` after the session ends; changelog as for window stores.
   * @throws `STREAMS_TOPOLOGY_INVALID` for an invalid name, missing serdes or a negative retention.
   */
  session<K, V>(options: SessionStoreOptions<K, V>): SessionStoreSpec<K, V> {
    checkRetention(options.name, options.retentionMs, 0)
    return Object.freeze({
      ...timedBase(options, options.retentionMs),
      layout: Object.freeze({ kind: 'session', key: options.key, retentionMs: options.retentionMs }),
    })
  },
})

function checkRetention(store: string, retentionMs: number, minimumMs: number): void {
  if (!(Number.isSafeInteger(retentionMs) && retentionMs >= minimumMs && retentionMs >= 0)) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `store ${store}: the retention must be an integer ≥ ${minimumMs} ms`, { store, retentionMs: String(retentionMs) })
  }
}

/** The key-value store underneath a window or session store: byte keys, Kafka's window changelog configs. */
function timedBase<K, V>(options: KeyValueStoreOptions<K, V>, retentionMs: number): KeyValueStoreSpec<Uint8Array, V> {
  const base = Stores.keyValue({ ...options, key: Serdes.bytes() })
  if (options.key === undefined) throw streamsError('STREAMS_TOPOLOGY_INVALID', `store ${options.name} needs key and value serdes`, { store: options.name })
  return {
    ...base,
    changelogConfigs: Object.freeze({
      'cleanup.policy': 'compact,delete',
      'retention.ms': String(Math.min(Number.MAX_SAFE_INTEGER, retentionMs + CHANGELOG_ADDITIONAL_RETENTION_MS)),
      ...base.changelogConfigs,
    }),
  }
}

/** The changelog topic of `store` (Kafka's naming). */
export function changelogTopicOf(applicationId: string, store: string): string {
  return `${applicationId}-${store}-changelog`
}

/** The write buffer a store may hold before it asks for an early commit (Kafka's `statestore.cache.max.bytes` default, 10 MiB). */
export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 * 1024
