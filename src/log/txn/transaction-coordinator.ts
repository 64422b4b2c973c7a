/**
 * Kafka's transaction coordinator in process (log anchor §4), KIP-890 style: the producer epoch
 * is bumped by every EndTxn, and the markers carry the bumped epoch, so a late send, commit or
 * abort of a finished transaction can never land on the next one.
 *
 * State per transactional id lives in the compacted internal topic `__transaction_state`
 * (Kafka's TransactionLogKey/Value). Every state change is appended and fsynced before it is
 * applied in memory and before anything that depends on it happens:
 * - a partition is added (Ongoing, with its partitions) before the producer's first batch to it is
 *   appended, so recovery always knows every partition a transaction may have touched;
 * - EndTxn: PrepareCommit/PrepareAbort is durable (the decision), then COMMIT/ABORT markers are
 *   written durably to every partition of the transaction (and the group's `__consumer_offsets`
 *   partition), then CompleteCommit/CompleteAbort. `endTransaction` resolves only then.
 *
 * Fencing: `initProducerId` bumps the epoch; an Ongoing transaction of an older instance is first
 * aborted with a bumped epoch (PrepareEpochFence → PrepareAbort). A timed-out transaction is
 * aborted the same way by the periodic scan on the injected clock. A request with an older epoch
 * gets `LOG_PRODUCER_FENCED`.
 *
 * Recovery (`load`): the log is replayed (latest record per id); a transaction found in
 * PrepareCommit/PrepareAbort is completed (its markers are written again — a repeated marker is
 * harmless); one found Ongoing stays open until it times out or its id re-initialises.
 *
 * Calls for one transactional id are serialised (a per-id chain), so a fence and an EndTxn of
 * the same id never interleave between their awaits.
 */
import type { Clock } from '../clock.js'
import { isMillraceError, logError } from '../errors.js'
import { encodeRecordBatch } from '../record/batch-builder.js'
import { replayPartition } from '../internal-topic-replay.js'
import type { TopicPartition } from '../topic-partition.js'
import { javaStringHashCode, kafkaAbs } from '../group/offsets-schema/index.js'
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  type TransactionLogPartitions,
} from './transaction-log-schema.js'
import { TXN_STATE_IDS, checkTransition, isComplete, txnStateOf, type TxnState } from './transaction-state.js'

/** The compacted internal topic holding transaction state (log anchor §4.2). */
export const TRANSACTION_STATE_TOPIC = '__transaction_state'

/** Kafka's settings for `__transaction_state`: compacted, 100 MiB segments. */
export const TRANSACTION_STATE_TOPIC_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
  'segment.bytes': '104857600',
})

/** Epochs are int16; at this epoch a producer continues with a new producer id (Kafka `Short.MaxValue - 1`). */
export const MAX_PRODUCER_EPOCH = 0x7fff - 1

/**
 * Markers carry the coordinator epoch (Kafka: the leader epoch of the state partition). One
 * in-process coordinator owns every partition for the life of the data directory: always 0.
 */
export const COORDINATOR_EPOCH = 0

export interface TransactionCoordinatorConfig {
  /** Kafka `transaction.state.log.num.partitions` (50). */
  readonly transactionStateLogNumPartitions: number
  /** Kafka `transaction.max.timeout.ms` (15 min). */
  readonly transactionMaxTimeoutMs: number
  /** Kafka `transaction.abort.timed.out.transaction.cleanup.interval.ms` (10 s). */
  readonly transactionAbortTimedOutTransactionCleanupIntervalMs: number
  /** Kafka `transactional.id.expiration.ms` (7 days). */
  readonly transactionalIdExpirationMs: number
}

export const DEFAULT_TRANSACTION_COORDINATOR_CONFIG: TransactionCoordinatorConfig = Object.freeze({
  transactionStateLogNumPartitions: 50,
  transactionMaxTimeoutMs: 900_000,
  transactionAbortTimedOutTransactionCleanupIntervalMs: 10_000,
  transactionalIdExpirationMs: 604_800_000,
})

