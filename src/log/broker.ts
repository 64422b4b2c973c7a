/**
 * The embedded broker: one data directory, its topics and their partition logs, and the
 * background work that keeps them in shape (retention, flush.ms, recovery-point checkpoints).
 *
 * Producer, consumer and admin clients (the `LogClient` contract) are built on the methods here.
 *
 * On disk:
 * ```
 * <dataDir>/.lock                              exclusive lock (pid), held while open
 * <dataDir>/meta.json                          format version, cluster id, topic catalogue
 * <dataDir>/recovery-point-offset-checkpoint   offsets below which each partition is fsynced
 * <dataDir>/log-start-offset-checkpoint        each partition's log start offset
 * <dataDir>/cleaner-offset-checkpoint          each compacted partition's first dirty offset
 * <dataDir>/.clean-shutdown                    present only after a clean close
 * <dataDir>/<topic>-<partition>/…              segments (see PartitionLog)
 * ```
 */
import { join } from 'node:path'
import { systemClock, type Clock } from './clock.js'
import { logError, MillraceError } from './errors.js'
import type { FileIO } from './storage/file-io.js'
import { NodeFileIO } from './storage/node-file-io.js'
import { PartitionLog, type AppendResult } from './storage/partition-log.js'
import { ReadBufferPool } from './storage/read-pool.js'
import { writeOffsetCheckpoint, type OffsetCheckpointEntry } from './storage/checkpoint-file.js'
import {
  describeTopicConfig,
  resolveTopicConfig,
  type TopicConfig,
  type TopicConfigOverrides,
} from './topic-config.js'
import { resolvePartitionDir, topicCollisionKey, validateTopicName } from './topic-name.js'
import {
  newKafkaUuid,
  writeBrokerMetadata,
  type BrokerMetadata,
} from './broker-metadata.js'
import { applyRetention } from './retention.js'
import { offsetForTimestamp, type TimestampOffset } from './storage/timestamp-lookup.js'
import { LogCleanerManager, type CompactedPartition } from './cleaner/log-cleaner-manager.js'
import { rejectNullKeys } from './record-validation.js'
import { BackgroundTasks } from './background-tasks.js'
import { ProducerIdAllocator } from './producer-ids.js'
import type { AbortedTxn } from './storage/txn-index.js'
import type { TopicPartition } from './topic-partition.js'
import {
  checkPartitionCount,
  describePartition,
  forEachOpenPartition,
  partitionLogConfig,
  stringifyConfigs,
  type PartitionState,
  type TopicState,
} from './broker-topics.js'
import { mkdirDurable } from './storage/atomic-file.js'
import { EmbeddedProducer } from './client/producer/producer.js'
import type { Producer } from './client/producer/producer-api.js'
import { EmbeddedConsumer } from './client/consumer/embedded-consumer.js'
import type { Consumer } from './client/consumer/consumer-api.js'
import type { ConsumerConfigInput } from './client/consumer/consumer-config.js'
import { EmbeddedAdmin } from './client/admin/embedded-admin.js'
import type { Admin } from './client/admin/admin-api.js'
import type { LogClient } from './client/log-client.js'
import { consumerLogOf, producerLogOf } from './broker-clients.js'
import type { ProducerConfigInput } from './client/producer/producer-config.js'
import { GroupCoordinator } from './group/group-coordinator.js'
import { offsetsLogOf } from './group/offsets-log.js'
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  resolveBrokerIntervals,
  resolveTransactionOptions,
  type BrokerAppendOptions,
  type BrokerIntervals,
  type BrokerOptions,
  type NewTopic,
  type TopicDescription,
} from './broker-options.js'
import { TransactionCoordinator } from './txn/transaction-coordinator.js'
import { producerTransactionLogOf, transactionLogOf } from './broker-transactions.js'
import { loadTopicStates, lockDataDir, readOrCreateMetadata, type PartitionRecovery } from './broker-load.js'

export { MAX_PARTITIONS_PER_TOPIC } from './broker-topics.js'
export type { PartitionDescription } from './broker-topics.js'

export {
  LOCK_FILE,
  CLEAN_SHUTDOWN_FILE,
  RECOVERY_POINT_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
} from './broker-options.js'
export type { BrokerOptions, NewTopic, TopicDescription, BrokerAppendOptions } from './broker-options.js'

