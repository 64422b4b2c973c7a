/**
 * The embedded broker's options, the shapes its topic methods take and return, and the names of
 * its files in the data directory (see the file comment of `broker.ts`).
 */
import type { Clock } from './clock.js'
import { MillraceError } from './errors.js'
import type { GroupCoordinatorConfigInput } from './group/group-coordinator-config.js'
import type { FileIO } from './storage/file-io.js'
import type { TopicConfigEntry, TopicConfigOverrides } from './topic-config.js'
import type { PartitionDescription } from './broker-topics.js'
import type { TransactionCoordinatorConfig } from './txn/transaction-coordinator.js'

export const LOCK_FILE = '.lock'
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint'

/**
 * Group coordinator settings (see `GroupCoordinatorConfig`): `offsetsTopicPartitions` (default 1),
 * `groupInitialRebalanceDelayMs` (default 0), `groupMinSessionTimeoutMs` (6000),
 * `groupMaxSessionTimeoutMs` (1800000). Invalid values: `CONFIG_INVALID`.
 */
export interface BrokerOptions extends GroupCoordinatorConfigInput {
  /** Directory holding all data; created when missing. */
  dataDir: string
  /** Time source for retention, rolling and timers (default: the system clock). */
  clock?: Clock
  /** File I/O implementation (default `node:fs`); tests inject a fault-injecting one. */
  io?: FileIO
  /** Broker-wide topic config defaults (Kafka names, e.g. `{ 'retention.ms': '3600000' }`). */
  topicDefaults?: TopicConfigOverrides
  /** How often retention runs (Kafka `log.retention.check.interval.ms`, default 300000). */
  retentionCheckIntervalMs?: number
  /** How often `flush.ms` deadlines are checked (default 1000). */
  flushCheckIntervalMs?: number
  /** How often changed recovery points are checkpointed (default 1000). */
  recoveryPointCheckpointIntervalMs?: number
  /**
   * How often the log cleaner looks for compacted partitions that are due — dirty ratio at least
   * `min.cleanable.dirty.ratio`, dirty data older than `max.compaction.lag.ms`, or tombstones past
   * their delete horizon — and cleans them (Kafka `log.cleaner.backoff.ms`, default 15000). The
   * next pass is scheduled when the previous one ends. `runCleaner()` runs a pass on demand.
   */
  cleanerBackoffMs?: number
  /**
   * How long a producer id may stay idle (no batch, no open transaction) before a partition
   * forgets its sequence state (Kafka `producer.id.expiration.ms`, default 86400000 = 1 day).
   * Idle time is the broker clock minus the producer's last batch timestamp, as in Kafka.
   */
  producerIdExpirationMs?: number
  /** How often expired producer ids are removed (Kafka `producer.id.expiration.check.interval.ms`, default 600000). */
  producerIdExpirationCheckIntervalMs?: number
  /**
   * Partitions of `__transaction_state` (Kafka `transaction.state.log.num.partitions`, 50 there;
   * default 1 here, as `offsetsTopicPartitions`: one process owns them all). Used when the topic
   * is first created.
   */
  transactionStateLogNumPartitions?: number
  /** Longest `transactionTimeoutMs` a producer may ask for (Kafka `transaction.max.timeout.ms`, default 900000). */
  transactionMaxTimeoutMs?: number
  /**
   * How often open transactions are checked against their timeout and aborted (Kafka
   * `transaction.abort.timed.out.transaction.cleanup.interval.ms`, default 10000).
   */
  transactionAbortTimedOutTransactionCleanupIntervalMs?: number
  /** How long an idle transactional id is remembered (Kafka `transactional.id.expiration.ms`, default 604800000 = 7 days). */
  transactionalIdExpirationMs?: number
  /** Receives errors of background tasks (default: `process.emitWarning`). */
  onBackgroundError?: (task: string, err: unknown) => void
}

export interface NewTopic {
  topic: string
  /** Default 1. */
  partitions?: number
  /** Kafka-named topic config overrides. */
  configs?: TopicConfigOverrides
}

export interface TopicDescription {
  topic: string
  topicId: string
  partitions: PartitionDescription[]
  configs: TopicConfigEntry[]
}

export interface BrokerAppendOptions {
  /** Resolve only once the batches are fsynced (group commit with concurrent appends). */
  durable?: boolean
  /** Batches were encoded in this process by Millrace (skips the CRC re-check). */
  trusted?: boolean
}

/** How often each background task of the broker runs, in ms of the broker's clock. */
export interface BrokerIntervals {
  readonly retention: number
  readonly flush: number
  readonly checkpoint: number
  readonly cleaner: number
  readonly producerIdExpiration: number
  /** Not an interval: how long an idle producer id is kept (`producerIdExpirationMs`). */
  readonly producerIdExpirationMs: number
  readonly transactionTimeouts: number
}

/** The transaction coordinator's settings of `options`, with the defaults above. @throws `CONFIG_INVALID`. */
export function resolveTransactionOptions(options: BrokerOptions): TransactionCoordinatorConfig {
  const partitions = positive(options.transactionStateLogNumPartitions, 1, 'transactionStateLogNumPartitions')
  if (!Number.isInteger(partitions)) {
    throw new MillraceError('CONFIG_INVALID', 'transactionStateLogNumPartitions must be a positive integer', { details: { path: 'transactionStateLogNumPartitions' } })
  }
  return {
    transactionStateLogNumPartitions: partitions,
    transactionMaxTimeoutMs: positive(options.transactionMaxTimeoutMs, 900_000, 'transactionMaxTimeoutMs'),
    transactionAbortTimedOutTransactionCleanupIntervalMs: positive(
      options.transactionAbortTimedOutTransactionCleanupIntervalMs,
      10_000,
      'transactionAbortTimedOutTransactionCleanupIntervalMs',
    ),
    transactionalIdExpirationMs: positive(options.transactionalIdExpirationMs, 604_800_000, 'transactionalIdExpirationMs'),
  }
}

/** The background task intervals of `options`, with Kafka's defaults. @throws `CONFIG_INVALID`. */
export function resolveBrokerIntervals(options: BrokerOptions): BrokerIntervals {
  return {
    retention: positive(options.retentionCheckIntervalMs, 300_000, 'retentionCheckIntervalMs'),
    flush: positive(options.flushCheckIntervalMs, 1_000, 'flushCheckIntervalMs'),
    checkpoint: positive(options.recoveryPointCheckpointIntervalMs, 1_000, 'recoveryPointCheckpointIntervalMs'),
    cleaner: positive(options.cleanerBackoffMs, 15_000, 'cleanerBackoffMs'),
    producerIdExpiration: positive(options.producerIdExpirationCheckIntervalMs, 600_000, 'producerIdExpirationCheckIntervalMs'),
    producerIdExpirationMs: positive(options.producerIdExpirationMs, 86_400_000, 'producerIdExpirationMs'),
    transactionTimeouts: positive(
      options.transactionAbortTimedOutTransactionCleanupIntervalMs,
      10_000,
      'transactionAbortTimedOutTransactionCleanupIntervalMs',
    ),
  }
}

function positive(value: number | undefined, fallback: number, path: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) {
    throw new MillraceError('CONFIG_INVALID', `${path} must be a positive number`, { details: { path } })
  }
  return value
}
