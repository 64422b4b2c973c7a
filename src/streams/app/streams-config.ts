/**
 * The options of a `StreamsApp` (Kafka `StreamsConfig`, camelCase): an interface, its `…Input`,
 * frozen defaults and one resolver that reports every problem at once (STYLE.md).
 */
import { ConfigInvalidError, systemClock, type Clock, type ConfigProblem, type LogClient } from '../../log/index.js'
import {
  defaultWarningListener,
  type DeserializationExceptionHandler,
  type ProcessingExceptionHandler,
  type ProductionExceptionHandler,
  type WarningListener,
} from '../runtime/error-handlers.js'
import { resolveRocksDbResourcesConfig, type RocksDbResourcesConfigInput } from '../state/rocksdb/rocksdb-resources.js'

export type ProcessingGuarantee = 'at-least-once' | 'exactly-once'

/**
 * What happens when a task fails (Kafka's `StreamsUncaughtExceptionHandler`):
 * - `'shutdown-app'`: the instance stops (state `ERROR`, the error reaches `state$`);
 * - `'replace-task'`: the failed task is closed, its partitions rewound to their committed
 *   offsets and a new task started from there (the records since the last commit are processed
 *   again — at-least-once); after `maxTaskReplacements` in a row without a commit the app stops.
 */
export type UncaughtExceptionPolicy = 'shutdown-app' | 'replace-task'

export interface StreamsAppConfig {
  /** The consumer group and the prefix of internal topics: `[a-zA-Z0-9._-]+`. */
  readonly applicationId: string
  /** The log the app runs on: the embedded `Broker`, or any `LogClient`. The app does not own it. */
  readonly client: LogClient
  /**
   * Where stateful tasks keep their files: `<stateDir>/<applicationId>/<task>/`, each locked by the
   * instance running the task (`STREAMS_STATE_DIR_LOCKED` for a second one). Default `./millrace-state`.
   */
  readonly stateDir: string
  /**
   * How long a task's directory stays after this instance stopped running the task before it is
   * deleted (Kafka `state.cleanup.delay.ms`, default 600000): a task that comes back within that
   * time restores only what its store had not recorded. Never deleted while another instance holds it.
   */
  readonly stateCleanupDelayMs: number
  readonly processingGuarantee: ProcessingGuarantee
  /** How often progress is committed. Default 30000, or 100 with `'exactly-once'` (Kafka's defaults). */
  readonly commitIntervalMs: number
  /** See `StreamTask`: how long a task waits for an empty input partition before processing out of order (default 0). */
  readonly maxTaskIdleMs: number
  /** Longest wait of one poll for records (Kafka `poll.ms`, default 100). */
  readonly pollMs: number
  /** Records per poll (Kafka Streams' `max.poll.records` default 1000). */
  readonly maxPollRecords: number
  /** Producer batching delay (Kafka Streams' default `linger.ms` 100 would add latency here; default 5). */
  readonly lingerMs: number
  readonly deserializationExceptionHandler: DeserializationExceptionHandler
  readonly processingExceptionHandler: ProcessingExceptionHandler
  readonly productionExceptionHandler: ProductionExceptionHandler
  /** The topic `'dead-letter'` handlers write to (Kafka `errors.dead.letter.queue.topic.name`). */
  readonly deadLetterQueueTopic: string | undefined
  readonly uncaughtExceptionPolicy: UncaughtExceptionPolicy
  /** With `'replace-task'`: replacements of one task without a commit in between before the app stops (default 10). */
  readonly maxTaskReplacements: number
  /**
   * How often records of repartition topics that the app has committed past are deleted (Kafka
   * `repartition.purge.interval.ms`, default 30000): the topics keep no data by time, so without
   * the purge they would grow forever.
   */
  readonly repartitionPurgeIntervalMs: number
  /** The app's clock (commit interval, wall-clock punctuation); default the system clock. Pass the broker's manual clock in tests. */
  readonly clock: Clock
  /** Receives warnings (skipped records, task replacements). Default: `process.emitWarning`. */
  readonly onWarning: WarningListener
  /**
   * The native memory of the instance's RocksDB stores (block caches and memtables), shared by all
   * of them: `{ memoryBudgetBytes, maxOpenStores, blockCacheRatio }` (default 512 MiB over 16 stores).
   */
  readonly rocksDb: RocksDbResourcesConfigInput
  /** Names this instance's clients (default: `<applicationId>-<random>`). */
  readonly clientId: string | undefined
}

export type StreamsAppConfigInput = Partial<StreamsAppConfig> & Pick<StreamsAppConfig, 'applicationId' | 'client'>

export const STREAMS_APP_DEFAULTS = Object.freeze({
  stateDir: './millrace-state',
  stateCleanupDelayMs: 600_000,
  processingGuarantee: 'at-least-once' as ProcessingGuarantee,
  maxTaskIdleMs: 0,
  pollMs: 100,
  maxPollRecords: 1000,
  lingerMs: 5,
  deserializationExceptionHandler: 'fail' as DeserializationExceptionHandler,
  processingExceptionHandler: 'fail' as ProcessingExceptionHandler,
  productionExceptionHandler: 'fail' as ProductionExceptionHandler,
  deadLetterQueueTopic: undefined,
  uncaughtExceptionPolicy: 'shutdown-app' as UncaughtExceptionPolicy,
  maxTaskReplacements: 10,
  repartitionPurgeIntervalMs: 30_000,
  clock: systemClock,
  onWarning: defaultWarningListener,
  rocksDb: Object.freeze({}) as RocksDbResourcesConfigInput,
  clientId: undefined,
})

