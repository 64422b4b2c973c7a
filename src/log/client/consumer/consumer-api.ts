/**
 * The consumer side of the `LogClient` contract (DESIGN.md §1): Kafka's `KafkaConsumer` in
 * async/await form. The embedded broker's implementation is `EmbeddedConsumer`; a Kafka-protocol
 * client implements the same interface, so nothing here names the broker.
 *
 * Offsets are `number`s (≤ 2^53 − 1). An offset handed to `commit` or `seek` is the *next* offset
 * to consume, as in Kafka.
 */
import type { TopicPartition } from '../../topic-partition.js'
import type { FetchedRecord } from './fetched-record.js'

/** A record returned by `poll`: plain identifiers, key/value/headers decoded lazily on access. */
export type ConsumerRecord = FetchedRecord

/** A partition and an offset: the next offset to consume (commit, seek) or a looked-up offset. */
export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

/** An offset to commit, with Kafka's optional free-form metadata string (stored, returned by `committed`). */
export interface OffsetToCommit extends TopicPartitionOffset {
  readonly metadata?: string
}

/** A committed offset as `committed()` returns it; `offset` is `null` when the group has none. */
export interface CommittedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number | null
  readonly metadata: string
}

/** A query of `offsetsForTimes`. */
export interface TopicPartitionTimestamp {
  readonly topic: string
  readonly partition: number
  readonly timestampMs: number
}

/**
 * The answer to an `offsetsForTimes` query: the earliest offset whose timestamp is ≥ the query's,
 * with that record's timestamp; both `null` when every record is older.
 */
export interface OffsetAndTimestamp {
  readonly topic: string
  readonly partition: number
  readonly offset: number | null
  readonly timestampMs: number | null
}

/**
 * Callbacks around a rebalance (Kafka `ConsumerRebalanceListener`). They run inside `poll` (and
 * `close`/`unsubscribe`), on the consumer's own call, so they may call `commit` and `seek`; a
 * returned promise is awaited before the consumer goes on.
 *
 * - `onPartitionsRevoked`: partitions the consumer gives up *cleanly* — before rejoining (eager:
 *   everything it owns; cooperative: only those moving to another member), and on `close` /
 *   `unsubscribe`. Commit their progress here: the consumer is still a member of the generation
 *   that owns them, so the commit is accepted.
 * - `onPartitionsAssigned`: partitions added by the new assignment (cooperative: only the new
 *   ones; eager: the whole assignment). Called after every rebalance, possibly with `[]`.
 * - `onPartitionsLost`: partitions the consumer lost *without* a clean hand-over (its session
 *   expired or it was fenced); another member may already own them, so commits would be refused.
 *   When absent, `onPartitionsRevoked` is called instead (as Kafka does).
 *
 * An error thrown by a callback is raised from the `poll` that ran it, after the rebalance has
 * completed (the assignment is already in effect).
 */
export interface RebalanceListener {
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>
}

export interface SubscribeOptions {
  /** Topic names, or a pattern matched against every topic name (re-evaluated as topics appear). */
  readonly topics: readonly string[] | RegExp
  readonly listener?: RebalanceListener
}

export interface ConsumerPollOptions {
  /**
   * How long to wait when nothing is readable (on the client's clock); default 0 for `poll`
   * with a signal, otherwise required to be given one way or the other.
   */
  readonly timeoutMs?: number
  /** Cancels the wait; `poll` then resolves with what it has (usually `[]`). */
  readonly signal?: AbortSignal
  /** At most this many records; default and cap `maxPollRecords`. */
  readonly maxRecords?: number
}

export interface ConsumerCloseOptions {
  /**
   * `true` (default for dynamic members): revoke, commit if auto-commit is on, and send
   * LeaveGroup so the group rebalances at once. `false`: stop without leaving (Kafka KIP-1092
   * REMAIN_IN_GROUP) — the member expires after `sessionTimeoutMs`. Static members never leave
   * on close (KIP-345) whatever this says.
   */
  readonly leaveGroup?: boolean
}

/** What a transactional producer needs to fence commits made for this consumer (KIP-447). */
export interface ConsumerGroupMetadata {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | undefined
}

/**
 * Reads records of subscribed (group-managed) or manually assigned partitions.
 *
 * One owner: a consumer is driven from one async loop; calls do not overlap except `close` and an
 * aborting `signal`. It owns its fetch buffers (bounded per partition by `maxPartitionFetchBytes`:
 * a consumer that stops polling stops fetching) and its group membership; it does not own its
 * client — close the consumer first.
 *
 * Errors are `MillraceError`s; the codes each method raises are listed on it. Every method
 * raises `LOG_CLOSED` after `close()`.
 */
