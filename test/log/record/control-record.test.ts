import { describe, expect, it } from 'vitest'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { encodeControlBatch, readControlRecord } from '../../../src/log/record/control-record.js'
import { RecordBatch } from '../../../src/log/record/record-batch.js'
import { expectLogError } from './helpers.js'

const marker = (type: 'COMMIT' | 'ABORT', coordinatorEpoch = 7) =>
  new RecordBatch(
    encodeControlBatch({ type, producerId: 1234n, producerEpoch: 5, coordinatorEpoch, timestampMs: 1_000, baseOffset: 40 }),
  ).validate()

/** A control batch whose single record has the given key and value. */
const controlBatchWith = (key: Uint8Array | null, value: Uint8Array | null) =>
  new RecordBatch(encodeRecordBatch([{ key, value, timestampMs: 1 }], { isControl: true, isTransactional: true }))

describe('control records', () => {
  it('round-trips COMMIT and ABORT markers with the coordinator epoch', () => {
    expect(readControlRecord(marker('COMMIT'))).toEqual({ type: 'COMMIT', coordinatorEpoch: 7 })
    expect(readControlRecord(marker('ABORT', -1))).toEqual({ type: 'ABORT', coordinatorEpoch: -1 })
  })

  it('writes markers as one-record transactional control batches without a sequence', () => {
    const batch = marker('ABORT')
    expect({
      isControl: batch.isControl,
      isTransactional: batch.isTransactional,
      baseSequence: batch.baseSequence,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      recordsCount: batch.recordsCount,
      baseOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
    }).toEqual({
      isControl: true,
      isTransactional: true,
      baseSequence: -1,
      producerId: 1234n,
      producerEpoch: 5,
      recordsCount: 1,
      baseOffset: 40,
      lastOffset: 40,
    })
  })

  it('reads control types it does not use (KRaft records) as UNKNOWN', () => {
    const leaderChange = Buffer.from([0, 0, 0, 2])
    expect(readControlRecord(controlBatchWith(leaderChange, Buffer.alloc(0)))).toEqual({ type: 'UNKNOWN', coordinatorEpoch: -1 })
  })

  it('refuses to read a marker from a data batch with LOG_INVALID_RECORD', () => {
    const data = new RecordBatch(encodeRecordBatch([{ key: null, value: null, timestampMs: 1 }]))
    expectLogError(() => readControlRecord(data), 'LOG_INVALID_RECORD')
  })

  it('rejects a short control key or marker value with LOG_CORRUPT_BATCH', () => {
    expectLogError(() => readControlRecord(controlBatchWith(Buffer.from([0, 0, 0]), Buffer.alloc(6))), 'LOG_CORRUPT_BATCH')
    expectLogError(() => readControlRecord(controlBatchWith(null, Buffer.alloc(6))), 'LOG_CORRUPT_BATCH')
    expectLogError(() => readControlRecord(controlBatchWith(Buffer.from([0, 0, 0, 1]), Buffer.alloc(5))), 'LOG_CORRUPT_BATCH')
  })

  it('refuses a coordinator epoch outside int32 with LOG_INVALID_RECORD', () => {
    expectLogError(
      () => encodeControlBatch({ type: 'COMMIT', producerId: 1n, producerEpoch: 0, coordinatorEpoch: 2 ** 31, timestampMs: 1 }),
      'LOG_INVALID_RECORD',
    )
  })
})
