/**
 * Keeps one global store (Kafka `GlobalStateUpdateTask`), for the app and for the test driver:
 * the store's source and processor run as a task of their own (id `-1_-1`, Kafka's global
 * context) over records of every partition of the store's topic — deserialized, timestamped and
 * error-handled as any source's records — and each applied batch goes to the backend at once,
 * where every reader sees it:
 * - tasks read it through `view()`, a read-only store over the same backend (one per task;
 *   closing it leaves the backend open);
 * - queries and the test driver read it through `readable()`.
 *
 * Global records never reach a task, so they move no task's stream time. The updater records no
 * offset by itself: the app's global state marks the backend with its checkpoints (`mark`).
 *
 * One writer: the updater, driven from one place (the app's global loop, the driver's pipe).
 * Ownership: the updater owns the backend it is given from construction on; `close()` closes it.
 */
import { streamsError } from '../errors.js'
import type { BytesKeyValueBackend } from '../state/bytes-store.js'
import { KeyValueStoreImpl } from '../state/key-value-store-impl.js'
import type { KeyValueStore } from '../state/key-value-store.js'
import { DEFAULT_CACHE_MAX_BYTES, type StoreSpec } from '../state/stores.js'
import { plainValueFacade } from '../state/timestamped-facade.js'
import type { ValueAndTimestamp } from '../state/value-and-timestamp.js'
import type { GlobalStoreSpec } from '../topology/global-store-spec.js'
import type { ErrorHandlers } from './error-handlers.js'
import type { RecordCollector } from './record-collector.js'
import type { InputRecord } from './record-queue.js'
import { StreamTask } from './stream-task.js'

/** Kafka's task id of the global processor context (`GlobalProcessorContextImpl`: `new TaskId(-1, -1)`). */
export const GLOBAL_TASK_ID = Object.freeze({ subtopology: -1, partition: -1 })

export interface GlobalStoreUpdaterOptions {
  readonly global: GlobalStoreSpec
  /** Owned by the updater from now on (also when the constructor throws). */
  readonly backend: BytesKeyValueBackend
  readonly applicationId: string
  /** Where dead-lettered records go. */
  readonly collector: RecordCollector
  readonly handlers: ErrorHandlers
  readonly nowMs: () => number
}

export class GlobalStoreUpdater {
  readonly topic: string
  readonly name: string
  private readonly spec: StoreSpec
  private readonly backend: BytesKeyValueBackend
  private readonly store: KeyValueStoreImpl<unknown, unknown>
  private readonly task: StreamTask
  private readonly nowMs: () => number

