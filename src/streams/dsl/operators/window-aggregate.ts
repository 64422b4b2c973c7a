/**
 * Windowed `count` / `reduce` / `aggregate` (Kafka `KStreamWindowAggregate`): each record updates
 * every window holding its timestamp that is still open — `end > streamTime − grace`, where stream
 * time is the processor's own (the largest timestamp it took, this record included) — and each
 * update goes downstream as a `Change` of the `Windowed` key (at once without caching; once per
 * window per commit with caching). Records for closed windows
 * are dropped, as are records with a `null` key or value, as in Kafka. The results live in a
 * timestamped window store, which deletes windows older than its retention.
 */
import type { Windowed } from '../../../serdes/index.js'
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { WindowStoreImpl } from '../../state/window-store-impl.js'
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js'
import type { TimeWindows } from '../time-windows.js'
import type { Change } from './aggregate.js'

/**
 * When results go downstream: `'on-window-update'` (Kafka's default) on every change;
 * `'on-window-close'` once per window, its final value, when stream time closes it (Kafka
 * `EmitStrategy.onWindowClose()`). An emitted window is then deleted from the store (no record can
 * change it any more); after a crash, a window closed but not yet emitted-and-committed is emitted
 * again (at-least-once).
 */
export type EmitStrategy = 'on-window-update' | 'on-window-close'

export function windowAggregateProcessor<K, V, VA>(
  storeName: string,
  windows: TimeWindows,
  emit: EmitStrategy,
  combine: (key: K, value: V, previous: VA | undefined) => VA,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => {
    let context: ProcessorContext<Windowed<K>, Change<VA>>
    let store: WindowStoreImpl<K, ValueAndTimestamp<VA>>
    /** On window close: the windows not emitted yet, by end time (few distinct ends: multiples of the advance). */
    const pendingByEnd = new Map<number, Windowed<K>[]>()
    /** The largest timestamp of the records this processor took (−1 before any; again after a restart, as in Kafka). */
    let observedStreamTimeMs = -1
    const track = (windowed: Windowed<K>): void => {
      let list = pendingByEnd.get(windowed.window.endMs)
      if (list === undefined) pendingByEnd.set(windowed.window.endMs, (list = []))
      list.push(windowed)
    }
    /** Emits (and deletes) every tracked window that `closedBefore` closes, in end order. */
    const emitClosed = (closedBefore: number): void => {
      const ends = [...pendingByEnd.keys()].filter((end) => end <= closedBefore).sort((a, b) => a - b)
      for (const end of ends) {
        for (const windowed of pendingByEnd.get(end) ?? []) {
          const final = store.fetch(windowed.key, windowed.window.startMs)
          if (final === undefined) continue
          context.forward(new Record(windowed, { newValue: final.value, oldValue: null }, final.timestampMs))
          store.put(windowed.key, null, windowed.window.startMs)
        }
        pendingByEnd.delete(end)
      }
    }
    return {
      init: (c) => {
        context = c
        store = c.getStateStore<WindowStoreImpl<K, ValueAndTimestamp<VA>>>(storeName)
        if (emit === 'on-window-close') {
          // The store holds exactly the windows not emitted yet (emitted ones are deleted).
          const all = store.all()
          try {
            for (const { key } of all) track(key)
          } finally {
            all.close()
          }
        } else if (store.caching) {
          forwardWindowChangesOnFlush(store, c)
        }
      },
      process: (record: Record<K, V>) => {
        const { key, value } = record
        if (key === null || key === undefined || value === null || value === undefined) {
          context.recordDropped()
          return
        }
        // The processor's own stream time (Kafka's observedStreamTime): records dropped upstream,
        // or by the checks above, do not close windows.
        if (record.timestampMs > observedStreamTimeMs) observedStreamTimeMs = record.timestampMs
        const closedBefore = observedStreamTimeMs - windows.graceMs
        for (const startMs of windows.windowStartsFor(record.timestampMs)) {
          const endMs = startMs + windows.sizeMs
          if (endMs <= closedBefore) {
            // Kafka counts a record once per window it is too late for.
            context.recordDropped()
            continue
          }
          const old = store.fetch(key, startMs)
          const aggregate = combine(key, value, old?.value)
          const timestampMs = old === undefined ? record.timestampMs : Math.max(old.timestampMs, record.timestampMs)
          store.put(key, { value: aggregate, timestampMs }, startMs)
          if (emit === 'on-window-close') {
            if (old === undefined) track({ key, window: { startMs, endMs } })
          } else if (!store.caching) {
            context.forward(new Record<Windowed<K>, Change<VA>>({ key, window: { startMs, endMs } }, { newValue: aggregate, oldValue: old?.value ?? null }, timestampMs, record.headers))
          }
        }
        if (emit === 'on-window-close') emitClosed(closedBefore)
      },
    }
  }
}

/** Makes a caching windowed table's store forward its deduplicated updates at commit (as `forwardChangesOnFlush`). */
export function forwardWindowChangesOnFlush<K, V>(
  store: { setFlushListener(listener: (key: Windowed<K>, newValue: ValueAndTimestamp<V> | undefined, oldValue: ValueAndTimestamp<V> | undefined, timestampMs: number) => void): void },
  context: ProcessorContext<Windowed<K>, Change<V>>,
): void {
  store.setFlushListener((key, newValue, oldValue, timestampMs) =>
    context.forward(new Record(key, { newValue: newValue?.value ?? null, oldValue: oldValue?.value ?? null }, newValue?.timestampMs ?? timestampMs)),
  )
}
