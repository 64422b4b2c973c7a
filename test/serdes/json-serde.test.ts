import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'
import { fromHex, hex } from './support/hex.js'
import { untyped } from './support/untyped.js'

interface Point {
  x: number
  y: number
}

function isPoint(value: unknown): value is Point {
  return typeof value === 'object' && value !== null && typeof (value as Point).x === 'number' && typeof (value as Point).y === 'number'
}

function causeOf(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return (err as { cause?: unknown }).cause
  }
  return undefined
}

describe('Serdes.json', () => {
  const serde = Serdes.json()

  it('round-trips every JSON value, -0 reading back as 0 as JSON has it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (value) => {
        const expected: unknown = JSON.parse(JSON.stringify(value))
        expect(serde.deserialize('t', serde.serialize('t', value))).toEqual(expected)
      }),
    )
    expect(Object.is(serde.deserialize('t', serde.serialize('t', -0)), 0)).toBe(true)
  })

  it('writes JSON.stringify output as UTF-8', () => {
    expect(hex(serde.serialize('t', { a: [1, 'é'] }))).toBe(hex(Buffer.from('{"a":[1,"é"]}')))
  })

  it('rejects bytes that are not JSON text, or not UTF-8, with SERDES_INVALID_BYTES', () => {
    expect(codeOfSync(() => serde.deserialize('t', Buffer.from('{"a":')))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.deserialize('t', new Uint8Array(0)))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.deserialize('t', fromHex('22 ff 22')))).toBe('SERDES_INVALID_BYTES')
  })

  it('rejects values JSON.stringify cannot encode with SERDES_INVALID_VALUE', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const loose = untyped(serde)
    expect(codeOfSync(() => loose.serialize('t', undefined))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => loose.serialize('t', () => 1))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => loose.serialize('t', Symbol('s')))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => loose.serialize('t', { n: 1n }))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => loose.serialize('t', cyclic))).toBe('SERDES_INVALID_VALUE')
  })

  it('runs a validate hook on both paths and rejects what it refuses with SERDES_INVALID_VALUE', () => {
    const points = Serdes.json<Point>({ validate: isPoint })
    expect(points.deserialize('t', points.serialize('t', { x: 1, y: 2 }))).toEqual({ x: 1, y: 2 })
    expect(codeOfSync(() => untyped(points).serialize('t', { x: 1 }))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => points.deserialize('t', Buffer.from('{"x":"1","y":2}')))).toBe('SERDES_INVALID_VALUE')
  })

  it('keeps the error a validate hook throws as the cause', () => {
    const refusal = new Error('refused')
    const points = Serdes.json<Point>({
      validate: () => {
        throw refusal
      },
    })
    expect(codeOfSync(() => points.serialize('t', { x: 1, y: 2 }))).toBe('SERDES_INVALID_VALUE')
    expect(causeOf(() => points.deserialize('t', Buffer.from('{}')))).toBe(refusal)
  })

  it('maps parsed JSON through a parse hook on deserialize only, and turns its throw into SERDES_INVALID_VALUE', () => {
    const refusal = new Error('not a date')
    const dates = Serdes.json<Date>({
      parse: (value) => {
        if (typeof value !== 'string') throw refusal
        return new Date(value)
      },
    })
    const bytes = dates.serialize('t', new Date(Date.UTC(2024, 0, 2)))
    expect(dates.deserialize('t', bytes)?.getTime()).toBe(Date.UTC(2024, 0, 2))
    expect(codeOfSync(() => dates.deserialize('t', Buffer.from('42')))).toBe('SERDES_INVALID_VALUE')
    expect(causeOf(() => dates.deserialize('t', Buffer.from('42')))).toBe(refusal)
  })

  it('keeps no payload in the error it raises for malformed JSON', () => {
    let error: unknown
    try {
      serde.deserialize('orders', Buffer.from('{"secret":'))
    } catch (err) {
      error = err
    }
    expect((error as Error).message).not.toContain('secret')
    expect((error as Error).cause).toBeUndefined()
  })
})