/**
 * The embedded broker. Open one per data directory (`LOG_DATA_DIR_LOCKED` otherwise); close it
 * to flush, checkpoint and mark a clean shutdown. All methods but `open`/`close`/durable appends
 * are synchronous. The broker owns the files under its data directory.
 */
export class Broker implements LogClient {
  readonly dataDir: string
  readonly clusterId: string
  private readonly io: FileIO
  private readonly clock: Clock
  private readonly pool = new ReadBufferPool()
  private readonly topicDefaults: TopicConfigOverrides
  private readonly topics = new Map<string, TopicState>()
  private readonly tasks: BackgroundTasks
  private readonly onBackgroundError: (task: string, err: unknown) => void
  private readonly intervals: BrokerIntervals
  private readonly cleaner: LogCleanerManager
  /** Cleaner passes run one after another; close() aborts the current one and waits for it. */
  private cleanerQueue: Promise<unknown> = Promise.resolve()
  private readonly cleanerAbort = new AbortController()
  private meta: BrokerMetadata
  private releaseLock: () => void
  private lastCheckpoint = ''
  private closed = false
  private readonly coordinator: GroupCoordinator
  private readonly transactions: TransactionCoordinator
  /** Created on the first `initProducerId` (a broker without idempotent producers never writes its file). */
  private producerIds: ProducerIdAllocator | undefined

  private constructor(init: {
    options: BrokerOptions
    io: FileIO
    clock: Clock
    meta: BrokerMetadata
    releaseLock: () => void
  }) {
    this.dataDir = init.options.dataDir
    this.io = init.io
    this.clock = init.clock
    this.meta = init.meta
    this.clusterId = init.meta.clusterId
    this.releaseLock = init.releaseLock
    this.topicDefaults = init.options.topicDefaults ?? {}
    this.onBackgroundError =
      init.options.onBackgroundError ??
      ((task, err) => process.emitWarning(`millrace ${task} failed: ${err instanceof Error ? err.message : String(err)}`))
    this.tasks = new BackgroundTasks(this.clock, (task, err) => this.onBackgroundError(task, err))
    this.intervals = resolveBrokerIntervals(init.options)
    this.cleaner = new LogCleanerManager({
      io: init.io,
      dataDir: this.dataDir,
      clock: this.clock,
      onError: (task, err) => this.onBackgroundError(task, err),
    })
    const { offsetsTopicPartitions, groupInitialRebalanceDelayMs, groupMinSessionTimeoutMs, groupMaxSessionTimeoutMs } = init.options
    this.coordinator = new GroupCoordinator({
      log: offsetsLogOf(this, this.clock, (task, err) => this.onBackgroundError(task, err)),
      config: { offsetsTopicPartitions, groupInitialRebalanceDelayMs, groupMinSessionTimeoutMs, groupMaxSessionTimeoutMs },
    })
    this.transactions = new TransactionCoordinator(
      transactionLogOf(this, this.clock, (task, err) => this.onBackgroundError(task, err)),
      resolveTransactionOptions(init.options),
    )
  }

  /**
   * Opens the data directory: takes its lock, reads the metadata, recovers every partition
   * (a scan after an unclean shutdown), removes leftovers of interrupted topic changes, and starts
   * the background tasks.
   *
   * @throws MillraceError `LOG_DATA_DIR_LOCKED` when another broker holds the directory,
   *   `LOG_DATA_DIR_INVALID` for an unreadable `meta.json`, `CONFIG_INVALID` for bad options.
   *   A partition whose fsynced data is corrupt does not fail the open: it is reported by
   *   `describeTopic` and its reads and appends throw `LOG_CORRUPT_SEGMENT`.
   */
  static async open(options: BrokerOptions): Promise<Broker> {
    const io = options.io ?? new NodeFileIO()
    const clock = options.clock ?? systemClock
    const dataDir = options.dataDir
    if (typeof dataDir !== 'string' || dataDir.length === 0) {
      throw new MillraceError('CONFIG_INVALID', 'dataDir must be a non-empty path', { details: { path: 'dataDir' } })
    }
    mkdirDurable(io, dataDir)
    const lock = lockDataDir(io, dataDir)
    try {
      const meta = readOrCreateMetadata(io, dataDir)
      const broker = new Broker({ options, io, clock, meta, releaseLock: () => lock.release() })
      broker.loadLogs()
      await broker.coordinator.load()
      // After the groups: finishing a prepared transaction settles its offsets there.
      await broker.transactions.load()
      broker.startBackgroundTasks()
      return broker
    } catch (err) {
      lock.release()
      throw err
    }
  }

