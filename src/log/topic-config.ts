import { MillraceError } from './errors.js'

/**
 * Per-topic configuration.
 *
 * Topic configs are data, not code, so at the edges (admin API, CLI, describe output, the Kafka
 * protocol) they keep Kafka's dotted names and string values (`retention.ms` = `"604800000"`).
 * Inside the log they are resolved once, by {@link resolveTopicConfig}, into the camelCase
 * {@link TopicConfig}, which is what the storage code reads.
 *
 * Defaults are Kafka's (`LogConfig.java`, `ServerLogConfigs.java`). `Long.MAX_VALUE` ("never") is
 * represented as `Number.MAX_SAFE_INTEGER`: offsets, sizes and times are `number` in memory, and
 * every value ≥ 2^53 − 1 means "never" in practice. Inputs between 2^53 − 1 and `Long.MAX_VALUE`
 * are therefore accepted and saturated; describe output prints the saturated value back as
 * `Long.MAX_VALUE`, as Kafka does, so a described config resolves to the same config.
 */

/** Which cleanup runs on a topic. At least one of the two is set. */
export interface CleanupPolicy {
  /** Whole segments are deleted by `retentionMs` / `retentionBytes`. */
  readonly delete: boolean
  /** The log keeps the latest record per key. */
  readonly compact: boolean
}

export type MessageTimestampType = 'CreateTime' | 'LogAppendTime'

/** A topic's resolved configuration. Immutable; produced by {@link resolveTopicConfig}. */
export interface TopicConfig {
  /** `cleanup.policy` */
  readonly cleanupPolicy: CleanupPolicy
  /** `retention.ms`; −1 = unlimited. */
  readonly retentionMs: number
  /** `retention.bytes` per partition; −1 = unlimited. */
  readonly retentionBytes: number
  /** `segment.bytes`: a segment is rolled before it would grow past this size. */
  readonly segmentBytes: number
  /** `segment.ms`: a segment is rolled once its first record is this old. */
  readonly segmentMs: number
  /** `segment.index.bytes`: maximum size of an offset or time index file. */
  readonly segmentIndexBytes: number
  /** `index.interval.bytes`: log bytes between two sparse index entries. */
  readonly indexIntervalBytes: number
  /** `max.message.bytes`: largest record batch accepted (after compression). */
  readonly maxMessageBytes: number
  /** `min.compaction.lag.ms`: records younger than this are never compacted. */
  readonly minCompactionLagMs: number
  /** `max.compaction.lag.ms`: a dirty record older than this makes the log eligible for compaction. */
  readonly maxCompactionLagMs: number
  /** `delete.retention.ms`: how long a compacted topic keeps tombstones. */
  readonly deleteRetentionMs: number
  /** `min.cleanable.dirty.ratio` in [0, 1]. */
  readonly minCleanableDirtyRatio: number
  /** `flush.messages`: fsync after this many unflushed messages (`MAX_SAFE_INTEGER` = never). */
  readonly flushMessages: number
  /** `flush.ms`: fsync when the last flush is this old (`MAX_SAFE_INTEGER` = never). */
  readonly flushMs: number
  /** `message.timestamp.type` */
  readonly messageTimestampType: MessageTimestampType
  /** `file.delete.delay.ms`: delay before a segment renamed `.deleted` is removed. */
  readonly fileDeleteDelayMs: number
}

/** A partial {@link TopicConfig}, e.g. broker-wide defaults passed as `base`. */
export type TopicConfigInput = Partial<TopicConfig>

/** Topic-level overrides by Kafka name. Values are strings as in Kafka; numbers are accepted too. */
export type TopicConfigOverrides = Readonly<Record<string, string | number>>

/** `Long.MAX_VALUE`, Kafka's "never", as it appears in configs and describe output. */
const LONG_MAX_VALUE = 9223372036854775807n
const INT_MAX_VALUE = 2147483647

