import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_PARTITIONER_DEFAULTS,
  createDefaultPartitioner,
  resolveDefaultPartitionerConfig,
  type DefaultPartitioner,
} from '../../../../src/log/client/partitioner/default-partitioner.js'
import type { PartitionerInput } from '../../../../src/log/client/partitioner/partitioner.js'
import { isMillraceError } from '../../../../src/log/errors.js'

const require = createRequire(import.meta.url)
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Deterministic [0, 1) source (mulberry32), so sticky choices are reproducible. */
function seededRandom(seed: number): () => number {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function nullKey(topic: string, partitionCount: number): PartitionerInput {
  return { topic, key: null, value: utf8('v'), partitionCount }
}

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(isMillraceError(thrown, code)).toBe(true)
}

describe('default partitioner, keyed records', () => {
  const partitioner = createDefaultPartitioner({ random: seededRandom(1) })
  const keyed = (key: string, partitionCount: number): number =>
    partitioner.partition({ topic: 't', key: utf8(key), value: null, partitionCount })

  // Expected = toPositive(murmur2) % n with Kafka UtilsTest hashes, e.g. 'foobar':
  // −790332482 & 0x7fffffff = 1357151166; 1357151166 % 12 = 6, % 100 = 66.
  it.each([
    ['21', 12, 0],
    ['21', 100, 40],
    ['foobar', 3, 0],
    ['foobar', 12, 6],
    ['foobar', 100, 66],
    ['a-little-bit-long-string', 3, 2],
    ['a-little-bit-long-string', 12, 8],
    ['abc', 6, 3],
    ['abc', 100, 7],
  ])('puts key %j in a %i-partition topic where a Java client would (%i)', (key, count, expected) => {
    expect(keyed(key, count)).toBe(expected)
  })

  it('agrees with a Java-compatible murmur2 oracle (kafkajs) on random keys and counts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (key, count) => {
        const expected = (kafkajsMurmur2(Buffer.from(key)) & 0x7fffffff) % count
        expect(partitioner.partition({ topic: 't', key, value: null, partitionCount: count })).toBe(expected)
      }),
      { numRuns: 1000 },
    )
  })

  it('hashes an empty key instead of treating it as null', () => {
    const empty = partitioner.partition({ topic: 'e', key: new Uint8Array(0), value: null, partitionCount: 1000 })
    expect(empty).toBe((kafkajsMurmur2(Buffer.alloc(0)) & 0x7fffffff) % 1000)
  })

  it('places keyed records stickily when ignoreKeys is set', () => {
    const p = createDefaultPartitioner({ ignoreKeys: true, random: seededRandom(7) })
    const first = p.partition({ topic: 't', key: utf8('a'), value: null, partitionCount: 10 })
    for (const key of ['b', 'c', 'foobar']) {
      expect(p.partition({ topic: 't', key: utf8(key), value: null, partitionCount: 10 })).toBe(first)
    }
    expect(p.findStickyPartition('t')).toBe(first)
  })
})

