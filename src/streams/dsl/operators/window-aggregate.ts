/**
 * Windowed `count` / `reduce` / `aggregate` (Kafka `KStreamWindowAggregate`): each record updates
 * every window holding its timestamp that is still open — `end > streamTime − grace`, stream time
 * including this record — and each update goes downstream as a `Change` of the `Windowed` key
 * (at once without caching; once per window per commit with caching). Records for closed windows
 * are dropped, as are records with a `null` key or value, as in Kafka.
 */
import type { Windowed } from '../../../serdes/index.js'
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValueStoreImpl } from '../../state/key-value-store-impl.js'
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js'
import type { TimeWindows } from '../time-windows.js'
import type { Change } from './aggregate.js'

export function windowAggregateProcessor<K, V, VA>(
  storeName: string,
  windows: TimeWindows,
  combine: (key: K, value: V, previous: VA | undefined) => VA,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => {
    let context: ProcessorContext<Windowed<K>, Change<VA>>
    let store: KeyValueStoreImpl<Windowed<K>, ValueAndTimestamp<VA>>
    return {
      init: (c) => {
        context = c
        store = c.getStateStore<KeyValueStoreImpl<Windowed<K>, ValueAndTimestamp<VA>>>(storeName)
        if (store.caching) {
          store.setFlushListener((key, newValue, oldValue, timestampMs) =>
            c.forward(new Record(key, { newValue: newValue?.value ?? null, oldValue: oldValue?.value ?? null }, newValue?.timestampMs ?? timestampMs)),
          )
        }
      },
      process: (record: Record<K, V>) => {
        const { key, value } = record
        if (key === null || key === undefined || value === null || value === undefined) return
        const closedBefore = context.currentStreamTimeMs() - windows.graceMs
        for (const startMs of windows.windowStartsFor(record.timestampMs)) {
          const endMs = startMs + windows.sizeMs
          if (endMs <= closedBefore) continue
          const windowed: Windowed<K> = { key, window: { startMs, endMs } }
          const old = store.get(windowed)
          const aggregate = combine(key, value, old?.value)
          const timestampMs = old === undefined ? record.timestampMs : Math.max(old.timestampMs, record.timestampMs)
          store.put(windowed, { value: aggregate, timestampMs })
          if (!store.caching) context.forward(new Record(windowed, { newValue: aggregate, oldValue: old?.value ?? null }, timestampMs, record.headers))
        }
      },
    }
  }
}
