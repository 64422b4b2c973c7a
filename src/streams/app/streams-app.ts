/**
 * Runs a topology on a log (Kafka `KafkaStreams`): one instance joins the consumer group
 * `applicationId`, receives whole tasks from the app's assignor, and processes their records.
 * Start several instances (in one process or many) and they share the tasks and rebalance when
 * one comes or goes.
 *
 * ```ts
 * const app = new StreamsApp(topology, { applicationId: 'pricing', client: broker })
 * app.state$.subscribe((s) => console.log(s))   // CREATED → REBALANCING → RUNNING → …
 * await app.start()
 * // …
 * await app.close()
 * ```
 *
 * The loop: poll → route records to their tasks → process every task (synchronous, depth-first,
 * event-time order) → stream-time and wall-clock punctuation → hand outputs to the producer (one
 * batch per loop) → commit every `commitIntervalMs` (or when a processor asks):
 * - at-least-once: 1. wait until every output is acknowledged; 2. commit the consumed offsets.
 *   A crash between outputs and offsets replays inputs: outputs may repeat, never go missing.
 * - exactly-once: outputs and offsets in one transaction (`sendOffsetsToTransaction`, KIP-447
 *   fencing by group generation); readers with `read_committed` see each output once.
 *
 * A task failure follows `uncaughtExceptionPolicy` (see `StreamsAppConfig`). `close()` commits
 * what was processed, closes every processor and leaves the group so the others take over at once.
 * The app does not own its `client`: close the app first.
 */
import { randomUUID } from 'node:crypto'
import { BehaviorSubject, Subject, type Observable } from 'rxjs'
import { isMillraceError, type Admin, type Consumer, type OffsetToCommit, type Producer, type TopicPartition } from '../../log/index.js'
import { streamsError } from '../errors.js'
import type { ErrorHandlers } from '../runtime/error-handlers.js'
import type { StreamsMetrics } from '../runtime/task-metrics.js'
import { definitionOf, type Topology } from '../topology/topology.js'
import type { TopologyDefinition } from '../topology/topology-definition.js'
import { checkTransition, isTerminal, type StreamsAppState } from './app-state.js'
import { ProducerCollector } from './producer-collector.js'
import { StreamsAssignor } from './streams-assignor.js'
import { resolveStreamsAppConfig, type StreamsAppConfig, type StreamsAppConfigInput } from './streams-config.js'
import { TaskFailure, TaskManager } from './task-manager.js'
import { prepareTopics, type TopicPlan } from './topic-plan.js'
import { StateManager, type RestoreReport } from './state-manager.js'
import { GlobalState } from './global-state.js'
import { StateDirectory } from './state-dir.js'
import { StoreQueries } from './store-queries.js'
import { RepartitionPurger } from './repartition-purger.js'
import type { ReadOnlySessionStore } from '../state/session-store.js'
import type { ReadOnlyWindowStore } from '../state/window-store.js'
import type { ReadOnlyKeyValueStore } from '../state/key-value-store.js'
import { RocksDbResources } from '../state/rocksdb/rocksdb-resources.js'

interface Running {
  readonly plan: TopicPlan
  readonly state: StateManager
  readonly global: GlobalState
  readonly directory: StateDirectory
  readonly admin: Admin
  readonly consumer: Consumer
  readonly producer: Producer
  readonly collector: ProducerCollector
  readonly tasks: TaskManager
  readonly assignor: StreamsAssignor
}