  /** @throws what the processor's supplier or `init` throws (`STREAMS_PROCESSING_FAILED`), after closing the backend. */
  constructor(options: GlobalStoreUpdaterOptions) {
    const { global, backend } = options
    this.topic = global.topic
    this.name = global.store.name
    this.backend = backend
    this.nowMs = options.nowMs
    // Neither cached nor logged: nothing downstream to deduplicate for, and the topic is the changelog.
    this.spec = { ...global.store, caching: false, logging: false }
    const opened: { store?: KeyValueStoreImpl<unknown, unknown> } = {}
    try {
      this.task = new StreamTask({
        id: GLOBAL_TASK_ID,
        applicationId: options.applicationId,
        nodes: [global.source, global.processor],
        resolveTopic: (topic) => topic,
        collector: options.collector,
        handlers: options.handlers,
        nowMs: options.nowMs,
        stores: new Map([[this.spec.name, this.spec]]),
        openStore: (spec, task) =>
          (opened.store = new KeyValueStoreImpl(spec, backend, {
            topic: global.topic,
            changelog: undefined,
            timestampMs: task.timestampMs,
            cacheMaxBytes: DEFAULT_CACHE_MAX_BYTES,
            requestCommit: task.requestCommit,
            asCurrentNode: task.asCurrentNode,
          })),
      })
    } catch (err) {
      backend.close()
      throw err
    }
    if (opened.store === undefined) {
      this.task.close()
      backend.close()
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `the processor of global store ${this.name} does not use it`, { store: this.name })
    }
    this.store = opened.store
    try {
      this.task.init()
    } catch (err) {
      // Closing a task that never ran closes its store, and so the backend.
      this.task.close()
      throw err
    }
  }

  /**
   * Runs `records` (of the store's topic, offsets ascending per partition) through the processor
   * and writes the changes to the backend in one batch.
   * @throws the task's failures (`STREAMS_DESERIALIZATION_FAILED`, `STREAMS_PROCESSING_FAILED`,
   *   `STREAMS_INVALID_TIMESTAMP`); the changes of the failed batch stay unwritten.
   */
  apply(records: readonly InputRecord[]): void {
    if (records.length === 0) return
    this.task.addRecords(records)
    this.task.process(Number.MAX_SAFE_INTEGER)
    this.store.commit(undefined)
  }

  /** Records `offset` in the backend with no data (a checkpoint of the app's global state). */
  mark(offset: number): void {
    this.store.commit(offset)
  }

  /**
   * A read-only store over the backend, for one task: reads see every applied batch; writes throw
   * `STREAMS_ILLEGAL_STATE` (only the topic changes a global store); closing it leaves the backend open.
   */
  view(): KeyValueStoreImpl<unknown, unknown> {
    const name = this.name
    const refuse = (): never => {
      throw streamsError('STREAMS_ILLEGAL_STATE', `global store ${name} is read-only: only its topic changes it`, { store: name })
    }
    return new KeyValueStoreImpl(this.spec, readOnlyShare(this.backend, refuse), {
      topic: this.topic,
      changelog: undefined,
      // A write asks for its timestamp before it buffers anything (`put`, which `putIfAbsent`,
      // `putAll` and `delete` go through): refusing here refuses every write before it takes effect.
      timestampMs: refuse,
      cacheMaxBytes: DEFAULT_CACHE_MAX_BYTES,
      requestCommit: () => undefined,
      asCurrentNode:
        () =>
        <T>(fn: () => T): T =>
          fn(),
    })
  }

  /** The store for queries and the test driver: plain values for a table's (timestamped) store. */
  readable<K, V>(): KeyValueStore<K, V> {
    if (this.spec.timestamped === true) return plainValueFacade(this.store as unknown as KeyValueStore<K, ValueAndTimestamp<V>>, this.nowMs)
    return this.store as unknown as KeyValueStore<K, V>
  }

  /** The store with each value's timestamp (a table's), else `undefined`. */
  timestamped<K, V>(): KeyValueStore<K, ValueAndTimestamp<V>> | undefined {
    return this.spec.timestamped === true ? (this.store as unknown as KeyValueStore<K, ValueAndTimestamp<V>>) : undefined
  }

  /** Closes the processor and the store with its backend. Idempotent. */
  close(): void {
    this.task.close()
  }
}

/** The updater's backend as a task's store sees it: reads pass through; it cannot be written, closed or destroyed from there. */
function readOnlyShare(backend: BytesKeyValueBackend, refuse: () => never): BytesKeyValueBackend {
  return {
    name: backend.name,
    // Not persistent as far as the task's store can tell: a persistent backend gets a cache of
    // committed values in front of it, and that cache would go stale here, because the updater
    // writes the backend behind the task's store.
    persistent: false,
    get: (key) => backend.get(key),
    getMany: (keys) => backend.getMany(keys),
    range: (from, to, reverse) => backend.range(from, to, reverse),
    prefixScan: (prefix) => backend.prefixScan(prefix),
    approximateNumEntries: () => backend.approximateNumEntries(),
    write: refuse,
    committedOffset: () => undefined,
    // The updater owns the backend: a task closing its view leaves it open.
    close: () => undefined,
    destroy: refuse,
  }
}
