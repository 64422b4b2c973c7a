import { describe, expect, it } from 'vitest'
import { MillraceError } from '../../src/log/errors.js'
import {
  ConfigInvalidError,
  TOPIC_CONFIG_DEFAULTS,
  TOPIC_CONFIG_NAMES,
  describeTopicConfig,
  resolveTopicConfig,
  type TopicConfigInput,
  type TopicConfigOverrides,
} from '../../src/log/topic-config.js'

/** Resolves and returns the `CONFIG_INVALID` error, or fails the test. */
function problemsOf(overrides: TopicConfigOverrides, base?: TopicConfigInput): ConfigInvalidError {
  try {
    resolveTopicConfig(overrides, base)
  } catch (err) {
    expect(err).toBeInstanceOf(MillraceError)
    expect(err).toBeInstanceOf(ConfigInvalidError)
    const e = err as ConfigInvalidError
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.retriable).toBe(false)
    return e
  }
  throw new Error('expected CONFIG_INVALID')
}

function pathsOf(overrides: TopicConfigOverrides, base?: TopicConfigInput): string[] {
  return problemsOf(overrides, base)
    .problems.map((p) => p.path)
    .sort()
}

const LONG_MAX = '9223372036854775807'

describe('TOPIC_CONFIG_DEFAULTS', () => {
  it("are Kafka's defaults", () => {
    expect(TOPIC_CONFIG_DEFAULTS).toEqual({
      cleanupPolicy: { delete: true, compact: false },
      retentionMs: 604800000,
      retentionBytes: -1,
      segmentBytes: 1073741824,
      segmentMs: 604800000,
      segmentIndexBytes: 10485760,
      indexIntervalBytes: 4096,
      maxMessageBytes: 1048588,
      minCompactionLagMs: 0,
      maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
      deleteRetentionMs: 86400000,
      minCleanableDirtyRatio: 0.5,
      flushMessages: Number.MAX_SAFE_INTEGER,
      flushMs: Number.MAX_SAFE_INTEGER,
      messageTimestampType: 'CreateTime',
      fileDeleteDelayMs: 60000,
    })
  })

  it('are deeply frozen', () => {
    expect(Object.isFrozen(TOPIC_CONFIG_DEFAULTS)).toBe(true)
    expect(Object.isFrozen(TOPIC_CONFIG_DEFAULTS.cleanupPolicy)).toBe(true)
  })
})

describe('TOPIC_CONFIG_NAMES', () => {
  it('lists every supported Kafka name once, sorted', () => {
    expect(TOPIC_CONFIG_NAMES).toEqual([
      'cleanup.policy',
      'delete.retention.ms',
      'file.delete.delay.ms',
      'flush.messages',
      'flush.ms',
      'index.interval.bytes',
      'max.compaction.lag.ms',
      'max.message.bytes',
      'message.timestamp.type',
      'min.cleanable.dirty.ratio',
      'min.compaction.lag.ms',
      'retention.bytes',
      'retention.ms',
      'segment.bytes',
      'segment.index.bytes',
      'segment.ms',
    ])
  })
})