export class StreamsApp {
  /** The app's state, replayed to new subscribers; errors with the cause after `ERROR`, completes after `NOT_RUNNING`. */
  readonly state$: Observable<StreamsAppState>
  /**
   * One report per store restore (a task's store brought up to its changelog's end before the
   * task processes): store, task, offsets, records replayed and seconds taken. A global store
   * reports once per partition of its topic (task `global`, with `partition`) when `start()` has
   * brought it to the topic's end.
   */
  readonly restore$: Observable<RestoreReport>
  readonly #restores = new Subject<RestoreReport>()
  /**
   * One event per completed commit: the input offsets it committed (the next offsets to consume;
   * only those that moved since the previous commit). For progress displays and tests that wait
   * for processing to reach a point, instead of polling the group's offsets.
   */
  readonly commit$: Observable<readonly OffsetToCommit[]>
  readonly #commits = new Subject<readonly OffsetToCommit[]>()
  /** Identifies this instance (its clients and, with exactly-once, its transactional id). */
  readonly processId = randomUUID()
  readonly #config: StreamsAppConfig
  readonly #definition: TopologyDefinition
  readonly #state = new BehaviorSubject<StreamsAppState>('CREATED')
  /** The state, also after `state$` errored (a BehaviorSubject's value then throws). */
  #current: StreamsAppState = 'CREATED'
  readonly #abort = new AbortController()
  readonly #handlers: ErrorHandlers
  #running: Running | undefined
  /** The task manager of the latest start: metrics stay readable after the app stops. */
  #taskManager: TaskManager | undefined
  #loop: Promise<void> | undefined
  #stopping = false
  #lastCommitMs = 0
  readonly #purger: RepartitionPurger
  #transactionOpen = false
  readonly #replacements = new Map<string, number>()
  /** Why the global stores' loop died: the app fails with it. */
  #globalFailure: unknown
  readonly #queries: StoreQueries

