/**
 * `KTable.suppress` (Kafka `KTableSuppressProcessorSupplier`, KIP-328): holds each key's latest
 * change in a buffer (see `suppress-buffer.ts`) until stream time says it may go, then forwards it
 * as a `Change` with the timestamp and headers of the latest update and, as its old value, the
 * value downstream last saw.
 *
 * The processor keeps its own stream time: the largest timestamp of the records that reached it
 * (records dropped upstream do not count), starting again from the first record after a restart,
 * as Kafka's does. Per record, in Kafka's order:
 * 1. buffer the change (a buffered key keeps its buffer time: the window's end for
 *    `untilWindowCloses`, the first update's timestamp for `untilTimeLimit`);
 * 2. emit, oldest first, every key with `bufferTime ≤ streamTime − wait` (wait: the windows' grace,
 *    or the time limit); final results drop deletions;
 * 3. over a bound: `'emit-early'` emits the oldest keys until it fits; `'shut-down'` throws
 *    `STREAMS_SUPPRESSION_BUFFER_FULL` — checked before step 1 so the refused update leaves the
 *    buffer as it was (after the keys already due in step 2 went out): a processing exception
 *    handler that continues skips that update and the buffer never exceeds its bounds.
 */
import { Serdes, type Serde, type Windowed } from '../../../serdes/index.js'
import { streamsError } from '../../errors.js'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValueStore } from '../../state/key-value-store.js'
import { Stores, changelogTopicOf } from '../../state/stores.js'
import { NAME_PREFIX, type InternalStreamsBuilder } from '../internal-builder.js'
import type { BufferConfig, SuppressOptions, Suppressed } from '../suppressed.js'
import type { Change } from './aggregate.js'
import { SuppressionBuffer, type Eviction, type PreparedPut } from './suppress-buffer.js'

interface SuppressProcessorOptions<K, V> {
  /** The processor's name (for errors). */
  readonly node: string
  readonly storeName: string
  readonly key: Serde<K>
  readonly value: Serde<V>
  readonly buffer: BufferConfig
  /** How much stream time must pass a key's buffer time before it is emitted. */
  readonly waitMs: number
  /** The buffer time of a key's first buffered update. */
  readonly bufferTimeOf: (record: Record<K, Change<V>>) => number
  /** Final results: deletions are not forwarded. */
  readonly dropTombstones: boolean
}

export function suppressProcessor<K, V>(options: SuppressProcessorOptions<K, V>): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  const { recordLimit, byteLimit, whenFull } = options.buffer
  const bounded = Number.isFinite(recordLimit) || Number.isFinite(byteLimit)
  return () => {
    let context: ProcessorContext<K, Change<V>>
    let buffer: SuppressionBuffer<K, V>
    let streamTimeMs = -1
    const emit = (eviction: Eviction<K, V>): void => {
      if (options.dropTombstones && eviction.change.newValue === null) return
      context.forward(new Record(eviction.key, eviction.change, eviction.timestampMs, eviction.headers))
    }
    const evictWhile = (condition: () => boolean): void => {
      while (buffer.recordCount > 0 && condition()) {
        const eviction = buffer.evictOldest()
        if (eviction !== undefined) emit(eviction)
      }
    }
    const isOverBounds = (): boolean => buffer.recordCount > recordLimit || buffer.sizeBytes > byteLimit
    const wouldOverflow = (put: PreparedPut, expiryMs: number): boolean => {
      if (buffer.recordCount + 1 <= recordLimit && buffer.sizeBytes + put.sizeBytes <= byteLimit) return false
      const after = buffer.sizeAfter(put, expiryMs)
      return after.records > recordLimit || after.bytes > byteLimit
    }
    return {
      init: (c) => {
        context = c
        const store = c.getStateStore<KeyValueStore<Uint8Array, Uint8Array>>(options.storeName)
        buffer = new SuppressionBuffer(store, options.key, options.value, changelogTopicOf(c.applicationId, options.storeName))
      },
      process: (record) => {
        // A table never forwards a null key (there is nothing to buffer it by).
        if (record.key === null || record.key === undefined) return
        streamTimeMs = Math.max(streamTimeMs, record.timestampMs)
        const expiryMs = streamTimeMs - options.waitMs
        const put = buffer.prepare(record, options.bufferTimeOf(record))
        if (whenFull === 'shut-down' && bounded && wouldOverflow(put, expiryMs)) {
          evictWhile(() => buffer.oldestTimeMs <= expiryMs)
          throw streamsError(
            'STREAMS_SUPPRESSION_BUFFER_FULL',
            `the buffer of ${options.node} (store ${options.storeName}) is full: ${buffer.recordCount}/${recordLimit} records, ${buffer.sizeBytes}/${byteLimit} bytes`,
            { node: options.node, store: options.storeName, records: buffer.recordCount, recordLimit, bytes: buffer.sizeBytes, byteLimit },
          )
        }
        buffer.apply(put)
        evictWhile(() => buffer.oldestTimeMs <= expiryMs)
        if (whenFull === 'emit-early') evictWhile(isOverBounds)
      },
    }
  }
}

