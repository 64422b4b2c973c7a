/**
 * Configuration of a consumer: Kafka's consumer configs in camelCase with units in the names,
 * Kafka's defaults unless a comment says why not.
 */
import { ConfigInvalidError, type ConfigProblem } from '../../topic-config.js'
import { BUILT_IN_ASSIGNOR_NAMES } from '../assignors/index.js'
import type { BuiltInAssignorName, PartitionAssignor } from '../assignors/assignor.js'
import { FETCHER_DEFAULTS, checkInteger, type FetcherConfig } from './fetcher-config.js'

/** Kafka `auto.offset.reset`. */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none'

/** Kafka `isolation.level`. */
export type IsolationLevel = 'read_uncommitted' | 'read_committed'

export interface ConsumerConfig extends FetcherConfig {
  /** Kafka `group.id`: required for `subscribe` and commits; without it only `assign` works. */
  readonly groupId: string | undefined
  /** Kafka `group.instance.id`: makes the member static (KIP-345). */
  readonly groupInstanceId: string | undefined
  /** Kafka `client.id`: prefixes generated member ids; shown by describeGroups. Default `millrace-consumer`. */
  readonly clientId: string
  /** Where to start without a committed offset. Default `'latest'` (Kafka's default). */
  readonly autoOffsetReset: AutoOffsetReset
  /** Commit positions every `autoCommitIntervalMs` from inside `poll`, and on revoke/close. Default true. */
  readonly enableAutoCommit: boolean
  /** Default 5000. */
  readonly autoCommitIntervalMs: number
  /** The member is removed when no heartbeat arrives for this long. Default 45000 (Kafka ≥ 3.0). */
  readonly sessionTimeoutMs: number
  /** Default 3000; must be below `sessionTimeoutMs`. */
  readonly heartbeatIntervalMs: number
  /**
   * The longest gap between polls before the consumer leaves the group proactively (so a stuck
   * loop loses its partitions); also the rebalance timeout sent with JoinGroup. Default 300000.
   */
  readonly maxPollIntervalMs: number
  /**
   * Assignors in preference order, by built-in name or as objects (custom assignors). Default
   * `['range', 'cooperative-sticky']`, Kafka's default since 3.0: groups start with range and can
   * move to cooperative-sticky by rolling members.
   */
  readonly partitionAssignmentStrategy: ReadonlyArray<BuiltInAssignorName | PartitionAssignor>
  /** Default `'read_uncommitted'`. `'read_committed'` stops at the last stable offset. */
  readonly isolationLevel: IsolationLevel
}

export type ConsumerConfigInput = Partial<ConsumerConfig>

export const CONSUMER_DEFAULTS: ConsumerConfig = Object.freeze({
  ...FETCHER_DEFAULTS,
  groupId: undefined,
  groupInstanceId: undefined,
  clientId: 'millrace-consumer',
  autoOffsetReset: 'latest',
  enableAutoCommit: true,
  autoCommitIntervalMs: 5000,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3000,
  maxPollIntervalMs: 300_000,
  partitionAssignmentStrategy: Object.freeze(['range', 'cooperative-sticky'] as const),
  isolationLevel: 'read_uncommitted',
})

/** Kafka's limit for group ids matches its topic-name limit. */
export const MAX_GROUP_ID_LENGTH = 249
const INT32_MAX = 0x7fff_ffff

const INTEGER_BOUNDS = Object.freeze({
  maxPartitionFetchBytes: [1, INT32_MAX],
  fetchMaxBytes: [1, INT32_MAX],
  maxPollRecords: [1, INT32_MAX],
  autoCommitIntervalMs: [0, INT32_MAX],
  sessionTimeoutMs: [1, INT32_MAX],
  heartbeatIntervalMs: [1, INT32_MAX],
  maxPollIntervalMs: [1, INT32_MAX],
} as const satisfies Record<string, readonly [number, number]>)

const ENUMS = Object.freeze({
  autoOffsetReset: ['earliest', 'latest', 'none'],
  isolationLevel: ['read_uncommitted', 'read_committed'],
} as const)

/** The problem with a group id, or undefined for a valid one. */
export function groupIdProblem(path: string, groupId: unknown): ConfigProblem | undefined {
  if (typeof groupId !== 'string') return { path, reason: 'wrong-type', message: `${path} must be a string` }
  if (groupId.length === 0 || groupId.length > MAX_GROUP_ID_LENGTH) {
    return { path, reason: 'out-of-range', message: `${path} must have 1 to ${MAX_GROUP_ID_LENGTH} characters` }
  }
  return undefined
}