describe('default partitioner, null keys (KIP-794 uniform sticky)', () => {
  it('sticks to one partition per topic until batchBytes are produced to it', () => {
    const p = createDefaultPartitioner({ batchBytes: 100, random: seededRandom(3) })
    const first = p.partition(nullKey('a', 8))
    for (let i = 0; i < 9; i++) {
      expect(p.partition(nullKey('a', 8))).toBe(first)
      p.onBytesProduced({ topic: 'a', partition: first, appendedBytes: 10 })
    }
    expect(p.partition(nullKey('a', 8))).toBe(first)
    p.onBytesProduced({ topic: 'a', partition: first, appendedBytes: 10 }) // 100 bytes: switch
    const second = p.partition(nullKey('a', 8))
    expect(second).not.toBe(first)
  })

  it('keeps separate sticky partitions per topic', () => {
    const p = createDefaultPartitioner({ batchBytes: 10, random: seededRandom(5) })
    const a = p.partition(nullKey('a', 1000))
    const b = p.partition(nullKey('b', 1000))
    p.onBytesProduced({ topic: 'b', partition: b, appendedBytes: 10 })
    expect(p.partition(nullKey('a', 1000))).toBe(a)
    expect(p.partition(nullKey('b', 1000))).not.toBe(b)
  })

  it('defers the switch while the batch is not ready, up to twice batchBytes', () => {
    const p = createDefaultPartitioner({ batchBytes: 100, random: seededRandom(11) })
    const first = p.partition(nullKey('a', 4))
    p.onBytesProduced({ topic: 'a', partition: first, appendedBytes: 150, canSwitch: false })
    expect(p.partition(nullKey('a', 4))).toBe(first)
    p.onBytesProduced({ topic: 'a', partition: first, appendedBytes: 49, canSwitch: false })
    expect(p.partition(nullKey('a', 4))).toBe(first)
    p.onBytesProduced({ topic: 'a', partition: first, appendedBytes: 1, canSwitch: false }) // 200 = 2 × batchBytes
    expect(p.partition(nullKey('a', 4))).not.toBe(first)
  })

  it('ignores bytes reported for a partition that is no longer sticky', () => {
    const p = createDefaultPartitioner({ batchBytes: 100, random: seededRandom(13) })
    const first = p.partition(nullKey('a', 4))
    p.onBytesProduced({ topic: 'a', partition: (first + 1) % 4, appendedBytes: 1000 })
    p.onBytesProduced({ topic: 'unknown', partition: 0, appendedBytes: 1000 })
    expect(p.partition(nullKey('a', 4))).toBe(first)
  })

  it('ignores onNewBatch (that is the KIP-480 policy)', () => {
    const p = createDefaultPartitioner({ random: seededRandom(17) })
    const first = p.partition(nullKey('a', 4))
    p.onNewBatch('a', first)
    expect(p.partition(nullKey('a', 4))).toBe(first)
  })

  it('never uses the same partition twice in a row and is uniform over many batches', () => {
    const count = 6
    const batches = 60_000
    const p = createDefaultPartitioner({ batchBytes: 1, random: seededRandom(42) })
    const histogram = new Array<number>(count).fill(0)
    let previous = -1
    for (let i = 0; i < batches; i++) {
      const part = p.partition(nullKey('u', count))
      expect(part).not.toBe(previous)
      histogram[part] = (histogram[part] ?? 0) + 1
      p.onBytesProduced({ topic: 'u', partition: part, appendedBytes: 1 })
      previous = part
    }
    // Each partition expects 10,000; 5 % tolerance is > 10 standard deviations here.
    for (const n of histogram) expect(Math.abs(n - batches / count)).toBeLessThan(batches / count / 20)
  })

  it('switches to a different partition for any random source, including one that returns 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (count, draws) => {
          let i = 0
          const p = createDefaultPartitioner({ batchBytes: 1, random: () => draws[i++ % draws.length] ?? 0 })
          let previous = p.partition(nullKey('t', count))
          for (let n = 0; n < 20; n++) {
            p.onBytesProduced({ topic: 't', partition: previous, appendedBytes: 1 })
            const next = p.partition(nullKey('t', count))
            expect(next).not.toBe(previous)
            expect(next).toBeGreaterThanOrEqual(0)
            expect(next).toBeLessThan(count)
            previous = next
          }
        },
      ),
    )
  })

  it('always uses partition 0 of a single-partition topic', () => {
    const p = createDefaultPartitioner({ batchBytes: 1, random: seededRandom(19) })
    for (let i = 0; i < 10; i++) {
      expect(p.partition(nullKey('one', 1))).toBe(0)
      p.onBytesProduced({ topic: 'one', partition: 0, appendedBytes: 5 })
    }
  })

  it('re-picks the sticky partition when the topic shrinks below it', () => {
    const p = createDefaultPartitioner({ random: () => 0.99 })
    expect(p.partition(nullKey('g', 10))).toBe(9)
    expect(p.partition(nullKey('g', 20))).toBe(9) // still valid after growth
    expect(p.partition(nullKey('g', 5))).toBe(4)
  })
})

