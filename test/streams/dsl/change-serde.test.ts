import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { changeSerde } from '../../../src/streams/dsl/change-serde.js'
import { codeOfSync } from '../../support/error-code.js'

const serde = changeSerde(Serdes.string())
const hex = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? []).toString('hex')

describe("the change serde of table-aggregation repartition topics (Kafka's ChangedSerializer format)", () => {
  it('writes the golden bytes: the value then flag 0 (old only) or 1 (new only); new length, new, old, flag 2 (both)', () => {
    expect(hex(serde.serialize('t', { newValue: null, oldValue: 'ab' }))).toBe('616200')
    expect(hex(serde.serialize('t', { newValue: 'ab', oldValue: null }))).toBe('616201')
    expect(hex(serde.serialize('t', { newValue: 'ab', oldValue: 'c' }))).toBe('00000002' + '6162' + '63' + '02')
    expect(hex(serde.serialize('t', { newValue: '', oldValue: '' }))).toBe('0000000002')
  })

  it('reads back what it writes (fast-check)', () => {
    const value = fc.option(fc.string(), { nil: null })
    fc.assert(
      fc.property(value, value, (newValue, oldValue) => {
        fc.pre(newValue !== null || oldValue !== null)
        expect(serde.deserialize('t', serde.serialize('t', { newValue, oldValue }))).toEqual({ newValue, oldValue })
      }),
    )
  })

  it('passes nulls through and refuses a change with neither value, or bytes that are no change, with STREAMS_ILLEGAL_STATE', () => {
    expect(serde.serialize('t', null)).toBeNull()
    expect(serde.deserialize('t', null)).toBeNull()
    expect(codeOfSync(() => serde.serialize('t', { newValue: null, oldValue: null }))).toBe('STREAMS_ILLEGAL_STATE')
    expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(0)))).toBe('STREAMS_ILLEGAL_STATE')
    // Kafka's versioned-table flags 3-5 and unknown flags.
    expect(codeOfSync(() => serde.deserialize('t', Uint8Array.of(0x61, 1, 3)))).toBe('STREAMS_ILLEGAL_STATE')
    // Flag 2 with a truncated length, or a new value longer than the record.
    expect(codeOfSync(() => serde.deserialize('t', Uint8Array.of(0, 0, 2)))).toBe('STREAMS_ILLEGAL_STATE')
    expect(codeOfSync(() => serde.deserialize('t', Uint8Array.of(0, 0, 0, 9, 0x61, 2)))).toBe('STREAMS_ILLEGAL_STATE')
  })
})
