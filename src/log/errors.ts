/**
 * The one error base class of Millrace. Every package narrows `code` to its own closed union
 * (`LOG_…`, `CONFIG_…` here; `STREAMS_…`, `CONNECT_…` in later layers). Tests assert `code` and
 * `details`, never message text. Messages name identifiers (topic, partition, offset, file,
 * position), never record payloads.
 */
export class MillraceError<Code extends string = string> extends Error {
  readonly code: Code
  /** True only where retrying the same call can succeed; false unless a code says otherwise. */
  readonly retriable: boolean
  /** Structured identifiers of what failed (file, position, topic, partition, offset, …). */
  readonly details: Readonly<Record<string, string | number | bigint | boolean | undefined>>

  constructor(
    code: Code,
    message: string,
    options: {
      cause?: unknown
      retriable?: boolean
      details?: Record<string, string | number | bigint | boolean | undefined>
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MillraceError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.details = Object.freeze({ ...(options.details ?? {}) })
  }
}

/** Error codes raised by `src/log`. */
export type LogErrorCode =
  /** Bytes of a record batch are truncated, fail their CRC or break the v2 layout. */
  | 'LOG_CORRUPT_BATCH'
  /** Data that had been made durable (below the recovery point) is damaged; never silently dropped. */
  | 'LOG_CORRUPT_SEGMENT'
  | 'LOG_UNSUPPORTED_COMPRESSION'
  /** A batch (or record) is larger than `max.message.bytes`. */
  | 'LOG_RECORD_TOO_LARGE'
  /** A record is invalid for its topic, e.g. a null key on a compacted topic. */
  | 'LOG_INVALID_RECORD'
  | 'LOG_INVALID_TOPIC'
  | 'LOG_TOPIC_EXISTS'
  | 'LOG_UNKNOWN_TOPIC'
  | 'LOG_UNKNOWN_PARTITION'
  | 'LOG_INVALID_PARTITIONS'
  | 'LOG_OFFSET_OUT_OF_RANGE'
  /** Another process (or another Broker in this process) holds the data directory. */
  | 'LOG_DATA_DIR_LOCKED'
  | 'LOG_DATA_DIR_INVALID'
  /** A file operation failed (EIO, ENOSPC, …); `cause` holds the system error. */
  | 'LOG_IO_ERROR'
  | 'LOG_CLOSED'
  /** A wait (long poll, blocked send) was cancelled through its AbortSignal. */
  | 'LOG_ABORTED'
  /** A producer's buffer stayed full for `maxBlockMs`. */
  | 'LOG_BUFFER_FULL'
  /** A call that needs an assigned partition got one the consumer does not hold (seek, pause, position). */
  | 'LOG_PARTITION_NOT_ASSIGNED'
  /** An argument is outside its domain (negative offset, empty topic list, …); nothing changed. */
  | 'LOG_INVALID_ARGUMENT'
  /**
   * A call that is illegal in the client's current state: poll with neither subscription nor
   * assignment, subscribe after assign (or the reverse), commit without a group.
   */
  | 'LOG_ILLEGAL_STATE'
  /** `autoOffsetReset: 'none'` and a partition has no committed offset (Kafka NoOffsetForPartition). */
  | 'LOG_NO_OFFSET'
  /** Group ids are non-empty strings of at most 249 UTF-16 units (Kafka INVALID_GROUP_ID). */
  | 'LOG_INVALID_GROUP_ID'
  /** The group does not exist (Kafka GROUP_ID_NOT_FOUND). */
  | 'LOG_UNKNOWN_GROUP'
  /** The group still has members; delete or alter its offsets once it is empty (Kafka NON_EMPTY_GROUP). */
  | 'LOG_GROUP_NOT_EMPTY'
  /** The member id is not (or no longer) in the group: expired, left, or never joined. */
  | 'LOG_UNKNOWN_MEMBER_ID'
  /** The request carries a generation other than the group's current one (a zombie member). */
  | 'LOG_ILLEGAL_GENERATION'
  /** The group is rebalancing; rejoin, then retry (retriable). */
  | 'LOG_REBALANCE_IN_PROGRESS'
  /** A newer member with the same `groupInstanceId` replaced this one (static membership). */
  | 'LOG_FENCED_INSTANCE_ID'
  /** The member's protocol type or assignors share nothing with the group's. */
  | 'LOG_INCONSISTENT_GROUP_PROTOCOL'
  /** `sessionTimeoutMs` is outside the coordinator's [min, max] session timeout. */
  | 'LOG_INVALID_SESSION_TIMEOUT'
  /**
   * A consumer's offset commit was refused because the consumer is no longer a member of the
   * generation that owned the partitions (Kafka CommitFailedException); `cause` holds the
   * coordinator's `LOG_ILLEGAL_GENERATION`, `LOG_UNKNOWN_MEMBER_ID` or `LOG_FENCED_INSTANCE_ID`.
   */
  | 'LOG_COMMIT_FAILED'
  /**
   * An idempotent batch's sequence number does not follow the producer's last one in the
   * partition (a gap or a reorder), or a new epoch did not start at 0 (Kafka
   * OUT_OF_ORDER_SEQUENCE_NUMBER). Nothing was appended.
   */
  | 'LOG_OUT_OF_ORDER_SEQUENCE'
  /** A batch carries an older epoch than its producer id's current one (Kafka INVALID_PRODUCER_EPOCH). */
  | 'LOG_INVALID_PRODUCER_EPOCH'
  /**
   * A call or batch that is illegal in the transaction's state (Kafka INVALID_TXN_STATE): a
   * non-transactional batch from a producer with an open transaction, a transactional batch for
   * a partition not in the producer's transaction, commit without begin.
   */
  | 'LOG_INVALID_TXN_STATE'
  /** A transaction marker from an older coordinator epoch than the partition has seen (Kafka TRANSACTION_COORDINATOR_FENCED). */
  | 'LOG_TRANSACTION_COORDINATOR_FENCED'
  /**
   * A newer producer with the same transactional id (or the coordinator, on a transaction
   * timeout) bumped the epoch: this producer instance is a zombie and can only be closed
   * (Kafka PRODUCER_FENCED). Fatal for the producer.
   */
  | 'LOG_PRODUCER_FENCED'
  /** A transaction timeout outside (0, transaction.max.timeout.ms] (Kafka INVALID_TRANSACTION_TIMEOUT). */
  | 'LOG_INVALID_TRANSACTION_TIMEOUT'
  /**
   * Committed offsets of the partition are pending in an open transaction (Kafka
   * UNSTABLE_OFFSET_COMMIT, retriable): wait for it to commit or abort.
   */
  | 'LOG_UNSTABLE_OFFSET_COMMIT'
  /**
   * The producer's open transaction cannot be committed — a send or `sendOffsetsToTransaction`
   * of it failed (`cause` holds the first failure): call `abortTransaction()`, then start over
   * (Kafka TransactionAbortableException).
   */
  | 'LOG_TRANSACTION_ABORTABLE'

/** Error codes for configuration problems, shared by every layer. */
export type ConfigErrorCode = 'CONFIG_INVALID'

export type LogError = MillraceError<LogErrorCode>
export type ConfigError = MillraceError<ConfigErrorCode>

/** Shorthand used inside `src/log` so call sites stay one line. */
export function logError(
  code: LogErrorCode,
  message: string,
  details?: Record<string, string | number | bigint | boolean | undefined>,
  cause?: unknown,
): LogError {
  return new MillraceError(code, message, { details, cause })
}

/** True when `err` is a MillraceError carrying `code`. */
export function isMillraceError<C extends string>(err: unknown, code?: C): err is MillraceError<C> {
  return err instanceof MillraceError && (code === undefined || err.code === code)
}
