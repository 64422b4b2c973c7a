/**
 * Golden bytes pin the disk format. Each fixture in test/fixtures/record/ is annotated field by
 * field against the v2 layout; encode must produce exactly those bytes and decode must read
 * exactly the annotated fields. The CRCs are also checked by kafkajs's pure-JS CRC-32C in
 * kafkajs-oracle.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { encodeControlBatch, readControlRecord } from '../../../src/log/record/control-record.js'
import { RecordBatch, decodeBatches } from '../../../src/log/record/record-batch.js'
import { readHexFixture, utf8 } from './helpers.js'

const T0 = 1_700_000_000_000

function decodeOne(bytes: Buffer): RecordBatch {
  const batches = decodeBatches(bytes)
  expect(batches).toHaveLength(1)
  return batches[0] as RecordBatch
}

function plainRecords(batch: RecordBatch) {
  return batch.records().map((r) => ({
    offset: r.offset,
    timestampMs: r.timestampMs,
    key: r.key === null ? null : Buffer.from(r.key).toString('utf8'),
    value: r.value === null ? null : Buffer.from(r.value).toString('utf8'),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value).toString('utf8') })),
  }))
}

describe('golden record batches', () => {
  it('encodes a plain batch without keys to the pinned bytes', () => {
    const golden = readHexFixture('plain-batch.hex')
    const encoded = encodeRecordBatch([
      { key: null, value: utf8('hello'), timestampMs: T0 },
      { key: null, value: utf8('world'), timestampMs: T0 + 5 },
    ])
    expect(encoded.toString('hex')).toBe(golden.toString('hex'))
  })

  it('decodes the pinned plain batch field by field', () => {
    const batch = decodeOne(readHexFixture('plain-batch.hex'))
    expect({
      baseOffset: batch.baseOffset,
      sizeBytes: batch.sizeBytes,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      compression: batch.compression,
      timestampType: batch.timestampType,
      isTransactional: batch.isTransactional,
      isControl: batch.isControl,
      hasDeleteHorizon: batch.hasDeleteHorizon,
      lastOffsetDelta: batch.lastOffsetDelta,
      lastOffset: batch.lastOffset,
      baseTimestamp: batch.baseTimestamp,
      maxTimestamp: batch.maxTimestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      recordsCount: batch.recordsCount,
    }).toEqual({
      baseOffset: 0,
      sizeBytes: 85,
      partitionLeaderEpoch: -1,
      compression: 'none',
      timestampType: 'create-time',
      isTransactional: false,
      isControl: false,
      hasDeleteHorizon: false,
      lastOffsetDelta: 1,
      lastOffset: 1,
      baseTimestamp: T0,
      maxTimestamp: T0 + 5,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      recordsCount: 2,
    })
    expect(plainRecords(batch)).toEqual([
      { offset: 0, timestampMs: T0, key: null, value: 'hello', headers: [] },
      { offset: 1, timestampMs: T0 + 5, key: null, value: 'world', headers: [] },
    ])
  })

  it('encodes a keyed batch with repeated and null headers, an empty key and a tombstone to the pinned bytes', () => {
    const golden = readHexFixture('keyed-headers-batch.hex')
    const encoded = encodeRecordBatch([
      {
        key: utf8('k1'),
        value: utf8('v1'),
        headers: [
          { key: 'h', value: utf8('x') },
          { key: 'h', value: null },
        ],
        timestampMs: T0 + 5,
      },
      { key: new Uint8Array(0), value: null, timestampMs: T0 + 2 },
    ])
    expect(encoded.toString('hex')).toBe(golden.toString('hex'))
  })

  it('decodes the pinned keyed batch including a negative timestamp delta', () => {
    const batch = decodeOne(readHexFixture('keyed-headers-batch.hex'))
    expect(batch.baseTimestamp).toBe(T0 + 5)
    expect(batch.maxTimestamp).toBe(T0 + 5)
    expect(plainRecords(batch)).toEqual([
      {
        offset: 0,
        timestampMs: T0 + 5,
        key: 'k1',
        value: 'v1',
        headers: [
          { key: 'h', value: 'x' },
          { key: 'h', value: null },
        ],
      },
      { offset: 1, timestampMs: T0 + 2, key: '', value: null, headers: [] },
    ])
    const [first, second] = batch.records()
    expect([first?.keySize, first?.valueSize, second?.keySize, second?.valueSize]).toEqual([2, 2, 0, -1])
  })

  it('encodes a snappy batch in xerial framing to the pinned bytes', () => {
    const golden = readHexFixture('snappy-batch.hex')
    const encoded = encodeRecordBatch([{ key: null, value: utf8('snappy!'), timestampMs: T0 }], {
      compression: 'snappy',
    })
    expect(encoded.toString('hex')).toBe(golden.toString('hex'))
  })

  it('decodes the pinned snappy batch', () => {
    const batch = decodeOne(readHexFixture('snappy-batch.hex'))
    expect(batch.compression).toBe('snappy')
    expect(batch.recordsCount).toBe(1)
    expect(plainRecords(batch)).toEqual([{ offset: 0, timestampMs: T0, key: null, value: 'snappy!', headers: [] }])
  })

  it('encodes a transactional batch with producer id, epoch and sequence to the pinned bytes', () => {
    const golden = readHexFixture('transactional-batch.hex')
    const encoded = encodeRecordBatch(
      [
        { key: utf8('a'), value: utf8('1'), timestampMs: T0 },
        { key: utf8('b'), value: utf8('2'), timestampMs: T0 + 10 },
      ],
      {
        isTransactional: true,
        producerId: 4242n,
        producerEpoch: 3,
        baseSequence: 7,
        baseOffset: 100,
        partitionLeaderEpoch: 0,
      },
    )
    expect(encoded.toString('hex')).toBe(golden.toString('hex'))
  })

  it('decodes the pinned transactional batch with absolute offsets', () => {
    const batch = decodeOne(readHexFixture('transactional-batch.hex'))
    expect([batch.isTransactional, batch.isControl, batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([
      true,
      false,
      4242n,
      3,
      7,
    ])
    expect([batch.baseOffset, batch.lastOffset, batch.partitionLeaderEpoch]).toEqual([100, 101, 0])
    expect(plainRecords(batch)).toEqual([
      { offset: 100, timestampMs: T0, key: 'a', value: '1', headers: [] },
      { offset: 101, timestampMs: T0 + 10, key: 'b', value: '2', headers: [] },
    ])
  })

  it('encodes a COMMIT control batch to the pinned bytes', () => {
    const golden = readHexFixture('commit-control-batch.hex')
    const encoded = encodeControlBatch({
      type: 'COMMIT',
      producerId: 4242n,
      producerEpoch: 3,
      coordinatorEpoch: 5,
      timestampMs: T0 + 10,
    })
    expect(encoded.toString('hex')).toBe(golden.toString('hex'))
  })

  it('decodes the pinned COMMIT control batch', () => {
    const batch = decodeOne(readHexFixture('commit-control-batch.hex'))
    expect([batch.isControl, batch.isTransactional, batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([
      true,
      true,
      4242n,
      3,
      -1,
    ])
    expect(readControlRecord(batch)).toEqual({ type: 'COMMIT', coordinatorEpoch: 5 })
  })
})
