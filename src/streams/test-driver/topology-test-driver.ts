/**
 * Runs a topology without a broker (Kafka `TopologyTestDriver`): the real processors, serdes and
 * error handlers, synchronously, with a manual wall clock and no files. Piping a record into an
 * input topic processes it — and everything it causes — before the call returns.
 *
 * ```ts
 * const driver = new TopologyTestDriver(topology, { startTimeMs: 0 })
 * const input = driver.createInputTopic('orders', Serdes.string(), Serdes.json<Order>())
 * const output = driver.createOutputTopic('priced-orders', Serdes.string(), Serdes.json<PricedOrder>())
 * input.pipeInput('o-1', order, 1_000)
 * output.readKeyValue()
 * driver.close()
 * ```
 *
 * As in Kafka's driver, the whole topology runs as one task (`0_0`) over partition 0 of every
 * topic; a record written to a topic the topology also reads (a repartition topic, or a user topic
 * read back) is fed back in at once. Stream-time punctuations run after each piped record,
 * wall-clock ones on `advanceWallClockTime`.
 *
 * Global stores (`builder.globalTable`, `Topology#addGlobalStore`) are kept apart from the task,
 * as an app keeps them: a record piped into a global store's topic updates the store before the
 * call returns and moves no stream time; processors read the store (read-only) when they name it
 * in their `stores`, and `getKeyValueStore` returns it.
 */
import type { RecordHeader } from '../../log/index.js'
import type { Deserializer, Serializer } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import { definitionOf, type Topology } from '../topology/topology.js'
import {
  defaultWarningListener,
  type DeserializationExceptionHandler,
  type ErrorHandlers,
  type ProcessingExceptionHandler,
  type ProductionExceptionHandler,
  type WarningListener,
} from '../runtime/error-handlers.js'
import type { OutputRecord, RecordCollector } from '../runtime/record-collector.js'
import { StreamTask } from '../runtime/stream-task.js'
import { GlobalStoreUpdater } from '../runtime/global-store-updater.js'
import { InMemoryKeyValueBackend } from '../state/memory/in-memory-backend.js'
import { KeyValueStoreImpl } from '../state/key-value-store-impl.js'
import type { KeyValueStore } from '../state/key-value-store.js'
import type { SessionStore } from '../state/session-store.js'
import { plainWindowFacade, storeFace } from '../state/store-face.js'
import type { WindowStore } from '../state/window-store.js'
import { storeMetricsByName, type StreamsMetrics } from '../runtime/task-metrics.js'
import { taskIdToString } from '../processor/processor.js'
import { DEFAULT_CACHE_MAX_BYTES, changelogTopicOf } from '../state/stores.js'
import { plainValueFacade } from '../state/timestamped-facade.js'
import type { ValueAndTimestamp } from '../state/value-and-timestamp.js'
import { TestInputTopic, type TestInputTopicOptions } from './test-input-topic.js'
import { TestOutputTopic } from './test-output-topic.js'

export interface TopologyTestDriverOptions {
  /** Internal topics are named `<applicationId>-<name>` (default `topology-test-driver`). */
  readonly applicationId?: string
  /** The wall clock's start, and the default time of input topics (default 0). */
  readonly startTimeMs?: number
  readonly deserializationExceptionHandler?: DeserializationExceptionHandler
  readonly processingExceptionHandler?: ProcessingExceptionHandler
  readonly productionExceptionHandler?: ProductionExceptionHandler
  readonly deadLetterQueueTopic?: string
  /** Receives warnings of skipped records (default: `process.emitWarning`). */
  readonly onWarning?: WarningListener
}

const DEFAULT_APPLICATION_ID = 'topology-test-driver'
/** Feed-back loops (a topology writing to a topic it reads) stop after this many rounds per pipe. */
const MAX_FEEDBACK_ROUNDS = 10_000

export class TopologyTestDriver {
  readonly applicationId: string
  private wallClockMs: number
  private readonly task: StreamTask
  /** Global stores by topic. */
  private readonly globals = new Map<string, GlobalStoreUpdater>()
  private readonly outputs = new Map<string, OutputRecord[]>()
  private readonly pending: OutputRecord[] = []
  private readonly nextOffset = new Map<string, number>()
  private readonly everProduced = new Set<string>()
  private closed = false

