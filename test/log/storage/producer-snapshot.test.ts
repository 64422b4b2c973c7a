import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { crc32c } from '../../../src/log/record/crc32c.js'
import {
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  type ProducerSnapshotEntry,
} from '../../../src/log/storage/producer-snapshot.js'
import { codeOfSync } from '../../support/error-code.js'

const ENTRY: ProducerSnapshotEntry = {
  producerId: 0x0102030405060708n,
  epoch: 3,
  lastSequence: 41,
  lastOffset: 1000,
  offsetDelta: 9,
  timestampMs: 1_700_000_000_123,
  coordinatorEpoch: -1,
  currentTxnFirstOffset: -1,
}


describe('producer snapshot v1', () => {
  it('writes Kafka’s layout: version, CRC-32C of the rest, count, 46-byte entries', () => {
    const bytes = encodeProducerSnapshot([ENTRY])
    expect(bytes.length).toBe(10 + 46)
    const hex = bytes.toString('hex')
    // version 1 | crc | count 1
    expect(hex.slice(0, 4)).toBe('0001')
    expect(bytes.readUInt32BE(2)).toBe(crc32c(bytes.subarray(6)))
    expect(hex.slice(12, 20)).toBe('00000001')
    // producerId | epoch | lastSequence | lastOffset | offsetDelta | timestamp | coordinatorEpoch | txn first offset
    expect(hex.slice(20)).toBe(
      '0102030405060708' + '0003' + '00000029' + '00000000000003e8' + '00000009' + '0000018bcfe5687b' + 'ffffffff' + 'ffffffffffffffff',
    )
  })

  it('decodes what it encodes', () => {
    const entry = fc.record({
      producerId: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      epoch: fc.integer({ min: 0, max: 32767 }),
      lastSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      lastOffset: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
      offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      timestampMs: fc.integer({ min: -1, max: 2 ** 50 }),
      coordinatorEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      currentTxnFirstOffset: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    })
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
        expect(decodeProducerSnapshot(encodeProducerSnapshot(entries), 'x.snapshot')).toEqual(entries)
      }),
    )
  })

  it('rejects every truncation and every flipped bit with LOG_CORRUPT_BATCH', () => {
    const bytes = encodeProducerSnapshot([ENTRY, { ...ENTRY, producerId: 9n }])
    for (let n = 0; n < bytes.length; n++) {
      expect(codeOfSync(() => decodeProducerSnapshot(bytes.subarray(0, n), 'x.snapshot'))).toBe('LOG_CORRUPT_BATCH')
    }
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const damaged = Buffer.from(bytes)
      damaged[bit >> 3] = (damaged[bit >> 3] as number) ^ (1 << (bit & 7))
      expect(codeOfSync(() => decodeProducerSnapshot(damaged, 'x.snapshot'))).toBe('LOG_CORRUPT_BATCH')
    }
    expect(codeOfSync(() => decodeProducerSnapshot(Buffer.concat([bytes, Buffer.alloc(1)]), 'x.snapshot'))).toBe('LOG_CORRUPT_BATCH')
  })
})
