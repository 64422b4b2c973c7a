/**
 * The producer client (Kafka `KafkaProducer`): places each record on a partition, buffers it in
 * the {@link RecordAccumulator}, and acknowledges it when its batch has been appended to the log
 * (or fsynced, with `durableAcks`).
 *
 * Placement, as the Java client does it: an explicit `partition` wins; otherwise the configured
 * partitioner decides — by default murmur2 of the key, and the KIP-794 sticky partition for null
 * keys, which this producer drives by reporting the bytes it buffers for the sticky partition.
 *
 * Ordering: records of one partition are appended in `send` order, because the accumulator keeps
 * at most one batch per partition in flight (Kafka's `max.in.flight.requests.per.connection=1`).
 *
 * Everything that can be known about a record — field types, topic, partition, size — is checked
 * before it is buffered, so a rejected `send` buffers nothing.
 */
import type { Clock } from '../../clock.js'
import { logError } from '../../errors.js'
import type { AppendResult } from '../../storage/partition-log.js'
import type { TopicPartition } from '../../topic-partition.js'
import { createDefaultPartitioner, type DefaultPartitioner, type StickyBytesProduced } from '../partitioner/default-partitioner.js'
import type { Partitioner, PartitionerInput } from '../partitioner/partitioner.js'
import type { Producer, SendOptions } from './producer-api.js'
import type { ProducerBatch, RecordMetadata, RecordReceipt } from './producer-batch.js'
import { resolveProducerConfig, type ProducerConfig, type ProducerConfigInput } from './producer-config.js'
import { checkProducerRecord, type ProducerRecord } from './producer-record.js'
import { RecordAccumulator, type DrainBatch } from './record-accumulator.js'
import { TransactionManager, type ProducerTransactionLog, type TransactionOffset } from './transaction-manager.js'
import type { ConsumerGroupMetadata } from '../consumer/consumer-api.js'

/**
 * What a producer needs from the log: the seam between this client and the embedded broker
 * (`Broker.producer()` builds one), so the producer never names the broker class.
 */
export interface ProducerLog {
  /** Source of default record timestamps and of the linger and `maxBlockMs` timers. */
  readonly clock: Clock
  /** @throws `LOG_UNKNOWN_TOPIC`, `LOG_CLOSED`. */
  partitionCount(topic: string): number
  /** Appends one batch the producer encoded (trusted); the buffer is taken over. */
  append(tp: TopicPartition, batch: Buffer): AppendResult
  /** `append`, resolving after the group commit that makes the batch durable. */
  appendDurable(tp: TopicPartition, batch: Buffer): Promise<AppendResult>
  /** A fresh producer id and epoch for an idempotent producer. @throws `LOG_IO_ERROR`, `LOG_CLOSED`. */
  initProducerId(): { producerId: bigint; producerEpoch: number }
  /** The transaction coordinator's calls; absent when the log has no transactions. */
  readonly transactions?: ProducerTransactionLog
}

export interface ProducerOptions {
  log: ProducerLog
  /** Validated by `resolveProducerConfig`. */
  config?: ProducerConfigInput
}

/**
 * The {@link Producer} over a {@link ProducerLog} (see the file comment). Created by `Broker.producer()`.
 * One writer: a producer is used from one event loop. It owns its buffered records; `close()`
 * flushes them. It does not own the log: close the producer before the broker.
 */
export class EmbeddedProducer implements Producer {
  readonly config: ProducerConfig
  private readonly log: ProducerLog
  private readonly accumulator: RecordAccumulator
  private readonly partitioner: Partitioner
  /** Set when the default partitioner is used: its stickiness needs the bytes we buffer. */
  private readonly sticky: DefaultPartitioner | undefined
  /** Reused for every partitioner call and stickiness report (no per-record objects). */
  private readonly partitionerInput: PartitionerInput = { topic: '', key: null, value: null, partitionCount: 1 }
  private readonly produced: StickyBytesProduced = { topic: '', partition: 0, appendedBytes: 0 }
  /** Set for a producer with a `transactionalId`. */
  private readonly txn: TransactionManager | undefined
  private closed = false

