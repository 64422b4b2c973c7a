/**
 * Configuration of the {@link Producer}: the record accumulator's options (batching, linger,
 * compression, buffer memory) plus how an append is acknowledged and how records are placed.
 *
 * **Acks, Kafka's meaning vs ours** (DESIGN §2 "Durability is explicit"). In Kafka, `acks` says
 * how many replicas must have the batch before the leader answers: 0 = nobody waits, 1 = the
 * leader wrote it to its page cache, `'all'` = every in-sync replica did. None of them means
 * fsynced — Kafka relies on replication, not fsync, for durability. Millrace runs on one node, so
 * `1` and `'all'` both mean "appended to the partition log (page cache)", and `0` means the send
 * resolves as soon as the record is buffered. Power-loss safety is asked for separately with
 * `durableAcks`: the ack then waits for the group commit (one fdatasync shared by concurrent
 * appends) that covers the batch.
 */
import type { Partitioner } from '../partitioner/partitioner.js'
import { ConfigInvalidError, type ConfigProblem } from '../../topic-config.js'
import {
  RECORD_ACCUMULATOR_DEFAULTS,
  resolveRecordAccumulatorConfig,
  type RecordAccumulatorConfig,
} from './record-accumulator-config.js'

/** Kafka `acks`; see the file comment for what each value means on one node. */
export type ProducerAcks = 0 | 1 | 'all'

export interface ProducerConfig extends RecordAccumulatorConfig {
  /** Default `'all'` (Kafka's default since 3.0). */
  readonly acks: ProducerAcks
  /**
   * Acknowledge only once the batch is fsynced (group commit). Requires `acks` 1 or `'all'`.
   * Default false.
   */
  readonly durableAcks: boolean
  /**
   * Places records without an explicit partition. Default (`undefined`): Kafka's Java
   * partitioner — murmur2 of the key, sticky partition for null keys (KIP-794). A custom
   * partitioner gets no stickiness hooks.
   */
  readonly partitioner: Partitioner | undefined
  /**
   * Kafka `enable.idempotence`: the producer gets a producer id and numbers its batches per
   * partition, so the log appends each batch once and in order even when it is sent again.
   * Default: on when `acks` is `'all'` (Kafka's default since 3.0; like Kafka, another `acks`
   * turns the default off, and asking for it explicitly with `acks` 0 or 1 is `CONFIG_INVALID`).
   */
  readonly enableIdempotence: boolean
  /**
   * Kafka `transactional.id`: makes the producer transactional (`initTransactions()`, then
   * `beginTransaction()` … `commitTransaction()`/`abortTransaction()`). One live instance per id:
   * `initTransactions()` fences older ones. Needs idempotence and `acks: 'all'`. Default none.
   */
  readonly transactionalId: string | undefined
  /**
   * Kafka `transaction.timeout.ms`: the coordinator aborts a transaction left open longer (and
   * fences the producer). At most the broker's `transactionMaxTimeoutMs`. Default 60000.
   */
  readonly transactionTimeoutMs: number
}

export type ProducerConfigInput = Partial<ProducerConfig>

export const PRODUCER_DEFAULTS: ProducerConfig = Object.freeze({
  ...RECORD_ACCUMULATOR_DEFAULTS,
  acks: 'all',
  durableAcks: false,
  partitioner: undefined,
  enableIdempotence: true,
  transactionalId: undefined,
  transactionTimeoutMs: 60_000,
})

const ACKS: readonly ProducerAcks[] = [0, 1, 'all']

/**
 * Merges `input` over {@link PRODUCER_DEFAULTS} (`undefined` values are ignored) and validates
 * everything at once, the accumulator's options included.
 * @throws `CONFIG_INVALID` (a `ConfigInvalidError`) listing by field every unknown key, wrong
 *   type, out-of-range value and conflict (`durableAcks` with `acks: 0`).
 */
export function resolveProducerConfig(input: ProducerConfigInput = {}): ProducerConfig {
  const problems: ConfigProblem[] = []
  const accumulatorInput: Record<string, unknown> = {}
  const merged: Record<string, unknown> = { ...PRODUCER_DEFAULTS }
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(PRODUCER_DEFAULTS, name)) {
      problems.push({ path: name, reason: 'unknown-key', message: `${name.slice(0, 64)} is not a producer option` })
    } else if (value !== undefined) {
      merged[name] = value
      if (Object.hasOwn(RECORD_ACCUMULATOR_DEFAULTS, name)) accumulatorInput[name] = value
    }
  }

  // One resolver owns the accumulator's rules; its problems are reported with ours.
  let accumulator: RecordAccumulatorConfig | undefined
  try {
    accumulator = resolveRecordAccumulatorConfig(accumulatorInput)
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err
    problems.push(...err.problems)
  }

  const acks = merged['acks']
  if (!ACKS.includes(acks as ProducerAcks)) {
    problems.push({ path: 'acks', reason: 'invalid-enum', message: "acks must be one of 0, 1, 'all'" })
  }
  const durableAcks = merged['durableAcks']
  if (typeof durableAcks !== 'boolean') {
    problems.push({ path: 'durableAcks', reason: 'wrong-type', message: 'durableAcks must be a boolean' })
  } else if (durableAcks && acks === 0) {
    problems.push({ path: 'durableAcks', reason: 'conflict', message: 'durableAcks needs acks 1 or all (acks 0 waits for nothing)' })
  }
  const enableIdempotence = input.enableIdempotence
  if (enableIdempotence === undefined) {
    merged['enableIdempotence'] = acks === 'all'
  } else if (typeof enableIdempotence !== 'boolean') {
    problems.push({ path: 'enableIdempotence', reason: 'wrong-type', message: 'enableIdempotence must be a boolean' })
  } else if (enableIdempotence && acks !== 'all') {
    problems.push({ path: 'enableIdempotence', reason: 'conflict', message: "enableIdempotence needs acks 'all' (as in Kafka)" })
  }
  const transactionalId = merged['transactionalId']
  if (transactionalId !== undefined) {
    if (typeof transactionalId !== 'string' || transactionalId.length === 0 || Buffer.byteLength(transactionalId) > 0x7fff) {
      problems.push({ path: 'transactionalId', reason: 'wrong-type', message: 'transactionalId must be a non-empty string of at most 32767 UTF-8 bytes' })
    }
    if (enableIdempotence === false) {
      problems.push({ path: 'enableIdempotence', reason: 'conflict', message: 'a transactional producer needs enableIdempotence (as in Kafka)' })
    } else if (acks !== 'all') {
      problems.push({ path: 'acks', reason: 'conflict', message: "a transactional producer needs acks 'all' (as in Kafka)" })
    }
  }
  const transactionTimeoutMs = merged['transactionTimeoutMs']
  if (typeof transactionTimeoutMs !== 'number' || !Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs <= 0) {
    problems.push({ path: 'transactionTimeoutMs', reason: 'out-of-range', message: 'transactionTimeoutMs must be a positive integer' })
  }
  const partitioner = merged['partitioner']
  if (partitioner !== undefined && typeof partitioner !== 'function') {
    problems.push({ path: 'partitioner', reason: 'wrong-type', message: 'partitioner must be a function' })
  }

  if (problems.length > 0 || accumulator === undefined) throw new ConfigInvalidError('producer', problems)
  return Object.freeze({ ...merged, ...accumulator }) as unknown as ProducerConfig
}
