/**
 * Sliding-window `count` / `reduce` / `aggregate` (Kafka `KStreamSlidingWindowAggregate`,
 * KIP-450). Windows are `[start, start + difference]`, both ends inclusive, and exist only where
 * the set of records changes: every record has a **left window** `[t − difference, t]` (ending
 * at it) and, when a later record lies within `difference + 1` of it, a **right window**
 * `[t + 1, t + 1 + difference]` (the first window it has left). Windows that would start below
 * 0 are folded into one window `[0, difference]` ("early" records).
 *
 * Per record at `t`, Kafka's algorithm, read from the store and not recomputed:
 * 1. read the key's windows starting in `[t − 2·difference, t + 1]`, latest start first: each
 *    one holding `t` is updated; the window starting at `t + 1` (the record's right window) may
 *    already exist; the first window ending before `t` is the **left source** — by the
 *    invariant above it holds exactly the earlier records of the new left window — and its
 *    largest timestamp is the **previous record**;
 * 2. create the previous record's right window when `t` lies in it and it does not exist;
 * 3. create the record's left window from the left source (or empty) plus the record;
 * 4. create the record's right window as a copy of the latest window holding `t` — when that
 *    window has a record later than `t` (the invariant makes its later records exactly the
 *    right window's).
 *
 * Time is the processor's own stream time (Kafka's `observedStreamTime`: the largest timestamp
 * of the non-null records it saw). A record is dropped when `t + difference < streamTime − grace`
 * (its every window is closed); a window is closed, and no longer updated or created, once
 * `end < streamTime − grace`. Records with a `null` key or value are dropped and move no time.
 * Drops count in the task's dropped records (as Kafka's: a late record once, a taken one once per
 * closed window it would have updated or made). Each result's timestamp is the window's largest
 * record timestamp.
 */
import type { Windowed } from '../../../serdes/index.js'
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { WindowStoreImpl } from '../../state/window-store-impl.js'
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js'
import { streamsError } from '../../errors.js'
import type { SlidingWindows } from '../sliding-windows.js'
import type { Change } from './aggregate.js'
import { forwardWindowChangesOnFlush, type EmitStrategy } from './window-aggregate.js'

/**
 * A sliding-window store's retention: as asked, at least Kafka's `2·difference + grace`
 * (`SlidingWindowStoreMaterializer`), which is also the default — a record as late as grace still
 * reads the windows starting up to `2·difference` before it (the store keeps whole segments of
 * at least a minute, so the boundary window is still there, as in Kafka's RocksDB store).
 * @throws `STREAMS_TOPOLOGY_INVALID` below `2·difference + grace`.
 */
export function slidingRetentionOf(windows: SlidingWindows, retentionMs: number | undefined): number {
  const minimum = 2 * windows.timeDifferenceMs + windows.graceMs
  if (retentionMs === undefined) return minimum
  if (!(Number.isSafeInteger(retentionMs) && retentionMs >= minimum)) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `sliding window retention must be an integer ≥ 2 × time difference + grace (${minimum} ms)`, { retentionMs: String(retentionMs) })
  }
  return retentionMs
}

export function slidingWindowAggregateProcessor<K, V, VA>(
  storeName: string,
  windows: SlidingWindows,
  emit: EmitStrategy,
  combine: (key: K, value: V, previous: VA | undefined) => VA,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => {
    let aggregation: SlidingWindowAggregation<K, V, VA>
    return {
      init: (context) => {
        aggregation = new SlidingWindowAggregation(context, context.getStateStore<WindowStoreImpl<K, ValueAndTimestamp<VA>>>(storeName), windows, emit, combine)
      },
      process: (record) => aggregation.process(record),
    }
  }
}

/** The windows of one record's key as step 1 found them. */
interface Found<VA> {
  /** Every window start read (Kafka's `windowStartTimes`). */
  readonly starts: Set<number>
  /** The windows holding the record, as read, to update in this order once the read is closed. */
  readonly holding: Array<readonly [startMs: number, window: ValueAndTimestamp<VA>]>
  /** The latest window holding the record that is not its left window (Kafka's `rightWinAgg`). */
  rightSource: ValueAndTimestamp<VA> | undefined
  hasRightWindow: boolean
}

class SlidingWindowAggregation<K, V, VA> {
  /** Largest timestamp of the non-null records processed (−1 before any; see `recoverOpenWindows`). */
  private observedMs = -1
  private readonly differenceMs: number
  private readonly graceMs: number
  /** On window close: windows not emitted yet, by end. */
  private readonly pendingByEnd = new Map<number, Windowed<K>[]>()