export interface TxnMarkerRequest {
  readonly type: 'COMMIT' | 'ABORT'
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly coordinatorEpoch: number
}

/** What the coordinator needs from the log; the broker builds it (nothing here names `Broker`). */
export interface TransactionLog {
  readonly clock: Clock
  /** Partitions of `__transaction_state`, or undefined while it does not exist. */
  stateTopicPartitions(): number | undefined
  /** Creates `__transaction_state` unless it exists; returns its partition count. */
  ensureStateTopic(partitions: number): number
  /** Appends one trusted batch synchronously and resolves once it is fsynced. */
  appendDurable(tp: TopicPartition, batch: Buffer): Promise<unknown>
  read(tp: TopicPartition, offset: number, maxBytes: number): Uint8Array
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
  /** Resolves once everything appended to `tp` so far is fsynced. */
  flush(tp: TopicPartition): Promise<unknown>
  /** A producer id never handed out before. */
  allocateProducerId(): bigint
  /** Writes a marker durably to `tp` (and lets the group coordinator settle pending offsets there). */
  writeMarker(tp: TopicPartition, marker: TxnMarkerRequest): Promise<void>
  /** `__consumer_offsets` partition count, for a group's partition (created if needed). */
  offsetsPartitionFor(groupId: string): TopicPartition
  onBackgroundError(task: string, err: unknown): void
}

/** A producer's id and epoch. */
export interface ProducerIdAndEpoch {
  readonly producerId: bigint
  readonly producerEpoch: number
}

/** The coordinator's view of one transactional id (Kafka `TransactionMetadata`). */
export interface TransactionMetadata {
  readonly transactionalId: string
  producerId: bigint
  producerEpoch: number
  /** The epoch before the last bump (to recognise a retried EndTxn), −1 when none. */
  lastProducerEpoch: number
  /** The id before an overflow to a new one, −1n when none. */
  previousProducerId: bigint
  timeoutMs: number
  state: TxnState
  /** `topic\0partition` → partition, in the order added. */
  readonly partitions: Map<string, TopicPartition>
  startMs: number
  lastUpdateMs: number
}

function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}

/** The `__transaction_state` partition of a transactional id (Kafka `Utils.abs(hashCode) % n`). */
export function partitionForTransactionalId(transactionalId: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(transactionalId)) % partitions
}

export class TransactionCoordinator {
  readonly config: TransactionCoordinatorConfig
  private readonly log: TransactionLog
  private readonly txns = new Map<string, TransactionMetadata>()
  /** producer id → transactional id, for broker-side verification of transactional appends. */
  private readonly byProducerId = new Map<bigint, string>()
  /** Per transactional id: the tail of its serialised operations. */
  private readonly chains = new Map<string, Promise<unknown>>()
  private partitions: number
  private closed = false

  constructor(log: TransactionLog, config: Partial<TransactionCoordinatorConfig> = {}) {
    this.log = log
    this.config = { ...DEFAULT_TRANSACTION_COORDINATOR_CONFIG, ...config }
    this.partitions = log.stateTopicPartitions() ?? this.config.transactionStateLogNumPartitions
  }

  /**
   * Replays `__transaction_state`, then completes every transaction found in PrepareCommit or
   * PrepareAbort (its markers are written again). Resolves once those are complete.
   */
  async load(): Promise<void> {
    if (this.log.stateTopicPartitions() === undefined) return
    for (let partition = 0; partition < this.partitions; partition++) await this.replay(partition)
    const unfinished = [...this.txns.values()].filter((t) => t.state === 'PrepareCommit' || t.state === 'PrepareAbort')
    await Promise.all(unfinished.map((t) => this.serialised(t.transactionalId, () => this.completeTransaction(t))))
  }

  close(): Promise<void> {
    this.closed = true
    return Promise.all([...this.chains.values()]).then(() => undefined)
  }

  /** A copy of the metadata of `transactionalId` (tests, admin). */
  describe(transactionalId: string): Readonly<TransactionMetadata> | undefined {
    const t = this.txns.get(transactionalId)
    return t === undefined ? undefined : { ...t, partitions: new Map(t.partitions) }
  }

