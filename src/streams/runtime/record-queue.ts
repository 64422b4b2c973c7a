/**
 * The buffered input of one partition of a task (Kafka `RecordQueue`): raw records in offset
 * order, with the head (`hasHead`) deserialized and its event time extracted, so the task can pick the
 * partition whose next record is oldest. A record that cannot be deserialized is dealt with here
 * by the deserialization handler (fail, skip, or dead-letter and skip), as in Kafka.
 */
import type { RecordHeader } from '../../log/index.js'
import { streamsError } from '../errors.js'
import { decide, deadLetterHeaders, type ErrorHandlers } from './error-handlers.js'
import type { SourceRuntime } from './processor-node.js'
import type { RecordCollector } from './record-collector.js'

/** A record as the consumer returns it (the fields of the log's `ConsumerRecord`). */
export interface InputRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly timestampMs: number
  readonly key: Uint8Array | null
  readonly value: Uint8Array | null
  readonly headers: readonly RecordHeader[]
}


/** Taken records kept in the buffer before it is compacted. */
const COMPACT_AFTER = 1024

export class RecordQueue {
  private buffer: InputRecord[] = []
  private next = 0
  /**
   * The head record (deserialized, with its event time) lives in these fields rather than in an
   * object per record: `headRaw` is undefined when there is none.
   */
  headRaw: InputRecord | undefined
  headKey: unknown
  headValue: unknown
  headHeaders: readonly RecordHeader[] = []
  headTimestampMs = -1
  /** Largest event time extracted on this partition (−1 before any): the extractor's `partitionTimeMs`. */
  partitionTimeMs = -1
  /** The offset after the last record taken or skipped (what a commit stores), −1 before any. */
  consumedOffset = -1

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly source: SourceRuntime,
    private readonly handlers: ErrorHandlers,
    private readonly collector: RecordCollector,
    private readonly taskName: string,
  ) {}

  /** Records not yet taken, head included. */
  get size(): number {
    return this.buffer.length - this.next + (this.headRaw === undefined ? 0 : 1)
  }

  /** Buffers one record (offsets ascending). */
  push(record: InputRecord): void {
    if (this.next > 0 && this.next === this.buffer.length) {
      // Everything buffered was taken: start a fresh array rather than grow the old one forever.
      this.buffer = []
      this.next = 0
    } else if (this.next > COMPACT_AFTER && this.next * 2 > this.buffer.length) {
      // A queue that never drains (an idling task) drops the references it has taken.
      this.buffer = this.buffer.slice(this.next)
      this.next = 0
    }
    this.buffer.push(record)
  }

  /**
   * The next record, deserialized (records the deserialization handler skips are passed over).
   * Deserialized only when asked for, after the previous record was processed: a failure then
   * belongs to this record alone.
   */
  hasHead(): boolean {
    if (this.headRaw === undefined) this.updateHead()
    return this.headRaw !== undefined
  }

  /** Marks the head (read from the `head…` fields after `hasHead()`) as taken; the caller processes it. */
  take(): void {
    const raw = this.headRaw
    if (raw === undefined) return
    this.headRaw = undefined
    this.headKey = undefined
    this.headValue = undefined
    this.consumedOffset = raw.offset + 1
  }

  clear(): void {
    this.buffer = []
    this.next = 0
    this.headRaw = undefined
    this.headKey = undefined
    this.headValue = undefined
  }

  private updateHead(): void {
    const { spec } = this.source
    while (this.headRaw === undefined && this.next < this.buffer.length) {
      const raw = this.buffer[this.next++] as InputRecord
      let key: unknown
      let value: unknown
      const headers = raw.headers
      try {
        key = spec.key.deserialize(raw.topic, raw.key, headers)
        value = spec.value.deserialize(raw.topic, raw.value, headers)
      } catch (err) {
        this.onDeserializationError(raw, err)
        this.consumedOffset = raw.offset + 1
        continue
      }
      let timestampMs = raw.timestampMs
      const extractor = spec.timestampExtractor
      if (extractor !== undefined) {
        timestampMs = extractor({ key, value, timestampMs: raw.timestampMs, topic: raw.topic, partition: raw.partition, offset: raw.offset }, this.partitionTimeMs)
        if (!(Number.isSafeInteger(timestampMs) && timestampMs >= 0)) {
          // Kafka drops a record whose extracted timestamp is negative (RecordQueue#updateHead).
          this.handlers.onWarning(`skipped a record of ${raw.topic}-${raw.partition}@${raw.offset}: its extracted timestamp ${timestampMs} is invalid`, {
            topic: raw.topic,
            partition: raw.partition,
            offset: raw.offset,
            task: this.taskName,
          })
          this.consumedOffset = raw.offset + 1
          continue
        }
      } else if (timestampMs < 0) {
        throw streamsError('STREAMS_INVALID_TIMESTAMP', `record ${raw.topic}-${raw.partition}@${raw.offset} has a negative timestamp; give the source a timestampExtractor`, {
          topic: raw.topic,
          partition: raw.partition,
          offset: raw.offset,
          task: this.taskName,
        })
      }
      if (timestampMs > this.partitionTimeMs) this.partitionTimeMs = timestampMs
      this.headKey = key
      this.headValue = value
      this.headHeaders = headers
      this.headTimestampMs = timestampMs
      this.headRaw = raw
    }
  }

  private onDeserializationError(raw: InputRecord, err: unknown): void {
    const context = { topic: raw.topic, partition: raw.partition, offset: raw.offset, node: this.source.spec.name, taskId: this.taskName }
    const response = decide(this.handlers.deserialization, context, err)
    const details = { topic: raw.topic, partition: raw.partition, offset: raw.offset, node: this.source.spec.name, task: this.taskName }
    if (response === 'fail') {
      throw streamsError('STREAMS_DESERIALIZATION_FAILED', `could not deserialize ${raw.topic}-${raw.partition}@${raw.offset} in ${this.source.spec.name}`, details, err)
    }
    if (response === 'dead-letter') {
      const topic = this.handlers.deadLetterQueueTopic
      if (topic === undefined) {
        throw streamsError('STREAMS_DESERIALIZATION_FAILED', `could not deserialize ${raw.topic}-${raw.partition}@${raw.offset} and no deadLetterQueueTopic is set`, details, err)
      }
      this.collector.send({ topic, key: raw.key, value: raw.value, headers: deadLetterHeaders(raw.headers, context, err), timestampMs: raw.timestampMs, partition: undefined })
      this.handlers.onWarning(`sent ${raw.topic}-${raw.partition}@${raw.offset} to dead-letter topic ${topic}: it could not be deserialized`, details)
      return
    }
    this.handlers.onWarning(`skipped ${raw.topic}-${raw.partition}@${raw.offset}: it could not be deserialized (deserialization exception handler: continue)`, details)
  }
}
