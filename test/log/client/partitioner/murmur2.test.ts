/**
 * murmur2 must equal Kafka's `Utils.murmur2` bit for bit: Kafka's own UtilsTest vectors, a few of
 * kafkajs's Java-generated vectors, and kafkajs's Long-based port (devDependency, used only here
 * as an oracle) on random keys.
 */
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur2, toPositive } from '../../../../src/log/client/partitioner/murmur2.js'

const require = createRequire(import.meta.url)
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('murmur2', () => {
  // apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java testMurmur2
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j like Kafka UtilsTest (%i)', (key, expected) => {
    expect(murmur2(utf8(key))).toBe(expected)
  })

  // tulios/kafkajs src/producer/partitioners/default/murmur2.spec.js (generated with the Java client)
  it.each([
    ['0', 971027396],
    ['1', -1993445489],
    ['100:48069', 1009543857],
  ])('hashes %j like the Java client per kafkajs vectors (%i)', (key, expected) => {
    expect(murmur2(utf8(key))).toBe(expected)
  })

  it('hashes the empty key to a fixed value covering the no-word, no-tail path', () => {
    expect(murmur2(new Uint8Array(0))).toBe(kafkajsMurmur2(Buffer.alloc(0)))
  })

  it('agrees with kafkajs murmur2 on random keys of every tail length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 67 }), (key) => {
        expect(murmur2(key)).toBe(kafkajsMurmur2(Buffer.from(key)))
      }),
      { numRuns: 2000 },
    )
  })

  it('hashes a view by its own bytes, not its backing buffer', () => {
    const backing = utf8('xxfoobarxx')
    expect(murmur2(backing.subarray(2, 8))).toBe(-790332482)
  })
})

describe('toPositive', () => {
  it('clears the sign bit like Kafka Utils.toPositive, unlike Math.abs', () => {
    expect(toPositive(-790332482)).toBe(1357151166)
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(0)).toBe(0)
    expect(toPositive(479470107)).toBe(479470107)
  })

  it('always returns a value in [0, 2^31)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (n) => {
        const p = toPositive(n)
        expect(p).toBeGreaterThanOrEqual(0)
        expect(p).toBeLessThan(2 ** 31)
      }),
    )
  })
})
