/**
 * The Java producer's default partitioning (apache/kafka `BuiltInPartitioner`, `KafkaProducer.partition`,
 * and the deprecated `DefaultPartitioner`/`StickyPartitionCache`):
 *
 * 1. An explicit record partition wins; the producer handles it and never calls the partitioner.
 * 2. Keyed record (unless `ignoreKeys`, Kafka `partitioner.ignore.keys`):
 *    `toPositive(murmur2(key)) % partitionCount`, over **all** partitions. An empty key is hashed.
 * 3. Null key: sticky. One partition per topic is used until the producer signals a switch:
 *    - `stickySwitch: 'batch-bytes'` (KIP-794 "uniform sticky", Kafka 3.3+ default): switch once
 *      `batchBytes` have been produced to the sticky partition and the producer allows it
 *      (`canSwitch`, i.e. its current batch is ready), or unconditionally at 2 × `batchBytes`.
 *      The producer reports bytes with `onBytesProduced`; `onNewBatch` is a no-op.
 *    - `stickySwitch: 'new-batch'` (KIP-480, Kafka 2.4–3.2): switch when the producer starts a
 *      new batch for the sticky partition (`onNewBatch`); `onBytesProduced` is a no-op.
 *
 * The next sticky partition is uniform over the *other* partitions (one random draw, no retry
 * loop), so with two or more partitions the same one is never used twice in a row. Kafka's KIP-794
 * picker may re-pick the same partition; KIP-480's loops until it differs. On a single node all
 * partitions are available and queue depths are equal, so Kafka's adaptive weighting reduces to
 * uniform (log anchor §6.2), so uniform choice is what this partitioner does.
 *
 * State is per topic, created on first use; `partition` allocates nothing afterwards. One
 * producer owns a partitioner: it is not shared between producers (stickiness is per producer
 * in Kafka too).
 */
import { MillraceError } from '../../errors.js'
import { ConfigInvalidError, type ConfigProblem } from '../../topic-config.js'
import { murmur2, toPositive } from './murmur2.js'
import type { Partitioner, PartitionerInput } from './partitioner.js'

export type StickySwitchPolicy = 'batch-bytes' | 'new-batch'

export interface DefaultPartitionerConfig {
  /** When a null-key sticky partition changes. Default `'batch-bytes'` (KIP-794). */
  readonly stickySwitch: StickySwitchPolicy
  /** Kafka `batch.size`: bytes produced to the sticky partition before a switch. Default 16384. */
  readonly batchBytes: number
  /** Kafka `partitioner.ignore.keys`: keyed records are placed like null-key ones. Default false. */
  readonly ignoreKeys: boolean
  /** Uniform in [0, 1), like `Math.random` (the default); injected for deterministic tests. */
  readonly random: () => number
}

export type DefaultPartitionerInput = Partial<DefaultPartitionerConfig>

export const DEFAULT_PARTITIONER_DEFAULTS: DefaultPartitionerConfig = Object.freeze({
  stickySwitch: 'batch-bytes',
  batchBytes: 16_384,
  ignoreKeys: false,
  random: Math.random,
})

const STICKY_SWITCH_POLICIES: readonly StickySwitchPolicy[] = ['batch-bytes', 'new-batch']

/**
 * Merges `input` over the defaults and validates everything at once.
 * @throws `CONFIG_INVALID` (a `ConfigInvalidError` listing every problem, unknown keys included).
 */
export function resolveDefaultPartitionerConfig(input: DefaultPartitionerInput = {}): DefaultPartitionerConfig {
  const problems: ConfigProblem[] = []
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(DEFAULT_PARTITIONER_DEFAULTS, name)) {
      problems.push({ path: name, reason: 'unknown-key', message: `${name.slice(0, 64)} is not a partitioner option` })
    }
  }
  const config = { ...DEFAULT_PARTITIONER_DEFAULTS, ...stripUndefined(input) }
  if (!STICKY_SWITCH_POLICIES.includes(config.stickySwitch)) {
    problems.push({ path: 'stickySwitch', reason: 'invalid-enum', message: `stickySwitch must be one of ${STICKY_SWITCH_POLICIES.join(', ')}` })
  }
  if (typeof config.batchBytes !== 'number' || !Number.isInteger(config.batchBytes)) {
    problems.push({ path: 'batchBytes', reason: 'not-integer', message: 'batchBytes must be an integer' })
  } else if (config.batchBytes < 1 || config.batchBytes > 0x3fff_ffff) {
    // reason: 2 × batchBytes must stay a small integer (the hard switch limit)
    problems.push({ path: 'batchBytes', reason: 'out-of-range', message: 'batchBytes must be in [1, 2^30 − 1]' })
  }
  if (typeof config.ignoreKeys !== 'boolean') {
    problems.push({ path: 'ignoreKeys', reason: 'wrong-type', message: 'ignoreKeys must be a boolean' })
  }
  if (typeof config.random !== 'function') {
    problems.push({ path: 'random', reason: 'wrong-type', message: 'random must be a function returning [0, 1)' })
  }
  if (problems.length > 0) throw new ConfigInvalidError('partitioner', problems)
  return Object.freeze(config)
}

