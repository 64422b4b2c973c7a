/**
 * Session-windowed `count` / `reduce` / `aggregate` (Kafka `KStreamSessionWindowAggregate`).
 * Per record at `t` of key `k`:
 * 1. the sessions it touches are `findSessions(k, t − gap, t + gap)` (both bounds inclusive);
 *    their aggregates fold into `initializer()` with the merger, and the merged window is the
 *    smallest one holding them and `t`;
 * 2. the record is dropped when that window ends before `streamTime − grace − gap` (its session
 *    is closed); otherwise each session it replaces is removed — downstream a tombstone `Change`
 *    (new `null`, old its aggregate) — unless the record lands exactly on an existing
 *    one-instant session `[t, t]`, and the merged session is put with
 *    `aggregator(k, value, merged)` and forwarded (old `null`), as Kafka does.
 * Time is the processor's own stream time (Kafka's `observedStreamTime`: the largest timestamp of
 * the non-null records it saw). Records with a `null` key or value are dropped and move no time;
 * dropped records count in `dropped-records-total` (`context.recordDropped()`).
 * Every result's timestamp is its session's end; updates carry no headers (Kafka makes them new
 * records).
 *
 * With caching the store forwards one change per session per commit, and nothing for a session
 * made and merged away within the commit (Kafka's `CachingSessionStore`).
 *
 * On window close, each session is emitted once, when `end < streamTime − grace − gap`, in end
 * then start order, with the headers of the record that closed it (Kafka). Emitted sessions stay
 * in the store for the retention, as in Kafka: a later record may still bridge a closed session
 * to an open one, and the merged session is emitted in turn when it closes.
 */
import type { Windowed } from '../../../serdes/index.js'
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { SessionStoreImpl } from '../../state/session-store-impl.js'
import { MAX_TIME_MS } from '../../state/window-key.js'
import type { SessionWindows } from '../session-windows.js'
import type { Change } from './aggregate.js'
import type { EmitStrategy } from './window-aggregate.js'

/**
 * How a session's aggregate is made (Kafka's initializer, aggregator and session merger). `A` is
 * what the merge folds into (`V | undefined` for `reduce`, which starts from nothing); `VA` what
 * the store keeps.
 */
export interface SessionAggregation<K, V, A, VA extends A> {
  readonly initializer: () => A
  readonly aggregator: (key: K, value: V, aggregate: A) => VA
  readonly merger: (key: K, aggregate: A, session: VA) => A
}

export interface SessionWindowAggregateOptions<K, V, A, VA extends A> {
  readonly storeName: string
  readonly windows: SessionWindows
  readonly emit: EmitStrategy
  readonly aggregation: SessionAggregation<K, V, A, VA>
}

export function sessionWindowAggregateProcessor<K, V, A, VA extends A>(options: SessionWindowAggregateOptions<K, V, A, VA>): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => {
    let aggregate: SessionWindowAggregation<K, V, A, VA>
    return {
      init: (context) => {
        aggregate = new SessionWindowAggregation(context, context.getStateStore<SessionStoreImpl<K, VA>>(options.storeName), options)
      },
      process: (record) => aggregate.process(record),
    }
  }
}

class SessionWindowAggregation<K, V, A, VA extends A> {
  private readonly gapMs: number
  private readonly graceMs: number
  private readonly aggregation: SessionAggregation<K, V, A, VA>
  private readonly emitOnClose: boolean
  private observedMs = -1
  /** On window close: the sessions not emitted yet. */
  private readonly pending = new PendingSessions<K, VA>()

  constructor(
    private readonly context: ProcessorContext<Windowed<K>, Change<VA>>,
    private readonly store: SessionStoreImpl<K, VA>,
    options: SessionWindowAggregateOptions<K, V, A, VA>,
  ) {
    this.gapMs = options.windows.inactivityGapMs
    this.graceMs = options.windows.graceMs
    this.aggregation = options.aggregation
    this.emitOnClose = options.emit === 'on-window-close'
    if (this.emitOnClose) this.recoverPending()
    else if (store.caching) {
      store.setFlushListener((session, newValue, oldValue) => {
        // A session made and merged away between two commits never existed downstream.
        if (newValue === undefined && oldValue === undefined) return
        context.forward(new Record<Windowed<K>, Change<VA>>(session, { newValue: newValue ?? null, oldValue: oldValue ?? null }, session.window.endMs))
      })
    }
  }