/**
 * Merges `input` over {@link CONSUMER_DEFAULTS} (`undefined` values are ignored) and validates
 * everything at once.
 * @throws `CONFIG_INVALID` (a `ConfigInvalidError`) listing by field every unknown key, wrong
 *   type, out-of-range value and conflict (`heartbeatIntervalMs` ≥ `sessionTimeoutMs`,
 *   `groupInstanceId` without `groupId`, an empty assignor list).
 */
export function resolveConsumerConfig(input: ConsumerConfigInput = {}): ConsumerConfig {
  const problems: ConfigProblem[] = []
  if (input === null || typeof input !== 'object') {
    throw new ConfigInvalidError('consumer', [{ path: '', reason: 'wrong-type', message: 'consumer config must be an object' }])
  }
  const merged: Record<string, unknown> = { ...CONSUMER_DEFAULTS }
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(CONSUMER_DEFAULTS, name)) {
      problems.push({ path: name, reason: 'unknown-key', message: `${name.slice(0, 64)} is not a consumer option` })
    } else if (value !== undefined) {
      merged[name] = value
    }
  }
  for (const [field, bounds] of Object.entries(INTEGER_BOUNDS)) {
    const problem = checkInteger(field, merged[field], bounds)
    if (problem !== undefined) problems.push(problem)
  }
  for (const field of ['checkCrcs', 'enableAutoCommit'] as const) {
    if (typeof merged[field] !== 'boolean') {
      problems.push({ path: field, reason: 'wrong-type', message: `${field} must be a boolean` })
    }
  }
  for (const [field, allowed] of Object.entries(ENUMS)) {
    if (!(allowed as readonly unknown[]).includes(merged[field])) {
      problems.push({ path: field, reason: 'invalid-enum', message: `${field} must be one of ${allowed.join(', ')}` })
    }
  }
  if (merged['groupId'] !== undefined) {
    const problem = groupIdProblem('groupId', merged['groupId'])
    if (problem !== undefined) problems.push(problem)
  }
  const instance = merged['groupInstanceId']
  if (instance !== undefined) {
    const problem = groupIdProblem('groupInstanceId', instance)
    if (problem !== undefined) problems.push(problem)
    else if (merged['groupId'] === undefined) {
      problems.push({ path: 'groupInstanceId', reason: 'conflict', message: 'groupInstanceId requires groupId' })
    }
  }
  if (typeof merged['clientId'] !== 'string' || merged['clientId'].length === 0) {
    problems.push({ path: 'clientId', reason: 'wrong-type', message: 'clientId must be a non-empty string' })
  }
  const hb = merged['heartbeatIntervalMs']
  const session = merged['sessionTimeoutMs']
  if (typeof hb === 'number' && typeof session === 'number' && hb >= session) {
    problems.push({ path: 'heartbeatIntervalMs', reason: 'conflict', message: 'heartbeatIntervalMs must be below sessionTimeoutMs' })
  }
  problems.push(...assignorProblems(merged['partitionAssignmentStrategy']))
  if (problems.length > 0) throw new ConfigInvalidError('consumer', problems)
  const strategy = merged['partitionAssignmentStrategy'] as ReadonlyArray<BuiltInAssignorName | PartitionAssignor>
  merged['partitionAssignmentStrategy'] = Object.freeze([...strategy])
  return Object.freeze(merged) as unknown as ConsumerConfig
}

function assignorProblems(value: unknown): ConfigProblem[] {
  const path = 'partitionAssignmentStrategy'
  if (!Array.isArray(value) || value.length === 0) {
    return [{ path, reason: 'wrong-type', message: `${path} must be a non-empty array` }]
  }
  const problems: ConfigProblem[] = []
  const names = new Set<string>()
  value.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`
    let name: string | undefined
    if (typeof entry === 'string') {
      if ((BUILT_IN_ASSIGNOR_NAMES as readonly string[]).includes(entry)) name = entry
      else problems.push({ path: at, reason: 'invalid-enum', message: `${at} must be one of ${BUILT_IN_ASSIGNOR_NAMES.join(', ')}` })
    } else if (isAssignor(entry)) {
      name = entry.name
    } else {
      problems.push({ path: at, reason: 'wrong-type', message: `${at} must be an assignor name or a PartitionAssignor` })
    }
    if (name !== undefined) {
      if (names.has(name)) problems.push({ path: at, reason: 'conflict', message: `${at} repeats assignor ${name}` })
      names.add(name)
    }
  })
  return problems
}

function isAssignor(value: unknown): value is PartitionAssignor {
  if (value === null || typeof value !== 'object') return false
  const candidate = value as Partial<PartitionAssignor>
  return (
    typeof candidate.name === 'string' &&
    candidate.name.length > 0 &&
    typeof candidate.assign === 'function' &&
    Array.isArray(candidate.supportedProtocols) &&
    candidate.supportedProtocols.length > 0
  )
}
