/**
 * A table's materialization (Kafka `KTableSource` / `KStreamToTable`): each record is an upsert
 * of its key (a `null` value deletes it) into the table's store; the change goes downstream as a
 * `Change` (new and old value) — at once without caching, or once per key per commit from the
 * store's flush with caching. Records with a `null` key are skipped, as in Kafka.
 */
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValueStoreImpl } from '../../state/key-value-store-impl.js'
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js'
import { forwardChangesOnFlush, type Change } from './aggregate.js'

export function tableSourceProcessor<K, V>(storeName: string): ProcessorSupplier<K, V | null, K, Change<V>> {
  return () => {
    let context: ProcessorContext<K, Change<V>>
    let store: KeyValueStoreImpl<K, ValueAndTimestamp<V>>
    return {
      init: (c) => {
        context = c
        store = c.getStateStore<KeyValueStoreImpl<K, ValueAndTimestamp<V>>>(storeName)
        if (store.caching) {
          forwardChangesOnFlush(store, c)
        }
      },
      process: (record: Record<K, V | null>) => {
        const { key, value } = record
        if (key === null || key === undefined) {
          context.recordDropped()
          return
        }
        const old = store.get(key)
        store.put(key, value === null ? null : { value, timestampMs: record.timestampMs })
        if (!store.caching) context.forward(new Record(key, { newValue: value, oldValue: old?.value ?? null }, record.timestampMs, record.headers))
      },
    }
  }
}