/** Kafka's defaults (log-anchor §2.8). */
export const TOPIC_CONFIG_DEFAULTS: TopicConfig = Object.freeze({
  cleanupPolicy: Object.freeze({ delete: true, compact: false }),
  retentionMs: 604_800_000, // 7 days
  retentionBytes: -1,
  segmentBytes: 1_073_741_824, // 1 GiB
  segmentMs: 604_800_000, // 7 days
  segmentIndexBytes: 10_485_760, // 10 MiB
  indexIntervalBytes: 4096,
  maxMessageBytes: 1_048_588, // 1 MiB + 12 (batch log overhead)
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  deleteRetentionMs: 86_400_000, // 1 day
  minCleanableDirtyRatio: 0.5,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
  fileDeleteDelayMs: 60_000,
})

type NumericField = {
  [K in keyof TopicConfig]: TopicConfig[K] extends number ? K : never
}[keyof TopicConfig]

/**
 * One supported config. `integer` ranges are Kafka's validators, with relaxed minimums where
 * noted so tests can use tiny segments. `int32` marks configs that are Java `int` in Kafka.
 */
type ConfigSpec =
  | { kind: 'integer'; field: NumericField; min: number; int32?: boolean }
  | { kind: 'ratio'; field: 'minCleanableDirtyRatio' }
  | { kind: 'cleanupPolicy'; field: 'cleanupPolicy' }
  | { kind: 'timestampType'; field: 'messageTimestampType' }

/** Supported configs by Kafka name, in describe order (alphabetical, as Kafka prints them). */
const SPECS: ReadonlyMap<string, ConfigSpec> = new Map<string, ConfigSpec>([
  ['cleanup.policy', { kind: 'cleanupPolicy', field: 'cleanupPolicy' }],
  ['delete.retention.ms', { kind: 'integer', field: 'deleteRetentionMs', min: 0 }],
  ['file.delete.delay.ms', { kind: 'integer', field: 'fileDeleteDelayMs', min: 0 }],
  ['flush.messages', { kind: 'integer', field: 'flushMessages', min: 1 }],
  ['flush.ms', { kind: 'integer', field: 'flushMs', min: 0 }],
  // Kafka: atLeast(0); the unit is bytes of log between entries.
  ['index.interval.bytes', { kind: 'integer', field: 'indexIntervalBytes', min: 0, int32: true }],
  ['max.compaction.lag.ms', { kind: 'integer', field: 'maxCompactionLagMs', min: 1 }],
  ['max.message.bytes', { kind: 'integer', field: 'maxMessageBytes', min: 0, int32: true }],
  ['message.timestamp.type', { kind: 'timestampType', field: 'messageTimestampType' }],
  ['min.cleanable.dirty.ratio', { kind: 'ratio', field: 'minCleanableDirtyRatio' }],
  ['min.compaction.lag.ms', { kind: 'integer', field: 'minCompactionLagMs', min: 0 }],
  ['retention.bytes', { kind: 'integer', field: 'retentionBytes', min: -1 }],
  ['retention.ms', { kind: 'integer', field: 'retentionMs', min: -1 }],
  // Kafka: atLeast(1 MiB); relaxed to fit one small batch so tests can roll segments cheaply.
  ['segment.bytes', { kind: 'integer', field: 'segmentBytes', min: 128, int32: true }],
  // Kafka: atLeast(4); relaxed the other way to one (offset, position) entry of 8 bytes.
  ['segment.index.bytes', { kind: 'integer', field: 'segmentIndexBytes', min: 8, int32: true }],
  ['segment.ms', { kind: 'integer', field: 'segmentMs', min: 1 }],
])

/** The Kafka names of every supported topic config, sorted. */
export const TOPIC_CONFIG_NAMES: readonly string[] = Object.freeze([...SPECS.keys()])

