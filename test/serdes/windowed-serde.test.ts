import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'

describe('Serdes.windowed', () => {
  it("writes Kafka's TimeWindowedSerde bytes: the key, then the window start as an int64", () => {
    const serde = Serdes.windowed(Serdes.string(), 10)
    expect(Buffer.from(serde.serialize('t', { key: 'ab', window: { startMs: 258, endMs: 268 } }) ?? []).toString('hex')).toBe('61620000000000000102')
  })

  it('round-trips keys and starts, deriving the end from the size', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 2 ** 50 }), fc.integer({ min: 1, max: 10 ** 9 }), (key, startMs, sizeMs) => {
        const serde = Serdes.windowed(Serdes.string(), sizeMs)
        expect(serde.deserialize('t', serde.serialize('t', { key, window: { startMs, endMs: startMs + sizeMs } }))).toEqual({ key, window: { startMs, endMs: startMs + sizeMs } })
      }),
    )
  })

  it('passes null through and refuses truncated bytes and a bad size', () => {
    const serde = Serdes.windowed(Serdes.string(), 10)
    expect(serde.serialize('t', null)).toBeNull()
    expect(serde.deserialize('t', null)).toBeNull()
    expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(7)))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => Serdes.windowed(Serdes.string(), 0))).toBe('SERDES_INVALID_VALUE')
  })
})
