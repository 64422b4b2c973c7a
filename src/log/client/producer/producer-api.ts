/**
 * The producer side of the `LogClient` contract (DESIGN.md §1): what streams, connect and users
 * may rely on, whichever log is underneath. The embedded broker's implementation is
 * `EmbeddedProducer`; a Kafka-protocol client implements the same interface.
 */
import type { RecordMetadata } from './producer-batch.js'
import type { ProducerRecord } from './producer-record.js'
import type { ConsumerGroupMetadata } from '../consumer/consumer-api.js'
import type { TransactionOffset } from './transaction-manager.js'

export interface SendOptions {
  /** Cancels a wait for buffer memory; the signal's reason is the rejection. Nothing is buffered then. */
  signal?: AbortSignal
}

/**
 * Sends records to topics (Kafka `KafkaProducer`). Records of one partition are appended in
 * `send` order. One writer: a producer is used from one event loop. It owns its buffered records
 * and `close()` flushes them; it does not own its client — close the producer first.
 */
export interface Producer {
  /** Bytes of records buffered and not yet acknowledged or failed (≤ `bufferMemoryBytes`). */
  readonly bufferedMemoryBytes: number
  /**
   * Sends one record; resolves with its partition, offset and timestamp once acknowledged
   * (`acks: 0`: once buffered, offset −1). Waits at most `maxBlockMs` for buffer memory.
   * @throws (rejects) `LOG_INVALID_RECORD`, `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`,
   *   `LOG_RECORD_TOO_LARGE` before buffering; `LOG_BUFFER_FULL` (retriable) after `maxBlockMs`;
   *   `LOG_CLOSED`; the append's errors for the record's batch.
   */
  send(record: ProducerRecord, options?: SendOptions): Promise<RecordMetadata>
  /** Sends `records` in order; resolves with their metadata in the same order (one promise for all). */
  sendBatch(records: readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]>
  /** Resolves once everything buffered so far is acknowledged or failed; never rejects. */
  flush(): Promise<void>
  /** Stops accepting records, then flushes. Idempotent; never rejects. An open transaction is left to time out. */
  close(): Promise<void>
  /**
   * Transactions (a producer configured with `transactionalId`; others throw `LOG_ILLEGAL_STATE`):
   * `initTransactions()` once, then per transaction `beginTransaction()`, sends,
   * `sendOffsetsToTransaction(offsets, consumer.groupMetadata())`, and `commitTransaction()` or
   * `abortTransaction()`. Sends outside a transaction throw `LOG_INVALID_TXN_STATE`; a fenced
   * producer gets `LOG_PRODUCER_FENCED` from every call; a failed send makes the transaction
   * abortable (`commitTransaction` throws `LOG_TRANSACTION_ABORTABLE`).
   */
  initTransactions(): Promise<void>
  beginTransaction(): void
  sendOffsetsToTransaction(offsets: readonly TransactionOffset[], groupMetadata: ConsumerGroupMetadata): Promise<void>
  commitTransaction(): Promise<void>
  abortTransaction(): Promise<void>
}