/** The Kafka name of each {@link TopicConfig} field. */
const KAFKA_NAME_BY_FIELD: ReadonlyMap<keyof TopicConfig, string> = new Map(
  [...SPECS].map(([name, spec]) => [spec.field, name] as const),
)

export type ConfigProblemReason =
  | 'unknown-key'
  | 'not-integer'
  | 'not-number'
  | 'out-of-range'
  | 'invalid-enum'
  | 'wrong-type'
  | 'conflict'

/** One problem found by a `resolve…Config()`. */
export interface ConfigProblem {
  /** Where: the Kafka name for overrides (`segment.bytes`), the field name for `base` (`segmentBytes`). */
  readonly path: string
  readonly reason: ConfigProblemReason
  /** Human-readable; names the path and the rule, not a payload. */
  readonly message: string
}

/**
 * `CONFIG_INVALID` listing every problem. `details` maps each offending path to its reason;
 * `problems` holds the same list in detection order with messages.
 */
export class ConfigInvalidError extends MillraceError<'CONFIG_INVALID'> {
  readonly problems: readonly ConfigProblem[]

  constructor(configName: string, problems: readonly ConfigProblem[]) {
    const details: Record<string, string> = {}
    for (const p of problems) {
      // defineProperty, not assignment: an unknown key may be `__proto__`.
      Object.defineProperty(details, p.path, { value: p.reason, enumerable: true, writable: true, configurable: true })
    }
    const summary = problems.map((p) => p.message).join('; ')
    super('CONFIG_INVALID', `invalid ${configName} config (${problems.length} problem(s)): ${summary}`, { details })
    this.problems = Object.freeze([...problems])
  }
}

/** Names and values are shown truncated: an unknown key may be arbitrarily long. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return text.length > 64 ? `${text.slice(0, 61)}...` : text
}

const INTEGER_TEXT = /^[+-]?[0-9]+$/
const LONG_MIN_VALUE = -9223372036854775808n

/**
 * Parses an integer config value like Java's `Long.parseLong(value.trim())`. Values beyond ±(2^53 − 1)
 * but within a Java long are saturated to `±MAX_SAFE_INTEGER` (see the module comment; no
 * supported config accepts values below −1, so the negative side only has to fail its range
 * check). A JS number is accepted up to 2^63 so that `Number(Long.MAX_VALUE)` works.
 */
function parseInteger(value: string | number): number | 'not-integer' | 'out-of-long-range' {
  let big: bigint
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'not-integer'
    if (Number.isSafeInteger(value)) return value
    big = BigInt(value)
    if (big === LONG_MAX_VALUE + 1n) big = LONG_MAX_VALUE // the double nearest to Long.MAX_VALUE
  } else {
    const text = value.trim()
    if (!INTEGER_TEXT.test(text)) return 'not-integer'
    big = BigInt(text)
  }
  if (big > LONG_MAX_VALUE || big < LONG_MIN_VALUE) return 'out-of-long-range'
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER
  if (big < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER
  return Number(big)
}

const DECIMAL_TEXT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/

function parseRatio(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  const text = value.trim()
  return DECIMAL_TEXT.test(text) ? Number(text) : undefined
}

function parseCleanupPolicy(value: string | number): CleanupPolicy | undefined {
  if (typeof value !== 'string') return undefined
  // Kafka's list type splits on commas and trims the items.
  const items = value.split(',').map((item) => item.trim())
  const isDelete = items.includes('delete')
  const isCompact = items.includes('compact')
  const isKnownList =
    (items.length === 1 && (isDelete || isCompact)) || (items.length === 2 && isDelete && isCompact)
  return isKnownList ? Object.freeze({ delete: isDelete, compact: isCompact }) : undefined
}

function formatCleanupPolicy(policy: CleanupPolicy): string {
  return [policy.compact ? 'compact' : undefined, policy.delete ? 'delete' : undefined]
    .filter((item) => item !== undefined)
    .join(',')
}

