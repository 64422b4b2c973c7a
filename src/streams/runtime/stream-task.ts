/**
 * One task (DESIGN.md §4): a sub-topology's processors instantiated for one partition number,
 * fed by that partition of each of its source topics. The runtime and the test driver both run
 * their records through it.
 *
 * Processing is synchronous and depth-first, one record at a time: the task takes the buffered
 * record with the lowest event time across its partitions (Kafka `PartitionGroup`), advances
 * stream time to it, and forwards it from its source node through every processor down to the
 * sinks. No promise per record: `process(n)` runs up to n records in one call.
 *
 * `maxTaskIdleMs`: while a partition of the task has nothing buffered and another has, the task
 * waits up to this long (on the app's clock) for it before processing out of order; 0 (the
 * default) processes what is buffered at once.
 */
import { streamsError } from '../errors.js'
import type { TaskId } from '../processor/processor.js'
import { Record } from '../processor/record.js'
import type { NodeSpec } from '../topology/node-spec.js'
import type { KeyValueStoreImpl } from '../state/key-value-store-impl.js'
import type { StoreSpec } from '../state/stores.js'
import { storeFace } from '../state/store-face.js'
import type { StateStore } from '../processor/state-store.js'
import type { ErrorHandlers } from './error-handlers.js'
import { buildTaskGraph, type ProcessorNode, type SourceRuntime, type TaskGraph } from './processor-node.js'
import type { RecordCollector } from './record-collector.js'
import { RecordQueue, type InputRecord } from './record-queue.js'
import { sinkProcessor } from './sink-processor.js'
import { TaskContext } from './task-context.js'

export interface StreamTaskOptions {
  readonly id: TaskId
  readonly applicationId: string
  /** The nodes the task runs, in topology order (a sub-topology; the whole topology in the test driver). */
  readonly nodes: readonly NodeSpec[]
  /** A topology topic name → the topic's real name (internal topics get the application id prefix). */
  readonly resolveTopic: (topic: string) => string
  readonly collector: RecordCollector
  readonly handlers: ErrorHandlers
  readonly nowMs: () => number
  readonly maxTaskIdleMs?: number
  /** The topology's state stores (the task opens those its processors use). */
  readonly stores?: ReadonlyMap<string, StoreSpec>
  /** Opens this task's instance of a store (the runtime: RocksDB or memory with a changelog; the test driver: memory). */
  readonly openStore?: (spec: StoreSpec, task: StoreOpenContext) => KeyValueStoreImpl<unknown, unknown>
}

/** What a store needs of its task. */
export interface StoreOpenContext {
  readonly taskId: TaskId
  /** The timestamp of the change being made. */
  readonly timestampMs: () => number
  /** Asks for an early commit (a store's write buffer is full). */
  readonly requestCommit: () => void
  /**
   * Captures the processor being initialised, and returns a function that runs `fn` as that
   * processor (so a table forwarding its cached updates at commit forwards from its own node).
   */
  readonly asCurrentNode: () => <T>(fn: () => T) => T
}

export interface ConsumedOffset {
  readonly topic: string
  readonly partition: number
  /** The next offset to consume. */
  readonly offset: number
}

export class StreamTask {
  readonly id: TaskId
  readonly context: TaskContext
  private readonly graph: TaskGraph
  private readonly queues = new Map<string, RecordQueue>()
  /** The queues, for the per-record scan (a task has few partitions). */
  private queueList: RecordQueue[] = []
  private readonly sourceOfTopic = new Map<string, SourceRuntime | null>()
  private readonly resolveTopic: (topic: string) => string
  private readonly maxTaskIdleMs: number
  private idleSinceMs: number | undefined
  private state: 'created' | 'running' | 'closed' = 'created'
  private readonly name: string
  private readonly storeList: KeyValueStoreImpl<unknown, unknown>[] = []

  constructor(private readonly options: StreamTaskOptions) {
    this.id = options.id
    this.name = `${options.id.subtopology}_${options.id.partition}`
    this.resolveTopic = options.resolveTopic
    this.maxTaskIdleMs = options.maxTaskIdleMs ?? 0
    this.context = new TaskContext(options.applicationId, options.id, options.nowMs, options.handlers)
    const context = this.context
    this.graph = buildTaskGraph(options.nodes, (spec) => sinkProcessor(spec, context, options.collector, options.handlers, options.resolveTopic))
    this.openStores()
  }

  /** The task's stores, in the order their processors were added. */
  get stores(): readonly KeyValueStoreImpl<unknown, unknown>[] {
    return this.storeList
  }

