import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { KeyOffsetMap, murmur3 } from '../../../src/log/cleaner/key-offset-map.js'

const bytes = (s: string): Buffer => Buffer.from(s)

describe('KeyOffsetMap', () => {
  it('returns the last offset put for each key and −1 for unknown keys', () => {
    const map = new KeyOffsetMap()
    map.put(bytes('a'), 1)
    map.put(bytes('b'), 2)
    map.put(bytes('a'), 7)
    expect(map.get(bytes('a'))).toBe(7)
    expect(map.get(bytes('b'))).toBe(2)
    expect(map.get(bytes('c'))).toBe(-1)
    expect(map.get(new Uint8Array(0))).toBe(-1)
    map.put(new Uint8Array(0), 9)
    expect(map.get(new Uint8Array(0))).toBe(9)
    expect(map.size).toBe(3)
  })

  it('tells apart keys whose hashes collide, by comparing their bytes', () => {
    // Birthday search: among 300k keys some pair shares a 32-bit hash (deterministically).
    const seen = new Map<number, string>()
    let pair: [string, string] | undefined
    for (let i = 0; i < 300_000 && pair === undefined; i++) {
      const key = `key-${i}`
      const h = murmur3(bytes(key))
      const other = seen.get(h)
      if (other !== undefined) pair = [other, key]
      seen.set(h, key)
    }
    expect(pair).toBeDefined()
    const [a, b] = pair as [string, string]
    const map = new KeyOffsetMap()
    map.put(bytes(a), 10)
    expect(map.get(bytes(b))).toBe(-1)
    map.put(bytes(b), 20)
    expect(map.get(bytes(a))).toBe(10)
    expect(map.get(bytes(b))).toBe(20)
  })

  it('agrees with a Map<string> oracle for any keys, short and long', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 48 }), fc.nat()), { maxLength: 3000 }), (puts) => {
        const map = new KeyOffsetMap()
        const oracle = new Map<string, number>()
        for (const [key, offset] of puts) {
          expect(map.put(key, offset)).toBe(true)
          oracle.set(Buffer.from(key).toString('hex'), offset)
        }
        expect(map.size).toBe(oracle.size)
        for (const [key] of puts) expect(map.get(key)).toBe(oracle.get(Buffer.from(key).toString('hex')))
      }),
      { numRuns: 50 },
    )
  })

  it('refuses new keys once maxBytes is reached but keeps updating known ones', () => {
    const map = new KeyOffsetMap(64 * 1024)
    let accepted = 0
    while (map.put(bytes(`k-${accepted}`), accepted)) accepted++
    expect(accepted).toBeGreaterThan(1000)
    expect(map.memoryBytes).toBeLessThanOrEqual(64 * 1024)
    expect(map.put(bytes('k-0'), 123_456)).toBe(true)
    expect(map.get(bytes('k-0'))).toBe(123_456)
    expect(map.get(bytes(`k-${accepted}`))).toBe(-1)
    map.clear()
    expect(map.size).toBe(0)
    expect(map.get(bytes('k-0'))).toBe(-1)
    expect(map.put(bytes('fresh'), 1)).toBe(true)
  })

  it('grows in steps between pauses, keeping every key, and changes nothing when stopped', async () => {
    const map = new KeyOffsetMap()
    for (let i = 0; i < 700; i++) map.put(bytes(`k${i}`), i)
    expect(map.needsGrowth(100)).toBe(true)
    let pauses = 0
    expect(await map.growInSteps(async () => ++pauses < 1)).toBe('stopped')
    expect(map.needsGrowth(100)).toBe(true)
    expect(await map.growInSteps(async () => true)).toBe('grown')
    expect(map.needsGrowth(100)).toBe(false)
    for (let i = 0; i < 700; i++) expect(map.get(bytes(`k${i}`))).toBe(i)
    const small = new KeyOffsetMap(64 * 1024)
    while (!small.needsGrowth(1) || (await small.growInSteps(async () => true)) === 'grown') small.put(bytes(`x${small.size}`), 1)
    expect(await small.growInSteps(async () => true)).toBe('full')
  })

  it('computes MurmurHash3 x86_32 (published vectors for seed 0x9747b28c)', () => {
    expect(murmur3(bytes('Hello, world!')) >>> 0).toBe(0x24884cba)
    expect(murmur3(bytes('The quick brown fox jumps over the lazy dog')) >>> 0).toBe(0x2fa826cd)
  })
})
