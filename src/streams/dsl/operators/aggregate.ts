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
 * Makes a caching table store forward its deduplicated updates at commit, from the processor
 * calling this in `init` (every table-producing operator does the same).
 */
export function forwardChangesOnFlush<K, V>(store: KeyValueStoreImpl<K, ValueAndTimestamp<V>>, context: ProcessorContext<K, Change<V>>): void {
  store.setFlushListener((key, newValue, oldValue, timestampMs) =>
    context.forward(new Record(key, { newValue: newValue?.value ?? null, oldValue: oldValue?.value ?? null }, newValue?.timestampMs ?? timestampMs)),
  )
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
        const old = store.get(key)
        const aggregate = combine(key, value, old?.value)
        const timestampMs = old === undefined ? record.timestampMs : Math.max(old.timestampMs, record.timestampMs)
        store.put(key, { value: aggregate, timestampMs })
        if (!store.caching) context.forward(new Record(key, { newValue: aggregate, oldValue: old?.value ?? null }, timestampMs, record.headers))
      },
    }
  }
}
