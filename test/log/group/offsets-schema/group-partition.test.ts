import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { javaStringHashCode, kafkaAbs, partitionForGroup } from '../../../../src/log/group/offsets-schema/group-partition.js'
import { expectCode } from './helpers.js'

describe('javaStringHashCode', () => {
  // s[0]·31^(n−1) + … + s[n−1] over UTF-16 code units, int32 wrap-around.
  it.each([
    ['', 0],
    ['a', 97],
    ['hello', 99162322],
    // h=104 → 104·31+233 (é) = 3457 → ·31+108 = 107275 → ·31+108 = 3325633 → ·31+111
    ['héllo', 103094734],
    // U+65E5 U+672C: 26085·31 + 26412
    ['日本', 835047],
    // U+1F600 is the surrogate pair D83D DE00: 55357·31 + 56832
    ['😀', 1772899],
    // (97·31 + 55357)·31 + 56832
    ['a😀', 1866116],
    // A well-known string whose Java hashCode is Integer.MIN_VALUE
    ['polygenelubricants', -2147483648],
  ])('hashes %j like Java String.hashCode (%i)', (s, expected) => {
    expect(javaStringHashCode(s)).toBe(expected)
  })

  it('matches the formula evaluated with bigints on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        let h = 0n
        for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) & 0xffffffffn
        expect(javaStringHashCode(s)).toBe(Number(BigInt.asIntN(32, h)))
      }),
    )
  })
})

describe('partitionForGroup', () => {
  it('uses Kafka Utils.abs, mapping Integer.MIN_VALUE to 0', () => {
    expect(kafkaAbs(-2147483648)).toBe(0)
    expect(kafkaAbs(-5)).toBe(5)
    expect(kafkaAbs(7)).toBe(7)
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0)
  })

  it.each([
    ['', 50, 0],
    ['a', 50, 47],
    ['hello', 50, 22],
    ['héllo', 50, 34],
    ['😀', 50, 49],
    ['hello', 7, 0],
    ['a', 7, 6],
  ])('places group %j in partition %i like Kafka (%i)', (group, count, expected) => {
    expect(partitionForGroup(group, count)).toBe(expected)
  })

  it('handles negative hash codes with abs, not by clearing the sign bit', () => {
    expect(javaStringHashCode('my-group')).toBe(-1906497762)
    expect(partitionForGroup('my-group', 50)).toBe(12) // |−1906497762| % 50; toPositive would give 36
    expect(javaStringHashCode('consumer-group')).toBe(-1738392088)
    expect(partitionForGroup('consumer-group', 50)).toBe(38)
  })

  it('rejects a non-positive or fractional partition count with CONFIG_INVALID', () => {
    for (const count of [0, -1, 2.5, Number.NaN, 2 ** 31]) expectCode(() => partitionForGroup('g', count), 'CONFIG_INVALID')
  })
})
