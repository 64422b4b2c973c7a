import { describe, expect, it } from 'vitest'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { RecordBatch, decodeBatches, iterateBatches } from '../../../src/log/record/record-batch.js'
import {
  BATCH_LENGTH_OFFSET,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  RECORDS_COUNT_OFFSET,
} from '../../../src/log/record/record-batch-v2.js'
import { expectLogError, readHexFixture, restamped, utf8 } from './helpers.js'

/** Batch header + the given records region, with length, count, lastOffsetDelta and CRC set. */
function handBuiltBatch(region: number[], recordsCount: number, lastOffsetDelta: number): Buffer {
  const header = Buffer.from(readHexFixture('plain-batch.hex').subarray(0, 61))
  const bytes = Buffer.concat([header, Buffer.from(region)])
  bytes.writeInt32BE(bytes.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  bytes.writeInt32BE(recordsCount, RECORDS_COUNT_OFFSET)
  bytes.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET)
  return restamped(bytes)
}

/** A record with a 1-byte value, no key, no headers, given offset delta (zigzag, < 64). */
const record = (offsetDelta: number): number[] => [0x0e, 0x00, 0x00, offsetDelta * 2, 0x01, 0x02, 0x61, 0x00]

describe('RecordBatch', () => {
  it('exposes keys and values as views into the batch bytes, not copies', () => {
    const bytes = encodeRecordBatch([{ key: utf8('k'), value: utf8('v'), timestampMs: 1 }])
    const [r] = new RecordBatch(bytes).records()
    expect(r?.key?.buffer).toBe(bytes.buffer)
    expect(r?.value?.buffer).toBe(bytes.buffer)
  })

  it('reads a batch in the middle of a larger buffer and reports its absolute position', () => {
    const bytes = encodeRecordBatch([{ key: null, value: utf8('v'), timestampMs: 1 }])
    const buf = Buffer.concat([Buffer.alloc(10), bytes])
    const batch = new RecordBatch(buf, 10, { positionBase: 1000 })
    expect([batch.position, batch.sizeBytes, batch.recordsCount]).toEqual([1010, bytes.length, 1])
    expect(Buffer.from(batch.bytes()).equals(bytes)).toBe(true)
    expect(batch.validate()).toBe(batch)
  })

  it('accepts offset gaps left by compaction and keeps lastOffsetDelta', () => {
    const batch = new RecordBatch(handBuiltBatch([...record(0), ...record(2), ...record(5)], 3, 7)).validate()
    expect(batch.records().map((r) => r.offset)).toEqual([0, 2, 5])
    expect(batch.lastOffset).toBe(7)
  })

  it('reads a batch emptied by compaction as no records', () => {
    const batch = new RecordBatch(handBuiltBatch([], 0, 4)).validate()
    expect(batch.records()).toEqual([])
    expect(batch.lastOffset).toBe(4)
  })

  it('accepts non-minimal varints as Kafka does', () => {
    // valueLength 1 written as two bytes (0x82 0x00); record length grows by one.
    const batch = new RecordBatch(handBuiltBatch([0x10, 0x00, 0x00, 0x00, 0x01, 0x82, 0x00, 0x61, 0x00], 1, 0))
    const [r] = batch.records()
    expect(Buffer.from(r?.value ?? []).toString()).toBe('a')
    expect(r?.headers).toEqual([])
  })

  it('rejects offset deltas that do not increase with LOG_CORRUPT_BATCH', () => {
    expectLogError(() => new RecordBatch(handBuiltBatch([...record(0), ...record(0)], 2, 1)).records(), 'LOG_CORRUPT_BATCH')
    expectLogError(() => new RecordBatch(handBuiltBatch([...record(1), ...record(0)], 2, 1)).records(), 'LOG_CORRUPT_BATCH')
  })

  it('rejects an offset delta above lastOffsetDelta with LOG_CORRUPT_BATCH', () => {
    expectLogError(() => new RecordBatch(handBuiltBatch([...record(0), ...record(2)], 2, 1)).records(), 'LOG_CORRUPT_BATCH')
  })

  it('rejects a record count that differs from the records present with LOG_CORRUPT_BATCH', () => {
    expectLogError(() => new RecordBatch(handBuiltBatch([...record(0), ...record(1)], 3, 2)).records(), 'LOG_CORRUPT_BATCH')
    const err = expectLogError(() => new RecordBatch(handBuiltBatch([...record(0), ...record(1)], 1, 1)).records(), 'LOG_CORRUPT_BATCH')
    expect(err.details['position']).toBe(61 + 8)
  })

  it('rejects a huge record count before allocating for it', () => {
    expectLogError(() => new RecordBatch(handBuiltBatch(record(0), 0x7fff_ffff, 0)).records(), 'LOG_CORRUPT_BATCH')
  })

  it('rejects a record whose length does not match its fields with LOG_CORRUPT_BATCH', () => {
    const tooLong = [0x10, 0x00, 0x00, 0x00, 0x01, 0x02, 0x61, 0x00, 0x00] // says 8, fields use 7
    expectLogError(() => new RecordBatch(handBuiltBatch(tooLong, 1, 0)).records(), 'LOG_CORRUPT_BATCH')
    const tooShort = [0x0c, 0x00, 0x00, 0x00, 0x01, 0x02, 0x61, 0x00] // says 6, fields use 7
    expectLogError(() => new RecordBatch(handBuiltBatch(tooShort, 1, 0)).records(), 'LOG_CORRUPT_BATCH')
  })

  it('rejects negative key, value and header lengths below −1 with LOG_CORRUPT_BATCH', () => {
    expectLogError(() => new RecordBatch(handBuiltBatch([0x0c, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00], 1, 0)).records(), 'LOG_CORRUPT_BATCH')
    expectLogError(() => new RecordBatch(handBuiltBatch([0x0c, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00], 1, 0)).records(), 'LOG_CORRUPT_BATCH')
    expectLogError(
      () => new RecordBatch(handBuiltBatch([0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01], 1, 0)).records(),
      'LOG_CORRUPT_BATCH',
    )
  })

  it('rejects a declared size that differs from the given size or runs past buf with LOG_CORRUPT_BATCH', () => {
    const bytes = encodeRecordBatch([{ key: null, value: utf8('v'), timestampMs: 1 }])
    expectLogError(() => new RecordBatch(bytes, 0, { sizeBytes: bytes.length - 1 }), 'LOG_CORRUPT_BATCH')
    expectLogError(() => new RecordBatch(bytes.subarray(0, bytes.length - 1)), 'LOG_CORRUPT_BATCH')
    const badMagic = Buffer.from(bytes)
    badMagic[16] = 1
    expectLogError(() => new RecordBatch(badMagic), 'LOG_CORRUPT_BATCH')
  })

  it('does not decompress until records are first accessed, and then only once', () => {
    const bytes = encodeRecordBatch([{ key: null, value: utf8('v'), timestampMs: 1 }], { compression: 'zstd' })
    const damaged = Buffer.from(bytes)
    damaged[70] = (damaged[70] as number) ^ 0xff
    const batch = new RecordBatch(restamped(damaged))
    expect(batch.recordsCount).toBe(1) // header access does not touch the compressed region
    expectLogError(() => batch.records(), 'LOG_CORRUPT_BATCH')
    const good = new RecordBatch(bytes)
    const first = good.records()[0]?.value
    expect(good.records()[0]?.value?.buffer).toBe(first?.buffer)
  })

  it('reports the delete horizon when its attribute bit is set', () => {
    const bytes = Buffer.from(encodeRecordBatch([{ key: null, value: null, timestampMs: 99 }]))
    expect(new RecordBatch(bytes).deleteHorizonMs).toBeUndefined()
    bytes.writeInt16BE(DELETE_HORIZON_FLAG_MASK, 21)
    const batch = new RecordBatch(restamped(bytes))
    expect([batch.hasDeleteHorizon, batch.deleteHorizonMs]).toEqual([true, 99])
  })
})