  /** Commit step 1 for the task's state: buffered changes to the changelog (and, for tables, downstream). */
  flushStores(): void {
    for (const store of this.storeList) store.flush()
  }

  /** Commit step 3: buffered changes and each store's changelog offset, atomically per store. */
  commitStores(changelogOffsetOf: (store: string) => number | undefined): void {
    for (const store of this.storeList) store.commit(changelogOffsetOf(store.name))
  }

  /** Forgets every uncommitted change (the task failed; its input since the last commit runs again). */
  discardUncommittedState(): void {
    for (const store of this.storeList) store.discardUncommitted()
  }

  /** Calls `init` of every processor, parents first. */
  init(): void {
    if (this.state !== 'created') throw streamsError('STREAMS_ILLEGAL_STATE', `task ${this.name} was already initialised`, { task: this.name })
    const context = this.context
    for (const node of this.graph.nodes) {
      context.currentNode = node
      try {
        node.processor.init?.(context)
      } catch (err) {
        context.currentNode = undefined
        throw streamsError('STREAMS_PROCESSING_FAILED', `init() of ${node.name} in task ${this.name} failed`, { node: node.name, task: this.name }, err)
      }
    }
    context.currentNode = undefined
    this.state = 'running'
  }

  /** Buffers consumed records of the task's partitions (in offset order per partition). */
  addRecords(records: readonly InputRecord[]): void {
    for (const r of records) this.queueOf(r.topic, r.partition).push(r)
  }

  /** The buffer of one input partition (the runtime routes polled records straight into it). */
  inputQueue(topic: string, partition: number): RecordQueue {
    return this.queueOf(topic, partition)
  }

  /** Records buffered and not yet processed. */
  get bufferedCount(): number {
    let n = 0
    for (const q of this.queueList) n += q.size
    return n
  }

  /**
   * Processes up to `maxRecords` buffered records in event-time order; returns how many it
   * processed (skipped records not counted). @throws the task's failures (`STREAMS_…_FAILED`).
   */
  process(maxRecords: number): number {
    this.checkRunning()
    let processed = 0
    while (processed < maxRecords) {
      const queue = this.nextQueue()
      if (queue === undefined) break
      const raw = queue.headRaw as InputRecord
      const { headKey, headValue, headHeaders, headTimestampMs } = queue
      queue.take()
      this.processOne(queue.source.node, raw, headKey, headValue, headHeaders, headTimestampMs)
      processed++
    }
    return processed
  }

  /** Fires due stream-time punctuations; returns whether any ran. */
  punctuateStreamTime(): boolean {
    this.checkRunning()
    const streamTime = this.context.streamTimeMs
    return streamTime >= 0 && this.context.punctuate('stream-time', streamTime)
  }

  /** Fires due wall-clock punctuations at `nowMs`; returns whether any ran. */
  punctuateWallClock(nowMs: number): boolean {
    this.checkRunning()
    return this.context.punctuate('wall-clock-time', nowMs)
  }

  /** The next offset to consume of every partition the task has taken records from. */
  consumedOffsets(): ConsumedOffset[] {
    const out: ConsumedOffset[] = []
    for (const q of this.queueList) if (q.consumedOffset >= 0) out.push({ topic: q.topic, partition: q.partition, offset: q.consumedOffset })
    return out
  }

  /** Whether a processor asked for a commit since the last call (and forgets the request). */
  takeCommitRequest(): boolean {
    const requested = this.context.commitRequested
    this.context.commitRequested = false
    return requested
  }

  /** Calls `close` of every processor (children first), cancels punctuations, drops buffered records. Idempotent. */
  close(): void {
    if (this.state === 'closed') return
    const wasRunning = this.state === 'running'
    this.state = 'closed'
    this.context.streamTimePunctuations.cancelAll()
    this.context.wallClockPunctuations.cancelAll()
    for (const q of this.queueList) q.clear()
    if (!wasRunning) {
      // Processors never initialised: nothing to close but the stores.
      for (const store of this.storeList) store.close()
      return
    }
    let firstError: unknown
    for (const node of [...this.graph.nodes].reverse()) {
      this.context.currentNode = node
      try {
        node.processor.close?.()
      } catch (err) {
        firstError ??= streamsError('STREAMS_PROCESSING_FAILED', `close() of ${node.name} in task ${this.name} failed`, { node: node.name, task: this.name }, err)
      }
    }
    this.context.currentNode = undefined
    for (const store of this.storeList) {
      try {
        store.close()
      } catch (err) {
        firstError ??= err
      }
    }
    if (firstError !== undefined) throw firstError
  }