  /** Transactional ids with their state. */
  list(): Array<{ transactionalId: string; state: TxnState; producerId: bigint; producerEpoch: number }> {
    return [...this.txns.values()].map((t) => ({ transactionalId: t.transactionalId, state: t.state, producerId: t.producerId, producerEpoch: t.producerEpoch }))
  }

  /**
   * Kafka InitProducerId with a transactional id: a new epoch (a new id the first time, or when
   * the epoch is exhausted), after aborting an Ongoing transaction of an older instance and
   * completing one being committed or aborted.
   * @throws `LOG_INVALID_TRANSACTION_TIMEOUT`, `LOG_INVALID_ARGUMENT`, `LOG_CLOSED`, `LOG_IO_ERROR`.
   */
  initProducerId(transactionalId: string, transactionTimeoutMs: number): Promise<ProducerIdAndEpoch> {
    try {
      this.ensureOpen()
      checkTransactionalId(transactionalId)
      if (!Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs <= 0 || transactionTimeoutMs > this.config.transactionMaxTimeoutMs) {
        throw logError(
          'LOG_INVALID_TRANSACTION_TIMEOUT',
          `transactionTimeoutMs ${transactionTimeoutMs} must be a positive integer ≤ transaction.max.timeout.ms ${this.config.transactionMaxTimeoutMs}`,
          { transactionalId, transactionTimeoutMs },
        )
      }
    } catch (err) {
      return Promise.reject(err as Error)
    }
    return this.serialised(transactionalId, async () => {
      let t = this.txns.get(transactionalId)
      if (t === undefined || t.state === 'Dead') {
        const producerId = this.log.allocateProducerId()
        t = {
          transactionalId,
          producerId,
          producerEpoch: -1,
          lastProducerEpoch: -1,
          previousProducerId: -1n,
          timeoutMs: transactionTimeoutMs,
          state: 'Empty',
          partitions: new Map(),
          startMs: -1,
          lastUpdateMs: this.log.clock.nowMs(),
        }
      }
      if (t.state === 'Ongoing') await this.fenceAndAbort(t)
      if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') await this.completeTransaction(t)
      const next = this.bumped(t)
      checkTransition(transactionalId, t.state, 'Empty')
      await this.persist(t, { ...next, state: 'Empty', partitions: [], timeoutMs: transactionTimeoutMs, startMs: -1 })
      return { producerId: t.producerId, producerEpoch: t.producerEpoch }
    })
  }

  /**
   * Adds partitions to the producer's transaction (Kafka AddPartitionsToTxn), durably; the first
   * add begins the transaction (Ongoing).
   * @throws `LOG_PRODUCER_FENCED`, `LOG_INVALID_TXN_STATE` (the transaction is completing).
   */
  addPartitions(transactionalId: string, producer: ProducerIdAndEpoch, tps: readonly TopicPartition[]): Promise<void> {
    return this.serialised(transactionalId, async () => {
      const t = this.current(transactionalId, producer)
      const missing = tps.filter((tp) => !t.partitions.has(tpKey(tp)))
      if (missing.length === 0 && t.state === 'Ongoing') return
      checkTransition(transactionalId, t.state, 'Ongoing')
      const now = this.log.clock.nowMs()
      const begins = t.state !== 'Ongoing'
      await this.persist(t, {
        producerId: t.producerId,
        producerEpoch: t.producerEpoch,
        lastProducerEpoch: t.lastProducerEpoch,
        state: 'Ongoing',
        partitions: [...(begins ? [] : t.partitions.values()), ...missing],
        timeoutMs: t.timeoutMs,
        startMs: begins ? now : t.startMs,
      })
    })
  }