describe('default partitioner, null keys (KIP-480 sticky on new batch)', () => {
  function kip480(seed: number): DefaultPartitioner {
    return createDefaultPartitioner({ stickySwitch: 'new-batch', random: seededRandom(seed) })
  }

  it('sticks until a new batch is signalled for the sticky partition, then switches', () => {
    const p = kip480(23)
    const first = p.partition(nullKey('a', 5))
    p.onBytesProduced({ topic: 'a', partition: first, appendedBytes: 1_000_000 }) // ignored by this policy
    expect(p.partition(nullKey('a', 5))).toBe(first)
    p.onNewBatch('a', first)
    expect(p.partition(nullKey('a', 5))).not.toBe(first)
  })

  it('ignores a new batch signalled for a partition that is not sticky', () => {
    const p = kip480(29)
    const first = p.partition(nullKey('a', 5))
    p.onNewBatch('a', (first + 1) % 5)
    p.onNewBatch('other', 0)
    expect(p.partition(nullKey('a', 5))).toBe(first)
  })

  it('never repeats a partition across consecutive batches and is uniform', () => {
    const count = 4
    const batches = 40_000
    const p = kip480(31)
    const histogram = new Array<number>(count).fill(0)
    let previous = -1
    for (let i = 0; i < batches; i++) {
      const part = p.partition(nullKey('u', count))
      expect(part).not.toBe(previous)
      histogram[part] = (histogram[part] ?? 0) + 1
      p.onNewBatch('u', part)
      previous = part
    }
    for (const n of histogram) expect(Math.abs(n - batches / count)).toBeLessThan(batches / count / 20)
  })

  it('stays on partition 0 of a single-partition topic after a new batch', () => {
    const p = kip480(37)
    expect(p.partition(nullKey('one', 1))).toBe(0)
    p.onNewBatch('one', 0)
    expect(p.partition(nullKey('one', 1))).toBe(0)
  })
})

describe('default partitioner configuration', () => {
  it('uses Kafka defaults: KIP-794, batch.size 16384, keys not ignored', () => {
    expect(resolveDefaultPartitionerConfig()).toEqual(DEFAULT_PARTITIONER_DEFAULTS)
    expect(DEFAULT_PARTITIONER_DEFAULTS.batchBytes).toBe(16_384)
    expect(DEFAULT_PARTITIONER_DEFAULTS.stickySwitch).toBe('batch-bytes')
  })

  it('rejects every bad option at once with CONFIG_INVALID', () => {
    let thrown: unknown
    try {
      resolveDefaultPartitionerConfig({
        batchBytes: 0,
        stickySwitch: 'round-robin' as never,
        ignoreKeys: 'yes' as never,
        random: 3 as never,
        lingerMs: 5,
      } as never)
    } catch (err) {
      thrown = err
    }
    expect(isMillraceError(thrown, 'CONFIG_INVALID')).toBe(true)
    if (!isMillraceError(thrown)) return
    expect(Object.keys(thrown.details).sort()).toEqual(['batchBytes', 'ignoreKeys', 'lingerMs', 'random', 'stickySwitch'])
  })

  it('rejects a non-positive or fractional partition count with CONFIG_INVALID', () => {
    const p = createDefaultPartitioner()
    for (const partitionCount of [0, -1, 1.5, Number.NaN]) {
      expectCode(() => p.partition(nullKey('t', partitionCount)), 'CONFIG_INVALID')
      expectCode(() => p.partition({ topic: 't', key: utf8('k'), value: null, partitionCount }), 'CONFIG_INVALID')
    }
  })
})
