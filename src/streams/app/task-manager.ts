/**
 * The tasks of one app instance (Kafka `TaskManager`): made when the group assigns their
 * partitions, fed by the consumer's polls, processed, committed, and closed when their partitions
 * are revoked or lost. A task is a sub-topology × a partition number; it owns partition p of each
 * of its sub-topology's source topics.
 */
import type { ConsumerRecord, OffsetToCommit, TopicPartition } from '../../log/index.js'
import type { TopologyDefinition } from '../topology/topology-definition.js'
import type { ErrorHandlers } from '../runtime/error-handlers.js'
import type { RecordCollector } from '../runtime/record-collector.js'
import type { RecordQueue } from '../runtime/record-queue.js'
import { StreamTask, matchesWhole } from '../runtime/stream-task.js'
import { storeMetricsByName, type StreamsMetrics } from '../runtime/task-metrics.js'
import { changelogTopicOf } from '../state/stores.js'
import type { KeyValueStoreImpl } from '../state/key-value-store-impl.js'
import type { StateManager } from './state-manager.js'
import { taskKey } from './streams-assignor.js'
import type { TopicPlan } from './topic-plan.js'

export interface TaskManagerOptions {
  readonly definition: TopologyDefinition
  readonly plan: TopicPlan
  readonly applicationId: string
  readonly collector: RecordCollector
  readonly handlers: ErrorHandlers
  readonly nowMs: () => number
  readonly maxTaskIdleMs: number
  /** Opens and restores the stores of new tasks. */
  readonly state: StateManager
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

export class TaskManager {
  private readonly tasks = new Map<string, StreamTask>()
  private readonly partitionsOfTask = new Map<string, TopicPartition[]>()
  private readonly queueOfPartition = new Map<string, RecordQueue>()
  /** The offsets last committed per partition: a commit sends only what moved. */
  private readonly committed = new Map<string, number>()

  /** Records dropped by tasks closed since the manager started (`metrics()`). */
  private droppedByClosedTasks = 0

  constructor(private readonly options: TaskManagerOptions) {}

  /** The dropped-records counts: per current task, and in total since the manager started. */
  metrics(): StreamsMetrics {
    const tasks: Record<string, { droppedRecordsTotal: number }> = {}
    let total = this.droppedByClosedTasks
    for (const [key, task] of this.tasks) {
      tasks[key] = { droppedRecordsTotal: task.context.droppedRecords }
      total += task.context.droppedRecords
    }
    return { droppedRecordsTotal: total, tasks, stores: storeMetricsByName([...this.tasks.values()].flatMap((task) => task.stores)) }
  }

  get taskKeys(): string[] {
    return [...this.tasks.keys()].sort()
  }

  /** The local instances of store `name` (one per task that has it). */
  storesNamed(name: string): KeyValueStoreImpl<unknown, unknown>[] {
    const out: KeyValueStoreImpl<unknown, unknown>[] = []
    for (const task of this.tasks.values()) for (const store of task.stores) if (store.name === name) out.push(store)
    return out
  }

  get size(): number {
    return this.tasks.size
  }

  /** Creates the tasks of newly assigned partitions: their stores are restored, then their processors initialised. */
  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    const byTask = new Map<string, { subtopology: number; partition: number; tps: TopicPartition[] }>()
    for (const tp of partitions) {
      const subtopology = this.subtopologyOf(tp.topic)
      if (subtopology === undefined) continue
      const key = taskKey(subtopology, tp.partition)
      let entry = byTask.get(key)
      if (entry === undefined) byTask.set(key, (entry = { subtopology, partition: tp.partition, tps: [] }))
      entry.tps.push(tp)
    }
    for (const [key, { subtopology, partition, tps }] of byTask) {
      const existing = this.partitionsOfTask.get(key)
      if (existing !== undefined) {
        for (const tp of tps) if (!existing.some((e) => e.topic === tp.topic && e.partition === tp.partition)) existing.push(tp)
      } else {
        const task = await this.newTask(subtopology, partition)
        this.partitionsOfTask.set(key, [...tps])
        this.tasks.set(key, task)
      }
      const task = this.tasks.get(key) as StreamTask
      for (const tp of tps) this.queueOfPartition.set(tpKey(tp.topic, tp.partition), task.inputQueue(tp.topic, tp.partition))
    }
  }

