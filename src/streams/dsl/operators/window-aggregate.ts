/**
 * Windowed `count` / `reduce` / `aggregate` (Kafka `KStreamWindowAggregate`): each record updates
 * every window holding its timestamp that is still open — `end > streamTime − grace`, stream time
 * including this record — and each update goes downstream as a `Change` of the `Windowed` key
 * (at once without caching; once per window per commit with caching). Records for closed windows
 * are dropped, as are records with a `null` key or value, as in Kafka. Windows older than the
 * retention are deleted from the store (Kafka drops whole time segments).
 */
import type { Windowed } from '../../../serdes/index.js'
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValueStoreImpl } from '../../state/key-value-store-impl.js'
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js'
import type { TimeWindows } from '../time-windows.js'
import { forwardChangesOnFlush, type Change } from './aggregate.js'

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
  retentionMs: number,
  emit: EmitStrategy,
  combine: (key: K, value: V, previous: VA | undefined) => VA,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => {
    let context: ProcessorContext<Windowed<K>, Change<VA>>
    let store: KeyValueStoreImpl<Windowed<K>, ValueAndTimestamp<VA>>
    /** Stream time of the last expiry scan: windows are expired at most once per window size of stream time. */
    let expiredAt = -1
    /** On window close: the windows not emitted yet, by end time (few distinct ends: multiples of the advance). */
    const pendingByEnd = new Map<number, Windowed<K>[]>()
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
          const final = store.get(windowed)
          if (final === undefined) continue
          context.forward(new Record(windowed, { newValue: final.value, oldValue: null }, final.timestampMs))
          store.delete(windowed)
        }
        pendingByEnd.delete(end)
      }
    }
    /**
     * Deletes windows that started more than `retentionMs` before stream time. The store is keyed
     * by key then start, so this is a scan; it runs once per window size of stream time, not per record.
     */
    const expire = (streamTimeMs: number): void => {
      if (expiredAt >= 0 && streamTimeMs - expiredAt < windows.sizeMs) return
      expiredAt = streamTimeMs
      const expired: Windowed<K>[] = []
      const all = store.all()
      try {
        for (const { key } of all) if (key.window.startMs <= streamTimeMs - retentionMs) expired.push(key)
      } finally {
        all.close()
      }
      for (const key of expired) store.delete(key)
    }
    return {
      init: (c) => {
        context = c
        store = c.getStateStore<KeyValueStoreImpl<Windowed<K>, ValueAndTimestamp<VA>>>(storeName)
        if (emit === 'on-window-close') {
          // The store holds exactly the windows not emitted yet (emitted ones are deleted).
          const all = store.all()
          try {
            for (const { key } of all) track(key)
          } finally {
            all.close()
          }
        } else if (store.caching) {
          forwardChangesOnFlush(store, c)
        }
      },
      process: (record: Record<K, V>) => {
        const { key, value } = record
        if (key === null || key === undefined || value === null || value === undefined) return
        const streamTimeMs = context.currentStreamTimeMs()
        expire(streamTimeMs)
        const closedBefore = streamTimeMs - windows.graceMs
        for (const startMs of windows.windowStartsFor(record.timestampMs)) {
          const endMs = startMs + windows.sizeMs
          if (endMs <= closedBefore) continue
          const windowed: Windowed<K> = { key, window: { startMs, endMs } }
          const old = store.get(windowed)
          const aggregate = combine(key, value, old?.value)
          const timestampMs = old === undefined ? record.timestampMs : Math.max(old.timestampMs, record.timestampMs)
          store.put(windowed, { value: aggregate, timestampMs })
          if (emit === 'on-window-close') {
            if (old === undefined) track(windowed)
          } else if (!store.caching) {
            context.forward(new Record(windowed, { newValue: aggregate, oldValue: old?.value ?? null }, timestampMs, record.headers))
          }
        }
        if (emit === 'on-window-close') emitClosed(closedBefore)
      },
    }
  }
}