  /** Kafka AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  addOffsets(transactionalId: string, producer: ProducerIdAndEpoch, groupId: string): Promise<TopicPartition> {
    let tp: TopicPartition
    try {
      tp = this.log.offsetsPartitionFor(groupId)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    return this.addPartitions(transactionalId, producer, [tp]).then(() => tp)
  }

  /**
   * Kafka EndTxn: commits or aborts the Ongoing transaction — durably decided, markers durably
   * written, completed — and returns the producer's identity for its next transaction (the epoch
   * bumped; a new id after the epoch overflowed). A retry of the EndTxn that completed the last
   * transaction (the epoch before the bump, the same decision) is answered again; anything else
   * from an older epoch is fenced.
   * @throws `LOG_PRODUCER_FENCED`, `LOG_INVALID_TXN_STATE` (nothing open, or the other decision).
   */
  endTransaction(transactionalId: string, producer: ProducerIdAndEpoch, commit: boolean): Promise<ProducerIdAndEpoch> {
    return this.serialised(transactionalId, async () => {
      const t = this.txns.get(transactionalId)
      const complete: TxnState = commit ? 'CompleteCommit' : 'CompleteAbort'
      if (
        t !== undefined &&
        t.state === complete &&
        t.lastProducerEpoch === producer.producerEpoch &&
        (producer.producerId === t.producerId || producer.producerId === t.previousProducerId)
      ) {
        return { producerId: t.producerId, producerEpoch: t.producerEpoch }
      }
      const prepared: TxnState = commit ? 'PrepareCommit' : 'PrepareAbort'
      if (t !== undefined && t.state === prepared && t.lastProducerEpoch === producer.producerEpoch && t.producerId === producer.producerId) {
        // A retry after this EndTxn failed writing its markers: finish it.
        await this.completeTransaction(t)
        return { producerId: t.producerId, producerEpoch: t.producerEpoch }
      }
      const current = this.current(transactionalId, producer)
      if (current.state !== 'Ongoing') {
        throw logError('LOG_INVALID_TXN_STATE', `transaction ${transactionalId} has no open transaction to ${commit ? 'commit' : 'abort'} (state ${current.state})`, {
          transactionalId,
          state: current.state,
        })
      }
      // The decision must never vouch for data a power loss could still take: every partition
      // of a commit is fsynced first (one group commit each). An abort needs no data.
      if (commit) await Promise.all([...current.partitions.values()].map((tp) => this.flushPartition(tp)))
      await this.prepare(current, commit ? 'PrepareCommit' : 'PrepareAbort')
      await this.completeTransaction(current)
      return { producerId: current.producerId, producerEpoch: current.producerEpoch }
    })
  }

  /**
   * KIP-890 part 1, checked by the broker before a transactional batch opens a transaction on a
   * partition: the producer's transaction must be Ongoing at this epoch and hold the partition.
   * @throws `LOG_PRODUCER_FENCED` for an older epoch; `LOG_INVALID_TXN_STATE` otherwise.
   */
  verifyPartition(producerId: bigint, producerEpoch: number, tp: TopicPartition): void {
    const id = this.byProducerId.get(producerId)
    const t = id === undefined ? undefined : this.txns.get(id)
    if (t === undefined || t.producerId !== producerId) {
      throw logError('LOG_INVALID_TXN_STATE', `producer ${producerId} has no transaction`, { producerId, ...tp })
    }
    if (producerEpoch < t.producerEpoch) {
      throw logError('LOG_PRODUCER_FENCED', `producer ${producerId} epoch ${producerEpoch} was fenced by epoch ${t.producerEpoch}`, { producerId, epoch: producerEpoch, ...tp })
    }
    if (producerEpoch !== t.producerEpoch || t.state !== 'Ongoing' || !t.partitions.has(tpKey(tp))) {
      throw logError('LOG_INVALID_TXN_STATE', `${tp.topic}-${tp.partition} is not in the open transaction of producer ${producerId} epoch ${producerEpoch}`, {
        producerId,
        epoch: producerEpoch,
        state: t.state,
        ...tp,
      })
    }
  }