  /** The tasks owning any of `partitions` (a revocation closes whole tasks). */
  tasksOf(partitions: readonly TopicPartition[]): string[] {
    const keys = new Set<string>()
    for (const [key, tps] of this.partitionsOfTask) {
      if (tps.some((tp) => partitions.some((p) => p.topic === tp.topic && p.partition === tp.partition))) keys.add(key)
    }
    return [...keys]
  }

  /** The input partitions of task `key`. */
  partitionsOf(key: string): TopicPartition[] {
    return [...(this.partitionsOfTask.get(key) ?? [])]
  }

  /** Closes task `key` and forgets its partitions (`dirty`: close errors are not raised — it failed already). */
  close(key: string, dirty = false): void {
    const task = this.tasks.get(key)
    if (task === undefined) return
    this.tasks.delete(key)
    this.droppedByClosedTasks += task.context.droppedRecords
    for (const tp of this.partitionsOfTask.get(key) ?? []) {
      this.queueOfPartition.delete(tpKey(tp.topic, tp.partition))
      this.committed.delete(tpKey(tp.topic, tp.partition))
    }
    this.partitionsOfTask.delete(key)
    try {
      task.close()
    } catch (err) {
      if (!dirty) throw err
      // The task failed before: its close error adds nothing the caller can act on.
    } finally {
      // Its stores are closed (or failed to): its state directory is free for the next owner.
      this.options.state.release(task.id)
    }
  }

  closeAll(dirty = false): void {
    let firstError: unknown
    for (const key of this.taskKeys) {
      try {
        this.close(key, dirty)
      } catch (err) {
        firstError ??= err
      }
    }
    if (firstError !== undefined) throw firstError
  }

  /**
   * Replaces task `key` by a new one over the same partitions: its buffered records and its
   * uncommitted state are dropped (the stores reopen at their last commit).
   */
  async replace(key: string): Promise<void> {
    const partitions = this.partitionsOf(key)
    this.close(key, true)
    await this.assign(partitions)
  }

  /** Commit step 1 of every task (or of `keys`): store changes to the changelog and, for tables, downstream. */
  flushState(keys?: readonly string[]): void {
    for (const key of keys ?? this.tasks.keys()) {
      const task = this.tasks.get(key)
      if (task === undefined) continue
      try {
        task.flushStores()
      } catch (err) {
        throw new TaskFailure(key, err)
      }
    }
  }

  /** The changelog partitions of the stores of `keys` (or every task), for step 3's offsets. */
  changelogPartitions(keys?: readonly string[]): TopicPartition[] {
    const out: TopicPartition[] = []
    for (const key of keys ?? this.tasks.keys()) {
      const task = this.tasks.get(key)
      for (const store of task?.stores ?? []) {
        if (store.spec.logging) out.push({ topic: changelogTopicOf(this.options.applicationId, store.name), partition: task?.id.partition ?? 0 })
      }
    }
    return out
  }

  /** Commit step 3: each store's changes and its changelog end offset (keyed `topic\u0000partition`) into its backend. */
  commitState(changelogEnds: ReadonlyMap<string, number>, keys?: readonly string[]): void {
    for (const key of keys ?? this.tasks.keys()) {
      const task = this.tasks.get(key)
      if (task === undefined) continue
      task.commitStores((store) => changelogEnds.get(tpKey(changelogTopicOf(this.options.applicationId, store), task.id.partition)))
    }
  }