  /** @throws `CONFIG_INVALID` listing every invalid option; `LOG_ILLEGAL_STATE` for a transactional producer on a log without transactions. */
  constructor(options: ProducerOptions) {
    this.config = resolveProducerConfig(options.config)
    this.log = options.log
    const { batchBytes, lingerMs, bufferMemoryBytes, maxBlockMs, maxRequestBytes, compression, durableAcks, partitioner } = this.config
    if (partitioner === undefined) {
      this.sticky = createDefaultPartitioner({ batchBytes: this.config.batchBytes })
      this.partitioner = this.sticky.partition
    } else {
      this.sticky = undefined
      this.partitioner = partitioner
    }
    const log = this.log
    const append: DrainBatch = durableAcks
      ? (tp, bytes) => log.appendDurable(tp, bytes)
      : (tp, bytes) => Promise.resolve(log.append(tp, bytes))
    const { transactionalId, transactionTimeoutMs } = this.config
    let drain = append
    if (transactionalId !== undefined) {
      if (log.transactions === undefined) throw logError('LOG_ILLEGAL_STATE', 'this log has no transaction coordinator', { transactionalId })
      const txn = new TransactionManager({ transactionalId, transactionTimeoutMs, log: log.transactions })
      this.txn = txn
      drain = (tp, bytes, count) => txn.drain(tp, bytes, (t, b) => append(t, b, count))
    }
    this.accumulator = new RecordAccumulator({
      config: { batchBytes, lingerMs, bufferMemoryBytes, maxBlockMs, maxRequestBytes, compression },
      clock: log.clock,
      drain,
      // A transactional producer gets its identity from initTransactions().
      producerIdentity: this.config.enableIdempotence && transactionalId === undefined ? log.initProducerId() : undefined,
      transactional: transactionalId !== undefined,
    })
    this.txn?.attach(this.accumulator)
  }