type MutableTopicConfig = { -readonly [K in keyof TopicConfig]: TopicConfig[K] }

/** Checks a numeric value against its spec; shared by overrides (after parsing) and `base`. */
function integerProblem(spec: Extract<ConfigSpec, { kind: 'integer' }>, value: number): string | undefined {
  if (value < spec.min) return `must be at least ${spec.min}`
  if (spec.int32 === true && value > INT_MAX_VALUE) return `must be at most ${INT_MAX_VALUE}`
  return undefined
}

function applyOverride(
  name: string,
  spec: ConfigSpec,
  raw: unknown,
  into: MutableTopicConfig,
  problems: ConfigProblem[],
): void {
  const fail = (reason: ConfigProblemReason, rule: string): void => {
    problems.push({ path: name, reason, message: `${name}=${show(raw)} ${rule}` })
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    fail('wrong-type', 'must be a string or a number')
    return
  }
  switch (spec.kind) {
    case 'integer': {
      const parsed = parseInteger(raw)
      if (parsed === 'not-integer') return fail('not-integer', 'is not an integer')
      if (parsed === 'out-of-long-range') return fail('out-of-range', 'is out of the range of a long')
      const rule = integerProblem(spec, parsed)
      if (rule !== undefined) return fail('out-of-range', rule)
      into[spec.field] = parsed
      return
    }
    case 'ratio': {
      const parsed = parseRatio(raw)
      if (parsed === undefined) return fail('not-number', 'is not a number')
      if (parsed < 0 || parsed > 1) return fail('out-of-range', 'must be in [0, 1]')
      into.minCleanableDirtyRatio = parsed
      return
    }
    case 'cleanupPolicy': {
      const parsed = parseCleanupPolicy(raw)
      if (parsed === undefined) return fail('invalid-enum', 'must be delete, compact or compact,delete')
      into.cleanupPolicy = parsed
      return
    }
    case 'timestampType': {
      // Kafka trims string values; the comparison itself is case-sensitive, as in Kafka.
      const text = typeof raw === 'string' ? raw.trim() : raw
      if (text !== 'CreateTime' && text !== 'LogAppendTime') {
        return fail('invalid-enum', 'must be CreateTime or LogAppendTime')
      }
      into.messageTimestampType = text
      return
    }
  }
}

function applyBaseField(
  field: string,
  value: unknown,
  into: MutableTopicConfig,
  problems: ConfigProblem[],
): void {
  const fail = (reason: ConfigProblemReason, rule: string): void => {
    problems.push({ path: field, reason, message: `${field}=${show(value)} ${rule}` })
  }
  const kafkaName = KAFKA_NAME_BY_FIELD.get(field as keyof TopicConfig)
  const spec = kafkaName === undefined ? undefined : SPECS.get(kafkaName)
  if (spec === undefined) return fail('unknown-key', 'is not a topic config field')
  if (value === undefined) return
  switch (spec.kind) {
    case 'integer': {
      if (typeof value !== 'number') return fail('wrong-type', 'must be a number')
      if (!Number.isSafeInteger(value)) return fail('not-integer', 'is not a safe integer')
      const rule = integerProblem(spec, value)
      if (rule !== undefined) return fail('out-of-range', rule)
      into[spec.field] = value
      return
    }
    case 'ratio': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('not-number', 'is not a number')
      if (value < 0 || value > 1) return fail('out-of-range', 'must be in [0, 1]')
      into.minCleanableDirtyRatio = value
      return
    }
    case 'cleanupPolicy': {
      const policy = value as Partial<CleanupPolicy> | null
      if (
        typeof policy !== 'object' ||
        policy === null ||
        typeof policy.delete !== 'boolean' ||
        typeof policy.compact !== 'boolean'
      ) {
        return fail('wrong-type', 'must be { delete: boolean, compact: boolean }')
      }
      if (!policy.delete && !policy.compact) return fail('invalid-enum', 'must enable delete, compact or both')
      into.cleanupPolicy = Object.freeze({ delete: policy.delete, compact: policy.compact })
      return
    }
    case 'timestampType': {
      if (value !== 'CreateTime' && value !== 'LogAppendTime') {
        return fail('invalid-enum', 'must be CreateTime or LogAppendTime')
      }
      into.messageTimestampType = value
      return
    }
  }
}

