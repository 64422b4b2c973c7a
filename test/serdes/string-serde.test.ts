import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'
import { fromHex, hex } from './support/hex.js'
import { untyped } from './support/untyped.js'

describe('Serdes.string', () => {
  const serde = Serdes.string()

  it('round-trips every well-formed string, astral planes included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(serde.deserialize('t', serde.serialize('t', value))).toBe(value)
      }),
    )
  })

  it('writes plain UTF-8 bytes as Kafka does, with no prefix and no byte-order mark', () => {
    expect(hex(serde.serialize('t', 'hé€😀'))).toBe('68 c3 a9 e2 82 ac f0 9f 98 80')
    expect(hex(serde.serialize('t', ''))).toBe('')
  })

  it('keeps a leading byte-order mark as a character, as Java does', () => {
    expect(serde.deserialize('t', fromHex('ef bb bf 61'))).toBe('\uFEFFa')
  })

  it('replaces invalid UTF-8 with U+FFFD by default, as Kafka does', () => {
    expect(serde.deserialize('t', fromHex('61 ff 62'))).toBe('a\uFFFDb')
    expect(serde.deserialize('t', fromHex('e2 82'))).toBe('\uFFFD')
  })

  it('rejects invalid UTF-8 with SERDES_INVALID_BYTES in fatal mode', () => {
    const strict = Serdes.string({ utf8Errors: 'fatal' })
    expect(codeOfSync(() => strict.deserialize('t', fromHex('61 ff 62')))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => strict.deserialize('t', fromHex('e2 82')))).toBe('SERDES_INVALID_BYTES')
    expect(strict.deserialize('t', fromHex('ef bb bf 61'))).toBe('\uFEFFa')
  })

  it('encodes an unpaired surrogate as U+FFFD by default, and rejects it in fatal mode', () => {
    expect(hex(serde.serialize('t', 'a\uD800'))).toBe('61 ef bf bd')
    const strict = Serdes.string({ utf8Errors: 'fatal' })
    expect(codeOfSync(() => strict.serialize('t', 'a\uD800'))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => strict.serialize('t', '\uDC00b'))).toBe('SERDES_INVALID_VALUE')
    expect(hex(strict.serialize('t', '😀'))).toBe('f0 9f 98 80')
  })

  it('rejects a value that is not a string with SERDES_INVALID_VALUE', () => {
    expect(codeOfSync(() => untyped(serde).serialize('t', 42))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => untyped(serde).serialize('t', undefined))).toBe('SERDES_INVALID_VALUE')
  })
})
