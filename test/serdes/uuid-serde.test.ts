import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'
import { hex } from './support/hex.js'
import { untyped } from './support/untyped.js'

describe('Serdes.uuid', () => {
  const serde = Serdes.uuid()

  it('round-trips every UUID, of any version and variant', () => {
    fc.assert(
      fc.property(fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] }), (value) => {
        expect(serde.deserialize('t', serde.serialize('t', value))).toBe(value)
      }),
    )
  })

  it('writes the 36 ASCII characters of Kafka’s UUIDSerializer', () => {
    const bytes = serde.serialize('t', '123e4567-e89b-12d3-a456-426614174000')
    expect(hex(bytes)).toBe(hex(Buffer.from('123e4567-e89b-12d3-a456-426614174000', 'ascii')))
    expect(bytes).toHaveLength(36)
  })

  it('writes and reads the lower-case form whatever the case given', () => {
    const upper = '123E4567-E89B-12D3-A456-426614174000'
    expect(Buffer.from(serde.serialize('t', upper) as Uint8Array).toString('ascii')).toBe(upper.toLowerCase())
    expect(serde.deserialize('t', Buffer.from(upper))).toBe(upper.toLowerCase())
  })

  it('rejects strings that are not UUIDs, and non-strings, with SERDES_INVALID_VALUE', () => {
    for (const value of ['', '123e4567e89b12d3a456426614174000', '123e4567-e89b-12d3-a456-42661417400g', 'x'.repeat(36), 1]) {
      expect(codeOfSync(() => untyped(serde).serialize('t', value))).toBe('SERDES_INVALID_VALUE')
    }
  })

  it('rejects bytes that are not 36 bytes of a UUID with SERDES_INVALID_BYTES', () => {
    expect(codeOfSync(() => serde.deserialize('t', Buffer.from('123e4567-e89b-12d3-a456-42661417400')))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(16)))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.deserialize('t', Buffer.from('123e4567+e89b-12d3-a456-426614174000')))).toBe('SERDES_INVALID_BYTES')
    const nonAscii = Buffer.from('123e4567-e89b-12d3-a456-426614174000')
    nonAscii[0] = 0xb1
    expect(codeOfSync(() => serde.deserialize('t', nonAscii))).toBe('SERDES_INVALID_BYTES')
  })
})
