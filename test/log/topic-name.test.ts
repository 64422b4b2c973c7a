import { join, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MillraceError } from '../../src/log/errors.js'
import {
  MAX_TOPIC_NAME_LENGTH,
  isValidTopicName,
  parsePartitionDirName,
  partitionDirName,
  resolvePartitionDir,
  topicCollisionKey,
  validateTopicName,
} from '../../src/log/topic-name.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof MillraceError) return err.code
    throw err
  }
  return undefined
}

function errorOf(fn: () => unknown): MillraceError {
  try {
    fn()
  } catch (err) {
    if (err instanceof MillraceError) return err
    throw err
  }
  throw new Error('expected a MillraceError')
}

const VALID = [
  'a',
  'A',
  '0',
  'orders',
  'my.topic',
  'my_topic',
  'my-topic',
  '__consumer_offsets',
  '...',
  '..a',
  '.a',
  '-',
  '_',
  'a.b-c_D9',
  'a'.repeat(MAX_TOPIC_NAME_LENGTH),
]

const INVALID: Array<[label: string, name: string]> = [
  ['empty', ''],
  ['dot', '.'],
  ['dot dot', '..'],
  ['slash', '/'],
  ['nested path', 'a/b'],
  ['parent traversal', '../x'],
  ['backslash', 'a\\b'],
  ['percent-encoded dots', '%2e%2e'],
  ['250 characters', 'a'.repeat(MAX_TOPIC_NAME_LENGTH + 1)],
  ['space', 'my topic'],
  ['leading space', ' a'],
  ['tab', 'a\tb'],
  ['newline', 'a\n'],
  ['unicode letter', 'café'],
  ['emoji', 'topic🙂'],
  ['full-width dots', '．．'],
  ['NUL byte', 'a\u0000b'],
  ['colon', 'a:b'],
]

describe('validateTopicName', () => {
  it.each(VALID)('accepts %j', (name) => {
    expect(() => validateTopicName(name)).not.toThrow()
    expect(isValidTopicName(name)).toBe(true)
  })

  it.each(INVALID)('rejects a name with %s as LOG_INVALID_TOPIC', (_label, name) => {
    expect(isValidTopicName(name)).toBe(false)
    const err = errorOf(() => validateTopicName(name))
    expect(err.code).toBe('LOG_INVALID_TOPIC')
    expect(err.retriable).toBe(false)
    expect(err.details.topic).toBe(name.slice(0, MAX_TOPIC_NAME_LENGTH))
  })

  it('rejects a 10 MB name without copying it into the error', () => {
    const err = errorOf(() => validateTopicName('a'.repeat(10 * 1024 * 1024)))
    expect(err.code).toBe('LOG_INVALID_TOPIC')
    expect(String(err.details.topic).length).toBe(MAX_TOPIC_NAME_LENGTH)
    expect(err.message.length).toBeLessThan(400)
  })
})

describe('topicCollisionKey', () => {
  it('maps names that differ only by dot versus underscore to the same key', () => {
    expect(topicCollisionKey('a.b_c')).toBe(topicCollisionKey('a_b.c'))
    expect(topicCollisionKey('a.b')).not.toBe(topicCollisionKey('a-b'))
  })
})

describe('partitionDirName', () => {
  it('joins topic and partition with a dash', () => {
    expect(partitionDirName('orders', 0)).toBe('orders-0')
    expect(partitionDirName('my-topic', 12)).toBe('my-topic-12')
    expect(partitionDirName('a', 0x7fff_ffff)).toBe('a-2147483647')
  })

  it('rejects an invalid topic with LOG_INVALID_TOPIC', () => {
    expect(codeOf(() => partitionDirName('../x', 0))).toBe('LOG_INVALID_TOPIC')
    expect(codeOf(() => partitionDirName('..', 0))).toBe('LOG_INVALID_TOPIC')
  })

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 0x8000_0000])(
    'rejects partition %s with LOG_UNKNOWN_PARTITION',
    (partition) => {
      expect(codeOf(() => partitionDirName('orders', partition))).toBe('LOG_UNKNOWN_PARTITION')
    },
  )
})

describe('resolvePartitionDir', () => {
  const dataDir = resolve('/var/lib/millrace/data')

  it('returns the absolute directory one level below the data dir', () => {
    expect(resolvePartitionDir(dataDir, 'orders', 3)).toBe(join(dataDir, 'orders-3'))
  })

  it('resolves a relative data dir against the working directory', () => {
    expect(resolvePartitionDir('data', 'orders', 0)).toBe(resolve('data', 'orders-0'))
  })

  it('accepts dot-only names other than . and .. (they stay inside the data dir)', () => {
    expect(resolvePartitionDir(dataDir, '...', 0)).toBe(join(dataDir, '...-0'))
    expect(resolvePartitionDir(dataDir, '..a', 0)).toBe(join(dataDir, '..a-0'))
  })

  it('tolerates a trailing separator on the data dir', () => {
    expect(resolvePartitionDir(dataDir + sep, 'orders', 0)).toBe(join(dataDir, 'orders-0'))
  })

  it.each(['../x', '..', '.', 'a/b', '/etc', 'a\\..\\..\\b', ''])('rejects %j before touching a path', (topic) => {
    expect(codeOf(() => resolvePartitionDir(dataDir, topic, 0))).toBe('LOG_INVALID_TOPIC')
  })
})

describe('parsePartitionDirName', () => {
  it('splits at the last dash', () => {
    expect(parsePartitionDirName('orders-0')).toEqual({ topic: 'orders', partition: 0 })
    expect(parsePartitionDirName('my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 })
    expect(parsePartitionDirName('a--1')).toEqual({ topic: 'a-', partition: 1 })
    expect(parsePartitionDirName('...-7')).toEqual({ topic: '...', partition: 7 })
  })

  it('round-trips every name partitionDirName produces', () => {
    for (const topic of VALID) {
      for (const partition of [0, 1, 9, 10, 2147483647]) {
        expect(parsePartitionDirName(partitionDirName(topic, partition))).toEqual({ topic, partition })
      }
    }
  })

  it.each([
    'orders',
    'orders-',
    '-0',
    'orders-01',
    'orders-+1',
    'orders--1x',
    'orders-1.5',
    'orders-0.5d9a-delete',
    'orders-0-future',
    'orders-2147483648',
    '.-0',
    '..-0',
    'a b-0',
    `${'a'.repeat(MAX_TOPIC_NAME_LENGTH + 1)}-0`,
    'meta.json',
    '',
  ])('returns undefined for %j', (name) => {
    expect(parsePartitionDirName(name)).toBeUndefined()
  })
})
