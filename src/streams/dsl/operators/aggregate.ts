/**
 * `count` / `reduce` / `aggregate` of a grouped stream (Kafka `KStreamAggregate`): per record,
 * the key's previous aggregate is read from the store, combined with the record, and written back
 * with the larger of the two timestamps. The update goes downstream as a `Change` (new and old
 * value): at once without caching, or — with caching — once per key at commit, from the store's
 * flush. Records with a `null` key or value are skipped, as in Kafka.
 */
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValueStoreImpl } from '../../state/key-value-store-impl.js'
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js'

/** What a table forwards: the key's new value and the value it replaces (`null`: none / deleted). */
export interface Change<V> {
  readonly newValue: V | null
  readonly oldValue: V | null
}

/**
 * The change a caching table forwards at commit. Its old value is decoded from the store's bytes
 * when first read, not before: most downstreams (`toStream`, sinks) read only the new value — Kafka
 * forwards old values only to the operators that ask for them (`sendOldValues`).
 */
class FlushedChange<V> implements Change<V> {
  readonly newValue: V | null
  #oldBytes: Uint8Array | null
  /** Decodes `#oldBytes`; `undefined` once done. */
  #store: KeyValueStoreImpl<unknown, ValueAndTimestamp<V>> | undefined
  #oldValue: V | null = null

  constructor(newValue: V | null, oldBytes: Uint8Array | null, store: KeyValueStoreImpl<unknown, ValueAndTimestamp<V>>) {
    this.newValue = newValue
    this.#oldBytes = oldBytes
    this.#store = oldBytes === null ? undefined : store
  }

  get oldValue(): V | null {
    const store = this.#store
    if (store !== undefined) {
      this.#store = undefined
      this.#oldValue = store.decodeValue(this.#oldBytes as Uint8Array)?.value ?? null
      this.#oldBytes = null
    }
    return this.#oldValue
  }

  /** What `JSON.stringify` shows: both values, as a plain change would. */
  toJSON(): Change<V> {
    return { newValue: this.newValue, oldValue: this.oldValue }
  }
}

/**
 * Makes a caching table store forward its deduplicated updates at commit, from the processor
 * calling this in `init` (every table-producing operator does the same).
 */
export function forwardChangesOnFlush<K, V>(store: KeyValueStoreImpl<K, ValueAndTimestamp<V>>, context: ProcessorContext<K, Change<V>>): void {
  const decoder = store as KeyValueStoreImpl<unknown, ValueAndTimestamp<V>>
  store.setFlushBytesListener((key, newValue, oldBytes, timestampMs) =>
    context.forward(new Record(key, new FlushedChange(newValue?.value ?? null, oldBytes, decoder), newValue?.timestampMs ?? timestampMs)),
  )
}

/** Whether an aggregate can be handed to the store as it is (`putOwned`): nothing can change it later. */
function isImmutable(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function')
}

export function aggregateProcessor<K, V, VA>(storeName: string, combine: (key: K, value: V, previous: VA | undefined) => VA): ProcessorSupplier<K, V, K, Change<VA>> {
  return () => {
    let context: ProcessorContext<K, Change<VA>>
    let store: KeyValueStoreImpl<K, ValueAndTimestamp<VA>>
    return {
      init: (c) => {
        context = c
        store = c.getStateStore<KeyValueStoreImpl<K, ValueAndTimestamp<VA>>>(storeName)
        if (store.caching) {
          forwardChangesOnFlush(store, c)
        }
      },
      process: (record: Record<K, V>) => {
        const { key, value } = record
        if (key === null || key === undefined || value === null || value === undefined) {
          context.recordDropped()
          return
        }
        // Read-only: the envelope is not changed, only its parts passed on (getOwned may return the stored object).
        const old = store.getOwned(key)
        const aggregate = combine(key, value, old?.value)
        const timestampMs = old === undefined ? record.timestampMs : Math.max(old.timestampMs, record.timestampMs)
        const updated = { value: aggregate, timestampMs }
        // A primitive aggregate in a fresh envelope is the store's alone: its flush need not decode it again.
        if (isImmutable(aggregate)) store.putOwned(key, updated)
        else store.put(key, updated)
        if (!store.caching) context.forward(new Record(key, { newValue: aggregate, oldValue: old?.value ?? null }, timestampMs, record.headers))
      },
    }
  }
}
