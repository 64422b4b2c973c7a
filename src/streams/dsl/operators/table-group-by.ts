/**
 * `KTable.groupBy` (Kafka `KTableRepartitionMap`, the `KTABLE-SELECT-` node): both sides of each
 * table change go through the selector — the old row gives the pair to subtract from its group,
 * the new row the pair to add to its group — and go on keyed by their group, towards the
 * repartition topic. A pair whose key or value is `null` (or a selector returning nothing) is
 * dropped: the row belongs to no group.
 *
 * When both pairs fall in the same group (KIP-904), one change carries both, so the aggregation
 * applies subtract-then-add as one update with one result; otherwise the old pair goes first, as
 * in Kafka (the two groups may sit on different partitions, so their order is not guaranteed).
 */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValue } from '../options.js'
import type { Change } from './aggregate.js'
import { forwarding } from './forwarding.js'

export function tableSelectProcessor<K, V, K2, V2>(
  selector: (key: K, value: V) => KeyValue<K2, V2> | null | undefined,
  isSameGroup: (a: K2, b: K2) => boolean,
): ProcessorSupplier<K, Change<V>, K2, Change<V2>> {
  const select = (key: K, value: V | null): KeyValue<K2, V2> | undefined => {
    if (value === null) return undefined
    const pair = selector(key, value)
    return pair === null || pair === undefined || pair.key === null || pair.key === undefined || pair.value === null || pair.value === undefined ? undefined : pair
  }
  return forwarding<K, Change<V>, K2, Change<V2>>((record, context) => {
    const oldPair = select(record.key, record.value.oldValue)
    const newPair = select(record.key, record.value.newValue)
    const { timestampMs, headers } = record
    if (oldPair !== undefined && newPair !== undefined && isSameGroup(oldPair.key, newPair.key)) {
      context.forward(new Record(newPair.key, { newValue: newPair.value, oldValue: oldPair.value }, timestampMs, headers))
      return
    }
    if (oldPair !== undefined) context.forward(new Record(oldPair.key, { newValue: null, oldValue: oldPair.value }, timestampMs, headers))
    if (newPair !== undefined) context.forward(new Record(newPair.key, { newValue: newPair.value, oldValue: null }, timestampMs, headers))
  })
}