  constructor(
    private readonly context: ProcessorContext<Windowed<K>, Change<VA>>,
    private readonly store: WindowStoreImpl<K, ValueAndTimestamp<VA>>,
    windows: SlidingWindows,
    private readonly emit: EmitStrategy,
    private readonly combine: (key: K, value: V, previous: VA | undefined) => VA,
  ) {
    this.differenceMs = windows.timeDifferenceMs
    this.graceMs = windows.graceMs
    if (emit === 'on-window-close') this.recoverOpenWindows()
    else if (store.caching) forwardWindowChangesOnFlush(store, context)
  }

  process(record: Record<K, V>): void {
    const { key, value } = record
    if (key === null || key === undefined || value === null || value === undefined) {
      this.context.recordDropped()
      return
    }
    const ts = record.timestampMs
    if (ts > this.observedMs) this.observedMs = ts
    const closeMs = this.observedMs - this.graceMs
    // Windows this record closes are final already (it can only change windows ending at or after
    // `closeMs`). Kafka emits them after the record's puts, which can move the store's retention
    // past them on a jump of stream time, losing them; emitted first, they are still there.
    if (this.emit === 'on-window-close') this.emitClosed(closeMs)
    if (ts + this.differenceMs < closeMs) {
      this.context.recordDropped()
      return
    }
    if (ts < this.differenceMs) this.processEarly(record, closeMs)
    else this.processRecord(record, closeMs)
  }

  /** A record at `t ≥ difference` (Kafka `processReverse`). */
  private processRecord(record: Record<K, V>, closeMs: number): void {
    const ts = record.timestampMs
    const found: Found<VA> = { starts: new Set(), holding: [], rightSource: undefined, hasRightWindow: false }
    let leftSource: ValueAndTimestamp<VA> | undefined
    let hasLeftWindow = false
    let previousMs: number | undefined
    /** A record of the same timestamp came first: every window this one needs exists. */
    let sameTimestampSeen = false
    const iterator = this.store.backwardFetch(record.key, Math.max(0, ts - 2 * this.differenceMs), ts + 1)
    try {
      for (const { key: startMs, value: window } of iterator) {
        found.starts.add(startMs)
        const endMs = startMs + this.differenceMs
        if (startMs === ts + 1) {
          found.hasRightWindow = true
        } else if (endMs > ts) {
          found.rightSource ??= window
          found.holding.push([startMs, window])
        } else if (endMs === ts) {
          hasLeftWindow = true
          found.holding.push([startMs, window])
          if (window.timestampMs >= ts) {
            sameTimestampSeen = true
            break
          }
          previousMs = window.timestampMs
        } else {
          leftSource = window
          previousMs = window.timestampMs
          break
        }
      }
    } finally {
      iterator.close()
    }
    // Puts wait until the read is closed: the store's iterators do not promise to see or skip them.
    for (const [startMs, window] of found.holding) this.update(record, startMs, window, false, closeMs)
    if (sameTimestampSeen) return

    let madeStartMs: number | undefined
    if (previousMs !== undefined) {
      const previousRightStartMs = previousMs + 1
      if (!found.starts.has(previousRightStartMs) && previousRightStartMs + this.differenceMs >= ts) {
        this.update(record, previousRightStartMs, undefined, true, closeMs)
        madeStartMs = previousRightStartMs
      }
    }
    if (!hasLeftWindow) {
      // The left source holds the new left window's earlier records only if the previous record is in it.
      const start = leftSource !== undefined && previousMs !== undefined && ts - this.differenceMs <= previousMs ? { value: leftSource.value, timestampMs: ts } : undefined
      // A previous record exactly `difference + 1` before: its right window just made is this left
      // window, made again from empty as Kafka does (same value, sent twice), but new only once.
      this.update(record, ts - this.differenceMs, start, madeStartMs !== ts - this.differenceMs, closeMs)
    }
    this.maybeCreateRightWindow(record, found)
  }

  /**
   * A record at `0 ≤ t < difference` (Kafka `processEarly`): its left window would start below 0,
   * so it goes into the window `[0, difference]`, which holds every record up to `difference`.
   */
  private processEarly(record: Record<K, V>, closeMs: number): void {
    const ts = record.timestampMs
    const found: Found<VA> = { starts: new Set(), holding: [], rightSource: undefined, hasRightWindow: false }
    let combined: ValueAndTimestamp<VA> | undefined
    let previousMs: number | undefined
    const iterator = this.store.fetch(record.key, 0, ts + 1)
    try {
      for (const { key: startMs, value: window } of iterator) {
        found.starts.add(startMs)
        if (startMs === 0) {
          combined = window
          // A later largest timestamp already made the previous record's right window.
          if (window.timestampMs < ts) previousMs = window.timestampMs
        } else if (startMs <= ts) {
          found.rightSource = window
          found.holding.push([startMs, window])
        } else {
          found.hasRightWindow = true
        }
      }
    } finally {
      iterator.close()
    }
    for (const [startMs, window] of found.holding) this.update(record, startMs, window, false, closeMs)
    // No window between 0 and `t` holds a later record: the combined window's later records are
    // all the right window's (had it earlier ones too, their right windows would have been found).
    if (found.rightSource === undefined && combined !== undefined && combined.timestampMs > ts) found.rightSource = combined
    this.maybeCreateRightWindow(record, found)
    if (previousMs !== undefined && !found.starts.has(previousMs + 1)) this.update(record, previousMs + 1, undefined, true, closeMs)
    this.update(record, 0, combined, combined === undefined, closeMs)
  }