  /** Buffers polled records in their tasks; records of partitions no task owns (revoked meanwhile) are dropped. */
  route(records: readonly ConsumerRecord[]): void {
    let lastTopic = ''
    let lastPartition = -1
    let queue: RecordQueue | undefined
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as ConsumerRecord
      if (r.partition !== lastPartition || r.topic !== lastTopic) {
        lastTopic = r.topic
        lastPartition = r.partition
        queue = this.queueOfPartition.get(tpKey(r.topic, r.partition))
      }
      queue?.push(r)
    }
  }

  /**
   * Processes what every task has buffered, then its stream-time punctuations. A task's failure
   * is thrown with the task's key attached (`taskKey` on the error object's `details`).
   */
  process(): number {
    let processed = 0
    for (const [key, task] of this.tasks) {
      try {
        processed += task.process(Number.MAX_SAFE_INTEGER)
        task.punctuateStreamTime()
      } catch (err) {
        throw new TaskFailure(key, err)
      }
    }
    return processed
  }

  punctuateWallClock(nowMs: number): void {
    for (const [key, task] of this.tasks) {
      try {
        task.punctuateWallClock(nowMs)
      } catch (err) {
        throw new TaskFailure(key, err)
      }
    }
  }

  /** Whether a processor asked for a commit. */
  takeCommitRequests(): boolean {
    let requested = false
    for (const task of this.tasks.values()) requested = task.takeCommitRequest() || requested
    return requested
  }

  /** Offsets that moved since the last `markCommitted` (of `keys`, or of every task). */
  offsetsToCommit(keys?: readonly string[]): OffsetToCommit[] {
    const out: OffsetToCommit[] = []
    for (const key of keys ?? this.tasks.keys()) {
      for (const o of this.tasks.get(key)?.consumedOffsets() ?? []) {
        if (this.committed.get(tpKey(o.topic, o.partition)) !== o.offset) out.push({ topic: o.topic, partition: o.partition, offset: o.offset })
      }
    }
    return out
  }

  markCommitted(offsets: readonly OffsetToCommit[]): void {
    for (const o of offsets) this.committed.set(tpKey(o.topic, o.partition), o.offset)
  }

  private async newTask(subtopology: number, partition: number): Promise<StreamTask> {
    const { definition, plan, applicationId, collector, handlers, nowMs, maxTaskIdleMs, state } = this.options
    const nodes = definition.subtopologies().find((s) => s.id === subtopology)?.nodes ?? []
    const storeNames = new Set(nodes.flatMap((n) => (n.kind === 'processor' ? n.stores : [])))
    const specs = [...storeNames].flatMap((name) => {
      const spec = definition.stores.get(name)
      return spec === undefined ? [] : [spec]
    })
    const id = { subtopology, partition }
    const prepared = specs.length === 0 ? undefined : await state.prepare(id, specs)
    let task: StreamTask
    try {
      task = new StreamTask({ id, applicationId, nodes, resolveTopic: plan.resolve, collector, handlers, nowMs, maxTaskIdleMs, stores: definition.stores, openStore: prepared?.openStore })
    } catch (err) {
      prepared?.release()
      throw err
    }
    try {
      task.init()
    } catch (err) {
      // The task never ran: release its stores (a RocksDB directory stays locked otherwise).
      try {
        task.close()
      } catch {
        // The init failure is what the caller reports.
      }
      prepared?.release()
      throw err
    }
    return task
  }

  private subtopologyOf(topic: string): number | undefined {
    for (const s of this.options.plan.subtopologies) {
      if (s.topics.includes(topic) || s.patterns.some((p) => matchesWhole(p, topic))) return s.id
    }
    return undefined
  }
}

/** A task's failure, with the task it came from. */
export class TaskFailure extends Error {
  constructor(
    readonly taskKey: string,
    override readonly cause: unknown,
  ) {
    super(`task ${taskKey} failed`)
  }
}
