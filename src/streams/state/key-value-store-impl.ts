/**
 * A task's key-value store at runtime: the typed face (`KeyValueStore<K, V>`) over a backend, with
 * the write buffer that keeps every change since the last commit out of the backend (DESIGN.md
 * §4: uncommitted data never reaches RocksDB, so a crash never forces wiping a store).
 *
 * The commit protocol, as the task drives it:
 * 1. `flush()` — with caching, the latest change per key goes to the changelog now (and to the
 *    flush listener: a table forwards its updates here, deduplicated); without caching every
 *    change went to the changelog when it was made;
 * 2. (the task flushes the producer and commits the input offsets);
 * 3. `commit(changelogOffset)` — the buffered changes and the changelog offset they reach are
 *    written to the backend in one atomic batch, and the buffer is emptied.
 *
 * Reads see the buffer first, then the backend. When the buffer holds more than `cacheMaxBytes`,
 * the store asks its task for an early commit (it never spills uncommitted data to the backend).
 */
import { streamsError } from '../errors.js'
import type { KeyValue } from '../dsl/options.js'
import { BytesMap, hashBytes } from './bytes-map.js'
import { compareBytes, type BytesEntry, type BytesKeyValueBackend } from './bytes-store.js'
import type { KeyValueIterator, KeyValueStore } from './key-value-store.js'
import { mergeEntries, type PendingEntry } from './merged-iterator.js'
import { newBytesTree } from './memory/in-memory-backend.js'
import type { KeyValueStoreSpec } from './stores.js'

/**
 * A store's counters since its task opened it (Kafka's metered store's rates, as totals):
 * `backendReads` are reads the write buffer and the cache of committed values could not answer
 * (Kafka's record-cache misses); `flushedRecords` the changes sent at flush (with caching);
 * `commits` the batches written to the backend.
 */
export interface StoreMetrics {
  gets: number
  puts: number
  backendReads: number
  rangeReads: number
  flushedRecords: number
  commits: number
}

/** Where a store's changes go (the changelog topic's partition of the task). */
export type ChangelogSink = (key: Uint8Array, value: Uint8Array | null, timestampMs: number) => void

/** Called for each buffered key at flush (with caching): the new and the previously committed value. */
export type FlushListener<K, V> = (key: K, newValue: V | undefined, oldValue: V | undefined, timestampMs: number) => void

/**
 * A flush listener given the previously committed value as its bytes (`null`: none), to decode
 * (`decodeValue`) only if it is read: a table's downstream mostly reads only the new value.
 */
export type FlushBytesListener<K, V> = (key: K, newValue: V | undefined, oldBytes: Uint8Array | null, timestampMs: number) => void

/**
 * A key the store holds in memory: its change since the last commit (`dirty`) and, in front of a
 * persistent backend, its committed value (the clean cache). One object per key, not one per
 * change: updating a cached key allocates nothing here, and a commit marks it clean in place. A
 * dirty slot is the `BytesEntry` of the commit's write batch as it is.
 */
interface Slot<K, V> {
  readonly key: Uint8Array
  readonly hash: number
  /** What the backend holds: its bytes, `null` when absent, `undefined` when not known here. */
  committed: Uint8Array | null | undefined
  /** Whether the key changed since the last commit (the fields below describe the change). */
  dirty: boolean
  value: Uint8Array | null
  timestampMs: number
  /** The committed value when the key was first changed since the last commit (for the flush listener). */
  before: Uint8Array | null
  /** The key as `put` got it, when a primitive (the flush listener gets it without deserializing). */
  typedKey: K | undefined
  /** The value as `putOwned` got it (the flush listener gets it without deserializing); else `undefined`. */
  typedValue: V | undefined
  /** The committed value as `putOwned` got it before the last commit (for `getOwned`); else `undefined`. */
  committedTyped: V | undefined
  /** The change is a retention delete (`expire`): the flush listener does not hear of it. */
  isExpiry: boolean
}

export interface KeyValueStoreRuntime {
  /** The topic name serdes see (the changelog topic). */
  readonly topic: string
  readonly changelog: ChangelogSink | undefined
  /** The timestamp of the change being made (the current record's, or stream time in a punctuator). */
  readonly timestampMs: () => number
  readonly cacheMaxBytes: number
  /** Asks the task to commit soon (the buffer is full). */
  readonly requestCommit: () => void
  /** Returns a runner that runs functions as the processor current now (see `StoreOpenContext`). */
  readonly asCurrentNode: () => <T>(fn: () => T) => T
}

