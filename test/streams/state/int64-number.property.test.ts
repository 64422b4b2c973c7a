import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readInt64, writeInt64 } from '../../../src/streams/state/int64-number.js'

describe('int64 fields holding numbers', () => {
  it("writes Kafka's big-endian long bytes and reads them back, for every safe integer", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const ours = new Uint8Array(8)
        writeInt64(ours, 0, n)
        const reference = Buffer.alloc(8)
        reference.writeBigInt64BE(BigInt(n), 0)
        expect([...ours]).toEqual([...reference])
        expect(readInt64(ours, 0)).toBe(n)
      }),
    )
  })

  it('reads at an offset', () => {
    const bytes = new Uint8Array(12)
    writeInt64(bytes, 4, -2)
    expect([...bytes.subarray(4)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])
    expect(readInt64(bytes, 4)).toBe(-2)
  })
})