  /**
   * Aborts (with an epoch bump that fences the producer) every Ongoing transaction older than its
   * timeout, and removes ids idle past `transactionalIdExpirationMs`. Run periodically by the broker.
   */
  async abortTimedOutTransactions(): Promise<number> {
    const now = this.log.clock.nowMs()
    const due = [...this.txns.values()].filter((t) => t.state === 'Ongoing' && t.startMs >= 0 && now - t.startMs >= t.timeoutMs)
    await Promise.all(
      due.map((t) =>
        this.serialised(t.transactionalId, async () => {
          if (t.state === 'Ongoing' && this.log.clock.nowMs() - t.startMs >= t.timeoutMs) await this.fenceAndAbort(t)
        }),
      ),
    )
    const expired = [...this.txns.values()].filter((t) => isComplete(t.state) && now - t.lastUpdateMs >= this.config.transactionalIdExpirationMs)
    await Promise.all(expired.map((t) => this.serialised(t.transactionalId, () => this.expire(t))))
    return due.length
  }

  // ---------------------------------------------------------------- internals

  /** The metadata of a producer at its current epoch. @throws `LOG_PRODUCER_FENCED`, `LOG_INVALID_TXN_STATE`. */
  private current(transactionalId: string, producer: ProducerIdAndEpoch): TransactionMetadata {
    this.ensureOpen()
    const t = this.txns.get(transactionalId)
    if (t === undefined || t.state === 'Dead') {
      throw logError('LOG_INVALID_TXN_STATE', `transactional id ${transactionalId} is not initialised: call initTransactions()`, { transactionalId })
    }
    if (producer.producerId !== t.producerId || producer.producerEpoch !== t.producerEpoch) {
      throw logError(
        'LOG_PRODUCER_FENCED',
        `producer ${producer.producerId} epoch ${producer.producerEpoch} of ${transactionalId} was fenced by producer ${t.producerId} epoch ${t.producerEpoch}`,
        { transactionalId, producerId: producer.producerId, epoch: producer.producerEpoch },
      )
    }
    return t
  }

  /** The identity after one bump: the next epoch, or a new id at epoch 0 once the epoch is exhausted. */
  private bumped(t: TransactionMetadata): { producerId: bigint; producerEpoch: number; lastProducerEpoch: number; previousProducerId?: bigint } {
    if (t.producerEpoch >= MAX_PRODUCER_EPOCH) {
      return { producerId: this.log.allocateProducerId(), producerEpoch: 0, lastProducerEpoch: -1, previousProducerId: t.producerId }
    }
    return { producerId: t.producerId, producerEpoch: t.producerEpoch + 1, lastProducerEpoch: t.producerEpoch }
  }

  /**
   * Ongoing → PrepareCommit/PrepareAbort, durably, with the epoch bumped (KIP-890): the markers
   * carry the bumped epoch, so the old epoch's late sends are fenced by every partition.
   */
  private async prepare(t: TransactionMetadata, to: 'PrepareCommit' | 'PrepareAbort', from: TxnState = t.state): Promise<void> {
    checkTransition(t.transactionalId, from, to)
    // The markers are written with epoch + 1 ≤ 32767 under the current id; an exhausted epoch
    // moves to the next id when the transaction completes.
    await this.persist(t, {
      producerId: t.producerId,
      producerEpoch: t.producerEpoch + 1,
      lastProducerEpoch: t.producerEpoch,
      state: to,
      partitions: [...t.partitions.values()],
      timeoutMs: t.timeoutMs,
      startMs: t.startMs,
    })
  }

  /** PrepareEpochFence (in memory) → PrepareAbort → markers → CompleteAbort. */
  private async fenceAndAbort(t: TransactionMetadata): Promise<void> {
    checkTransition(t.transactionalId, t.state, 'PrepareEpochFence')
    t.state = 'PrepareEpochFence'
    try {
      await this.prepare(t, 'PrepareAbort', 'PrepareEpochFence')
    } catch (err) {
      t.state = 'Ongoing'
      throw err
    }
    await this.completeTransaction(t)
  }