/**
 * Resolves a topic's configuration: {@link TOPIC_CONFIG_DEFAULTS}, then `base` (e.g. broker-wide
 * defaults, camelCase), then `overrides` (the topic's own configs, Kafka names). Validates
 * everything before failing, so one error lists every problem.
 *
 * Neither argument is modified or retained; the result is frozen.
 *
 * @throws ConfigInvalidError (`CONFIG_INVALID`) listing, by path, every unknown key, non-integer,
 *   non-number, out-of-range value, bad enum value, and `min.compaction.lag.ms` >
 *   `max.compaction.lag.ms`.
 */
export function resolveTopicConfig(overrides: TopicConfigOverrides, base: TopicConfigInput = {}): TopicConfig {
  const problems: ConfigProblem[] = []
  const config: MutableTopicConfig = { ...TOPIC_CONFIG_DEFAULTS }

  for (const field of Object.keys(base)) {
    applyBaseField(field, (base as Record<string, unknown>)[field], config, problems)
  }
  for (const name of Object.keys(overrides)) {
    const spec = SPECS.get(name)
    if (spec === undefined) {
      problems.push({ path: name, reason: 'unknown-key', message: `${show(name)} is not a supported topic config` })
      continue
    }
    applyOverride(name, spec, overrides[name], config, problems)
  }

  // Kafka's LogConfig.validateValues: the two lags bound one interval.
  if (config.minCompactionLagMs > config.maxCompactionLagMs) {
    problems.push({
      path: 'min.compaction.lag.ms',
      reason: 'conflict',
      message: `min.compaction.lag.ms=${config.minCompactionLagMs} exceeds max.compaction.lag.ms=${config.maxCompactionLagMs}`,
    })
  }

  if (problems.length > 0) throw new ConfigInvalidError('topic', problems)
  return Object.freeze(config)
}

/** One line of `describe` output, in Kafka's terms. */
export interface TopicConfigEntry {
  /** Kafka name, e.g. `retention.ms`. */
  readonly name: string
  /** Kafka's string form; "never" prints as `Long.MAX_VALUE`. */
  readonly value: string
  /** True when the topic does not override it and the value is Kafka's default. */
  readonly isDefault: boolean
}

function formatValue(config: TopicConfig, spec: ConfigSpec): string {
  switch (spec.kind) {
    case 'integer': {
      const value = config[spec.field]
      return value === Number.MAX_SAFE_INTEGER ? LONG_MAX_VALUE.toString() : String(value)
    }
    case 'ratio':
      return String(config.minCleanableDirtyRatio)
    case 'cleanupPolicy':
      return formatCleanupPolicy(config.cleanupPolicy)
    case 'timestampType':
      return config.messageTimestampType
  }
}

/**
 * Every supported config of a resolved topic, by Kafka name, sorted by name, for describe output.
 * `overrides` are the topic's own configs (as given to {@link resolveTopicConfig}); an entry is
 * default only when it is not overridden and equals {@link TOPIC_CONFIG_DEFAULTS} (a broker-wide
 * `base` value is therefore not default, as in Kafka).
 */
export function describeTopicConfig(config: TopicConfig, overrides: TopicConfigOverrides): TopicConfigEntry[] {
  return [...SPECS].map(([name, spec]) => {
    const value = formatValue(config, spec)
    const isOverridden = Object.prototype.hasOwnProperty.call(overrides, name)
    return { name, value, isDefault: !isOverridden && value === formatValue(TOPIC_CONFIG_DEFAULTS, spec) }
  })
}
