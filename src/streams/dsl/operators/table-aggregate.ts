/**
 * `count` / `reduce` / `aggregate` of a grouped table (Kafka `KTableAggregate` / `KTableReduce`):
 * each change read from the repartition topic first subtracts its old value from its group's
 * aggregate (when both exist), then adds its new value — so an update whose group did not change
 * (KIP-904: both values in one change) is one update of the store and one result, and a deletion
 * only subtracts. A subtraction that leaves no aggregate (`null`) removes the group; a later
 * addition starts it again from the initializer (reduce: from the value).
 *
 * The aggregate's timestamp is the larger of the record's and the previous aggregate's. Results go
 * downstream as `Change`s: at once without caching, or once per group per commit from the store's
 * flush with caching. A change that finds nothing to subtract from and adds nothing (its group
 * was never built here) changes nothing and is not forwarded (Kafka forwards a tombstone for it).
 */
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValueStoreImpl } from '../../state/key-value-store-impl.js'
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js'
import { forwardChangesOnFlush, type Change } from './aggregate.js'

/** How a grouped table's aggregation adds and removes one value (count, reduce and aggregate differ only here). */
export interface TableAggregator<K, V, VA> {
  /** The aggregate with `value` added; `aggregate` is `undefined` when the group has none. */
  readonly add: (key: K, value: V, aggregate: VA | undefined) => VA
  /** The aggregate with `value` removed; `null` removes the group. */
  readonly subtract: (key: K, value: V, aggregate: VA) => VA | null
}

export function tableAggregateProcessor<K, V, VA>(storeName: string, aggregator: TableAggregator<K, V, VA>): ProcessorSupplier<K, Change<V>, K, Change<VA>> {
  return () => {
    let context: ProcessorContext<K, Change<VA>>
    let store: KeyValueStoreImpl<K, ValueAndTimestamp<VA>>
    return {
      init: (c) => {
        context = c
        store = c.getStateStore<KeyValueStoreImpl<K, ValueAndTimestamp<VA>>>(storeName)
        if (store.caching) forwardChangesOnFlush(store, c)
      },
      process: (record: Record<K, Change<V>>) => {
        const { key } = record
        // Only a foreign writer to the repartition topic can send a null key (the select node drops them).
        if (key === null || key === undefined) {
          context.recordDropped()
          return
        }
        const { newValue, oldValue } = record.value
        const old = store.get(key)
        let aggregate = old?.value
        if (oldValue !== null && aggregate !== undefined) aggregate = aggregator.subtract(key, oldValue, aggregate) ?? undefined
        if (newValue !== null) aggregate = aggregator.add(key, newValue, aggregate)
        if (aggregate === undefined && old === undefined) return
        const timestampMs = old === undefined ? record.timestampMs : Math.max(old.timestampMs, record.timestampMs)
        store.put(key, aggregate === undefined ? null : { value: aggregate, timestampMs })
        if (!store.caching) context.forward(new Record(key, { newValue: aggregate ?? null, oldValue: old?.value ?? null }, timestampMs, record.headers))
      },
    }
  }
}