  // ---------------------------------------------------------------- topics

  /**
   * Creates a topic with its partition directories. Everything is validated before any file is
   * created.
   *
   * @throws `LOG_INVALID_TOPIC`, `LOG_TOPIC_EXISTS`, `LOG_INVALID_PARTITIONS`, `CONFIG_INVALID`.
   */
  createTopic(spec: NewTopic): TopicDescription {
    this.ensureOpen()
    const { topic } = spec
    validateTopicName(topic)
    const partitions = spec.partitions ?? 1
    if (this.topics.has(topic)) throw logError('LOG_TOPIC_EXISTS', `topic ${topic} already exists`, { topic })
    const collision = [...this.topics.keys()].find((t) => topicCollisionKey(t) === topicCollisionKey(topic))
    if (collision !== undefined) {
      throw logError('LOG_INVALID_TOPIC', `topic ${topic} collides with ${collision} ('.' and '_' are equivalent)`, {
        topic,
        reason: 'collision',
      })
    }
    checkPartitionCount(topic, partitions)
    const configs = stringifyConfigs(spec.configs ?? {})
    const config = this.resolveConfig(configs)
    for (let p = 0; p < partitions; p++) resolvePartitionDir(this.dataDir, topic, p)
    const meta = { topicId: newKafkaUuid(), partitions, configs }
    const state: TopicState = { meta, config, partitions: [] }
    try {
      for (let p = 0; p < partitions; p++) state.partitions.push({ log: this.openLog(topic, p, config, true) })
      this.io.syncDir(this.dataDir)
      this.commitMeta({ ...this.meta, topics: { ...this.meta.topics, [topic]: meta } })
    } catch (err) {
      for (let p = 0; p < state.partitions.length; p++) this.removePartitionFiles(state.partitions[p], topic, p)
      throw err
    }
    this.topics.set(topic, state)
    return this.describeTopic(topic)
  }

  /** Deletes a topic and all its data. @throws `LOG_UNKNOWN_TOPIC`. */
  deleteTopic(topic: string): void {
    this.ensureOpen()
    const state = this.topicState(topic)
    const topics = { ...this.meta.topics }
    delete topics[topic]
    this.commitMeta({ ...this.meta, topics })
    this.topics.delete(topic)
    this.cleaner.forgetTopic(topic)
    state.partitions.forEach((p, i) => this.removePartitionFiles(p, topic, i))
    this.io.syncDir(this.dataDir)
  }

  /** Names of all topics, sorted. */
  listTopics(): string[] {
    this.ensureOpen()
    return [...this.topics.keys()].sort()
  }

  hasTopic(topic: string): boolean {
    return this.topics.has(topic)
  }

  /** @throws `LOG_UNKNOWN_TOPIC`. */
  describeTopic(topic: string): TopicDescription {
    this.ensureOpen()
    const state = this.topicState(topic)
    return {
      topic,
      topicId: state.meta.topicId,
      partitions: state.partitions.map((p, partition) => describePartition(p, partition)),
      configs: describeTopicConfig(state.config, state.meta.configs),
    }
  }

  /** The resolved configuration of a topic. @throws `LOG_UNKNOWN_TOPIC`. */
  topicConfig(topic: string): TopicConfig {
    return this.topicState(topic).config
  }

  /**
   * Grows a topic to `totalPartitions` (Kafka CreatePartitions; partitions never shrink).
   * @throws `LOG_UNKNOWN_TOPIC`, `LOG_INVALID_PARTITIONS` when not larger than the current count.
   */
  createPartitions(topic: string, totalPartitions: number): void {
    this.ensureOpen()
    const state = this.topicState(topic)
    checkPartitionCount(topic, totalPartitions)
    const current = state.partitions.length
    if (totalPartitions <= current) {
      throw logError('LOG_INVALID_PARTITIONS', `topic ${topic} has ${current} partitions; it can only grow`, {
        topic,
        partitions: totalPartitions,
      })
    }
    const added: PartitionState[] = []
    try {
      for (let p = current; p < totalPartitions; p++) added.push({ log: this.openLog(topic, p, state.config, true) })
      this.io.syncDir(this.dataDir)
      const meta = { ...state.meta, partitions: totalPartitions }
      this.commitMeta({ ...this.meta, topics: { ...this.meta.topics, [topic]: meta } })
      state.meta = meta
    } catch (err) {
      added.forEach((p, i) => this.removePartitionFiles(p, topic, current + i))
      throw err
    }
    state.partitions.push(...added)
  }