function stripUndefined(input: DefaultPartitionerInput): DefaultPartitionerInput {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(input)) if (v !== undefined) out[k] = v
  return out as DefaultPartitionerInput
}

/** Bytes appended for a null-key record placed by stickiness. Producers may reuse one object. */
export interface StickyBytesProduced {
  topic: string
  /** The partition the bytes went to; reports for a partition that is no longer sticky are ignored. */
  partition: number
  /** Bytes the record added to its batch (Kafka `appendedBytes`). */
  appendedBytes: number
  /**
   * Whether switching now is allowed, i.e. the producer's batches for this partition are full or
   * ready (Kafka `enableSwitch`); default true. Without it, the switch waits until 2 × batchBytes.
   */
  canSwitch?: boolean
}

/** A default partitioner plus the hooks through which its producer drives stickiness. */
export interface DefaultPartitioner {
  /**
   * Chooses the partition of a record without an explicit partition.
   * @throws `CONFIG_INVALID` when `partitionCount` is not a positive integer.
   */
  readonly partition: Partitioner
  /**
   * KIP-480: the producer created a new batch for `previousPartition` of `topic`. If that is the
   * sticky partition, a different one becomes sticky. No-op under `'batch-bytes'`.
   */
  onNewBatch(topic: string, previousPartition: number): void
  /** KIP-794: counts bytes produced to the sticky partition. No-op under `'new-batch'`. */
  onBytesProduced(produced: StickyBytesProduced): void
  /** The current sticky partition of `topic`, or `undefined` before its first null-key record. */
  findStickyPartition(topic: string): number | undefined
}

interface StickyState {
  partition: number
  partitionCount: number
  producedBytes: number
}

/**
 * Creates the Java-compatible default partitioner (see the file comment).
 * @throws `CONFIG_INVALID` for bad options.
 */
export function createDefaultPartitioner(input: DefaultPartitionerInput = {}): DefaultPartitioner {
  const config = resolveDefaultPartitionerConfig(input)
  const { random, ignoreKeys, batchBytes, stickySwitch } = config
  const hardLimitBytes = batchBytes * 2
  const sticky = new Map<string, StickyState>()

  /** Uniform in [0, n); clamped so a random() that returns 1 cannot index past the end. */
  const randomIndex = (n: number): number => {
    const i = Math.floor(random() * n)
    return i < 0 ? 0 : i >= n ? n - 1 : i
  }

  /** Uniform over [0, count) without `previous` (when count > 1): one draw over count − 1 slots. */
  const nextPartition = (count: number, previous: number): number => {
    if (count === 1) return 0
    if (previous < 0 || previous >= count) return randomIndex(count)
    const i = randomIndex(count - 1)
    return i >= previous ? i + 1 : i
  }

  const switchPartition = (state: StickyState): void => {
    state.partition = nextPartition(state.partitionCount, state.partition)
    state.producedBytes = 0
  }

  const stickyPartition = (topic: string, partitionCount: number): number => {
    let state = sticky.get(topic)
    if (state === undefined) {
      state = { partition: randomIndex(partitionCount), partitionCount, producedBytes: 0 }
      sticky.set(topic, state)
      return state.partition
    }
    if (state.partitionCount !== partitionCount) {
      state.partitionCount = partitionCount
      if (state.partition >= partitionCount) {
        state.partition = randomIndex(partitionCount)
        state.producedBytes = 0
      }
    }
    return state.partition
  }

  const partition: Partitioner = (record: PartitionerInput): number => {
    const count = record.partitionCount
    if (!Number.isInteger(count) || count < 1) {
      throw new MillraceError('CONFIG_INVALID', `partitionCount of topic ${record.topic} must be a positive integer`, {
        details: { topic: record.topic, partitionCount: count },
      })
    }
    if (record.key !== null && !ignoreKeys) return toPositive(murmur2(record.key)) % count
    return stickyPartition(record.topic, count)
  }

  return {
    partition,
    onNewBatch(topic, previousPartition) {
      if (stickySwitch !== 'new-batch') return
      const state = sticky.get(topic)
      // Another batch already moved the topic on (StickyPartitionCache.nextPartition does the same).
      if (state === undefined || state.partition !== previousPartition) return
      switchPartition(state)
    },
    onBytesProduced(produced) {
      if (stickySwitch !== 'batch-bytes') return
      const state = sticky.get(produced.topic)
      if (state === undefined || state.partition !== produced.partition) return
      state.producedBytes += produced.appendedBytes
      const canSwitch = produced.canSwitch ?? true
      if ((canSwitch && state.producedBytes >= batchBytes) || state.producedBytes >= hardLimitBytes) {
        switchPartition(state)
      }
    },
    findStickyPartition(topic) {
      return sticky.get(topic)?.partition
    },
  }
}