  /** Writes the markers of a prepared transaction, then CompleteCommit/CompleteAbort. */
  private async completeTransaction(t: TransactionMetadata): Promise<void> {
    const commit = t.state === 'PrepareCommit'
    const marker: TxnMarkerRequest = { type: commit ? 'COMMIT' : 'ABORT', producerId: t.producerId, producerEpoch: t.producerEpoch, coordinatorEpoch: COORDINATOR_EPOCH }
    await Promise.all([...t.partitions.values()].map((tp) => this.writeMarker(tp, marker)))
    const to: TxnState = commit ? 'CompleteCommit' : 'CompleteAbort'
    checkTransition(t.transactionalId, t.state, to)
    const overflow = t.producerEpoch >= MAX_PRODUCER_EPOCH
    await this.persist(t, {
      producerId: overflow ? this.log.allocateProducerId() : t.producerId,
      producerEpoch: overflow ? 0 : t.producerEpoch,
      lastProducerEpoch: t.lastProducerEpoch,
      previousProducerId: overflow ? t.producerId : undefined,
      state: to,
      partitions: [],
      timeoutMs: t.timeoutMs,
      startMs: t.startMs,
    })
  }

  private async writeMarker(tp: TopicPartition, marker: TxnMarkerRequest): Promise<void> {
    try {
      await this.log.writeMarker(tp, marker)
    } catch (err) {
      // A partition deleted since it was added: nothing there to mark.
      if (isMillraceError(err, 'LOG_UNKNOWN_TOPIC') || isMillraceError(err, 'LOG_UNKNOWN_PARTITION')) return
      throw err
    }
  }

  private async flushPartition(tp: TopicPartition): Promise<void> {
    try {
      await this.log.flush(tp)
    } catch (err) {
      if (isMillraceError(err, 'LOG_UNKNOWN_TOPIC') || isMillraceError(err, 'LOG_UNKNOWN_PARTITION')) return
      throw err
    }
  }

  private async expire(t: TransactionMetadata): Promise<void> {
    if (!isComplete(t.state) || this.txns.get(t.transactionalId) !== t) return
    checkTransition(t.transactionalId, t.state, 'Dead')
    await this.append(t.transactionalId, null)
    t.state = 'Dead'
    this.txns.delete(t.transactionalId)
    if (this.byProducerId.get(t.producerId) === t.transactionalId) this.byProducerId.delete(t.producerId)
  }