export interface Consumer extends AsyncIterable<ConsumerRecord> {
  /**
   * Joins the consumer's group for `topics` (requires `groupId`); the assignment arrives with the
   * next `poll`. Replaces an earlier subscription.
   * @throws `LOG_ILLEGAL_STATE` without `groupId` or after `assign`; `LOG_INVALID_ARGUMENT` for an
   *   empty topic list; `LOG_INVALID_TOPIC` for an invalid name.
   */
  subscribe(options: SubscribeOptions): Promise<void>
  /** Revokes the assignment (listener called, auto-commit done) and leaves the group. */
  unsubscribe(): Promise<void>
  /** The subscribed topic names (for a pattern: the topics it currently matches). */
  subscription(): string[]
  /**
   * Reads `partitions` without a group (or with a group only for commits, generation −1).
   * Positions come from committed offsets, else `autoOffsetReset`.
   * @throws `LOG_ILLEGAL_STATE` while subscribed; `LOG_UNKNOWN_TOPIC`/`LOG_UNKNOWN_PARTITION`;
   *   `LOG_INVALID_ARGUMENT` for a partition listed twice.
   */
  assign(partitions: readonly TopicPartition[]): Promise<void>
  /** The partitions currently assigned (by the group or by `assign`). */
  assignment(): TopicPartition[]
  /**
   * Records from assigned, unpaused partitions: at once when any are available, otherwise after
   * the first append (long poll) or when the timeout or signal ends the wait. Group work —
   * joining, rebalancing, listener callbacks, auto-commit — happens inside `poll`.
   * @throws `LOG_ILLEGAL_STATE` when neither subscribed nor assigned; `LOG_OFFSET_OUT_OF_RANGE`
   *   with `autoOffsetReset: 'none'`; `LOG_NO_OFFSET`; `LOG_CORRUPT_BATCH`; listener errors.
   */
  poll(options?: ConsumerPollOptions): Promise<ConsumerRecord[]>
  /**
   * Iterates records until `signal` aborts (then ends normally) or `close()`. Iterating the
   * consumer itself (`for await (const r of consumer)`) is `records()` without a signal.
   */
  records(options?: { readonly signal?: AbortSignal }): AsyncIterableIterator<ConsumerRecord>
  /**
   * Commits `offsets` (default: the position of every assigned partition) for the group,
   * durably, and resolves once stored.
   * @throws `LOG_ILLEGAL_STATE` without `groupId`; `LOG_COMMIT_FAILED` when the member is no
   *   longer in the generation (zombie); `LOG_REBALANCE_IN_PROGRESS` (retriable);
   *   `LOG_INVALID_ARGUMENT` for a negative offset.
   */
  commit(offsets?: readonly OffsetToCommit[]): Promise<void>
  /** The group's committed offsets of `partitions` (default: the assignment). */
  committed(partitions?: readonly TopicPartition[]): Promise<CommittedOffset[]>
  /**
   * Sets the next offset to fetch. @throws `LOG_PARTITION_NOT_ASSIGNED`; `LOG_INVALID_ARGUMENT`
   * for a negative or unsafe offset.
   */
  seek(tp: TopicPartition, offset: number): void
  /** Seeks to the log start offset (default: every assigned partition). @throws as `seek`. */
  seekToBeginning(partitions?: readonly TopicPartition[]): Promise<void>
  /** Seeks to the log end offset (default: every assigned partition). @throws as `seek`. */
  seekToEnd(partitions?: readonly TopicPartition[]): Promise<void>
  /** The next offset `poll` returns for `tp`. @throws `LOG_PARTITION_NOT_ASSIGNED`. */
  position(tp: TopicPartition): Promise<number>
  /** Stops fetching `partitions` (kept across cooperative rebalances). @throws `LOG_PARTITION_NOT_ASSIGNED`. */
  pause(partitions: readonly TopicPartition[]): void
  resume(partitions: readonly TopicPartition[]): void
  paused(): TopicPartition[]
  /** Offsets by timestamp (Kafka ListOffsets). @throws `LOG_UNKNOWN_TOPIC`/`LOG_UNKNOWN_PARTITION`. */
  offsetsForTimes(query: readonly TopicPartitionTimestamp[]): Promise<OffsetAndTimestamp[]>
  /** Log start offsets. */
  beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>
  /** Log end offsets (`read_committed`: the last stable offset). */
  endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>
  /** The group identity for transactional offset commits. @throws `LOG_ILLEGAL_STATE` without `groupId`. */
  groupMetadata(): ConsumerGroupMetadata
  /**
   * Revokes (listener), auto-commits when enabled, leaves the group (see options) and releases
   * buffers. A pending `poll` resolves with `[]`. Idempotent.
   */
  close(options?: ConsumerCloseOptions): Promise<void>
}
