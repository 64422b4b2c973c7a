/**
 * The producer's record accumulator: the component between `send()` and the log (Kafka's
 * `RecordAccumulator` + `BufferPool` + the per-partition part of the `Sender`).
 *
 * - Records are encoded straight into one open {@link RecordBatchBuilder} per topic-partition. A
 *   record that does not fit closes the open batch and opens a new one.
 * - A batch becomes ready when full (`batchBytes`), when `lingerMs` has passed on the injected
 *   clock since its first record, or on `flush()`/`close()`.
 * - Ready batches are handed to the `drain` callback in per-partition order, at most one in
 *   flight per partition: the next batch of a partition is drained only after the previous one
 *   settled. That is the per-partition ordering guarantee (Kafka's
 *   `max.in.flight.requests.per.connection = 1`, per partition).
 * - Buffer memory: each record reserves an upper bound of its encoded size (plus a batch header
 *   for the record that opens a batch) until its batch settles. When the buffer is full, `append`
 *   waits, in FIFO order and without polling, to be woken by a settling batch, at most
 *   `maxBlockMs` on the clock.
 * - Waiting appends cost O(1) each however many pile up (a caller that does not await `send` can
 *   queue millions): they sit in a FIFO with a head index (no `Array.shift`), and one shared timer
 *   is armed for the oldest waiter's deadline — every waiter has the same `maxBlockMs`, so
 *   deadlines are in FIFO order. A waiter that gives up is only marked; it is skipped when reached.
 *
 * One writer: an accumulator is driven from one event loop; it is not shared across workers.
 */
import type { Clock, ClockTimer } from '../../clock.js'
import { MillraceError, logError, type LogErrorCode } from '../../errors.js'
import { RecordBatchBuilder } from '../../record/batch-builder.js'
import { BATCH_HEADER_BYTES } from '../../record/record-batch-v2.js'
import type { RecordInput } from '../../record/record.js'
import { incrementSequence } from '../../storage/producer-state.js'
import type { TopicPartition } from '../../topic-partition.js'
import { ProducerBatch, RecordReceipt, type DrainResult } from './producer-batch.js'
import {
  resolveRecordAccumulatorConfig,
  type RecordAccumulatorConfig,
  type RecordAccumulatorConfigInput,
} from './record-accumulator-config.js'

/**
 * Appends one finished batch to the log. `batchBytes` is owned by the callee. Must settle: the
 * partition's next batch waits for it.
 */
export type DrainBatch = (tp: TopicPartition, batchBytes: Buffer, recordCount: number) => Promise<DrainResult>

export interface RecordAccumulatorOptions {
  /** Validated by `resolveRecordAccumulatorConfig`. */
  config?: RecordAccumulatorConfigInput
  clock: Clock
  drain: DrainBatch
  /**
   * The idempotent producer's identity: batches carry it and a per-partition base sequence,
   * assigned when a batch is drained (so a batch that fails gives its sequences back). Absent for
   * a producer without idempotence.
   */
  producerIdentity?: ProducerIdentity
  /** Batches are marked transactional (a transactional producer). Default false. */
  transactional?: boolean
}

/** A producer id and epoch (Kafka `ProducerIdAndEpoch`). */
export interface ProducerIdentity {
  readonly producerId: bigint
  readonly producerEpoch: number
}

export interface AppendOptions {
  /** Cancels a wait for buffer memory; the reason is the rejection. */
  signal?: AbortSignal
}

/**
 * Bytes a record's offset delta may add beyond what an estimate against an empty batch counts
 * (varint of the delta: 1 byte for 0, at most 5 for an int32).
 */
const OFFSET_DELTA_SLACK_BYTES = 4

/** Per-partition state: the open batch, the ready queue and the batch in flight. */
interface PartitionQueue {
  readonly tp: TopicPartition
  open: ProducerBatch | undefined
  lingerTimer: ClockTimer | undefined
  /** Closed batches not yet drained, oldest first. */
  readonly ready: ProducerBatch[]
  inFlight: ProducerBatch | undefined
  /** The most recent batch of this partition (open, ready, in flight or settled). */
  last: ProducerBatch | undefined
  /** Idempotence: the base sequence of the next batch drained. */
  nextSequence: number
}