describe('resolveTopicConfig', () => {
  it('returns the defaults, frozen, when nothing is overridden', () => {
    const config = resolveTopicConfig({})
    expect(config).toEqual(TOPIC_CONFIG_DEFAULTS)
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('parses string values by Kafka name into camelCase fields', () => {
    const config = resolveTopicConfig({
      'cleanup.policy': 'compact',
      'retention.ms': '-1',
      'retention.bytes': '1048576',
      'segment.bytes': '128',
      'segment.ms': '1',
      'segment.index.bytes': '8',
      'index.interval.bytes': '0',
      'max.message.bytes': '0',
      'min.compaction.lag.ms': '100',
      'max.compaction.lag.ms': '200',
      'delete.retention.ms': '0',
      'min.cleanable.dirty.ratio': '0.25',
      'flush.messages': '1',
      'flush.ms': '0',
      'message.timestamp.type': 'LogAppendTime',
      'file.delete.delay.ms': '0',
    })
    expect(config).toEqual({
      cleanupPolicy: { delete: false, compact: true },
      retentionMs: -1,
      retentionBytes: 1048576,
      segmentBytes: 128,
      segmentMs: 1,
      segmentIndexBytes: 8,
      indexIntervalBytes: 0,
      maxMessageBytes: 0,
      minCompactionLagMs: 100,
      maxCompactionLagMs: 200,
      deleteRetentionMs: 0,
      minCleanableDirtyRatio: 0.25,
      flushMessages: 1,
      flushMs: 0,
      messageTimestampType: 'LogAppendTime',
      fileDeleteDelayMs: 0,
    })
  })

  it('accepts numbers as values', () => {
    const config = resolveTopicConfig({ 'segment.bytes': 4096, 'min.cleanable.dirty.ratio': 1, 'retention.ms': -1 })
    expect(config.segmentBytes).toBe(4096)
    expect(config.minCleanableDirtyRatio).toBe(1)
    expect(config.retentionMs).toBe(-1)
  })

  it('trims values as Kafka does', () => {
    const config = resolveTopicConfig({
      'segment.bytes': ' 4096 ',
      'cleanup.policy': 'delete , compact',
      'message.timestamp.type': ' LogAppendTime',
    })
    expect(config.segmentBytes).toBe(4096)
    expect(config.cleanupPolicy).toEqual({ delete: true, compact: true })
    expect(config.messageTimestampType).toBe('LogAppendTime')
  })

  it.each([
    ['delete', { delete: true, compact: false }],
    ['compact', { delete: false, compact: true }],
    ['compact,delete', { delete: true, compact: true }],
    ['delete,compact', { delete: true, compact: true }],
  ])('accepts cleanup.policy=%s', (value, expected) => {
    expect(resolveTopicConfig({ 'cleanup.policy': value }).cleanupPolicy).toEqual(expected)
  })

  it('saturates Long.MAX_VALUE ("never") to MAX_SAFE_INTEGER', () => {
    const config = resolveTopicConfig({ 'flush.ms': LONG_MAX, 'flush.messages': Number(LONG_MAX) })
    expect(config.flushMs).toBe(Number.MAX_SAFE_INTEGER)
    expect(config.flushMessages).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('accepts the relaxed minimums and the int32 maximum', () => {
    const config = resolveTopicConfig({ 'segment.bytes': '128', 'max.message.bytes': '2147483647' })
    expect(config.segmentBytes).toBe(128)
    expect(config.maxMessageBytes).toBe(2147483647)
  })

  it('layers overrides over base over defaults', () => {
    const config = resolveTopicConfig(
      { 'retention.ms': '1000' },
      { retentionMs: 5, segmentBytes: 1024, cleanupPolicy: { delete: false, compact: true } },
    )
    expect(config.retentionMs).toBe(1000)
    expect(config.segmentBytes).toBe(1024)
    expect(config.cleanupPolicy).toEqual({ delete: false, compact: true })
    expect(config.segmentMs).toBe(TOPIC_CONFIG_DEFAULTS.segmentMs)
  })

  it('does not modify or retain its inputs', () => {
    const overrides = { 'segment.bytes': '1024' }
    const base = { cleanupPolicy: { delete: true, compact: true } }
    const config = resolveTopicConfig(overrides, base)
    base.cleanupPolicy.compact = false
    expect(config.cleanupPolicy.compact).toBe(true)
    expect(overrides).toEqual({ 'segment.bytes': '1024' })
  })

  it('lists every problem at once, by path', () => {
    const err = problemsOf({
      'segment.bytes': '127',
      'retention.ms': 'soon',
      'retention.bytes': '-2',
      'cleanup.policy': 'archive',
      'message.timestamp.type': 'createtime',
      'min.cleanable.dirty.ratio': '1.5',
      'flush.messages': '0',
      'no.such.config': '1',
      'segment.bytes.typo': '1',
    })
    expect(err.problems.map((p) => p.path).sort()).toEqual([
      'cleanup.policy',
      'flush.messages',
      'message.timestamp.type',
      'min.cleanable.dirty.ratio',
      'no.such.config',
      'retention.bytes',
      'retention.ms',
      'segment.bytes',
      'segment.bytes.typo',
    ])
    expect(err.details).toEqual({
      'segment.bytes': 'out-of-range',
      'retention.ms': 'not-integer',
      'retention.bytes': 'out-of-range',
      'cleanup.policy': 'invalid-enum',
      'message.timestamp.type': 'invalid-enum',
      'min.cleanable.dirty.ratio': 'out-of-range',
      'flush.messages': 'out-of-range',
      'no.such.config': 'unknown-key',
      'segment.bytes.typo': 'unknown-key',
    })
  })

  it.each<[string, string | number]>([
    ['segment.bytes', '127'],
    ['segment.bytes', '2147483648'],
    ['segment.ms', '0'],
    ['retention.ms', '-2'],
    ['retention.bytes', '-2'],
    ['max.message.bytes', '-1'],
    ['max.message.bytes', '2147483648'],
    ['index.interval.bytes', '-1'],
    ['segment.index.bytes', '7'],
    ['min.compaction.lag.ms', '-1'],
    ['max.compaction.lag.ms', '0'],
    ['delete.retention.ms', '-1'],
    ['flush.messages', '0'],
    ['flush.ms', '-1'],
    ['file.delete.delay.ms', '-1'],
    ['min.cleanable.dirty.ratio', '-0.1'],
    ['min.cleanable.dirty.ratio', 1.01],
    ['flush.ms', '9223372036854775808'],
    ['flush.ms', '-9223372036854775809'],
    ['retention.ms', '-9007199254740993'],
  ])('rejects %s=%j as out-of-range', (name, value) => {
    const err = problemsOf({ [name]: value })
    expect(err.problems.map((p) => [p.path, p.reason])).toEqual([[name, 'out-of-range']])
  })

  it.each<[string, string | number]>([
    ['segment.bytes', ''],
    ['segment.bytes', '1.5'],
    ['segment.bytes', 1024.5],
    ['segment.bytes', '1e6'],
    ['segment.bytes', '0x400'],
    ['segment.bytes', '1 024'],
    ['retention.ms', 'forever'],
    ['retention.ms', Number.NaN],
    ['retention.ms', Number.POSITIVE_INFINITY],
  ])('rejects %s=%j as not-integer', (name, value) => {
    const err = problemsOf({ [name]: value })
    expect(err.problems.map((p) => [p.path, p.reason])).toEqual([[name, 'not-integer']])
  })

  it.each<[string, string | number]>([
    ['min.cleanable.dirty.ratio', ''],
    ['min.cleanable.dirty.ratio', 'half'],
    ['min.cleanable.dirty.ratio', 'NaN'],
    ['min.cleanable.dirty.ratio', Number.NaN],
  ])('rejects %s=%j as not-number', (name, value) => {
    const err = problemsOf({ [name]: value })
    expect(err.problems.map((p) => [p.path, p.reason])).toEqual([[name, 'not-number']])
  })

  it.each<[string, string | number]>([
    ['cleanup.policy', ''],
    ['cleanup.policy', 'Delete'],
    ['cleanup.policy', 'delete,delete'],
    ['cleanup.policy', 'compact,delete,compact'],
    ['cleanup.policy', 'delete,'],
    ['cleanup.policy', 1],
    ['message.timestamp.type', 'createtime'],
    ['message.timestamp.type', ''],
    ['message.timestamp.type', 0],
  ])('rejects %s=%j as invalid-enum', (name, value) => {
    const err = problemsOf({ [name]: value })
    expect(err.problems.map((p) => [p.path, p.reason])).toEqual([[name, 'invalid-enum']])
  })

  it('rejects unknown keys, including ones that look like Object.prototype members', () => {
    const overrides: Record<string, string> = JSON.parse('{"__proto__":"1","constructor":"1","retention.MS":"1"}')
    expect(pathsOf(overrides)).toEqual(['__proto__', 'constructor', 'retention.MS'])
    const err = problemsOf(overrides)
    expect(Object.keys(err.details).sort()).toEqual(['__proto__', 'constructor', 'retention.MS'])
    expect(err.problems.every((p) => p.reason === 'unknown-key')).toBe(true)
  })

  it('rejects values of the wrong type from untyped callers', () => {
    const overrides = { 'segment.bytes': null, 'retention.ms': true } as unknown as TopicConfigOverrides
    const err = problemsOf(overrides)
    expect(err.problems.map((p) => [p.path, p.reason]).sort()).toEqual([
      ['retention.ms', 'wrong-type'],
      ['segment.bytes', 'wrong-type'],
    ])
  })

  it('rejects min.compaction.lag.ms greater than max.compaction.lag.ms', () => {
    const err = problemsOf({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' })
    expect(err.problems.map((p) => [p.path, p.reason])).toEqual([['min.compaction.lag.ms', 'conflict']])
  })

  it('validates base fields by field name, together with the overrides', () => {
    const base = {
      segmentBytes: 1,
      retentionMs: 1.5,
      minCleanableDirtyRatio: 2,
      cleanupPolicy: { delete: false, compact: false },
      messageTimestampType: 'Now',
      bogusField: 1,
    } as unknown as TopicConfigInput
    const err = problemsOf({ 'segment.ms': '0' }, base)
    expect(err.problems.map((p) => [p.path, p.reason]).sort()).toEqual([
      ['bogusField', 'unknown-key'],
      ['cleanupPolicy', 'invalid-enum'],
      ['messageTimestampType', 'invalid-enum'],
      ['minCleanableDirtyRatio', 'out-of-range'],
      ['retentionMs', 'not-integer'],
      ['segment.ms', 'out-of-range'],
      ['segmentBytes', 'out-of-range'],
    ])
  })

  it('ignores base fields that are explicitly undefined', () => {
    expect(resolveTopicConfig({}, { segmentBytes: undefined })).toEqual(TOPIC_CONFIG_DEFAULTS)
  })

  it('keeps a very long unknown key out of the message but in the problem path', () => {
    const key = 'x'.repeat(10_000)
    const err = problemsOf({ [key]: '1' })
    expect(err.problems[0]?.path).toBe(key)
    expect(err.message.length).toBeLessThan(300)
  })
})

describe('describeTopicConfig', () => {
  it('describes every supported config by Kafka name, all default for a plain topic', () => {
    const entries = describeTopicConfig(resolveTopicConfig({}), {})
    expect(entries.map((e) => e.name)).toEqual(TOPIC_CONFIG_NAMES)
    expect(entries.every((e) => e.isDefault)).toBe(true)
    const byName = new Map(entries.map((e) => [e.name, e.value]))
    expect(byName.get('cleanup.policy')).toBe('delete')
    expect(byName.get('retention.ms')).toBe('604800000')
    expect(byName.get('flush.ms')).toBe(LONG_MAX)
    expect(byName.get('flush.messages')).toBe(LONG_MAX)
    expect(byName.get('max.compaction.lag.ms')).toBe(LONG_MAX)
    expect(byName.get('min.cleanable.dirty.ratio')).toBe('0.5')
    expect(byName.get('message.timestamp.type')).toBe('CreateTime')
  })

  it('marks overrides as not default, even when they equal the default', () => {
    const overrides = { 'cleanup.policy': 'delete,compact', 'retention.ms': '604800000' }
    const entries = describeTopicConfig(resolveTopicConfig(overrides), overrides)
    const byName = new Map(entries.map((e) => [e.name, e]))
    expect(byName.get('cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'compact,delete', isDefault: false })
    expect(byName.get('retention.ms')).toEqual({ name: 'retention.ms', value: '604800000', isDefault: false })
    expect(byName.get('segment.bytes')?.isDefault).toBe(true)
  })

  it('marks values changed by base as not default', () => {
    const entries = describeTopicConfig(resolveTopicConfig({}, { segmentBytes: 1024 }), {})
    expect(entries.find((e) => e.name === 'segment.bytes')).toEqual({
      name: 'segment.bytes',
      value: '1024',
      isDefault: false,
    })
  })

  it('round-trips: resolving the described values gives the same config', () => {
    const original = resolveTopicConfig({
      'cleanup.policy': 'compact,delete',
      'segment.bytes': '1024',
      'min.cleanable.dirty.ratio': '0.1',
      'message.timestamp.type': 'LogAppendTime',
    })
    const described = Object.fromEntries(describeTopicConfig(original, {}).map((e) => [e.name, e.value]))
    expect(resolveTopicConfig(described)).toEqual(original)
  })
})
