import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'

describe('Serdes.sessionWindowed', () => {
  it("writes Kafka's SessionWindowedSerde bytes: the key, then the session end and start as int64s", () => {
    const serde = Serdes.sessionWindowed(Serdes.string())
    const bytes = serde.serialize('t', { key: 'ab', window: { startMs: 258, endMs: 772 } })
    expect(Buffer.from(bytes ?? []).toString('hex')).toBe('6162' + '0000000000000304' + '0000000000000102')
    // A time past 2^32 ms uses the high word.
    expect(Buffer.from(serde.serialize('t', { key: '', window: { startMs: 2 ** 32 + 1, endMs: 2 ** 40 } }) ?? []).toString('hex')).toBe('0000010000000000' + '0000000100000001')
  })

  it('round-trips keys, starts and ends (a one-record session starts and ends at once)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 2 ** 52 }), fc.integer({ min: 0, max: 2 ** 52 }), (key, startMs, lengthMs) => {
        const serde = Serdes.sessionWindowed(Serdes.string())
        const session = { key, window: { startMs, endMs: startMs + lengthMs } }
        expect(serde.deserialize('t', serde.serialize('t', session))).toEqual(session)
      }),
    )
  })

  it('reads the key from everything before the last 16 bytes, whatever the inner serde', () => {
    const serde = Serdes.sessionWindowed(Serdes.int32())
    const bytes = serde.serialize('t', { key: 7, window: { startMs: 1, endMs: 2 } })
    expect(bytes?.length).toBe(4 + 16)
    expect(serde.deserialize('t', bytes)).toEqual({ key: 7, window: { startMs: 1, endMs: 2 } })
  })

  it('passes null through and refuses truncated bytes, a session ending before it starts, and a null key', () => {
    const serde = Serdes.sessionWindowed(Serdes.string())
    expect(serde.serialize('t', null)).toBeNull()
    expect(serde.deserialize('t', null)).toBeNull()
    expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(15)))).toBe('SERDES_INVALID_BYTES')
    const backwards = Buffer.from('0000000000000001' + '0000000000000002', 'hex')
    expect(codeOfSync(() => serde.deserialize('t', backwards))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.deserialize('t', Buffer.from('7fffffffffffffff' + '0000000000000000', 'hex')))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.serialize('t', { key: 'a', window: { startMs: 2, endMs: 1 } }))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => serde.serialize('t', { key: 'a', window: { startMs: 0.5, endMs: 1 } }))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => Serdes.sessionWindowed(Serdes.json<string | null>()).serialize('t', { key: null, window: { startMs: 0, endMs: 0 } }))).toBe('SERDES_INVALID_VALUE')
  })
})