describe('decodeBatches', () => {
  const one = (v: string, baseOffset: number): Buffer => encodeRecordBatch([{ key: null, value: utf8(v), timestampMs: 1 }], { baseOffset })

  it('decodes the batches between start and end only', () => {
    const a = one('a', 0)
    const b = one('b', 1)
    const c = one('c', 2)
    const buf = Buffer.concat([a, b, c])
    expect(decodeBatches(buf, a.length, a.length + b.length).map((x) => x.baseOffset)).toEqual([1])
    expect([...iterateBatches(buf)].map((x) => x.baseOffset)).toEqual([0, 1, 2])
  })

  it('throws LOG_CORRUPT_BATCH at a torn tail unless a partial tail is allowed', () => {
    const a = one('a', 0)
    const torn = Buffer.concat([a, one('b', 1).subarray(0, 30)])
    const err = expectLogError(() => decodeBatches(torn), 'LOG_CORRUPT_BATCH')
    expect(err.details['position']).toBe(a.length)
    expect(decodeBatches(torn, 0, torn.length, { allowPartialTail: true }).map((x) => x.baseOffset)).toEqual([0])
  })

  it('still rejects a complete batch with a bad CRC when a partial tail is allowed', () => {
    const bad = one('a', 0)
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1
    expectLogError(() => decodeBatches(bad, 0, bad.length, { allowPartialTail: true }), 'LOG_CORRUPT_BATCH')
    expect(decodeBatches(bad, 0, bad.length, { verifyCrc: false })).toHaveLength(1)
  })

  it('rejects an invalid range with LOG_CORRUPT_BATCH', () => {
    const a = one('a', 0)
    expectLogError(() => decodeBatches(a, 5, 2), 'LOG_CORRUPT_BATCH')
    expectLogError(() => decodeBatches(a, 0, a.length + 1), 'LOG_CORRUPT_BATCH')
  })
})
