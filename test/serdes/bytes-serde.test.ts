import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'
import { untyped } from './support/untyped.js'

describe('Serdes.bytes', () => {
  const serde = Serdes.bytes()

  it('round-trips every byte array', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (value) => {
        expect(serde.deserialize('t', serde.serialize('t', value))).toEqual(Buffer.from(value))
      }),
    )
  })

  it('serializes a byte array as itself, as Kafka’s ByteArraySerializer does', () => {
    const value = Uint8Array.of(1, 2, 3)
    expect(serde.serialize('t', value)).toBe(value)
  })

  it('deserializes into a copy, so the value outlives a reused read buffer', () => {
    const pooled = Buffer.from([1, 2, 3, 4])
    const value = serde.deserialize('t', pooled.subarray(1, 3))
    pooled.fill(0)
    expect(value).toEqual(Buffer.of(2, 3))
  })

  it('rejects anything but a Uint8Array with SERDES_INVALID_VALUE', () => {
    for (const value of ['ab', [1, 2], new ArrayBuffer(2), 1]) {
      expect(codeOfSync(() => untyped(serde).serialize('t', value))).toBe('SERDES_INVALID_VALUE')
    }
  })
})