  /** Appends the new state durably, then applies it to `t` (and registers `t`). */
  private async persist(
    t: TransactionMetadata,
    next: {
      producerId: bigint
      producerEpoch: number
      lastProducerEpoch: number
      previousProducerId?: bigint
      state: TxnState
      partitions: readonly TopicPartition[]
      timeoutMs: number
      startMs: number
    },
  ): Promise<void> {
    const now = this.log.clock.nowMs()
    const byTopic = new Map<string, number[]>()
    for (const tp of next.partitions) {
      let ids = byTopic.get(tp.topic)
      if (ids === undefined) byTopic.set(tp.topic, (ids = []))
      ids.push(tp.partition)
    }
    const partitions: TransactionLogPartitions[] = [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }))
    await this.append(
      t.transactionalId,
      encodeTransactionLogValue({
        producerId: next.producerId,
        producerEpoch: next.producerEpoch,
        transactionTimeoutMs: next.timeoutMs,
        transactionStatus: TXN_STATE_IDS[next.state],
        transactionPartitions: partitions.length === 0 ? null : partitions,
        transactionLastUpdateTimestampMs: now,
        transactionStartTimestampMs: next.startMs,
        previousProducerId: next.previousProducerId ?? (next.producerId === t.producerId ? t.previousProducerId : t.producerId),
        clientTransactionVersion: 2,
      }),
    )
    if (this.byProducerId.get(t.producerId) === t.transactionalId && t.producerId !== next.producerId) this.byProducerId.delete(t.producerId)
    if (next.producerId !== t.producerId) t.previousProducerId = next.previousProducerId ?? t.producerId
    t.producerId = next.producerId
    t.producerEpoch = next.producerEpoch
    t.lastProducerEpoch = next.lastProducerEpoch
    t.state = next.state
    t.timeoutMs = next.timeoutMs
    t.startMs = next.startMs
    t.lastUpdateMs = now
    t.partitions.clear()
    for (const tp of next.partitions) t.partitions.set(tpKey(tp), { topic: tp.topic, partition: tp.partition })
    this.txns.set(t.transactionalId, t)
    this.byProducerId.set(t.producerId, t.transactionalId)
  }

  private append(transactionalId: string, value: Buffer | null): Promise<unknown> {
    this.partitions = this.log.ensureStateTopic(this.partitions)
    const partition = partitionForTransactionalId(transactionalId, this.partitions)
    const batch = encodeRecordBatch([{ key: encodeTransactionLogKey(transactionalId), value }], { nowMs: this.log.clock.nowMs() })
    return this.log.appendDurable({ topic: TRANSACTION_STATE_TOPIC, partition }, batch)
  }

  /** Runs `op` after every earlier operation of the same id has settled. */
  private serialised<T>(transactionalId: string, op: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(transactionalId) ?? Promise.resolve()
    const result = previous.then(op)
    const tail = result.catch(() => undefined)
    this.chains.set(transactionalId, tail)
    void tail.then(() => {
      if (this.chains.get(transactionalId) === tail) this.chains.delete(transactionalId)
    })
    return result
  }

  private replay(partition: number): Promise<void> {
    const tp = { topic: TRANSACTION_STATE_TOPIC, partition }
    return replayPartition(this.log, tp, (batch, from) => {
      if (batch.isControl) return
      batch.forEachRecord((record) => {
        if (record.offset < from) return
        const key = record.key
        if (key === null) throw logError('LOG_CORRUPT_BATCH', `null key in ${TRANSACTION_STATE_TOPIC}-${partition} at offset ${record.offset}`, { ...tp, offset: record.offset })
        this.replayRecord(decodeTransactionLogKey(key), record.value)
      })
    })
  }

  private replayRecord(transactionalId: string, value: Uint8Array | null): void {
    const known = this.txns.get(transactionalId)
    if (value === null) {
      if (known !== undefined) this.byProducerId.delete(known.producerId)
      this.txns.delete(transactionalId)
      return
    }
    const v = decodeTransactionLogValue(value)
    const t: TransactionMetadata = known ?? {
      transactionalId,
      producerId: v.producerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: -1,
      previousProducerId: -1n,
      timeoutMs: v.transactionTimeoutMs,
      state: 'Empty',
      partitions: new Map(),
      startMs: -1,
      lastUpdateMs: -1,
    }
    if (known !== undefined && known.producerId === v.producerId && v.producerEpoch > known.producerEpoch) t.lastProducerEpoch = known.producerEpoch
    if (known !== undefined && known.producerId !== t.producerId) this.byProducerId.delete(known.producerId)
    t.producerId = v.producerId
    t.producerEpoch = v.producerEpoch
    t.previousProducerId = v.previousProducerId
    t.timeoutMs = v.transactionTimeoutMs
    t.state = txnStateOf(v.transactionStatus)
    t.startMs = v.transactionStartTimestampMs
    t.lastUpdateMs = v.transactionLastUpdateTimestampMs
    t.partitions.clear()
    for (const p of v.transactionPartitions ?? []) for (const partition of p.partitionIds) t.partitions.set(tpKey({ topic: p.topic, partition }), { topic: p.topic, partition })
    this.txns.set(transactionalId, t)
    this.byProducerId.set(t.producerId, transactionalId)
  }

  private ensureOpen(): void {
    if (this.closed) throw logError('LOG_CLOSED', 'the transaction coordinator is closed')
  }
}

/** @throws `LOG_INVALID_ARGUMENT` for a transactional id that is not a non-empty string. */
export function checkTransactionalId(transactionalId: unknown): asserts transactionalId is string {
  if (typeof transactionalId !== 'string' || transactionalId.length === 0 || Buffer.byteLength(transactionalId) > 0x7fff) {
    throw logError('LOG_INVALID_ARGUMENT', 'transactionalId must be a non-empty string of at most 32767 UTF-8 bytes', { field: 'transactionalId' })
  }
}
