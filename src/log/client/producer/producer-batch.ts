/**
 * One batch of the {@link RecordAccumulator} and the per-record receipts that complete through it.
 *
 * Completion is per batch, not per record: a batch settles once (acknowledged or failed) and
 * every receipt reads its outcome from the batch. A receipt is one small object with no promise
 * or closure; a promise is created only when someone asks a receipt for its metadata, which is
 * what keeps `append` free of per-record promises.
 */
import type { RecordBatchBuilder } from '../../record/batch-builder.js'
import type { TopicPartition } from '../../topic-partition.js'

/** What an acknowledged record learns (Kafka `RecordMetadata`). */
export interface RecordMetadata {
  readonly topic: string
  readonly partition: number
  /** The record's offset; −1 when the drain could not know it (acks 0). */
  readonly offset: number
  /** The record's create time, or the log append time when the topic uses it. */
  readonly timestampMs: number
}

/** What a drain reports for an appended batch. */
export interface DrainResult {
  /** Offset of the batch's first record; −1 when unknown (acks 0). */
  readonly baseOffset: number
  /** The log append time when the topic stamps it (`LogAppendTime`), else −1. */
  readonly logAppendTimeMs: number
}

/** Lifecycle of a batch; it moves only forward. */
type BatchState = 'open' | 'ready' | 'in-flight' | 'acknowledged' | 'failed'

/**
 * A batch under construction, queued, in flight or settled. Internal to the accumulator: owned by
 * its partition's queue; nothing outside reads its builder.
 */
export class ProducerBatch {
  readonly tp: TopicPartition
  readonly builder: RecordBatchBuilder
  /** Buffer memory reserved by this batch's records, released when it settles. */
  reservedBytes = 0
  private state: BatchState = 'open'
  private result: DrainResult | undefined
  private error: unknown
  private settledPromise: Promise<void> | undefined
  private resolveSettled: (() => void) | undefined

  constructor(tp: TopicPartition, builder: RecordBatchBuilder) {
    this.tp = tp
    this.builder = builder
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  get isSettled(): boolean {
    return this.state === 'acknowledged' || this.state === 'failed'
  }

  markReady(): void {
    this.state = 'ready'
  }

  markInFlight(): void {
    this.state = 'in-flight'
  }

  acknowledge(result: DrainResult): void {
    this.result = result
    this.state = 'acknowledged'
    this.resolveSettled?.()
  }

  fail(error: unknown): void {
    this.error = error
    this.state = 'failed'
    this.resolveSettled?.()
  }

  /** Resolves (never rejects) once the batch is acknowledged or failed. One promise per batch, made on demand. */
  whenSettled(): Promise<void> {
    if (this.isSettled) return Promise.resolve()
    this.settledPromise ??= new Promise<void>((resolve) => {
      this.resolveSettled = resolve
    })
    return this.settledPromise
  }

  /** The outcome for the record at `index`; only after the batch has settled. */
  metadataOf(index: number, timestampMs: number): RecordMetadata {
    if (this.state === 'failed') throw this.error
    const result = this.result as DrainResult // reason: acknowledged, so the result is set
    return {
      topic: this.tp.topic,
      partition: this.tp.partition,
      offset: result.baseOffset < 0 ? -1 : result.baseOffset + index,
      timestampMs: result.logAppendTimeMs >= 0 ? result.logAppendTimeMs : timestampMs,
    }
  }
}

/**
 * The handle `append` returns for one record: which batch it went to, its offset delta in that
 * batch, and its timestamp. Costs one small object; ask {@link metadata} only when the outcome is
 * needed.
 */
export class RecordReceipt {
  readonly batch: ProducerBatch
  /** Offset delta of the record within its batch. */
  readonly index: number
  /** The record's create time (its own, or the clock's at append). */
  readonly timestampMs: number

  constructor(batch: ProducerBatch, index: number, timestampMs: number) {
    this.batch = batch
    this.index = index
    this.timestampMs = timestampMs
  }

  get topic(): string {
    return this.batch.tp.topic
  }

  get partition(): number {
    return this.batch.tp.partition
  }

  /** True once the record's batch is acknowledged or failed. */
  get isDone(): boolean {
    return this.batch.isSettled
  }

  /** Resolves (never rejects) once the record's batch is acknowledged or failed; one promise per batch. */
  whenDone(): Promise<void> {
    return this.batch.whenSettled()
  }

  /**
   * The record's metadata once its batch is acknowledged, `undefined` before it settled; creates
   * no promise. @throws the drain's error when the batch failed.
   */
  findMetadata(): RecordMetadata | undefined {
    return this.batch.isSettled ? this.batch.metadataOf(this.index, this.timestampMs) : undefined
  }

  /**
   * Resolves with the record's offset and timestamp once its batch is acknowledged; rejects with
   * the drain's error (the same object, `cause` intact) when the batch failed. Creates a promise
   * per call: ask only for records whose outcome matters.
   */
  metadata(): Promise<RecordMetadata> {
    const batch = this.batch
    if (batch.isSettled) {
      try {
        return Promise.resolve(batch.metadataOf(this.index, this.timestampMs))
      } catch (err) {
        return Promise.reject(err as Error)
      }
    }
    return batch.whenSettled().then(() => batch.metadataOf(this.index, this.timestampMs))
  }
}