/** An append waiting for buffer memory. */
interface MemoryWaiter {
  readonly topic: string
  readonly partition: number
  readonly record: RecordInput
  readonly resolve: (receipt: RecordReceipt) => void
  readonly reject: (err: unknown) => void
  /** `clock.monotonicMs()` after which it fails with `LOG_BUFFER_FULL`. */
  readonly deadlineMs: number
  /** Set once resolved, rejected, timed out or aborted; the queue skips it. */
  done: boolean
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

/** Dead slots before the head are compacted away once they are this many and half the array. */
const WAITER_COMPACT_MIN = 1024

/**
 * Buffers records per topic-partition into batches and drains them in order (see the file
 * comment). Internal to the producer. It owns its open batches and their buffers; a drained
 * batch's bytes belong to the drain.
 */
export class RecordAccumulator {
  readonly config: RecordAccumulatorConfig
  private readonly clock: Clock
  private readonly drain: DrainBatch
  private identity: ProducerIdentity | undefined
  private readonly transactional: boolean
  /** topic → partition number → queue; no per-record string keys. */
  private readonly queues = new Map<string, PartitionQueue[]>()
  /** FIFO of waiting appends: live and done ones from `waitersHead` on (see the file comment). */
  private waiters: MemoryWaiter[] = []
  private waitersHead = 0
  /** Waiters not yet done. */
  private waiting = 0
  /** The one timer for the oldest waiter's deadline, and the waiter it was armed for. */
  private waiterTimer: ClockTimer | undefined
  private waiterTimerFor: MemoryWaiter | undefined
  private bufferedBytes = 0
  private closed = false
  /** Estimates record sizes against an empty batch; never built. */
  private readonly probe: RecordBatchBuilder
  private readonly maxRecordBytes: number

  /** @throws `CONFIG_INVALID` listing every invalid option. */
  constructor(options: RecordAccumulatorOptions) {
    this.config = resolveRecordAccumulatorConfig(options.config)
    this.clock = options.clock
    this.drain = options.drain
    this.identity = options.producerIdentity
    this.transactional = options.transactional ?? false
    this.probe = new RecordBatchBuilder({ maxBatchBytes: BATCH_HEADER_BYTES })
    this.maxRecordBytes = Math.min(this.config.maxRequestBytes, this.config.bufferMemoryBytes)
  }

  /**
   * A new producer identity (a transactional producer's epoch after initTransactions or an
   * EndTxn): later batches carry it, and every partition's sequences start over at 0, as a new
   * epoch must. Only while nothing is buffered (after `flush()`, with sends stopped).
   * @throws `LOG_ILLEGAL_STATE` when batches are still open, ready or in flight.
   */
  setProducerIdentity(identity: ProducerIdentity): void {
    for (const partitions of this.queues.values()) {
      for (const queue of partitions) {
        if (queue === undefined) continue
        if (queue.open !== undefined || queue.ready.length > 0 || queue.inFlight !== undefined) {
          throw logError('LOG_ILLEGAL_STATE', `the producer identity cannot change while ${queue.tp.topic}-${queue.tp.partition} has batches buffered`)
        }
        queue.nextSequence = 0
      }
    }
    this.identity = identity
  }

  /** Bytes reserved by records accepted and not yet settled. */
  get bufferedMemoryBytes(): number {
    return this.bufferedBytes
  }

  /** Appends waiting for buffer memory. */
  get waitingAppends(): number {
    return this.waiting
  }

  /**
   * The hot path: appends `record` to its partition's open batch if buffer memory allows and no
   * earlier append is waiting (appends are served in call order), and returns its receipt;
   * returns `undefined`, buffering nothing, otherwise. Creates no promise. The record's bytes are
   * copied; the record is not kept.
   * @throws `LOG_RECORD_TOO_LARGE`  when the record, with a batch header, is
   *   larger than `maxRequestBytes` or `bufferMemoryBytes`; nothing is buffered.
   * @throws `LOG_INVALID_RECORD` for a timestamp that is not an integer.
   * @throws `LOG_CLOSED` after `close()`.
   */
  tryAppend(topic: string, partition: number, record: RecordInput, defaultTimestampMs?: number): RecordReceipt | undefined {
    const batch = this.tryAppendToBatch(topic, partition, record, defaultTimestampMs)
    return batch === undefined ? undefined : new RecordReceipt(batch, this.lastIndex, this.lastTimestampMs)
  }