  constructor(topology: Topology, options: TopologyTestDriverOptions = {}) {
    this.applicationId = options.applicationId ?? DEFAULT_APPLICATION_ID
    this.wallClockMs = options.startTimeMs ?? 0
    const definition = definitionOf(topology)
    const internal = new Set(definition.internalTopics.keys())
    const resolveTopic = (topic: string): string => (internal.has(topic) ? `${this.applicationId}-${topic}` : topic)
    const handlers: ErrorHandlers = {
      deserialization: options.deserializationExceptionHandler ?? 'fail',
      processing: options.processingExceptionHandler ?? 'fail',
      production: options.productionExceptionHandler ?? 'fail',
      deadLetterQueueTopic: options.deadLetterQueueTopic,
      onWarning: options.onWarning ?? defaultWarningListener,
    }
    const collector: RecordCollector = {
      send: (record) => {
        this.pending.push(record)
      },
      partitionCount: () => 1,
    }
    for (const global of definition.globalStores.values()) {
      const backend = new InMemoryKeyValueBackend(global.store.name)
      this.globals.set(global.topic, new GlobalStoreUpdater({ global, backend, applicationId: this.applicationId, collector, handlers, nowMs: () => this.wallClockMs }))
    }
    this.task = new StreamTask({
      id: { subtopology: 0, partition: 0 },
      applicationId: this.applicationId,
      nodes: [...definition.nodes.values()],
      resolveTopic,
      collector,
      handlers,
      nowMs: () => this.wallClockMs,
      stores: definition.stores,
      // Every store runs on the in-memory backend here (whatever the topology asks for): the
      // driver is synchronous and keeps no files; the store semantics above the backend are the same.
      openStore: (spec, task) => {
        const global = this.globalNamed(spec.name)
        if (global !== undefined) return global.view()
        const topic = changelogTopicOf(this.applicationId, spec.name)
        return new KeyValueStoreImpl(spec, new InMemoryKeyValueBackend(spec.name), {
          topic,
          changelog: spec.logging ? (key, value, timestampMs) => collector.send({ topic, key, value, headers: [], timestampMs, partition: 0 }) : undefined,
          timestampMs: task.timestampMs,
          cacheMaxBytes: DEFAULT_CACHE_MAX_BYTES,
          requestCommit: task.requestCommit,
          asCurrentNode: task.asCurrentNode,
        })
      },
    })
    this.task.init()
    this.drainOutputs()
  }

  /**
   * An input topic. @throws `STREAMS_UNKNOWN_TOPIC` when no source of the topology reads `topic`.
   */
  createInputTopic<K, V>(topic: string, key: Serializer<K>, value: Serializer<V>, options: TestInputTopicOptions = {}): TestInputTopic<K, V> {
    this.checkOpen()
    if (this.task.sourceFor(topic) === undefined && !this.globals.has(topic)) {
      throw streamsError('STREAMS_UNKNOWN_TOPIC', `no source of the topology reads ${topic}`, { topic })
    }
    return new TestInputTopic(topic, key, value, (t, k, v, ts, h) => this.pipe(t, k, v, ts, h), this.wallClockMs, options)
  }

  /** An output topic: the records the topology writes to `topic` (internal topics by their full name). */
  createOutputTopic<K, V>(topic: string, key: Deserializer<K>, value: Deserializer<V>): TestOutputTopic<K, V> {
    this.checkOpen()
    return new TestOutputTopic(topic, key, value, this.outputQueue(topic))
  }

  /** Topics the topology has written to so far (internal ones included, by their full name). */
  producedTopicNames(): string[] {
    return [...this.everProduced]
  }

  /** Moves the wall clock and runs the wall-clock punctuations that became due. */
  advanceWallClockTime(ms: number): void {
    this.checkOpen()
    if (!(Number.isSafeInteger(ms) && ms >= 0)) throw streamsError('STREAMS_ILLEGAL_STATE', 'advanceWallClockTime takes a non-negative integer of ms')
    this.wallClockMs += ms
    this.task.punctuateWallClock(this.wallClockMs)
    this.commit()
    this.drainOutputs()
  }

  /**
   * The key-value store `name` (an aggregation's store shows plain values, as Kafka's driver does),
   * or `undefined` when the topology has none of that name.
   */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> | undefined {
    const global = this.globalNamed(name)
    if (global !== undefined) return global.readable<K, V>()
    const store = this.task.stores.find((s) => s.name === name)
    if (store === undefined || store.spec.layout !== undefined) return undefined
    if (store.spec.timestamped === true) return plainValueFacade(store as unknown as KeyValueStore<K, ValueAndTimestamp<V>>, () => this.wallClockMs)
    return store as unknown as KeyValueStore<K, V>
  }

  /** An aggregation's store with each value's timestamp (Kafka `getTimestampedKeyValueStore`). */
  getTimestampedKeyValueStore<K, V>(name: string): KeyValueStore<K, ValueAndTimestamp<V>> | undefined {
    const global = this.globalNamed(name)
    if (global !== undefined) return global.timestamped<K, V>()
    const store = this.task.stores.find((s) => s.name === name)
    return store?.spec.timestamped === true && store.spec.layout === undefined ? (store as unknown as KeyValueStore<K, ValueAndTimestamp<V>>) : undefined
  }