/** Bytes a buffered entry is counted for beyond its key and value (map entry and bookkeeping). */
const ENTRY_OVERHEAD_BYTES = 64

/** No key remembered by the store's last-key memo (a value no serde can be given). */
const NO_KEY: unique symbol = Symbol('no key')

/**
 * Whether `key` can be remembered by value: a primitive serializes to the same bytes every time,
 * while an object may have been changed since (so object keys are serialized each time).
 */
function isPrimitiveKey(key: unknown): boolean {
  const type = typeof key
  return type === 'string' || type === 'number' || type === 'bigint' || type === 'boolean'
}

export class KeyValueStoreImpl<K, V> implements KeyValueStore<K, V> {
  readonly name: string
  /** Every slot, by key. */
  /** The store's counters (the metered layer of DESIGN.md §4; `app.metrics().stores`). */
  readonly metrics: StoreMetrics = { gets: 0, puts: 0, backendReads: 0, rangeReads: 0, flushedRecords: 0, commits: 0 }
  private readonly slots = new BytesMap<Slot<K, V>>()
  /** The dirty slots in the order their keys were first changed (flush and commit iterate these). */
  private pendingList: Slot<K, V>[] = []
  /**
   * The buffered keys in order, for stores read by range on the hot path (window and session
   * stores fetch a key's time range per record): a range then reads only its part of the buffer
   * instead of sorting all of it. Key-value stores read ranges rarely and skip the upkeep.
   */
  private orderedPending: ReturnType<typeof newBytesTree<true>> | undefined
  private pendingBytes = 0
  /**
   * Bytes of the committed values the slots hold (persistent backends only): values read recently
   * (`null`: known absent) and those of the changes committed, so a hot key is read from RocksDB
   * once, not once per record and again at flush. Past `cacheMaxBytes` every clean slot is
   * dropped (a bounded cache of what the backend holds — never of uncommitted data).
   */
  private cleanBytes = 0
  private flushListener: FlushBytesListener<K, V> | undefined
  private runListener: <T>(fn: () => T) => T = (fn) => fn()
  private open = true
  /**
   * The last primitive key serialized, its bytes and their hash: an update reads a key and then
   * writes it (`get` then `put`), and serializes and hashes it once for both.
   */
  private memoKey: K | typeof NO_KEY = NO_KEY
  private memoBytes: Uint8Array = new Uint8Array(0)
  private memoHash = 0

  constructor(
    readonly spec: KeyValueStoreSpec<K, V>,
    readonly backend: BytesKeyValueBackend,
    private readonly runtime: KeyValueStoreRuntime,
  ) {
    this.name = spec.name
    this.orderedPending = spec.layout === undefined ? undefined : newBytesTree<true>()
  }

  /**
   * A table's processor forwards its updates from here when the store caches (one per key per
   * commit). Call it from the processor's `init`: the listener runs as that processor.
   */
  setFlushListener(listener: FlushListener<K, V> | undefined): void {
    this.setFlushBytesListener(
      listener === undefined ? undefined : (key, newValue, oldBytes, timestampMs) => listener(key, newValue, oldBytes === null ? undefined : this.value(oldBytes), timestampMs),
    )
  }

  /** `setFlushListener` for a listener that decodes the old value itself, only when needed. */
  setFlushBytesListener(listener: FlushBytesListener<K, V> | undefined): void {
    this.flushListener = listener
    this.runListener = this.runtime.asCurrentNode()
  }

  /** A value of this store decoded from its bytes (what a `FlushBytesListener` is given). */
  decodeValue(bytes: Uint8Array): V {
    return this.value(bytes)
  }

  /** The topic name the store's serdes see (its changelog topic). */
  get topic(): string {
    return this.runtime.topic
  }

  get caching(): boolean {
    return this.spec.caching
  }

  get(key: K): V | undefined {
    this.checkOpen()
    this.metrics.gets++
    const k = this.hashedKeyBytes(key)
    const bytes = this.getBytes(k, this.memoHash)
    return bytes === undefined ? undefined : this.value(bytes)
  }

  /**
   * `get` for a caller that never changes the value it gets (an aggregation reading its
   * previous result): the value may be the very object `putOwned` was given, saved decoding it.
   */
  getOwned(key: K): V | undefined {
    this.checkOpen()
    this.metrics.gets++
    const k = this.hashedKeyBytes(key)
    const slot = this.slots.getHashed(k, this.memoHash)
    if (slot !== undefined) {
      if (slot.dirty) return slot.value === null ? undefined : (slot.typedValue ?? this.value(slot.value))
      if (slot.committedTyped !== undefined) return slot.committedTyped
    }
    const bytes = this.getBytes(k, this.memoHash)
    return bytes === undefined ? undefined : this.value(bytes)
  }

