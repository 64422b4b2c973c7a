/**
 * What an embedded consumer needs from the log: the seam between the consumer and the broker
 * (`Broker.consumer()` builds one), so the consumer never names the broker class.
 */
import type { Clock } from '../../clock.js'
import type { GroupCoordinatorApi } from '../../group/coordinator-api.js'
import type { TimestampOffset } from '../../storage/timestamp-lookup.js'
import type { TopicPartition } from '../../topic-partition.js'

export interface ConsumerLog {
  /** Times poll timeouts, heartbeats, auto-commit and the max-poll interval. */
  readonly clock: Clock
  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (at least one batch), below
   * `maxOffset` (default: the log end). The caller owns the bytes.
   * @throws `LOG_OFFSET_OUT_OF_RANGE`, `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`, `LOG_CLOSED`.
   */
  read(tp: TopicPartition, offset: number, maxBytes: number, maxOffset?: number): Uint8Array
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
  /**
   * The offset below which every transaction is decided (Kafka's LSO): where `read_committed`
   * readers stop. Equals the log end until the log has open transactions.
   */
  lastStableOffset(tp: TopicPartition): number
  /** Aborted transactions overlapping `[offset, upperBoundOffset)` (for `read_committed`). */
  abortedTransactions(tp: TopicPartition, offset: number, upperBoundOffset: number): ReadonlyArray<{ producerId: bigint; firstOffset: number }>
  /** Resolves once the log end passes `offset`; rejects with `LOG_ABORTED` when `signal` aborts. */
  waitForAppend(tp: TopicPartition, offset: number, signal: AbortSignal): Promise<void>
  offsetForTimestamp(tp: TopicPartition, timestampMs: number): TimestampOffset | undefined
  /** @throws `LOG_UNKNOWN_TOPIC`. */
  partitionCount(topic: string): number
  /** Every topic name, internal ones included. */
  topicNames(): string[]
  /** The group coordinator (created lazily; a consumer without `groupId` never asks). */
  groupCoordinator(): GroupCoordinatorApi
}