  // ---------------------------------------------------------------- internals

  private openStores(): void {
    const names = new Set<string>()
    for (const spec of this.options.nodes) if (spec.kind === 'processor') for (const store of spec.stores) names.add(store)
    if (names.size === 0) return
    const { stores, openStore } = this.options
    if (stores === undefined || openStore === undefined) {
      throw streamsError('STREAMS_ILLEGAL_STATE', `task ${this.name} uses state stores but was given no way to open them`, { task: this.name })
    }
    const context = this.context
    const openContext: StoreOpenContext = {
      taskId: this.id,
      timestampMs: () => context.currentTimestampMs,
      requestCommit: () => context.commit(),
      asCurrentNode: () => {
        const node = context.currentNode
        return <T>(fn: () => T): T => {
          const previous = context.currentNode
          context.currentNode = node
          try {
            return fn()
          } finally {
            context.currentNode = previous
          }
        }
      },
    }
    const opened = new Map<string, StateStore>()
    try {
      for (const name of names) {
        const spec = stores.get(name)
        if (spec === undefined) throw streamsError('STREAMS_TOPOLOGY_INVALID', `task ${this.name} uses unknown state store ${name}`, { task: this.name, store: name })
        const store = openStore(spec, openContext)
        this.storeList.push(store)
        opened.set(name, storeFace(store))
      }
    } catch (err) {
      // Release what was opened: the task will not exist to close it.
      for (const store of this.storeList) store.close()
      throw err
    }
    context.stores = opened
  }

  private processOne(source: ProcessorNode, raw: InputRecord, key: unknown, value: unknown, headers: InputRecord['headers'], timestampMs: number): void {
    const context = this.context
    context.metadata = raw
    if (timestampMs > context.streamTimeMs) context.streamTimeMs = timestampMs
    context.currentTimestampMs = timestampMs
    context.currentNode = source
    context.forward(new Record(key, value, timestampMs, headers))
    context.currentNode = undefined
    context.metadata = undefined
  }

  /** The queue whose head is oldest; `undefined` when nothing is ready (or idling for an empty partition). */
  private nextQueue(): RecordQueue | undefined {
    let best: RecordQueue | undefined
    let bestTs = Infinity
    let anyEmpty = false
    for (const q of this.queueList) {
      if (!q.hasHead()) {
        anyEmpty = true
        continue
      }
      if (q.headTimestampMs < bestTs) {
        best = q
        bestTs = q.headTimestampMs
      }
    }
    if (best === undefined || !anyEmpty || this.maxTaskIdleMs <= 0) {
      this.idleSinceMs = undefined
      return best
    }
    const now = this.options.nowMs()
    this.idleSinceMs ??= now
    if (now - this.idleSinceMs >= this.maxTaskIdleMs) return best
    return undefined
  }

  private queueOf(topic: string, partition: number): RecordQueue {
    const key = `${topic}\u0000${partition}`
    let q = this.queues.get(key)
    if (q === undefined) {
      const source = this.sourceFor(topic)
      if (source === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', `task ${this.name} has no source for topic ${topic}`, { task: this.name, topic })
      q = new RecordQueue(topic, partition, source, this.options.handlers, this.options.collector, this.name)
      this.queues.set(key, q)
      this.queueList = [...this.queues.values()]
    }
    return q
  }

  /** The source node reading `topic` (a real topic name), by name or pattern. */
  sourceFor(topic: string): SourceRuntime | undefined {
    const cached = this.sourceOfTopic.get(topic)
    if (cached !== undefined) return cached ?? undefined
    let found: SourceRuntime | undefined
    for (const s of this.graph.sources) {
      if (s.spec.topics.some((t) => this.resolveTopic(t) === topic) || (s.spec.pattern !== undefined && matchesWhole(s.spec.pattern, topic))) {
        found = s
        break
      }
    }
    this.sourceOfTopic.set(topic, found ?? null)
    return found
  }

  /** Registers partitions the task owns, so an empty one is known (for `maxTaskIdleMs`). */
  registerPartition(topic: string, partition: number): void {
    this.queueOf(topic, partition)
  }

  private checkRunning(): void {
    if (this.state !== 'running') throw streamsError('STREAMS_ILLEGAL_STATE', `task ${this.name} is ${this.state}`, { task: this.name })
  }
}

/** A subscription pattern matches a topic's whole name (Kafka `Pattern.matcher(topic).matches()`). */
export function matchesWhole(pattern: RegExp, topic: string): boolean {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, '')).test(topic)
}
