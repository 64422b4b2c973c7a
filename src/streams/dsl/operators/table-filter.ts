/**
 * `KTable.filter` / `filterNot` (Kafka `KTableFilter`): a value the predicate rejects becomes a
 * deletion, on both sides of the change; a change that is a deletion on both sides (the key was
 * and stays filtered out) is not forwarded. (Kafka forwards such tombstones too unless the table
 * sends old values; every change here carries its old value, so they are known to be redundant.)
 */
import type { ProcessorSupplier } from '../../processor/processor.js'
import type { Change } from './aggregate.js'
import { forwarding } from './forwarding.js'

export function tableFilterProcessor<K, V>(predicate: (key: K, value: V) => boolean, negate: boolean): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  const keep = (key: K, value: V | null): V | null => (value !== null && predicate(key, value) !== negate ? value : null)
  return forwarding<K, Change<V>, K, Change<V>>((record, context) => {
    const newValue = keep(record.key, record.value.newValue)
    const oldValue = keep(record.key, record.value.oldValue)
    if (newValue === null && oldValue === null) return
    context.forward(record.withValue({ newValue, oldValue }))
  })
}