  /**
   * The window store `name` (a windowed aggregation's store shows plain values; writes through it
   * are stamped with the wall clock), or `undefined` when the topology has no window store of that name.
   */
  getWindowStore<K, V>(name: string): WindowStore<K, V> | undefined {
    const store = this.task.stores.find((s) => s.name === name)
    if (store?.spec.layout?.kind !== 'window') return undefined
    const face = storeFace(store) as WindowStore<K, unknown>
    return store.spec.timestamped === true ? plainWindowFacade(face as WindowStore<K, ValueAndTimestamp<V>>, () => this.wallClockMs) : (face as WindowStore<K, V>)
  }

  /** A windowed aggregation's store with each value's timestamp (Kafka `getTimestampedWindowStore`). */
  getTimestampedWindowStore<K, V>(name: string): WindowStore<K, ValueAndTimestamp<V>> | undefined {
    const store = this.task.stores.find((s) => s.name === name)
    return store?.spec.layout?.kind === 'window' && store.spec.timestamped === true ? (storeFace(store) as WindowStore<K, ValueAndTimestamp<V>>) : undefined
  }

  /** The session store `name`, or `undefined` when the topology has no session store of that name. */
  getSessionStore<K, V>(name: string): SessionStore<K, V> | undefined {
    const store = this.task.stores.find((s) => s.name === name)
    return store?.spec.layout?.kind === 'session' ? (storeFace(store) as SessionStore<K, V>) : undefined
  }

  /** Records the topology's processors dropped on purpose (Kafka's `dropped-records-total` of the task `0_0`) and its stores' counters. */
  metrics(): StreamsMetrics {
    const dropped = this.task.context.droppedRecords
    return { droppedRecordsTotal: dropped, tasks: { [taskIdToString(this.task.id)]: { droppedRecordsTotal: dropped } }, stores: storeMetricsByName(this.task.stores) }
  }

  /** The wall clock (ms). */
  get wallClockTimeMs(): number {
    return this.wallClockMs
  }

  /** Closes every processor. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.task.close()
    } finally {
      for (const global of this.globals.values()) global.close()
    }
  }

  // ---------------------------------------------------------------- internals

  private pipe(topic: string, key: Uint8Array | null, value: Uint8Array | null, timestampMs: number, headers: readonly RecordHeader[]): void {
    this.checkOpen()
    this.enqueue(topic, key, value, timestampMs, headers)
    this.drainOutputs()
  }

  /** Commits the task's state: buffered store changes to the changelog and downstream, then into the stores. */
  private commit(): void {
    this.task.flushStores()
    this.task.commitStores(() => undefined)
  }

  private enqueue(topic: string, key: Uint8Array | null, value: Uint8Array | null, timestampMs: number, headers: readonly RecordHeader[]): void {
    const offset = this.nextOffset.get(topic) ?? 0
    this.nextOffset.set(topic, offset + 1)
    const global = this.globals.get(topic)
    if (global !== undefined) {
      global.apply([{ topic, partition: 0, offset, timestampMs, key, value, headers }])
      return
    }
    this.task.addRecords([{ topic, partition: 0, offset, timestampMs, key, value, headers }])
    // One record at a time, stream-time punctuation and a commit after each (as Kafka's driver):
    // with caching, a table's update reaches its output after every record.
    while (this.task.process(1) > 0) {
      this.task.punctuateStreamTime()
      this.commit()
    }
  }

  /** Moves what sinks wrote to the output queues, feeding records for topics the topology reads back in. */
  private drainOutputs(): void {
    for (let round = 0; this.pending.length > 0; round++) {
      if (round > MAX_FEEDBACK_ROUNDS) {
        throw streamsError('STREAMS_ILLEGAL_STATE', `the topology kept writing to topics it reads for ${MAX_FEEDBACK_ROUNDS} rounds`)
      }
      const batch = this.pending.splice(0)
      for (const record of batch) {
        this.outputQueue(record.topic).push(record)
        this.everProduced.add(record.topic)
        if (this.task.sourceFor(record.topic) !== undefined || this.globals.has(record.topic)) this.enqueue(record.topic, record.key, record.value, record.timestampMs, record.headers)
      }
    }
  }

  private globalNamed(name: string): GlobalStoreUpdater | undefined {
    for (const global of this.globals.values()) if (global.name === name) return global
    return undefined
  }

  private outputQueue(topic: string): OutputRecord[] {
    let queue = this.outputs.get(topic)
    if (queue === undefined) this.outputs.set(topic, (queue = []))
    return queue
  }

  private checkOpen(): void {
    if (this.closed) throw streamsError('STREAMS_ILLEGAL_STATE', 'the test driver is closed')
  }
}
