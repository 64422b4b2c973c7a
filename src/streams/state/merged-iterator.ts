/**
 * Iterates a store's committed entries (from the backend) and its uncommitted ones (the write
 * buffer) as one ordered sequence: an uncommitted change wins over the committed entry with the
 * same key, and an uncommitted deletion hides it. Both inputs are in the same order (ascending or
 * descending by unsigned bytes).
 */
import { compareBytes, type BytesIterator } from './bytes-store.js'

export interface PendingEntry {
  readonly key: Uint8Array
  readonly value: Uint8Array | null
}

export function* mergeEntries(
  committed: BytesIterator,
  pending: readonly PendingEntry[],
  reverse: boolean,
): Generator<{ readonly key: Uint8Array; readonly value: Uint8Array }, void, undefined> {
  const order = reverse ? (a: Uint8Array, b: Uint8Array): number => compareBytes(b, a) : compareBytes
  let p = 0
  try {
    let c = committed.next()
    while (!c.done || p < pending.length) {
      const next = pending[p]
      if (c.done || (next !== undefined && order(next.key, c.value.key) <= 0)) {
        const entry = next as PendingEntry
        if (!c.done && compareBytes(entry.key, c.value.key) === 0) c = committed.next()
        p++
        if (entry.value !== null) yield { key: entry.key, value: entry.value }
      } else {
        yield c.value
        c = committed.next()
      }
    }
  } finally {
    committed.close()
  }
}