  /**
   * Kafka `initTransactions()`: registers the transactional id with the coordinator, which fences
   * every older producer with the same id (their later calls fail with `LOG_PRODUCER_FENCED`) and
   * completes or aborts the transaction they left. Once per producer.
   * @throws `LOG_ILLEGAL_STATE` (not transactional), `LOG_INVALID_TXN_STATE` (called twice),
   *   `LOG_INVALID_TRANSACTION_TIMEOUT`, `LOG_PRODUCER_FENCED`, `LOG_CLOSED`.
   */
  initTransactions(): Promise<void> {
    try {
      return this.transactions().initTransactions()
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  /** Opens a transaction (local: partitions join it when records reach them). @throws `LOG_INVALID_TXN_STATE`, `LOG_PRODUCER_FENCED`. */
  beginTransaction(): void {
    this.transactions().beginTransaction()
  }

  /**
   * Kafka `sendOffsetsToTransaction`: the consumer's offsets commit with the transaction (and only
   * then), fenced by the consumer's group generation (KIP-447: pass `consumer.groupMetadata()`).
   * @throws `LOG_ILLEGAL_GENERATION`/`LOG_UNKNOWN_MEMBER_ID`/`LOG_FENCED_INSTANCE_ID` (the
   *   consumer lost its partitions; the transaction must be aborted), `LOG_INVALID_TXN_STATE`,
   *   `LOG_PRODUCER_FENCED`, `LOG_TRANSACTION_ABORTABLE`.
   */
  sendOffsetsToTransaction(offsets: readonly TransactionOffset[], groupMetadata: ConsumerGroupMetadata): Promise<void> {
    try {
      return this.transactions().sendOffsetsToTransaction(offsets, groupMetadata)
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  /**
   * Flushes every record of the transaction, then commits it: resolves once the decision and
   * every marker are durable. @throws `LOG_TRANSACTION_ABORTABLE` (a send failed: abort),
   * `LOG_PRODUCER_FENCED`, `LOG_INVALID_TXN_STATE` (no open transaction).
   */
  commitTransaction(): Promise<void> {
    try {
      return this.transactions().commitTransaction()
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  /** Aborts the open transaction: nothing of it becomes visible to read_committed readers. @throws `LOG_PRODUCER_FENCED`, `LOG_INVALID_TXN_STATE`. */
  abortTransaction(): Promise<void> {
    try {
      return this.transactions().abortTransaction()
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  private transactions(): TransactionManager {
    if (this.closed) throw logError('LOG_CLOSED', 'producer is closed')
    if (this.txn === undefined) throw logError('LOG_ILLEGAL_STATE', 'transactional calls need a producer with a transactionalId')
    return this.txn
  }

  /** Bytes of records buffered and not yet acknowledged or failed. */
  get bufferedMemoryBytes(): number {
    return this.accumulator.bufferedMemoryBytes
  }

  /**
   * Sends one record. Resolves with its partition, offset and timestamp once its batch is
   * acknowledged (appended; fsynced with `durableAcks`) — or, with `acks: 0`, as soon as it is
   * buffered, with offset −1 (append failures are then not reported, as in Kafka).
   * Waits for buffer memory when the buffer is full, at most `maxBlockMs`.
   * @throws (rejects) `LOG_INVALID_RECORD` for wrong field types, `LOG_UNKNOWN_TOPIC`,
   *   `LOG_UNKNOWN_PARTITION` (explicit or partitioner-chosen partition out of range),
   *   `LOG_RECORD_TOO_LARGE` (over `maxRequestBytes`/`bufferMemoryBytes`) — all before buffering;
   *   `LOG_BUFFER_FULL` (retriable) after `maxBlockMs`; `LOG_CLOSED` after `close()`; the signal's
   *   reason when it aborts; and the log's append errors (`LOG_RECORD_TOO_LARGE` for the topic's
   *   `max.message.bytes`, `LOG_INVALID_RECORD`, `LOG_IO_ERROR`, …) for the record's batch.
   */
  send(record: ProducerRecord, options: SendOptions = {}): Promise<RecordMetadata> {
    let partition: number
    let receipt: RecordReceipt | undefined
    try {
      partition = this.place(record)
      receipt = this.accumulator.tryAppend(record.topic, partition, record)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    if (receipt !== undefined) return this.acknowledged(record, receipt)
    return this.accumulator
      .append(record.topic, partition, record, options)
      .then((waited) => this.acknowledged(record, waited))
  }

  /**
   * Sends `records` in order and resolves once all are acknowledged, with their metadata in the
   * same order: one promise for the whole set. Field types, topics and partitions of all records
   * are checked before any is buffered; a record that is too large is found when its turn comes,
   * so the records before it are sent. Rejects with the first failure (as `send`).
   */
  async sendBatch(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    if (!Array.isArray(records)) throw logError('LOG_INVALID_RECORD', 'sendBatch takes an array of records', { field: 'records' })
    // Pass 1: everything but placement of unkeyed records, so a bad record buffers nothing.
    // Partition counts are looked up once per topic of the call.
    const counts = new Map<string, number>()
    for (const record of records) this.checkPlaceable(record, counts)
    // Records without their own timestamp share the time of the call (one clock read, not one
    // per record; the Java client reads the clock per record, ~5% of this loop's time).
    const nowMs = this.log.clock.nowMs()
    // Per record: its batch, index and timestamp in three arrays — no receipt object per record.
    const count = records.length
    const batches = new Array<ProducerBatch>(count)
    const indexes = new Array<number>(count)
    const timestamps = new Array<number>(count)
    const accumulator = this.accumulator
    for (let i = 0; i < count; i++) {
      const record = records[i] as ProducerRecord
      const topic = record.topic
      const partition = this.placeChecked(record, counts.get(topic) as number) // reason: pass 1 filled counts
      const batch = accumulator.tryAppendToBatch(topic, partition, record, nowMs)
      if (batch === undefined) {
        const receipt = await accumulator.append(topic, partition, record, options)
        batches[i] = receipt.batch
        indexes[i] = receipt.index
        timestamps[i] = receipt.timestampMs
      } else {
        batches[i] = batch
        indexes[i] = accumulator.lastIndex
        timestamps[i] = accumulator.lastTimestampMs
      }
      this.reportSticky(record, partition)
    }
    const out: RecordMetadata[] = new Array<RecordMetadata>(count)
    if (this.config.acks === 0) {
      for (let i = 0; i < count; i++) {
        const tp = (batches[i] as ProducerBatch).tp
        out[i] = { topic: tp.topic, partition: tp.partition, offset: -1, timestampMs: timestamps[i] as number }
      }
      return out
    }
    for (let i = 0; i < count; i++) {
      const batch = batches[i] as ProducerBatch
      // One wait per unsettled batch: the records after it in the same batch are then done.
      if (!batch.isSettled) await batch.whenSettled()
      out[i] = batch.metadataOf(indexes[i] as number, timestamps[i] as number)
    }
    return out
  }

  /**
   * Closes every open batch and resolves once all records buffered so far are acknowledged or
   * failed. Never rejects: failures reach the records' `send` promises.
   */
  flush(): Promise<void> {
    return this.accumulator.flush()
  }

  /**
   * Stops accepting records (later sends, and sends still waiting for buffer memory, reject with
   * `LOG_CLOSED`), then flushes what is buffered. Idempotent; never rejects.
   */
  async close(): Promise<void> {
    this.closed = true
    await this.accumulator.close()
  }

  /** Checks `record` and returns its partition; consults the partitioner for unplaced records. */
  private place(record: ProducerRecord): number {
    return this.placeChecked(record, this.checkPlaceable(record))
  }

  /** The partition of a record `checkPlaceable` accepted, from a topic of `partitionCount` partitions. */
  private placeChecked(record: ProducerRecord, partitionCount: number): number {
    const explicit = record.partition
    if (explicit !== undefined) return explicit
    const input = this.partitionerInput
    input.topic = record.topic
    input.key = record.key
    input.value = record.value
    input.partitionCount = partitionCount
    const partition = this.partitioner(input)
    input.key = null
    input.value = null
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
      throw logError('LOG_UNKNOWN_PARTITION', `the partitioner chose partition ${partition} of ${record.topic}`, {
        topic: record.topic,
        partition,
        partitionCount,
      })
    }
    return partition
  }

  /**
   * Everything about `record` that needs no partitioner; returns the topic's partition count,
   * looked up in (and added to) `counts` when given.
   */
  private checkPlaceable(record: ProducerRecord, counts?: Map<string, number>): number {
    if (this.closed) throw logError('LOG_CLOSED', 'producer is closed')
    this.txn?.checkSend()
    checkProducerRecord(record)
    let partitionCount = counts?.get(record.topic)
    if (partitionCount === undefined) {
      partitionCount = this.log.partitionCount(record.topic)
      counts?.set(record.topic, partitionCount)
    }
    const explicit = record.partition
    if (explicit !== undefined && (explicit < 0 || explicit >= partitionCount)) {
      throw logError('LOG_UNKNOWN_PARTITION', `topic ${record.topic} has no partition ${explicit}`, {
        topic: record.topic,
        partition: explicit,
        partitionCount,
      })
    }
    return partitionCount
  }

  private acknowledged(record: ProducerRecord, receipt: RecordReceipt): Promise<RecordMetadata> {
    this.reportSticky(record, receipt.partition)
    return this.config.acks === 0 ? Promise.resolve(unacknowledged(receipt)) : receipt.metadata()
  }

  /** KIP-794: a null-key record placed by stickiness counts towards the sticky partition's switch. */
  private reportSticky(record: ProducerRecord, partition: number): void {
    if (this.sticky === undefined || record.key !== null || record.partition !== undefined) return
    const produced = this.produced
    produced.topic = record.topic
    produced.partition = partition
    produced.appendedBytes = this.accumulator.lastRecordBytes
    this.sticky.onBytesProduced(produced)
  }
}

/** acks 0: the record is buffered; nobody waits for its offset. */
function unacknowledged(receipt: RecordReceipt): RecordMetadata {
  return { topic: receipt.topic, partition: receipt.partition, offset: -1, timestampMs: receipt.timestampMs }
}
