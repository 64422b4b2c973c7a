/**
 * Settings of the in-process group coordinator: Kafka's broker-side `offsets.topic.num.partitions`,
 * `group.initial.rebalance.delay.ms`, `group.min.session.timeout.ms` and
 * `group.max.session.timeout.ms` (log-anchor §5.2, §5.5), as camelCase broker options.
 */
import { ConfigInvalidError, type ConfigProblem } from '../topic-config.js'

export interface GroupCoordinatorConfig {
  /**
   * Partitions of `__consumer_offsets` when the coordinator creates it. Kafka's 50 spreads
   * coordinator load over brokers; one embedded node gains nothing from it, so 1. Only used at
   * creation: an existing topic keeps its count (a group's partition must never move).
   */
  readonly offsetsTopicPartitions: number
  /**
   * How long the first join phase of an Empty group waits for more members. Kafka's 3000 saves a
   * fleet of consumers starting one by one from a rebalance each; an embedded broker serves one
   * process whose consumers start within microseconds, so 0 (no wait).
   */
  readonly groupInitialRebalanceDelayMs: number
  /** Smallest accepted JoinGroup `sessionTimeoutMs` (Kafka 6000). */
  readonly groupMinSessionTimeoutMs: number
  /** Largest accepted JoinGroup `sessionTimeoutMs` (Kafka 1800000). */
  readonly groupMaxSessionTimeoutMs: number
}

export type GroupCoordinatorConfigInput = Partial<GroupCoordinatorConfig>

export const GROUP_COORDINATOR_DEFAULTS: Readonly<GroupCoordinatorConfig> = Object.freeze({
  offsetsTopicPartitions: 1,
  groupInitialRebalanceDelayMs: 0,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
})

const INT32_MAX = 0x7fff_ffff
/** Kafka caps a topic's partitions at this many in `MAX_PARTITIONS_PER_TOPIC` (broker-topics.ts). */
const MAX_OFFSETS_TOPIC_PARTITIONS = 10_000

const BOUNDS: Readonly<Record<keyof GroupCoordinatorConfig, readonly [number, number]>> = Object.freeze({
  offsetsTopicPartitions: [1, MAX_OFFSETS_TOPIC_PARTITIONS],
  groupInitialRebalanceDelayMs: [0, INT32_MAX],
  groupMinSessionTimeoutMs: [1, INT32_MAX],
  groupMaxSessionTimeoutMs: [1, INT32_MAX],
})

/**
 * Merges `input` over {@link GROUP_COORDINATOR_DEFAULTS} (`undefined` values ignored) and
 * validates everything at once.
 * @throws `CONFIG_INVALID` (a `ConfigInvalidError`) listing every unknown key, non-integer or
 *   out-of-range value, and a minimum session timeout above the maximum.
 */
export function resolveGroupCoordinatorConfig(input: GroupCoordinatorConfigInput = {}): GroupCoordinatorConfig {
  const problems: ConfigProblem[] = []
  const merged: Record<string, number> = { ...GROUP_COORDINATOR_DEFAULTS }
  for (const [key, value] of Object.entries(input) as [string, unknown][]) {
    if (value === undefined) continue
    const bounds = Object.hasOwn(BOUNDS, key) ? BOUNDS[key as keyof GroupCoordinatorConfig] : undefined
    if (bounds === undefined) {
      problems.push({ path: key, reason: 'unknown-key', message: `${key} is not a group coordinator option` })
    } else if (typeof value !== 'number' || !Number.isInteger(value)) {
      problems.push({ path: key, reason: 'not-integer', message: `${key} must be an integer` })
    } else if (value < bounds[0] || value > bounds[1]) {
      problems.push({ path: key, reason: 'out-of-range', message: `${key} must be in [${bounds[0]}, ${bounds[1]}]` })
    } else {
      merged[key] = value
    }
  }
  const config = merged as unknown as GroupCoordinatorConfig
  if (problems.length === 0 && config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    problems.push({
      path: 'groupMinSessionTimeoutMs',
      reason: 'conflict',
      message: 'groupMinSessionTimeoutMs must not exceed groupMaxSessionTimeoutMs',
    })
  }
  if (problems.length > 0) throw new ConfigInvalidError('group coordinator', problems)
  return Object.freeze(config)
}