  /**
   * {@link tryAppend} without a receipt, for callers that track many records at once
   * (`sendBatch`): the batch the record went into, its index there in {@link lastIndex} and its
   * timestamp in {@link lastTimestampMs}; `undefined` when it must wait. Same errors.
   */
  tryAppendToBatch(topic: string, partition: number, record: RecordInput, defaultTimestampMs?: number): ProducerBatch | undefined {
    if (this.closed) throw closedError()
    const recordBytes = this.reserveEstimate(topic, partition, record)
    this.lastRecordBytes = recordBytes
    if (this.waiting > 0) return undefined
    return this.appendIfRoom(topic, partition, record, recordBytes, defaultTimestampMs)
  }

  /** Offset delta of the record last appended, within its batch. */
  lastIndex = 0
  /** Timestamp of the record last appended (its own, or the default/clock time). */
  lastTimestampMs = 0

  /**
   * The size estimate of the record last passed to `tryAppend` (an upper bound of the bytes it
   * adds to a batch), so callers that need it — the sticky partitioner's byte count — do not
   * compute it again.
   */
  lastRecordBytes = 0

  /**
   * Like {@link tryAppend}, but waits when the buffer is full, for at most `maxBlockMs` on the
   * clock. Creates a promise per call: producers call `tryAppend` first and this only when it
   * returned `undefined`. The caller must not mutate `record` until this settles.
   * @throws `LOG_BUFFER_FULL` (retriable) after `maxBlockMs` without memory.
   * @throws the signal's reason when `signal` aborts first; nothing is buffered.
   * @throws `LOG_CLOSED` when closed before or while waiting; `LOG_RECORD_TOO_LARGE`,
   *   `LOG_INVALID_RECORD` as `tryAppend`.
   */
  append(topic: string, partition: number, record: RecordInput, options: AppendOptions = {}): Promise<RecordReceipt> {
    try {
      const receipt = this.tryAppend(topic, partition, record)
      if (receipt !== undefined) return Promise.resolve(receipt)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    const signal = options.signal
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error)
    return new Promise<RecordReceipt>((resolve, reject) => {
      const deadlineMs = this.clock.monotonicMs() + this.config.maxBlockMs
      const waiter: MemoryWaiter = { topic, partition, record, resolve, reject, deadlineMs, done: false, signal, onAbort: undefined }
      if (signal !== undefined) {
        waiter.onAbort = () => this.abandon(waiter, signal.reason)
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.waiters.push(waiter)
      this.waiting++
      this.armWaiterTimer()
    })
  }

  /**
   * Closes every open batch and resolves once every batch that exists now has settled (appends
   * waiting for memory are not included). Never rejects: failures are reported through the
   * records' receipts.
   */
  async flush(): Promise<void> {
    const lasts: ProducerBatch[] = []
    for (const partitions of this.queues.values()) {
      for (const queue of partitions) {
        if (queue === undefined) continue
        if (queue.open !== undefined) this.closeOpenBatch(queue)
        // One in flight per partition, in order: the last batch settles after all earlier ones.
        if (queue.last !== undefined && !queue.last.isSettled) lasts.push(queue.last)
      }
    }
    for (const batch of lasts) await batch.whenSettled()
  }

  /**
   * Stops accepting records (further and waiting appends reject with `LOG_CLOSED`, as Kafka's
   * BufferPool fails allocations on close), then flushes. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      const waiting = this.waiters.slice(this.waitersHead).filter((w) => !w.done)
      for (const waiter of waiting) this.settleWaiter(waiter)
      this.waiters = []
      this.waitersHead = 0
      this.armWaiterTimer()
      for (const waiter of waiting) waiter.reject(closedError())
    }
    await this.flush()
  }

  /** Upper bound of the buffer memory `record` needs; checks its size. */
  private reserveEstimate(topic: string, partition: number, record: RecordInput): number {
    const key = record.key
    const value = record.value
    const recordBytes =
      this.probe.estimateRecordBytes(
        key === null || key === undefined ? -1 : key.length,
        value === null || value === undefined ? -1 : value.length,
        record.headers,
      ) + OFFSET_DELTA_SLACK_BYTES
    if (BATCH_HEADER_BYTES + recordBytes > this.maxRecordBytes) {
      throw new MillraceError<LogErrorCode>(
        'LOG_RECORD_TOO_LARGE',
        `a record of ${topic}-${partition} needs ${BATCH_HEADER_BYTES + recordBytes} bytes, more than ` +
          `maxRequestBytes=${this.config.maxRequestBytes} or bufferMemoryBytes=${this.config.bufferMemoryBytes}`,
        { details: { topic, partition, sizeBytes: BATCH_HEADER_BYTES + recordBytes } },
      )
    }
    const timestampMs = record.timestampMs
    if (timestampMs !== undefined && !Number.isInteger(timestampMs)) {
      throw logError('LOG_INVALID_RECORD', `invalid record timestamp for ${topic}-${partition}`, { topic, partition })
    }
    return recordBytes
  }

  /** Appends when memory allows; `undefined` (nothing changed) otherwise. */
  private appendIfRoom(
    topic: string,
    partition: number,
    record: RecordInput,
    recordBytes: number,
    defaultTimestampMs: number | undefined,
  ): ProducerBatch | undefined {
    const queue = this.queueOf(topic, partition)
    let batch = queue.open
    // recordBytes already bounds the record's size in any batch (offset-delta slack included).
    const fits = batch !== undefined && batch.builder.hasRoomForBytes(recordBytes)
    const needBytes = fits ? recordBytes : recordBytes + BATCH_HEADER_BYTES
    if (this.bufferedBytes + needBytes > this.config.bufferMemoryBytes) return undefined

    const timestampMs = record.timestampMs ?? defaultTimestampMs ?? this.clock.nowMs()
    if (!fits) {
      if (batch !== undefined) this.closeOpenBatch(queue)
      batch = new ProducerBatch(queue.tp, this.newBuilder())
    }
    const open = batch as ProducerBatch // reason: set above when there was no open batch with room
    // Throws only before writing (a timestamp too far from the batch's first); nothing is reserved yet.
    const index = open.builder.append(record, timestampMs)
    if (!fits) {
      queue.open = open
      queue.last = open
      if (this.config.lingerMs === 0) {
        // No linger: the batch closes once the current synchronous run of sends is over, so a
        // burst still shares one batch, without waiting for a timer (a 0 ms timer costs ~1 ms on
        // the system clock and never fires on a manual one).
        queueMicrotask(() => {
          if (queue.open === open) this.closeOpenBatch(queue)
        })
      } else {
        queue.lingerTimer = this.clock.setTimeout(() => {
          queue.lingerTimer = undefined
          if (queue.open === open) this.closeOpenBatch(queue)
        }, this.config.lingerMs)
      }
    }
    open.reservedBytes += needBytes
    this.bufferedBytes += needBytes
    this.lastIndex = index
    this.lastTimestampMs = timestampMs
    if (open.builder.sizeBytes >= this.config.batchBytes) this.closeOpenBatch(queue)
    return open
  }

  private newBuilder(): RecordBatchBuilder {
    const identity = this.identity
    return new RecordBatchBuilder({
      compression: this.config.compression,
      maxBatchBytes: this.config.batchBytes,
      producerId: identity === undefined ? -1n : identity.producerId,
      producerEpoch: identity === undefined ? -1 : identity.producerEpoch,
      isTransactional: this.transactional,
    })
  }

  private queueOf(topic: string, partition: number): PartitionQueue {
    let partitions = this.queues.get(topic)
    if (partitions === undefined) {
      partitions = []
      this.queues.set(topic, partitions)
    }
    let queue = partitions[partition]
    if (queue === undefined) {
      queue = {
        tp: { topic, partition },
        open: undefined,
        lingerTimer: undefined,
        ready: [],
        inFlight: undefined,
        last: undefined,
        nextSequence: 0,
      }
      partitions[partition] = queue
    }
    return queue
  }

  /** Moves the open batch to the ready queue and drains if the partition is idle. */
  private closeOpenBatch(queue: PartitionQueue): void {
    const batch = queue.open
    if (batch === undefined) return
    queue.open = undefined
    queue.lingerTimer?.cancel()
    queue.lingerTimer = undefined
    batch.markReady()
    queue.ready.push(batch)
    this.drainNext(queue)
  }

  /** Hands the partition's oldest ready batch to `drain`, unless one is in flight. */
  private drainNext(queue: PartitionQueue): void {
    if (queue.inFlight !== undefined) return
    const batch = queue.ready.shift()
    if (batch === undefined) return
    queue.inFlight = batch
    batch.markInFlight()
    let pending: Promise<DrainResult>
    const baseSequence = queue.nextSequence
    try {
      const recordCount = batch.builder.recordCount
      if (this.identity !== undefined) {
        batch.builder.setBaseSequence(baseSequence)
        queue.nextSequence = incrementSequence(baseSequence, recordCount)
      }
      pending = this.drain(queue.tp, batch.builder.build(), recordCount)
    } catch (err) {
      // A codec failure in build() or a drain that throws synchronously fails this batch only.
      pending = Promise.reject(err as Error)
    }
    pending.then(
      (result) => this.settle(queue, batch, result, undefined),
      (err: unknown) => {
        // Nothing of the batch reached the log (appends are all-or-nothing), and no later batch
        // of the partition is numbered yet (one in flight): its sequences are free again.
        queue.nextSequence = baseSequence
        this.settle(queue, batch, undefined, err)
      },
    )
  }

  private settle(queue: PartitionQueue, batch: ProducerBatch, result: DrainResult | undefined, err: unknown): void {
    queue.inFlight = undefined
    this.bufferedBytes -= batch.reservedBytes
    if (result !== undefined) batch.acknowledge(result)
    else batch.fail(err)
    this.wakeWaiters()
    this.drainNext(queue)
  }

  /** Serves waiting appends in FIFO order while memory allows. */
  private wakeWaiters(): void {
    for (let waiter = this.headWaiter(); waiter !== undefined; waiter = this.headWaiter()) {
      let batch: ProducerBatch | undefined
      try {
        batch = this.appendIfRoom(
          waiter.topic,
          waiter.partition,
          waiter.record,
          this.reserveEstimate(waiter.topic, waiter.partition, waiter.record),
          undefined,
        )
      } catch (err) {
        this.settleWaiter(waiter)
        waiter.reject(err)
        continue
      }
      if (batch === undefined) break
      this.settleWaiter(waiter)
      waiter.resolve(new RecordReceipt(batch, this.lastIndex, this.lastTimestampMs))
    }
    this.armWaiterTimer()
  }

  /** The oldest live waiter, dropping done ones from the front (and compacting the array now and then). */
  private headWaiter(): MemoryWaiter | undefined {
    const waiters = this.waiters
    // reason for the cast: the index is checked against the length first.
    while (this.waitersHead < waiters.length && (waiters[this.waitersHead] as MemoryWaiter).done) this.waitersHead++
    if (this.waitersHead >= WAITER_COMPACT_MIN && this.waitersHead * 2 >= waiters.length) {
      this.waiters = waiters.slice(this.waitersHead)
      this.waitersHead = 0
    }
    return this.waiters[this.waitersHead]
  }

  /**
   * (Re)arms the shared timer for the oldest live waiter's deadline, or cancels it when nobody
   * waits. Deadlines are in FIFO order, so the head's is the earliest.
   */
  private armWaiterTimer(): void {
    const head = this.headWaiter()
    if (this.waiterTimer !== undefined && head === this.waiterTimerFor) return
    this.waiterTimer?.cancel()
    this.waiterTimer = undefined
    this.waiterTimerFor = head
    if (head === undefined) return
    const delayMs = Math.max(0, head.deadlineMs - this.clock.monotonicMs())
    this.waiterTimer = this.clock.setTimeout(() => {
      this.waiterTimer = undefined
      this.expireWaiters()
    }, delayMs)
  }

  /** Fails every waiter whose deadline has passed with `LOG_BUFFER_FULL`, then re-arms for the next. */
  private expireWaiters(): void {
    const nowMs = this.clock.monotonicMs()
    for (let waiter = this.headWaiter(); waiter !== undefined && waiter.deadlineMs <= nowMs; waiter = this.headWaiter()) {
      const { topic, partition } = waiter
      this.settleWaiter(waiter)
      waiter.reject(
        new MillraceError<LogErrorCode>(
          'LOG_BUFFER_FULL',
          `no buffer memory for a record of ${topic}-${partition} within maxBlockMs=${this.config.maxBlockMs}`,
          { retriable: true, details: { topic, partition, maxBlockMs: this.config.maxBlockMs } },
        ),
      )
    }
    // Appends behind the expired ones may fit (a smaller record than the head's).
    this.wakeWaiters()
  }

  /** Marks a waiter that was aborted as done and rejects it; it is skipped when the queue reaches it. */
  private abandon(waiter: MemoryWaiter, err: unknown): void {
    if (waiter.done) return
    const wasHead = this.headWaiter() === waiter
    this.settleWaiter(waiter)
    waiter.reject(err)
    // The head may have been the one blocking smaller appends behind it.
    if (wasHead) this.wakeWaiters()
  }

  /** Marks a waiter done (uncounting it) and removes its abort listener. */
  private settleWaiter(waiter: MemoryWaiter): void {
    if (!waiter.done) {
      waiter.done = true
      this.waiting--
    }
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
    waiter.onAbort = undefined
  }
}

function closedError(): MillraceError {
  return logError('LOG_CLOSED', 'record accumulator is closed')
}
