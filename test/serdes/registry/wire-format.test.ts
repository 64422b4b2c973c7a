import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeWireFormat, encodeWireFormat } from '../../../src/serdes/index.js'
import { codeOfSync } from '../../support/error-code.js'
import { fromHex, hex } from '../support/hex.js'

const schemaIds = fc.integer({ min: 0, max: 2 ** 31 - 1 })
const messageIndexes = fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 6 })

describe('schema-registry wire format', () => {
  it('writes magic byte 0 and the schema id big-endian before the payload', () => {
    expect(hex(encodeWireFormat(1, Uint8Array.of(0xaa)))).toBe('00 00 00 00 01 aa')
    expect(hex(encodeWireFormat(0x01020304, new Uint8Array(0)))).toBe('00 01 02 03 04')
    expect(hex(encodeWireFormat(2 ** 31 - 1, Uint8Array.of(1, 2)))).toBe('00 7f ff ff ff 01 02')
  })

  it('writes the message indexes [0] as the single byte 00, and others as a zigzag count then zigzag indexes', () => {
    expect(hex(encodeWireFormat(1, Uint8Array.of(0xaa), [0]))).toBe('00 00 00 00 01 00 aa')
    expect(hex(encodeWireFormat(1, Uint8Array.of(0xaa), []))).toBe('00 00 00 00 01 00 aa')
    expect(hex(encodeWireFormat(1, Uint8Array.of(0xaa), [1]))).toBe('00 00 00 00 01 02 02 aa')
    expect(hex(encodeWireFormat(1, Uint8Array.of(0xaa), [1, 2]))).toBe('00 00 00 00 01 04 02 04 aa')
    expect(hex(encodeWireFormat(1, Uint8Array.of(0xaa), [2, 0]))).toBe('00 00 00 00 01 04 04 00 aa')
    expect(hex(encodeWireFormat(1, new Uint8Array(0), [64]))).toBe('00 00 00 00 01 02 80 01')
  })

  it('reads the single byte 00, and an explicit [0], as the message indexes [0]', () => {
    expect(decodeWireFormat('t', fromHex('00 00 00 00 01 00 aa'), true).messageIndexes).toEqual([0])
    expect(decodeWireFormat('t', fromHex('00 00 00 00 01 02 00 aa'), true).messageIndexes).toEqual([0])
  })

  it('round-trips every schema id and payload', () => {
    fc.assert(
      fc.property(schemaIds, fc.uint8Array(), (schemaId, payload) => {
        const record = decodeWireFormat('t', encodeWireFormat(schemaId, payload), false)
        expect(record.schemaId).toBe(schemaId)
        expect(record.messageIndexes).toBeUndefined()
        expect(Buffer.from(record.payload).equals(Buffer.from(payload))).toBe(true)
      }),
    )
  })

  it('round-trips every schema id, message-index path and payload', () => {
    fc.assert(
      fc.property(schemaIds, messageIndexes, fc.uint8Array(), (schemaId, indexes, payload) => {
        const record = decodeWireFormat('t', encodeWireFormat(schemaId, payload, indexes), true)
        expect(record.schemaId).toBe(schemaId)
        expect(record.messageIndexes).toEqual(indexes)
        expect(Buffer.from(record.payload).equals(Buffer.from(payload))).toBe(true)
      }),
    )
  })

  it('returns the payload as a view of the given bytes, not a copy', () => {
    const bytes = fromHex('00 00 00 00 09 01 02')
    const { payload } = decodeWireFormat('t', bytes, false)
    expect(payload.buffer).toBe(bytes.buffer)
    expect(hex(payload)).toBe('01 02')
  })

  it('rejects a first byte other than 0 with SERDES_UNKNOWN_MAGIC_BYTE', () => {
    expect(codeOfSync(() => decodeWireFormat('t', fromHex('01 00 00 00 01 aa'), false))).toBe('SERDES_UNKNOWN_MAGIC_BYTE')
    expect(codeOfSync(() => decodeWireFormat('t', Buffer.from('{"json":true}'), false))).toBe('SERDES_UNKNOWN_MAGIC_BYTE')
  })

  it('rejects a truncated header or truncated message indexes with SERDES_INVALID_BYTES', () => {
    for (const bytes of ['', '00', '00 00 00 00']) {
      expect(codeOfSync(() => decodeWireFormat('t', fromHex(bytes), false))).toBe('SERDES_INVALID_BYTES')
    }
    for (const bytes of ['00 00 00 00 01', '00 00 00 00 01 04 02', '00 00 00 00 01 02 80', '00 00 00 00 01 7e 02']) {
      expect(codeOfSync(() => decodeWireFormat('t', fromHex(bytes), true))).toBe('SERDES_INVALID_BYTES')
    }
  })

  it('rejects a negative count or index with SERDES_INVALID_BYTES', () => {
    expect(codeOfSync(() => decodeWireFormat('t', fromHex('00 00 00 00 01 01 02'), true))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => decodeWireFormat('t', fromHex('00 00 00 00 01 02 01'), true))).toBe('SERDES_INVALID_BYTES')
  })

  it('refuses schema ids no registry hands out, and negative message indexes', () => {
    for (const schemaId of [-1, 2 ** 31, 1.5]) {
      expect(codeOfSync(() => encodeWireFormat(schemaId, new Uint8Array(0)))).toBe('SERDES_UNKNOWN_SCHEMA')
    }
    expect(codeOfSync(() => encodeWireFormat(1, new Uint8Array(0), [1, -1]))).toBe('SERDES_INVALID_VALUE')
  })
})