  put(key: K, value: V | null): void {
    this.write(key, value, undefined)
  }

  /**
   * `put`, handing `value` over: the caller never changes it (a primitive, or an object nobody
   * else holds and whose parts are primitives), so the flush listener is given this very object
   * instead of one decoded from its bytes again.
   */
  putOwned(key: K, value: V): void {
    this.write(key, value, value)
  }

  private write(key: K, value: V | null, owned: V | undefined): void {
    this.checkOpen()
    this.metrics.puts++
    const k = this.hashedKeyBytes(key)
    const hash = this.memoHash
    const v = value === null ? null : this.spec.value.serialize(this.runtime.topic, value)
    const timestampMs = this.runtime.timestampMs()
    const typedValue = v === null ? undefined : owned
    const typedKey = this.memoKey === NO_KEY ? undefined : key
    const slot = this.slots.getHashed(k, hash) ?? this.addSlot(k, hash)
    if (slot.dirty) {
      this.pendingBytes += (v?.length ?? 0) - (slot.value?.length ?? 0)
    } else {
      // The committed value is kept only for a table's flush listener (it was just read: a cache hit).
      slot.before = this.spec.caching && this.flushListener !== undefined ? this.committedOf(slot) : null
      slot.dirty = true
      this.pendingList.push(slot)
      this.orderedPending?.set(k, true)
      this.pendingBytes += k.length + (v?.length ?? 0) + ENTRY_OVERHEAD_BYTES
    }
    slot.value = v
    slot.timestampMs = timestampMs
    slot.typedKey = typedKey
    slot.typedValue = typedValue
    slot.isExpiry = false
    if (!this.spec.caching && this.spec.logging) this.runtime.changelog?.(k, v, timestampMs)
    if (this.pendingBytes > this.runtime.cacheMaxBytes) this.runtime.requestCommit()
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key)
    if (existing === undefined) this.put(key, value)
    return existing
  }

  putAll(entries: Iterable<KeyValue<K, V | null>>): void {
    for (const { key, value } of entries) this.put(key, value)
  }

  delete(key: K): V | undefined {
    const existing = this.get(key)
    this.put(key, null)
    return existing
  }

  range(from: K | undefined, to: K | undefined): KeyValueIterator<K, V> {
    return this.iterate(from === undefined ? undefined : this.keyBytes(from), to === undefined ? undefined : this.keyBytes(to), false)
  }

  reverseRange(from: K | undefined, to: K | undefined): KeyValueIterator<K, V> {
    return this.iterate(from === undefined ? undefined : this.keyBytes(from), to === undefined ? undefined : this.keyBytes(to), true)
  }

  all(): KeyValueIterator<K, V> {
    return this.iterate(undefined, undefined, false)
  }

  reverseAll(): KeyValueIterator<K, V> {
    return this.iterate(undefined, undefined, true)
  }

  prefixScan(prefix: K): KeyValueIterator<K, V> {
    this.checkOpen()
    this.metrics.rangeReads++
    const p = this.keyBytes(prefix)
    const pending = this.sortedPending(p, undefined, false, (k) => k.length >= p.length && compareBytes(k.subarray(0, p.length), p) === 0)
    return this.typed(mergeEntries(this.backend.prefixScan(p), pending, false))
  }

  approximateNumEntries(): number {
    this.checkOpen()
    return this.backend.approximateNumEntries() + this.pendingList.length
  }

  /**
   * Deletes `key` for retention (the sweep of window and session stores): the tombstone reaches
   * the changelog as any delete does, but not the flush listener — expiry is no update of a table
   * (Kafka drops expired segments without forwarding anything). A key changed since the last
   * commit is left for a sweep after it, so that change is flushed first: Kafka's cache forwards
   * a change at flush even when the store below has expired it meanwhile.
   */
  expire(key: K): void {
    const k = this.keyBytes(key)
    if (this.slots.get(k)?.dirty === true) return
    this.put(key, null)
    const slot = this.slots.get(k)
    if (slot !== undefined) slot.isExpiry = true
  }

  /** Commit step 1: sends the buffered changes to the changelog and the flush listener (with caching). */
  flush(): void {
    if (!this.spec.caching || this.pendingList.length === 0) return
    this.metrics.flushedRecords += this.pendingList.length
    const listener = this.flushListener
    const changelog = this.spec.logging ? this.runtime.changelog : undefined
    if (listener === undefined) {
      if (changelog !== undefined) for (const p of this.pendingList) changelog(p.key, p.value, p.timestampMs)
      return
    }
    // One switch to the listener's processor for the whole flush, not a closure per key.
    this.runListener(() => this.flushTo(listener, changelog))
  }

  /** Commit step 3: the buffered changes and `changelogOffset`, atomically into the backend. */
  commit(changelogOffset: number | undefined): void {
    const batch: readonly BytesEntry[] = this.pendingList
    if (batch.length === 0 && changelogOffset === undefined) return
    this.metrics.commits++
    this.backend.write(batch, changelogOffset)
    // What was written is what the backend holds now: the slots stay as its cache.
    this.clearPending(true)
  }

  /** Drops uncommitted changes (the task failed; its input is processed again from the last commit). */
  discardUncommitted(): void {
    this.clearPending(false)
  }

  get uncommittedCount(): number {
    return this.pendingList.length
  }

  close(): void {
    if (!this.open) return
    this.open = false
    this.slots.clear()
    this.pendingList = []
    this.cleanBytes = 0
    this.backend.close()
  }

  // ---------------------------------------------------------------- internals

  private flushTo(listener: FlushBytesListener<K, V>, changelog: ChangelogSink | undefined): void {
    const { topic } = this.runtime
    const keySerde = this.spec.key
    for (const p of this.pendingList) {
      changelog?.(p.key, p.value, p.timestampMs)
      if (p.isExpiry) continue
      const key = p.typedKey === undefined ? (keySerde.deserialize(topic, p.key) as K) : p.typedKey
      const newValue = p.value === null ? undefined : (p.typedValue ?? this.value(p.value))
      listener(key, newValue, p.before, p.timestampMs)
    }
  }

  /**
   * Ends the buffered changes: `committed` — the backend now holds them (a persistent backend's
   * slots keep them as clean values); else they are dropped (the slots keep what they had).
   */
  private clearPending(committed: boolean): void {
    const dirty = this.pendingList
    // Room for what is committed is made before, so the loop below keeps every slot it marks clean.
    if (committed && this.backend.persistent && this.cleanBytes > this.runtime.cacheMaxBytes) this.dropCleanSlots()
    this.pendingList = []
    this.pendingBytes = 0
    if (this.orderedPending !== undefined && this.orderedPending.size > 0) this.orderedPending = newBytesTree<true>()
    if (!this.backend.persistent) {
      // The in-memory backend is its own cache: slots live only while dirty.
      this.slots.clear()
      return
    }
    for (const slot of dirty) {
      slot.dirty = false
      if (committed) {
        this.cache(slot, slot.value)
        slot.committedTyped = slot.typedValue
      }
      slot.value = null
      slot.before = null
      slot.typedKey = undefined
      slot.typedValue = undefined
    }
  }

  /** A new clean slot of `k` that knows nothing yet. */
  private addSlot(k: Uint8Array, hash: number): Slot<K, V> {
    const slot: Slot<K, V> = { key: k, hash, committed: undefined, dirty: false, value: null, timestampMs: 0, before: null, isExpiry: false, typedKey: undefined, typedValue: undefined, committedTyped: undefined }
    this.slots.setHashed(k, hash, slot)
    return slot
  }

  /** The value of `k` (hashed `hash`): buffered, else committed. */
  private getBytes(k: Uint8Array, hash: number): Uint8Array | undefined {
    const slot = this.slots.getHashed(k, hash)
    if (slot !== undefined) return (slot.dirty ? slot.value : this.committedOf(slot)) ?? undefined
    this.metrics.backendReads++
    const value = this.backend.get(k)
    // The in-memory backend is its own cache: caching in front of it only costs memory.
    if (this.backend.persistent) this.remember(this.addSlot(k, hash), value ?? null)
    return value
  }

  /** The committed value of `slot`'s key: known, else read from the backend (then cached). */
  private committedOf(slot: Slot<K, V>): Uint8Array | null {
    if (slot.committed !== undefined) return slot.committed
    this.metrics.backendReads++
    const value = this.backend.get(slot.key) ?? null
    if (this.backend.persistent) this.remember(slot, value)
    return value
  }

  /** Caches `slot`'s committed value, read from the backend (persistent backends only). */
  private remember(slot: Slot<K, V>, value: Uint8Array | null): void {
    if (this.cleanBytes > this.runtime.cacheMaxBytes) {
      this.dropCleanSlots()
      // `slot` is being read: it stays.
      if (!slot.dirty) this.slots.setHashed(slot.key, slot.hash, slot)
    }
    this.cache(slot, value)
  }

  private cache(slot: Slot<K, V>, value: Uint8Array | null): void {
    const before = slot.committed
    if (before === undefined) this.cleanBytes += slot.key.length + ENTRY_OVERHEAD_BYTES
    this.cleanBytes += (value?.length ?? 0) - (before?.length ?? 0)
    slot.committed = value
    slot.committedTyped = undefined
  }

  /** Empties the clean cache: only dirty slots stay, knowing no committed value. */
  private dropCleanSlots(): void {
    this.slots.clear()
    this.cleanBytes = 0
    for (const slot of this.pendingList) {
      slot.committed = undefined
      slot.committedTyped = undefined
      this.slots.setHashed(slot.key, slot.hash, slot)
    }
  }

  /** `key`'s bytes, with their hash left in `memoHash`; a primitive key is remembered for the next call. */
  private hashedKeyBytes(key: K): Uint8Array {
    // Object.is: 0 and -0 are different keys to a double serde.
    if (Object.is(key, this.memoKey)) return this.memoBytes
    const bytes = this.keyBytes(key)
    this.memoKey = isPrimitiveKey(key) ? key : NO_KEY
    this.memoBytes = bytes
    this.memoHash = hashBytes(bytes)
    return bytes
  }

  private keyBytes(key: K): Uint8Array {
    const bytes = this.spec.key.serialize(this.runtime.topic, key)
    if (bytes === null) throw streamsError('STREAMS_ILLEGAL_STATE', `store ${this.name} cannot hold a null key`, { store: this.name })
    return bytes
  }

  private value(bytes: Uint8Array): V {
    return this.spec.value.deserialize(this.runtime.topic, bytes) as V
  }

  /** The buffered entries within `[from, to]` that `keep` takes, in order. */
  private sortedPending(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean, keep: (key: Uint8Array) => boolean): PendingEntry[] {
    const out: PendingEntry[] = []
    const ordered = this.orderedPending
    if (ordered !== undefined) {
      if (ordered.size === 0) return out
      // The tree starts at `from` (`to`, reversed) and the kept keys are contiguous from there
      // (a range, or the keys with one prefix): the first key not kept ends them.
      const entries = reverse ? ordered.entriesReversed(to) : ordered.entries(from)
      for (const [key] of entries) {
        if (!keep(key)) break
        out.push({ key, value: (this.slots.get(key) as Slot<K, V>).value })
      }
      return out
    }
    for (const p of this.pendingList) if (keep(p.key)) out.push({ key: p.key, value: p.value })
    out.sort((a, b) => (reverse ? compareBytes(b.key, a.key) : compareBytes(a.key, b.key)))
    return out
  }

  private iterate(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): KeyValueIterator<K, V> {
    this.checkOpen()
    this.metrics.rangeReads++
    const inRange = (k: Uint8Array): boolean => (from === undefined || compareBytes(k, from) >= 0) && (to === undefined || compareBytes(k, to) <= 0)
    return this.typed(mergeEntries(this.backend.range(from, to, reverse), this.sortedPending(from, to, reverse, inRange), reverse))
  }

  private typed(entries: Generator<{ readonly key: Uint8Array; readonly value: Uint8Array }, void, undefined>): KeyValueIterator<K, V> {
    const topic = this.runtime.topic
    const { key: keySerde, value: valueSerde } = this.spec
    const iterator: KeyValueIterator<K, V> = {
      next(): IteratorResult<KeyValue<K, V>> {
        const r = entries.next()
        if (r.done === true) return { done: true, value: undefined }
        return { done: false, value: { key: keySerde.deserialize(topic, r.value.key) as K, value: valueSerde.deserialize(topic, r.value.value) as V } }
      },
      return(): IteratorResult<KeyValue<K, V>> {
        entries.return()
        return { done: true, value: undefined }
      },
      close(): void {
        entries.return()
      },
      [Symbol.iterator]() {
        return iterator
      },
    }
    return iterator
  }

  private checkOpen(): void {
    if (!this.open) throw streamsError('STREAMS_ILLEGAL_STATE', `store ${this.name} is closed`, { store: this.name })
  }
}