/** The table a suppression follows (what `KTableImpl`'s state offers; named here so this file does not import the table). */
export interface SuppressedTable<K, V> {
  readonly builder: InternalStreamsBuilder
  readonly node: string
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  /** Set on a windowed aggregation's table: how long past a window's end it is final. */
  readonly windowed?: { readonly graceMs: number }
}

/**
 * Adds the suppression of `table` to its builder: the buffer store (logging as the buffer config
 * says, never cached: the buffer is its own cache) and the processor, with Kafka's names —
 * `KTABLE-SUPPRESS-<n>` then `KTABLE-SUPPRESS-STATE-STORE-<n>`, or `<name>` and `<name>-store`.
 * Returns the processor's name.
 * @throws `STREAMS_TOPOLOGY_INVALID`: `untilWindowCloses` on a table no windowed aggregation
 *   made, a suppression not made by `Suppressed`, or no serde for the buffer.
 */
export function addSuppression<K, V>(table: SuppressedTable<K, V>, suppressed: Suppressed<K>, options: SuppressOptions<K, V>): string {
  const { builder } = table
  if (suppressed?.until !== 'window-closes' && suppressed?.until !== 'time-limit') {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', 'suppress() takes Suppressed.untilWindowCloses(…) or Suppressed.untilTimeLimit(…)')
  }
  let waitMs: number
  if (suppressed.until === 'window-closes') {
    if (table.windowed === undefined) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `suppress(untilWindowCloses) needs a table made by a windowed aggregation (through filter/mapValues at most); ${table.node} is not one`, { node: table.node })
    }
    waitMs = table.windowed.graceMs
  } else {
    waitMs = suppressed.timeLimitMs ?? 0
  }
  const key = options.key ?? table.keySerde
  const value = options.value ?? table.valueSerde
  if (key === undefined || value === undefined) {
    const which = key === undefined ? 'key' : 'value'
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `suppress() needs a ${which} serde for its buffer: an operator upstream changed the ${which} type; pass { ${which}: … }`, { serde: which })
  }
  const name = builder.nameOr(options.name, NAME_PREFIX.suppress)
  const storeName = options.name === undefined ? builder.newStoreName(NAME_PREFIX.suppress) : `${name}-store`
  const { buffer } = suppressed
  builder.addStateStore(
    Stores.keyValue({
      name: storeName,
      key: Serdes.bytes(),
      value: Serdes.bytes(),
      backend: options.backend ?? 'memory',
      logging: buffer.logging,
      caching: false,
      changelogConfigs: buffer.changelogConfigs,
    }),
  )
  const finalResults = suppressed.until === 'window-closes'
  const processor = suppressProcessor<K, V>({
    node: name,
    storeName,
    key,
    value,
    buffer,
    waitMs,
    bufferTimeOf: finalResults ? (record) => windowEndOf(record.key, name) : (record) => record.timestampMs,
    dropTombstones: finalResults,
  })
  builder.addProcessor({ name, parents: [table.node], processor: processor as unknown as () => Processor<unknown, unknown, unknown, unknown>, stores: [storeName] })
  return name
}

/** The end of a windowed key's window (the types let only `Windowed` keys reach `untilWindowCloses`). */
function windowEndOf(key: unknown, node: string): number {
  const endMs = (key as Partial<Windowed<unknown>> | null)?.window?.endMs
  if (typeof endMs !== 'number') throw streamsError('STREAMS_ILLEGAL_STATE', `${node} (untilWindowCloses) got a key that is not Windowed`, { node })
  return endMs
}