  /** @throws `CONFIG_INVALID` listing every invalid option. */
  constructor(topology: Topology, config: StreamsAppConfigInput) {
    this.#config = resolveStreamsAppConfig(config)
    this.#definition = definitionOf(topology)
    this.state$ = this.#state.asObservable()
    this.restore$ = this.#restores.asObservable()
    this.commit$ = this.#commits.asObservable()
    const c = this.#config
    this.#handlers = {
      deserialization: c.deserializationExceptionHandler,
      processing: c.processingExceptionHandler,
      production: c.productionExceptionHandler,
      deadLetterQueueTopic: c.deadLetterQueueTopic,
      onWarning: c.onWarning,
    }
    this.#purger = new RepartitionPurger(c.repartitionPurgeIntervalMs, c.onWarning)
    this.#queries = new StoreQueries({
      stores: this.#definition.stores,
      state: () => this.state,
      running: () => this.#running,
      nowMs: () => this.#config.clock.nowMs(),
    })
  }

  get state(): StreamsAppState {
    return this.#current
  }

  /**
   * Checks and creates topics, brings the global stores to the ends of their topics (before any
   * task exists), joins the group and starts processing (in the background: the state moves to
   * `RUNNING` once tasks are assigned).
   * @throws `STREAMS_ILLEGAL_STATE` unless `CREATED`; `STREAMS_MISSING_SOURCE_TOPIC` (global
   *   stores' topics included); a global store's failure to open or to read its topic (for
   *   instance `STREAMS_DESERIALIZATION_FAILED`);
   *   `STREAMS_TOPOLOGY_INVALID` (an internal topic that exists with another partition count).
   */
  async start(): Promise<void> {
    if (this.state !== 'CREATED') throw streamsError('STREAMS_ILLEGAL_STATE', `start() in state ${this.state}`, { state: this.state })
    this.transition('REBALANCING')
    const c = this.#config
    const clientId = c.clientId ?? `${c.applicationId}-${this.processId}`
    const admin = c.client.admin()
    let consumer: Consumer | undefined
    let producer: Producer | undefined
    let globalState: GlobalState | undefined
    try {
      const plan = await prepareTopics(this.#definition, c.applicationId, admin)
      const exactlyOnce = c.processingGuarantee === 'exactly-once'
      producer = c.client.producer({
        acks: 'all',
        lingerMs: c.lingerMs,
        ...(exactlyOnce ? { transactionalId: `${c.applicationId}-${this.processId}` } : {}),
      })
      if (exactlyOnce) await producer.initTransactions()
      const assignor = new StreamsAssignor(plan.subtopologies)
      consumer = c.client.consumer({
        groupId: c.applicationId,
        clientId: `${clientId}-consumer`,
        enableAutoCommit: false,
        autoOffsetReset: 'earliest',
        isolationLevel: exactlyOnce ? 'read_committed' : 'read_uncommitted',
        partitionAssignmentStrategy: [assignor],
        maxPollRecords: c.maxPollRecords,
      })
      const collector = new ProducerCollector(producer, admin, this.#handlers, () => this.beginTransactionIfNeeded())
      for (const [topic, partitions] of plan.partitionCounts) collector.learn(topic, partitions)
      let resources: RocksDbResources | undefined
      globalState = new GlobalState({
        definition: this.#definition,
        client: c.client,
        applicationId: c.applicationId,
        clientId,
        stateDir: c.stateDir,
        exactlyOnce,
        resources: () => (resources ??= new RocksDbResources(c.rocksDb)),
        partitionCount: (topic) => plan.partitionCounts.get(topic),
        collector,
        handlers: this.#handlers,
        clock: c.clock,
        pollMs: c.pollMs,
        maxPollRecords: c.maxPollRecords,
        commitIntervalMs: c.commitIntervalMs,
        onRestored: (report) => this.#restores.next(report),
        onFailure: (err) => this.onGlobalFailure(err),
      })
      const directory = this.stateDirectory()
      const state = new StateManager({
        client: c.client,
        applicationId: c.applicationId,
        directory,
        exactlyOnce,
        resources: () => (resources ??= new RocksDbResources(c.rocksDb)),
        collector,
        onRestored: (report) => this.#restores.next(report),
        globalStores: globalState,
      })
      const tasks = new TaskManager({
        definition: this.#definition,
        plan,
        applicationId: c.applicationId,
        collector,
        handlers: this.#handlers,
        nowMs: () => c.clock.nowMs(),
        maxTaskIdleMs: c.maxTaskIdleMs,
        state,
      })
      this.#running = { plan, state, global: globalState, directory, admin, consumer, producer, collector, tasks, assignor }
      this.#taskManager = tasks
      // No task may process before the global stores have reached the ends of their topics.
      await globalState.bootstrap(this.#abort.signal)
      if (this.#stopping) {
        // close() came during the bootstrap, found no loop to stop and ended the app.
        await this.closeClients(this.#running)
        this.#running = undefined
        return
      }
      globalState.run()
      await consumer.subscribe({
        topics: plan.subscription,
        listener: {
          onPartitionsRevoked: (partitions) => this.onRevoked(partitions),
          onPartitionsAssigned: (partitions) => this.onAssigned(partitions),
          onPartitionsLost: (partitions) => this.onLost(partitions),
        },
      })
    } catch (err) {
      this.#running = undefined
      await Promise.allSettled([consumer?.close(), producer?.close(), admin.close(), globalState?.close()])
      this.transition('PENDING_ERROR')
      this.toError(err)
      throw err
    }
    this.#lastCommitMs = c.clock.monotonicMs()
    this.#purger.reset(this.#lastCommitMs)
    this.#loop = this.runLoop()
  }

  /**
   * Stops processing, commits what was processed, closes every processor and leaves the group.
   * Idempotent; resolves once the app is `NOT_RUNNING` (or stays `ERROR`).
   */
  async close(): Promise<void> {
    if (isTerminal(this.state) || this.state === 'PENDING_SHUTDOWN') {
      await this.#loop
      return
    }
    if (this.state === 'PENDING_ERROR') {
      await this.#loop
      return
    }
    this.#stopping = true
    this.transition('PENDING_SHUTDOWN')
    this.#abort.abort()
    if (this.#loop === undefined) {
      this.transition('NOT_RUNNING')
      this.completeEvents()
      return
    }
    await this.#loop
  }

  /**
   * Deletes this app's local state, `<stateDir>/<applicationId>/` (Kafka `KafkaStreams#cleanUp`):
   * the next start restores every store from its changelog. Waits for task directories this
   * process is still releasing.
   * @throws `STREAMS_ILLEGAL_STATE` unless the app is `CREATED`, `NOT_RUNNING` or `ERROR`;
   *   `STREAMS_STATE_DIR_LOCKED` when another instance (here or in another process) holds a task
   *   directory of the app — the others are deleted; `STREAMS_STATE_STORE_FAILED` when the
   *   directory cannot be removed.
   */
  async cleanUp(): Promise<void> {
    const state = this.state
    if (state !== 'CREATED' && state !== 'NOT_RUNNING' && state !== 'ERROR') {
      throw streamsError('STREAMS_ILLEGAL_STATE', `cleanUp() while the app is ${state}: close it first`, { state })
    }
    await this.stateDirectory().deleteAll()
  }

  /**
   * Interactive query: store `name` over this instance's tasks (an aggregation's store shows plain
   * values). Reads only; the view follows rebalances (it always reads the current local tasks).
   * @throws `STREAMS_ILLEGAL_STATE` unless the app is `RUNNING` (Kafka: while rebalancing or
   *   restoring stores are not queryable); `STREAMS_UNKNOWN_STORE` for a name the topology lacks
   *   or a window or session store.
   */
  keyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    return this.#queries.keyValueStore<K, V>(name)
  }

  /**
   * The app's metrics: records dropped on purpose (null keys or values into aggregations, records
   * too late for their window), in total since the latest start and per current task; and each
   * state store's counters over the current tasks.
   */
  metrics(): StreamsMetrics {
    return this.#taskManager?.metrics() ?? { droppedRecordsTotal: 0, tasks: {}, stores: {} }
  }

  /**
   * Interactive query: window store `name` (a windowed aggregation's, with plain values) over this
   * instance's tasks.
   * @throws `STREAMS_ILLEGAL_STATE` unless the app is `RUNNING`; `STREAMS_UNKNOWN_STORE` for a
   *   name the topology lacks or a store that is not a window store.
   */
  windowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    return this.#queries.windowStore<K, V>(name)
  }

  /**
   * Interactive query: session store `name` (a session-windowed aggregation's) over this
   * instance's tasks.
   * @throws as `windowStore`, for a store that is not a session store.
   */
  sessionStore<K, V>(name: string): ReadOnlySessionStore<K, V> {
    return this.#queries.sessionStore<K, V>(name)
  }

  // ---------------------------------------------------------------- the loop

  private async runLoop(): Promise<void> {
    const run = this.#running as Running
    const c = this.#config
    try {
      while (!this.#stopping) {
        const records = await run.consumer.poll({ timeoutMs: c.pollMs, signal: this.#abort.signal })
        if (this.#globalFailure !== undefined) throw this.#globalFailure
        if (this.#stopping) {
          // Records of the last poll are not processed: the commit below stops before them.
          break
        }
        await this.step(() => {
          run.tasks.route(records)
          run.tasks.process()
          run.tasks.punctuateWallClock(c.clock.nowMs())
        })
        await run.collector.dispatch()
        const commitRequested = run.tasks.takeCommitRequests()
        if (commitRequested || c.clock.monotonicMs() - this.#lastCommitMs >= c.commitIntervalMs) await this.commitOrRewind()
        run.directory.deleteUnheldTaskDirs()
      }
      await this.shutDown(run)
      this.transition('NOT_RUNNING')
      this.completeEvents()
    } catch (err) {
      await this.failApp(run, err)
    }
  }

  /** Runs one processing step; a task failure is dealt with by the policy (or rethrown). */
  private async step(body: () => void): Promise<void> {
    try {
      body()
    } catch (err) {
      if (!(err instanceof TaskFailure) || this.#config.uncaughtExceptionPolicy !== 'replace-task') throw err
      // The other tasks' records stay buffered: the next round processes them.
      await this.replaceTask(this.#running as Running, err)
    }
  }

  private async replaceTask(run: Running, failure: TaskFailure): Promise<void> {
    const c = this.#config
    const key = failure.taskKey
    const count = (this.#replacements.get(key) ?? 0) + 1
    this.#replacements.set(key, count)
    if (count > c.maxTaskReplacements) throw failure
    const exactlyOnce = c.processingGuarantee === 'exactly-once'
    // Exactly-once: the open transaction holds every task's output, so every task goes back.
    const keys = exactlyOnce ? run.tasks.taskKeys : [key]
    c.onWarning(`replacing task${keys.length > 1 ? 's' : ''} ${keys.join(', ')} after a failure (${count} of ${c.maxTaskReplacements} without a commit)`, { task: key })
    if (exactlyOnce) {
      // Outputs not yet handed to the producer belong to the aborted transaction too.
      run.collector.discardPending()
      await this.abortTransaction(run)
    }
    const partitions = keys.flatMap((k) => run.tasks.partitionsOf(k))
    for (const k of keys) await run.tasks.replace(k)
    await this.rewind(run, partitions)
  }

  /** Moves `partitions` back to their committed offsets (the start of the log when none). */
  private async rewind(run: Running, partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return
    const committed = await run.consumer.committed(partitions)
    const fromStart: TopicPartition[] = []
    for (const c of committed) {
      if (c.offset === null) fromStart.push({ topic: c.topic, partition: c.partition })
      else run.consumer.seek({ topic: c.topic, partition: c.partition }, c.offset)
    }
    if (fromStart.length > 0) await run.consumer.seekToBeginning(fromStart)
  }

  // ---------------------------------------------------------------- commits

  /**
   * The commit (DESIGN.md §4, steps for a stateless topology): 1. every output acknowledged;
   * 2. the consumed offsets committed — in the same transaction as the outputs under exactly-once.
   */
  private async commit(run: Running, keys?: readonly string[]): Promise<void> {
    const offsets = run.tasks.offsetsToCommit(keys)
    // 1. Store changes to their changelogs (and, from tables with caching, downstream).
    run.tasks.flushState(keys)
    // 2. Every output and changelog record acknowledged; the input offsets committed.
    await run.collector.flush()
    if (this.#config.processingGuarantee === 'exactly-once') {
      if (offsets.length > 0) {
        this.beginTransactionIfNeeded()
        await run.producer.sendOffsetsToTransaction(offsets, run.consumer.groupMetadata())
      }
      if (this.#transactionOpen) {
        await run.producer.commitTransaction()
        this.#transactionOpen = false
      }
    } else if (offsets.length > 0) {
      await run.consumer.commit(offsets)
    }
    // 3. Each store's changes with the changelog offset they reach, atomically into its backend.
    const changelogs = run.tasks.changelogPartitions(keys)
    const ends = new Map<string, number>()
    if (changelogs.length > 0) {
      for (const o of await run.admin.listOffsets(changelogs.map((tp) => ({ ...tp, spec: 'latest' as const })))) {
        if (o.offset !== null) ends.set(`${o.topic}\u0000${o.partition}`, o.offset)
      }
    }
    run.tasks.commitState(ends, keys)
    run.tasks.markCommitted(offsets)
    if (offsets.length > 0) this.#commits.next(offsets)
    this.#replacements.clear()
    this.#lastCommitMs = this.#config.clock.monotonicMs()
    await this.#purger.afterCommit(run.admin, run.plan.internalTopics, offsets, this.#config.clock.monotonicMs())
  }

  /**
   * Commits; when the group no longer lets this instance commit (it was fenced during a rebalance),
   * rewinds every task to its committed offsets instead — the group will hand the partitions out again.
   */
  private async commitOrRewind(): Promise<void> {
    const run = this.#running as Running
    try {
      await this.commit(run)
    } catch (err) {
      if (err instanceof TaskFailure && this.#config.uncaughtExceptionPolicy === 'replace-task') {
        // A table forwarding its updates at commit failed downstream: the task goes back to its last commit.
        await this.replaceTask(run, err)
        return
      }
      if (!isMigration(err)) throw err
      this.#config.onWarning(`commit refused by the group (${(err as { code?: string }).code}): tasks go back to their committed offsets`, { code: (err as { code?: string }).code, reason: String((err as { details?: { reason?: unknown } }).details?.reason) })
      await this.migrated(run)
    }
  }

  private async migrated(run: Running): Promise<void> {
    run.collector.discardPending()
    if (this.#config.processingGuarantee === 'exactly-once') await this.abortTransaction(run)
    const partitions = run.tasks.taskKeys.flatMap((k) => run.tasks.partitionsOf(k))
    for (const k of run.tasks.taskKeys) await run.tasks.replace(k)
    await this.rewind(run, partitions)
  }

  private stateDirectory(): StateDirectory {
    const c = this.#config
    return new StateDirectory({
      stateDir: c.stateDir,
      applicationId: c.applicationId,
      owner: this.processId,
      clock: c.clock,
      cleanupDelayMs: c.stateCleanupDelayMs,
      onWarning: c.onWarning,
    })
  }

  private beginTransactionIfNeeded(): void {
    if (this.#config.processingGuarantee !== 'exactly-once' || this.#transactionOpen) return
    ;(this.#running as Running).producer.beginTransaction()
    this.#transactionOpen = true
  }

  private async abortTransaction(run: Running): Promise<void> {
    if (!this.#transactionOpen) return
    this.#transactionOpen = false
    await run.producer.abortTransaction()
  }

  // ---------------------------------------------------------------- rebalances

  private async onRevoked(partitions: TopicPartition[]): Promise<void> {
    const run = this.#running as Running
    if (!this.#stopping && this.state === 'RUNNING') this.transition('REBALANCING')
    const keys = run.tasks.tasksOf(partitions)
    if (keys.length === 0) return
    try {
      // Exactly-once commits everything (one transaction); at-least-once the revoked tasks.
      await this.commit(run, this.#config.processingGuarantee === 'exactly-once' ? undefined : keys)
      for (const k of keys) run.tasks.close(k)
    } catch (err) {
      if (!isMigration(err)) throw err
      // Fenced already: another instance owns these partitions from their committed offsets.
      run.collector.discardPending()
      await this.abortTransaction(run)
      for (const k of keys) run.tasks.close(k, true)
    }
    run.assignor.setCurrentTasks(run.tasks.taskKeys)
  }

  private async onAssigned(partitions: TopicPartition[]): Promise<void> {
    const run = this.#running as Running
    await run.tasks.assign(partitions)
    run.assignor.setCurrentTasks(run.tasks.taskKeys)
    if (!this.#stopping && this.state === 'REBALANCING') this.transition('RUNNING')
  }

  private async onLost(partitions: TopicPartition[]): Promise<void> {
    const run = this.#running as Running
    run.collector.discardPending()
    await this.abortTransaction(run)
    for (const k of run.tasks.tasksOf(partitions)) run.tasks.close(k, true)
    run.assignor.setCurrentTasks(run.tasks.taskKeys)
    if (!this.#stopping && this.state === 'RUNNING') this.transition('REBALANCING')
  }

  // ---------------------------------------------------------------- shutdown

  /** A clean stop: commit, close processors, leave the group. */
  private async shutDown(run: Running): Promise<void> {
    let failure: unknown
    try {
      await this.commit(run)
    } catch (err) {
      if (!isMigration(err)) failure = err
      await this.abortTransaction(run).catch(() => undefined)
    }
    try {
      run.tasks.closeAll()
    } catch (err) {
      failure ??= err
    }
    await this.closeClients(run)
    if (failure !== undefined) throw failure
  }

  private async failApp(run: Running, err: unknown): Promise<void> {
    const cause = err instanceof TaskFailure ? err.cause : err
    if (this.state !== 'PENDING_ERROR') this.transition('PENDING_ERROR')
    // Nothing after the failure is committed: the records since the last commit are processed
    // again by whoever takes the tasks over.
    run.collector.discardPending()
    await this.abortTransaction(run).catch(() => undefined)
    try {
      run.tasks.closeAll(true)
    } catch {
      // Closing after a failure: the failure is what the app reports.
    }
    await this.closeClients(run)
    this.toError(cause)
  }

  private async closeClients(run: Running): Promise<void> {
    await run.state.close()
    await run.consumer.close()
    await run.producer.close()
    await run.admin.close()
    await run.global.close()
  }

  /** The global stores' loop died: the main loop, woken from its poll, fails the app with the error. */
  private onGlobalFailure(err: unknown): void {
    this.#globalFailure ??= err
    this.#abort.abort()
  }

  private toError(cause: unknown): void {
    this.transition('ERROR')
    this.#state.error(cause)
    this.#commits.complete()
    this.#restores.complete()
  }

  /** The app stopped: state$, commit$ and restore$ complete. */
  private completeEvents(): void {
    this.#state.complete()
    this.#commits.complete()
    this.#restores.complete()
  }

  private transition(to: StreamsAppState): void {
    checkTransition(this.#current, to)
    this.#current = to
    this.#state.next(to)
  }
}

/** The group no longer accepts this instance's commits: its tasks now belong to another. */
function isMigration(err: unknown): boolean {
  return (
    isMillraceError(err, 'LOG_COMMIT_FAILED') ||
    isMillraceError(err, 'LOG_ILLEGAL_GENERATION') ||
    isMillraceError(err, 'LOG_UNKNOWN_MEMBER_ID') ||
    isMillraceError(err, 'LOG_REBALANCE_IN_PROGRESS') ||
    isMillraceError(err, 'LOG_PRODUCER_FENCED')
  )
}