  process(record: Record<K, V>): void {
    const { key, value } = record
    if (key === null || key === undefined || value === null || value === undefined) {
      this.context.recordDropped()
      return
    }
    const ts = record.timestampMs
    this.observedMs = Math.max(this.observedMs, ts)
    const closeMs = this.observedMs - this.graceMs - this.gapMs

    const found: Array<{ readonly key: Windowed<K>; readonly value: VA }> = []
    let merged: A = this.aggregation.initializer()
    let startMs = ts
    let endMs = ts
    // Read to the end before writing: the store's iterators do not promise to see or skip later puts.
    const iterator = this.store.findSessions(key, Math.max(0, ts - this.gapMs), Math.min(MAX_TIME_MS, ts + this.gapMs))
    try {
      for (const session of iterator) {
        found.push(session)
        merged = this.aggregation.merger(key, merged, session.value)
        startMs = Math.min(startMs, session.key.window.startMs)
        endMs = Math.max(endMs, session.key.window.endMs)
      }
    } finally {
      iterator.close()
    }

    if (endMs < closeMs) {
      this.context.recordDropped()
      if (this.emitOnClose) this.emitClosed(closeMs, record)
      return
    }
    if (startMs !== ts || endMs !== ts) {
      for (const session of found) {
        this.store.remove(session.key)
        if (!this.emitOnClose && !this.store.caching) this.forward(session.key, null, session.value)
      }
    }
    const aggregate = this.aggregation.aggregator(key, value, merged)
    const session: Windowed<K> = { key, window: { startMs, endMs } }
    // The store hides (and refuses) sessions of segments past the retention (`retention.ts`).
    const hiddenAtOrBelowMs = this.store.lowestLiveEndAfter(endMs) - 1
    const isRefused = this.store.wouldRefuse(endMs)
    if (this.emitOnClose) {
      // Before the put, which may hide sessions still to be emitted.
      this.emitClosed(closeMs, record)
      this.keepHidden(hiddenAtOrBelowMs)
      const isPending = found.some((s) => s.key.window.startMs === startMs && s.key.window.endMs === endMs)
      if (!isPending) this.pending.push({ session, value: isRefused ? aggregate : undefined })
    }
    this.store.put(session, aggregate)
    // A refused session never reaches the cache's flush: forward it now, as Kafka's cache would at commit.
    if (!this.emitOnClose && (!this.store.caching || isRefused)) this.forward(session, aggregate, null)
  }

  private forward(session: Windowed<K>, newValue: VA | null, oldValue: VA | null): void {
    this.context.forward(new Record<Windowed<K>, Change<VA>>(session, { newValue, oldValue }, session.window.endMs))
  }

  /** Emits every pending session that `closeMs` closes and that is still in the store. */
  private emitClosed(closeMs: number, trigger: Record<K, V>): void {
    for (;;) {
      const next = this.pending.peek()
      if (next === undefined || next.session.window.endMs >= closeMs) return
      this.pending.pop()
      const { session } = next
      const final = next.value ?? this.store.fetchSession(session.key, session.window.startMs, session.window.endMs)
      // Absent: merged into a later session (which is pending itself).
      if (final === undefined) continue
      this.context.forward(new Record<Windowed<K>, Change<VA>>(session, { newValue: final, oldValue: null }, session.window.endMs, trigger.headers))
    }
  }

  /**
   * Keeps the values of pending sessions that the coming put hides (`end ≤ hiddenAtOrBelowMs`).
   * A retention below a segment can hide a session before it closes (with the default retention,
   * gap + grace, by up to one millisecond); hidden, it can no longer change (no merge finds it,
   * puts ignore it), so its value is read now, while the store still shows it, and emitted when
   * the session closes.
   */
  private keepHidden(hiddenAtOrBelowMs: number): void {
    const hidden: PendingSession<K, VA>[] = []
    for (let next = this.pending.peek(); next !== undefined && next.session.window.endMs <= hiddenAtOrBelowMs; next = this.pending.peek()) {
      hidden.push(next)
      this.pending.pop()
    }
    for (const { session, value } of hidden) {
      const kept = value ?? this.store.fetchSession(session.key, session.window.startMs, session.window.endMs)
      if (kept !== undefined) this.pending.push({ session, value: kept })
    }
  }

  /**
   * On window close, at init: stream time is the largest session end in the store (the latest
   * record's session ends at it), and every session it does not close is still to be emitted —
   * those it closes were emitted with the record that closed them, in the same commit. (Kafka
   * keeps the last emitted close time in the committed offsets' metadata instead.)
   */
  private recoverPending(): void {
    const sessions: Windowed<K>[] = []
    const all = this.store.all()
    try {
      for (const { key } of all) {
        sessions.push(key)
        this.observedMs = Math.max(this.observedMs, key.window.endMs)
      }
    } finally {
      all.close()
    }
    const closeMs = this.observedMs - this.graceMs - this.gapMs
    for (const session of sessions) if (session.window.endMs >= closeMs) this.pending.push({ session, value: undefined })
  }
}

/** A session waiting to be emitted; `value` is set once the store no longer shows it. */
interface PendingSession<K, VA> {
  readonly session: Windowed<K>
  readonly value: VA | undefined
}

/**
 * The sessions not emitted yet, earliest end (then start, then arrival) first: a binary heap, as
 * session ends are arbitrary (time windows' few distinct ends allow a map by end).
 */
class PendingSessions<K, VA> {
  private readonly heap: Array<{ readonly entry: PendingSession<K, VA>; readonly seq: number }> = []
  private seq = 0

  peek(): PendingSession<K, VA> | undefined {
    return this.heap[0]?.entry
  }

  push(entry: PendingSession<K, VA>): void {
    const heap = this.heap
    heap.push({ entry, seq: this.seq++ })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  pop(): void {
    const heap = this.heap
    const last = heap.pop()
    if (last === undefined || heap.length === 0) return
    heap[0] = last
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let first = i
      if (left < heap.length && this.before(left, first)) first = left
      if (right < heap.length && this.before(right, first)) first = right
      if (first === i) return
      this.swap(i, first)
      i = first
    }
  }

  private before(i: number, j: number): boolean {
    const a = this.heap[i]
    const b = this.heap[j]
    if (a === undefined || b === undefined) return false
    const wa = a.entry.session.window
    const wb = b.entry.session.window
    if (wa.endMs !== wb.endMs) return wa.endMs < wb.endMs
    if (wa.startMs !== wb.startMs) return wa.startMs < wb.startMs
    return a.seq < b.seq
  }

  private swap(i: number, j: number): void {
    const heap = this.heap
    const a = heap[i]
    const b = heap[j]
    if (a === undefined || b === undefined) return
    heap[i] = b
    heap[j] = a
  }
}