  /** Creates the record's right window as a copy of `found.rightSource` when it has a later record (Kafka `createCurrentRecordRightWindow`). */
  private maybeCreateRightWindow(record: Record<K, V>, found: Found<VA>): void {
    const source = found.rightSource
    if (found.hasRightWindow || source === undefined || source.timestampMs <= record.timestampMs) return
    // Always open: it ends after the record's left window, which was open enough to accept it.
    const startMs = record.timestampMs + 1
    this.store.put(record.key, source, startMs)
    this.forward(record, startMs, source.value, null, source.timestampMs, true)
  }

  /**
   * Folds the record into the window at `startMs` unless it is closed (Kafka
   * `updateWindowAndForward`). `previous` is the window's aggregate — for a new window, the
   * aggregate it starts from (`undefined`: the initializer's).
   */
  private update(record: Record<K, V>, startMs: number, previous: ValueAndTimestamp<VA> | undefined, isNew: boolean, closeMs: number): void {
    if (startMs + this.differenceMs < closeMs) {
      // Kafka counts a record once per closed window it skips.
      this.context.recordDropped()
      return
    }
    const aggregate = this.combine(record.key, record.value, previous?.value)
    const timestampMs = previous === undefined ? record.timestampMs : Math.max(record.timestampMs, previous.timestampMs)
    this.store.put(record.key, { value: aggregate, timestampMs }, startMs)
    // A new window has no old value (Kafka sends the aggregate it started from).
    this.forward(record, startMs, aggregate, isNew ? null : (previous?.value ?? null), timestampMs, isNew)
  }

  private forward(record: Record<K, V>, startMs: number, newValue: VA, oldValue: VA | null, timestampMs: number, isNew: boolean): void {
    const windowed: Windowed<K> = { key: record.key, window: { startMs, endMs: startMs + this.differenceMs } }
    if (this.emit === 'on-window-close') {
      if (isNew) this.track(windowed)
    } else if (!this.store.caching) {
      this.context.forward(new Record<Windowed<K>, Change<VA>>(windowed, { newValue, oldValue }, timestampMs, record.headers))
    }
  }

  private track(windowed: Windowed<K>): void {
    let list = this.pendingByEnd.get(windowed.window.endMs)
    if (list === undefined) this.pendingByEnd.set(windowed.window.endMs, (list = []))
    list.push(windowed)
  }

  /**
   * Emits each tracked window that `closeMs` closes (`end < closeMs`), in end order. Emitted
   * windows stay in the store, unlike time windows': later records read closed windows as their
   * left sources; retention deletes them.
   */
  private emitClosed(closeMs: number): void {
    const ends = [...this.pendingByEnd.keys()].filter((endMs) => endMs < closeMs).sort((a, b) => a - b)
    for (const endMs of ends) {
      for (const windowed of this.pendingByEnd.get(endMs) ?? []) {
        const final = this.store.fetch(windowed.key, windowed.window.startMs)
        if (final !== undefined) this.context.forward(new Record(windowed, { newValue: final.value, oldValue: null }, final.timestampMs))
      }
      this.pendingByEnd.delete(endMs)
    }
  }

  /**
   * On window close, at init: the stream time is the windows' largest timestamp (the latest
   * record's left window has it), and every window it does not close is still to be emitted —
   * those it closes were emitted with the record that closed them, in the same commit. (Kafka
   * keeps the last emitted close time in the committed offsets' metadata instead.)
   */
  private recoverOpenWindows(): void {
    const windows: Windowed<K>[] = []
    const all = this.store.all()
    try {
      for (const { key, value } of all) {
        windows.push(key)
        if (value.timestampMs > this.observedMs) this.observedMs = value.timestampMs
      }
    } finally {
      all.close()
    }
    const closeMs = this.observedMs - this.graceMs
    for (const windowed of windows) if (windowed.window.endMs >= closeMs) this.track(windowed)
  }
}
