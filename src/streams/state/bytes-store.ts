/**
 * The backend SPI under every key-value store (DESIGN.md §4: `Metered → Caching →
 * ChangeLogging → RocksDB | InMemory`): bytes in, bytes out, ordered by unsigned lexicographic
 * key order. Backends implement this; the typed store, the cache and the changelog sit on top.
 *
 * The commit contract: `write(batch, changelogOffset)` applies the batch **and** records the
 * changelog offset it reaches in one atomic step (RocksDB: one write batch), so after any crash the
 * store holds exactly the state of some committed changelog offset, which `committedOffset()`
 * returns on open; restore replays the changelog from there. A backend that keeps nothing across
 * restarts (in-memory) reports `undefined` and is restored from the start of the changelog.
 */

/** One change of a write batch: `value` `null` deletes the key. */
export interface BytesEntry {
  readonly key: Uint8Array
  readonly value: Uint8Array | null
}

/** A synchronous iterator over byte entries (ascending or descending); `close()` is idempotent. */
export interface BytesIterator extends IterableIterator<{ readonly key: Uint8Array; readonly value: Uint8Array }> {
  close(): void
}

export interface BytesKeyValueBackend {
  readonly name: string
  /** Whether the backend keeps its data across restarts (then `committedOffset` is meaningful). */
  readonly persistent: boolean
  get(key: Uint8Array): Uint8Array | undefined
  /** Values of `keys`, in order (backends batch this into one native call where they can). */
  getMany(keys: readonly Uint8Array[]): (Uint8Array | undefined)[]
  /** Entries with `from ≤ key ≤ to`; an `undefined` end is open. */
  range(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): BytesIterator
  prefixScan(prefix: Uint8Array): BytesIterator
  approximateNumEntries(): number
  /** Applies `batch` in order and records `changelogOffset` (when given), atomically and synchronously. */
  write(batch: readonly BytesEntry[], changelogOffset: number | undefined): void
  /** The changelog offset the data reflects (the next offset to restore from), or `undefined`. */
  committedOffset(): number | undefined
  /** Releases the backend (files stay). Idempotent. */
  close(): void
  /** Removes everything (files included), e.g. a store whose changelog was deleted. Closes first. */
  destroy(): void
}

/** Unsigned lexicographic order of byte strings (RocksDB's default comparator). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}