/** Kafka's commit interval defaults. */
const COMMIT_INTERVAL_MS = { 'at-least-once': 30_000, 'exactly-once': 100 } as const
const KNOWN = new Set([...Object.keys(STREAMS_APP_DEFAULTS), 'applicationId', 'client', 'commitIntervalMs'])
const NAME = /^[a-zA-Z0-9._-]+$/

/** @throws `CONFIG_INVALID` (a `ConfigInvalidError`) listing every problem by option name. */
export function resolveStreamsAppConfig(input: StreamsAppConfigInput): StreamsAppConfig {
  const problems: ConfigProblem[] = []
  const problem = (path: string, reason: ConfigProblem['reason'], message: string): void => void problems.push({ path, reason, message })
  if (input === null || typeof input !== 'object') throw new ConfigInvalidError('streams app', [{ path: '', reason: 'wrong-type', message: 'the config must be an object' }])
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) problem(key, 'unknown-key', `${key.slice(0, 64)} is not a streams app option`)
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))
  const c = { ...STREAMS_APP_DEFAULTS, ...defined } as Record<string, unknown>

  if (typeof c['applicationId'] !== 'string' || !NAME.test(c['applicationId']) || c['applicationId'].length > 200) {
    problem('applicationId', 'wrong-type', 'applicationId must be 1-200 characters of [a-zA-Z0-9._-]')
  }
  const client = c['client'] as Partial<LogClient> | undefined
  if (client === null || typeof client !== 'object' || typeof client.producer !== 'function' || typeof client.consumer !== 'function' || typeof client.admin !== 'function') {
    problem('client', 'wrong-type', 'client must be a LogClient (the embedded Broker, or a Kafka-protocol client)')
  }
  if (typeof c['stateDir'] !== 'string' || c['stateDir'].length === 0) problem('stateDir', 'wrong-type', 'stateDir must be a non-empty path')
  const guarantee = c['processingGuarantee']
  if (guarantee !== 'at-least-once' && guarantee !== 'exactly-once') problem('processingGuarantee', 'invalid-enum', "processingGuarantee must be 'at-least-once' or 'exactly-once'")
  c['commitIntervalMs'] ??= COMMIT_INTERVAL_MS[guarantee === 'exactly-once' ? 'exactly-once' : 'at-least-once']
  const integer = (name: string, min: number): void => {
    const v = c[name]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) problem(name, 'out-of-range', `${name} must be an integer ≥ ${min}`)
  }
  integer('commitIntervalMs', 1)
  integer('maxTaskIdleMs', 0)
  integer('pollMs', 1)
  integer('maxPollRecords', 1)
  integer('lingerMs', 0)
  integer('maxTaskReplacements', 1)
  integer('repartitionPurgeIntervalMs', 1)
  integer('stateCleanupDelayMs', 0)
  const handler = (name: string, allowed: readonly string[]): void => {
    const v = c[name]
    if (typeof v !== 'function' && !allowed.includes(v as string)) problem(name, 'invalid-enum', `${name} must be ${allowed.map((a) => `'${a}'`).join(', ')} or a function`)
  }
  handler('deserializationExceptionHandler', ['fail', 'continue', 'dead-letter'])
  handler('processingExceptionHandler', ['fail', 'continue'])
  handler('productionExceptionHandler', ['fail', 'continue'])
  const dlq = c['deadLetterQueueTopic']
  if (dlq !== undefined && (typeof dlq !== 'string' || dlq.length === 0)) problem('deadLetterQueueTopic', 'wrong-type', 'deadLetterQueueTopic must be a topic name')
  if (c['deserializationExceptionHandler'] === 'dead-letter' && dlq === undefined) {
    problem('deadLetterQueueTopic', 'conflict', "deserializationExceptionHandler 'dead-letter' needs deadLetterQueueTopic")
  }
  const policy = c['uncaughtExceptionPolicy']
  if (policy !== 'shutdown-app' && policy !== 'replace-task') problem('uncaughtExceptionPolicy', 'invalid-enum', "uncaughtExceptionPolicy must be 'shutdown-app' or 'replace-task'")
  const clock = c['clock'] as Partial<Clock> | undefined
  if (clock === null || typeof clock !== 'object' || typeof clock.nowMs !== 'function' || typeof clock.monotonicMs !== 'function') problem('clock', 'wrong-type', 'clock must be a Clock')
  if (typeof c['onWarning'] !== 'function') problem('onWarning', 'wrong-type', 'onWarning must be a function')
  try {
    resolveRocksDbResourcesConfig(c['rocksDb'] as RocksDbResourcesConfigInput)
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err
    for (const p of err.problems) problem(`rocksDb.${p.path}`, p.reason, p.message)
  }
  const clientId = c['clientId']
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0)) problem('clientId', 'wrong-type', 'clientId must be a non-empty string')

  if (problems.length > 0) throw new ConfigInvalidError('streams app', problems)
  return Object.freeze(c) as unknown as StreamsAppConfig
}