  /**
   * Changes topic config overrides: a string sets a value, `null` removes the override. Validated
   * as a whole before anything changes. @throws `LOG_UNKNOWN_TOPIC`, `CONFIG_INVALID`.
   */
  alterTopicConfigs(topic: string, changes: Readonly<Record<string, string | number | null>>): void {
    this.ensureOpen()
    const state = this.topicState(topic)
    const next: Record<string, string> = { ...state.meta.configs }
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete next[k]
      else next[k] = String(v)
    }
    const config = this.resolveConfig(next)
    const meta = { ...state.meta, configs: next }
    this.commitMeta({ ...this.meta, topics: { ...this.meta.topics, [topic]: meta } })
    state.meta = meta
    state.config = config
    for (const p of state.partitions) p.log?.updateConfig(partitionLogConfig(config))
  }

  // ---------------------------------------------------------------- data path

  /**
   * Appends v2 batches to a partition and returns their offsets. The buffer is taken over
   * (offsets are written in place). Durable only after `flush` (or use `appendDurable`).
   * On a `cleanup.policy=compact` topic every record must have a key (Kafka `LogValidator`).
   *
   * @throws `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`, `LOG_CORRUPT_BATCH`,
   *   `LOG_RECORD_TOO_LARGE`, `LOG_IO_ERROR`, `LOG_CORRUPT_SEGMENT` (partition failed to open),
   *   `LOG_INVALID_RECORD` (a null key on a compacted topic; nothing is appended).
   */
  append(tp: TopicPartition, batches: Uint8Array, options: BrokerAppendOptions = {}): AppendResult {
    const log = this.partitionLog(tp)
    this.rejectNullKeys(tp, batches)
    return log.append(batches, { trusted: options.trusted })
  }

  /** `append`, then wait for the group commit that makes it durable. */
  async appendDurable(tp: TopicPartition, batches: Uint8Array, options: BrokerAppendOptions = {}): Promise<AppendResult> {
    const log = this.partitionLog(tp)
    this.rejectNullKeys(tp, batches)
    const result = log.append(batches, { trusted: options.trusted })
    await log.flush()
    return result
  }

  /** The partition's last stable offset: where `read_committed` readers stop (the log end without open transactions). */
  lastStableOffset(tp: TopicPartition): number {
    return this.partitionLog(tp).lastStableOffset
  }

  /** Aborted transactions overlapping `[offset, upperBoundOffset)` of `tp`, from its aborted-transaction indexes. */
  abortedTransactions(tp: TopicPartition, offset: number, upperBoundOffset: number): AbortedTxn[] {
    return this.partitionLog(tp).abortedTransactions(offset, upperBoundOffset)
  }

  /**
   * A new producer id with epoch 0 for an idempotent producer (Kafka `InitProducerId` without a
   * transactional id): never handed out before by this data directory, restarts included.
   * @throws `LOG_IO_ERROR` when a new id block cannot be reserved durably; `LOG_CLOSED`.
   */
  initProducerId(): { producerId: bigint; producerEpoch: number } {
    this.ensureOpen()
    this.producerIds ??= new ProducerIdAllocator(this.io, this.dataDir)
    return { producerId: this.producerIds.allocate(), producerEpoch: 0 }
  }

  /** The transaction coordinator (internal: producers, admin and tests use it). @throws `LOG_CLOSED`. */
  transactionCoordinator(): TransactionCoordinator {
    this.ensureOpen()
    return this.transactions
  }

  /**
   * A producer appending to this broker (trusted, durable with `durableAcks`), timed by the
   * broker's clock. The caller owns it: close it before the broker.
   * @throws `CONFIG_INVALID` listing every invalid option.
   */
  producer(config?: ProducerConfigInput): Producer {
    const transactions = producerTransactionLogOf(
      () => this.transactionCoordinator(),
      () => this.groupCoordinator(),
    )
    return new EmbeddedProducer({ config, log: { ...producerLogOf(this, this.clock), transactions } })
  }

  /**
   * A consumer reading this broker's partitions, in a group through the broker's group
   * coordinator, timed by the broker's clock. The caller owns it: close it before the broker.
   * @throws `CONFIG_INVALID` listing every invalid option.
   */
  consumer(config?: ConsumerConfigInput): Consumer {
    return new EmbeddedConsumer(consumerLogOf(this, this.clock), config)
  }

  /** An admin client over this broker and its group coordinator. */
  admin(): Admin {
    return new EmbeddedAdmin({ log: this, coordinator: () => this.groupCoordinator() })
  }

  /** The number of partitions of `topic` (Kafka metadata). @throws `LOG_UNKNOWN_TOPIC`, `LOG_CLOSED`. */
  partitionCount(topic: string): number {
    this.ensureOpen()
    return this.topicState(topic).partitions.length
  }

  /** The group coordinator (internal: the embedded consumer and admin use it). @throws `LOG_CLOSED`. */
  groupCoordinator(): GroupCoordinator {
    this.ensureOpen()
    return this.coordinator
  }

  /**
   * Long poll: resolves once the partition's log end is past `offset` (woken by the append that
   * gets it there). Rejects with `LOG_ABORTED` when `signal` aborts, `LOG_CLOSED` on close.
   */
  waitForAppend(tp: TopicPartition, offset: number, signal?: AbortSignal): Promise<void> {
    return this.partitionLog(tp).waitForAppend(offset, signal)
  }

  /** Makes everything appended to the partition so far durable; resolves with the durable offset. */
  flush(tp: TopicPartition): Promise<number> {
    return this.partitionLog(tp).flush()
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one batch),
   * below `maxOffset` (default: log end). @throws `LOG_OFFSET_OUT_OF_RANGE` and as `append`.
   */
  read(tp: TopicPartition, offset: number, maxBytes: number, maxOffset?: number): Uint8Array {
    return this.partitionLog(tp).read(offset, maxBytes, maxOffset)
  }

  /** `{ logStartOffset, logEndOffset }` of a partition. */
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number } {
    const log = this.partitionLog(tp)
    return { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset }
  }

  /**
   * Kafka ListOffsets by timestamp: the earliest offset whose record timestamp is ≥
   * `timestampMs`, with that timestamp; undefined when every record is older.
   */
  offsetForTimestamp(tp: TopicPartition, timestampMs: number): TimestampOffset | undefined {
    return offsetForTimestamp(this.partitionLog(tp), timestampMs)
  }

  /** Kafka DeleteRecords: moves the log start offset forward. */
  deleteRecordsBefore(tp: TopicPartition, offset: number): void {
    this.partitionLog(tp).advanceLogStartOffset(offset)
    this.writeLogStartCheckpoint()
  }

  /** The partition's log (internal: clients and maintenance use it). */
  partitionLog(tp: TopicPartition): PartitionLog {
    this.ensureOpen()
    const state = this.topics.get(tp.topic)
    if (!state) throw logError('LOG_UNKNOWN_TOPIC', `unknown topic ${tp.topic}`, { topic: tp.topic })
    const p = Number.isInteger(tp.partition) && tp.partition >= 0 ? state.partitions[tp.partition] : undefined
    if (!p) {
      throw logError('LOG_UNKNOWN_PARTITION', `topic ${tp.topic} has no partition ${tp.partition}`, { ...tp })
    }
    if (p.error) throw p.error
    return p.log as PartitionLog
  }

  // ---------------------------------------------------------------- maintenance

  /** Runs retention over every delete-policy topic now; returns the segments deleted. */
  runRetention(): number {
    this.ensureOpen()
    let deleted = 0
    const nowMs = this.clock.nowMs()
    forEachOpenPartition(this.topics, (topic, partition, log, state) => {
      if (!state.config.cleanupPolicy.delete) return
      try {
        deleted += applyRetention(log, state.config, nowMs)
      } catch (err) {
        this.onBackgroundError(`retention of ${topic}-${partition}`, err)
      }
    })
    if (deleted > 0) this.writeLogStartCheckpoint()
    return deleted
  }

  /**
   * Runs one log-cleaner pass now: every compacted partition that is due (see
   * `cleanerBackoffMs`) gets one cleaning round; the cleaner checkpoint is updated. Passes never
   * overlap: a call made while one runs starts when it ends. Resolves with the number of
   * partitions cleaned; errors of single partitions go to `onBackgroundError`.
   * @throws `LOG_CLOSED`.
   */
  async runCleaner(): Promise<number> {
    this.ensureOpen()
    const pass = this.cleanerQueue.then(() => (this.closed ? 0 : this.cleaner.cleanDue(this.compactedPartitions(), this.cleanerAbort.signal)))
    this.cleanerQueue = pass.catch(() => undefined)
    return pass
  }

  /** Flushes partitions whose `flush.ms` deadline passed. */
  async runFlushDeadlines(): Promise<void> {
    const now = this.clock.monotonicMs()
    const pending: Promise<number>[] = []
    forEachOpenPartition(this.topics, (_topic, _partition, log, state) => {
      const flushMs = state.config.flushMs
      if (flushMs < Number.MAX_SAFE_INTEGER && log.hasUnflushedData && now - log.lastFlushMonotonicMs >= flushMs) {
        pending.push(log.flush())
      }
    })
    await Promise.all(pending)
  }

  /** Writes the recovery-point checkpoint when any partition's recovery point moved. */
  checkpointRecoveryPoints(): void {
    const entries = this.collect((log) => log.recoveryPoint)
    const key = entries.map((e) => `${e.topic}-${e.partition}:${e.offset}`).join(',')
    if (key === this.lastCheckpoint) return
    writeOffsetCheckpoint(this.io, join(this.dataDir, RECOVERY_POINT_CHECKPOINT), entries)
    this.lastCheckpoint = key
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Stops background work, fsyncs and closes every partition, writes the checkpoints and the
   * clean-shutdown marker (only when every partition closed cleanly), and releases the lock.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // First: transactions being completed finish their markers (which may settle offsets), then
    // parked joins and syncs fail with LOG_CLOSED, and offset writes in flight finish.
    await this.transactions.close()
    await this.coordinator.close()
    this.tasks.stop()
    // A cleaning round stops at its next slice and removes its unswapped output.
    this.cleanerAbort.abort()
    await this.cleanerQueue
    let clean = true
    const errors: unknown[] = []
    for (const state of this.topics.values()) {
      for (const p of state.partitions) {
        if (p.error) clean = false
        try {
          p.log?.close()
        } catch (err) {
          clean = false
          errors.push(err)
        }
      }
    }
    try {
      if (clean) {
        this.lastCheckpoint = ''
        this.checkpointRecoveryPoints()
        this.writeLogStartCheckpoint()
        const marker = this.io.open(join(this.dataDir, CLEAN_SHUTDOWN_FILE), { create: true })
        marker.syncNow()
        marker.close()
        this.io.syncDir(this.dataDir)
      }
    } catch (err) {
      errors.push(err)
    } finally {
      this.releaseLock()
    }
    if (errors.length > 0) {
      throw new MillraceError('LOG_IO_ERROR', 'broker did not close cleanly', { cause: errors.length === 1 ? errors[0] : errors })
    }
  }

  get isClosed(): boolean {
    return this.closed
  }

  // ---------------------------------------------------------------- internals

  private loadLogs(): void {
    const { io, dataDir } = this
    const cleanPath = join(dataDir, CLEAN_SHUTDOWN_FILE)
    const cleanShutdown = io.exists(cleanPath)
    const loaded = loadTopicStates({
      io,
      dataDir,
      topics: this.meta.topics,
      cleanShutdown,
      resolveConfig: (overrides) => this.resolveConfig(overrides),
      openLog: (topic, partition, config, recovery) => this.openLog(topic, partition, config, false, recovery),
    })
    for (const [topic, state] of loaded) this.topics.set(topic, state)
    // Recovery made everything present durable: checkpoint, then retire the marker, so a crash
    // from here on is treated as unclean.
    this.checkpointRecoveryPoints()
    this.writeLogStartCheckpoint()
    if (cleanShutdown) {
      io.remove(cleanPath)
      io.syncDir(dataDir)
    }
  }

  private openLog(
    topic: string,
    partition: number,
    config: TopicConfig,
    create: boolean,
    recovery: PartitionRecovery = {
      recoveryPoint: 0,
      logStartOffset: 0,
      cleanShutdown: true,
    },
  ): PartitionLog {
    const dir = resolvePartitionDir(this.dataDir, topic, partition)
    if (create && this.io.exists(dir)) this.io.removeDir(dir)
    return PartitionLog.open({
      io: this.io,
      dir,
      topic,
      partition,
      config: partitionLogConfig(config),
      clock: this.clock,
      readPool: this.pool,
      verifyTransaction: (producerId, producerEpoch) => this.transactions.verifyPartition(producerId, producerEpoch, { topic, partition }),
      ...recovery,
    })
  }

  private removePartitionFiles(p: PartitionState | undefined, topic: string, partition: number): void {
    if (p?.log) p.log.deleteFiles()
    else this.io.removeDir(resolvePartitionDir(this.dataDir, topic, partition))
  }

  private resolveConfig(overrides: TopicConfigOverrides): TopicConfig {
    const base = resolveTopicConfig(this.topicDefaults)
    return resolveTopicConfig(overrides, base)
  }

  private commitMeta(meta: BrokerMetadata): void {
    writeBrokerMetadata(this.io, this.dataDir, meta)
    this.meta = meta
  }

  private topicState(topic: string): TopicState {
    const state = this.topics.get(topic)
    if (!state) throw logError('LOG_UNKNOWN_TOPIC', `unknown topic ${topic}`, { topic })
    return state
  }

  private collect(value: (log: PartitionLog) => number): OffsetCheckpointEntry[] {
    const out: OffsetCheckpointEntry[] = []
    forEachOpenPartition(this.topics, (topic, partition, log) => out.push({ topic, partition, offset: value(log) }))
    return out
  }

  private writeLogStartCheckpoint(): void {
    writeOffsetCheckpoint(this.io, join(this.dataDir, LOG_START_OFFSET_CHECKPOINT), this.collect((l) => l.logStartOffset))
  }

  private startBackgroundTasks(): void {
    this.tasks.every('retention', this.intervals.retention, () => {
      if (!this.closed) this.runRetention()
    })
    // Not awaited: flushes coalesce in the partition logs, and a slow fsync must not stall the
    // ticks of other partitions' deadlines.
    this.tasks.every('flush', this.intervals.flush, () => {
      this.runFlushDeadlines().catch((err: unknown) => this.onBackgroundError('flush', err))
    })
    this.tasks.every('checkpoint', this.intervals.checkpoint, () => {
      this.checkpointRecoveryPoints()
    })
    // A tick can come while close() awaits the coordinators, before it stops the tasks: the
    // public methods refuse a closed broker (LOG_CLOSED), so the ticks check first.
    this.tasks.every('cleaner', this.intervals.cleaner, async () => {
      if (!this.closed) await this.runCleaner()
    })
    this.tasks.every('transaction-timeouts', this.intervals.transactionTimeouts, async () => {
      await this.transactions.abortTimedOutTransactions()
    })
    this.tasks.every('producer-id-expiration', this.intervals.producerIdExpiration, () => {
      if (!this.closed) this.expireProducerIds()
    })
  }

  /** Forgets idle producer ids in every partition now (see `producerIdExpirationMs`); returns how many. */
  expireProducerIds(): number {
    this.ensureOpen()
    const nowMs = this.clock.nowMs()
    let expired = 0
    forEachOpenPartition(this.topics, (_topic, _partition, log) => {
      expired += log.expireProducers(nowMs, this.intervals.producerIdExpirationMs)
    })
    return expired
  }

  /** The open partitions of `cleanup.policy=compact` topics. */
  private compactedPartitions(): CompactedPartition[] {
    const out: CompactedPartition[] = []
    forEachOpenPartition(this.topics, (topic, partition, log, state) => {
      // Nothing at or past the last stable offset is cleaned: an open transaction's records are
      // not decided yet (Kafka cleans up to the first unstable offset).
      if (state.config.cleanupPolicy.compact) out.push({ topic, partition, log, config: state.config, maxCleanableOffset: log.lastStableOffset })
    })
    return out
  }

  private rejectNullKeys(tp: TopicPartition, batches: Uint8Array): void {
    if (this.topicState(tp.topic).config.cleanupPolicy.compact) rejectNullKeys(tp, batches)
  }

  private ensureOpen(): void {
    if (this.closed) throw logError('LOG_CLOSED', `broker for ${this.dataDir} is closed`, { file: this.dataDir })
  }
}
