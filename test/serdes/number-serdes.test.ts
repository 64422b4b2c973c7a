import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'
import { fromHex, hex } from './support/hex.js'
import { untyped } from './support/untyped.js'

describe('Serdes.int32', () => {
  const serde = Serdes.int32()

  it('round-trips every 32-bit signed integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        expect(serde.deserialize('t', serde.serialize('t', value))).toBe(value)
      }),
    )
  })

  it('writes the big-endian two’s complement bytes of Kafka’s IntegerSerializer', () => {
    expect(hex(serde.serialize('t', 1))).toBe('00 00 00 01')
    expect(hex(serde.serialize('t', -1))).toBe('ff ff ff ff')
    expect(hex(serde.serialize('t', 256))).toBe('00 00 01 00')
    expect(hex(serde.serialize('t', 2 ** 31 - 1))).toBe('7f ff ff ff')
    expect(hex(serde.serialize('t', -(2 ** 31)))).toBe('80 00 00 00')
    expect(serde.deserialize('t', fromHex('ff ff ff fe'))).toBe(-2)
  })

  it('rejects fractions, out-of-range numbers and non-numbers with SERDES_INVALID_VALUE', () => {
    for (const value of [1.5, 2 ** 31, -(2 ** 31) - 1, Number.NaN, Number.POSITIVE_INFINITY, '1', 1n]) {
      expect(codeOfSync(() => untyped(serde).serialize('t', value))).toBe('SERDES_INVALID_VALUE')
    }
  })

  it('rejects anything but exactly 4 bytes with SERDES_INVALID_BYTES', () => {
    for (const length of [0, 3, 5, 8]) {
      expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(length)))).toBe('SERDES_INVALID_BYTES')
    }
  })
})

describe('Serdes.int64', () => {
  const serde = Serdes.int64()

  it('round-trips every 64-bit signed integer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => {
        expect(serde.deserialize('t', serde.serialize('t', value))).toBe(value)
      }),
    )
  })

  it('writes the big-endian two’s complement bytes of Kafka’s LongSerializer', () => {
    expect(hex(serde.serialize('t', 1n))).toBe('00 00 00 00 00 00 00 01')
    expect(hex(serde.serialize('t', -1n))).toBe('ff ff ff ff ff ff ff ff')
    expect(hex(serde.serialize('t', 2n ** 63n - 1n))).toBe('7f ff ff ff ff ff ff ff')
    expect(hex(serde.serialize('t', -(2n ** 63n)))).toBe('80 00 00 00 00 00 00 00')
    expect(serde.deserialize('t', fromHex('00 00 00 01 00 00 00 00'))).toBe(2n ** 32n)
  })

  it('rejects out-of-range bigints and non-bigints with SERDES_INVALID_VALUE', () => {
    for (const value of [2n ** 63n, -(2n ** 63n) - 1n, 1, '1']) {
      expect(codeOfSync(() => untyped(serde).serialize('t', value))).toBe('SERDES_INVALID_VALUE')
    }
  })

  it('rejects anything but exactly 8 bytes with SERDES_INVALID_BYTES', () => {
    for (const length of [0, 4, 7, 9]) {
      expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(length)))).toBe('SERDES_INVALID_BYTES')
    }
  })
})

describe('Serdes.double', () => {
  const serde = Serdes.double()

  it('round-trips every double, NaN, -0 and the infinities included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.constantFrom(Number.NaN, -0, 0, Infinity, -Infinity)), (value) => {
        expect(Object.is(serde.deserialize('t', serde.serialize('t', value)), value)).toBe(true)
      }),
    )
  })

  it('writes the big-endian IEEE 754 bytes of Kafka’s DoubleSerializer', () => {
    expect(hex(serde.serialize('t', 1))).toBe('3f f0 00 00 00 00 00 00')
    expect(hex(serde.serialize('t', -2.5))).toBe('c0 04 00 00 00 00 00 00')
    expect(hex(serde.serialize('t', -0))).toBe('80 00 00 00 00 00 00 00')
    expect(hex(serde.serialize('t', Infinity))).toBe('7f f0 00 00 00 00 00 00')
  })

  it('writes every NaN as the canonical quiet NaN, as Double.doubleToLongBits does', () => {
    const otherNaN = serde.deserialize('t', fromHex('7f f0 00 00 00 00 00 01'))
    expect(Number.isNaN(otherNaN)).toBe(true)
    expect(hex(serde.serialize('t', otherNaN))).toBe('7f f8 00 00 00 00 00 00')
    expect(hex(serde.serialize('t', Number.NaN))).toBe('7f f8 00 00 00 00 00 00')
  })

  it('rejects non-numbers with SERDES_INVALID_VALUE and wrong lengths with SERDES_INVALID_BYTES', () => {
    expect(codeOfSync(() => untyped(serde).serialize('t', '1.5'))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => untyped(serde).serialize('t', 1n))).toBe('SERDES_INVALID_VALUE')
    for (const length of [0, 4, 7, 9]) {
      expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(length)))).toBe('SERDES_INVALID_BYTES')
    }
  })
})
