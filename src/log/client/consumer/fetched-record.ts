/**
 * The record a consumer's poll returns: identifiers and offset/timestamp as plain fields, key,
 * value and headers as lazy getters over the decoded {@link LogRecord} (DESIGN.md §2 "Read
 * path": a record holds positions; bytes are materialised on access).
 */
import type { LogRecord } from '../../record/log-record.js'
import type { RecordHeader } from '../../record/record.js'
import type { TimestampType } from '../../record/record-batch-v2.js'

/**
 * A consumed record. `key`, `value` and header values are views into the fetched bytes (no copy);
 * those bytes are never reused by the log, so the views stay valid as long as they are held.
 */
export interface FetchedRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly timestampMs: number
  readonly timestampType: TimestampType
  /** `null` for a null key. */
  readonly key: Uint8Array | null
  /** `null` for a tombstone. */
  readonly value: Uint8Array | null
  /** In record order, repeats kept; decoded on each access. */
  readonly headers: RecordHeader[]
}

/**
 * {@link FetchedRecord} over a `LogRecord`. A class rather than an object literal with getters:
 * one shared hidden class and prototype getters keep the per-record cost at one small allocation.
 */
export class LazyFetchedRecord implements FetchedRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly timestampMs: number
  readonly timestampType: TimestampType
  readonly #record: LogRecord

  constructor(topic: string, partition: number, record: LogRecord, timestampType: TimestampType) {
    this.topic = topic
    this.partition = partition
    this.offset = record.offset
    this.timestampMs = record.timestampMs
    this.timestampType = timestampType
    this.#record = record
  }

  get key(): Uint8Array | null {
    return this.#record.key
  }

  get value(): Uint8Array | null {
    return this.#record.value
  }

  get headers(): RecordHeader[] {
    return this.#record.headers
  }
}
