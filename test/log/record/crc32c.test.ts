import { describe, expect, it } from 'vitest'
import { crc32c, crc32cRange } from '../../../src/log/record/crc32c.js'

describe('crc32c', () => {
  it('matches the CRC-32C check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283)
  })

  it('gives the same value for a plain Uint8Array and for a range of a larger buffer', () => {
    const bytes = new TextEncoder().encode('123456789')
    expect(crc32c(bytes)).toBe(0xe3069283)
    const padded = Buffer.from('xx123456789yy', 'ascii')
    expect(crc32cRange(padded, 2, 11)).toBe(0xe3069283)
  })
})
