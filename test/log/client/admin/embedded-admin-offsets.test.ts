/**
 * EmbeddedAdmin ListOffsets and DeleteRecords against a real broker.
 */
import { describe, expect, it } from 'vitest'
import { batchOf } from '../../../support/batches.js'
import { expectRejects, openTopicAdmin } from './helpers.js'

const T = 1_700_000_000_000
const P0 = { topic: 'events', partition: 0 }
const P1 = { topic: 'events', partition: 1 }

/** `events` with 2 partitions: 5 records (timestamps T..T+4) in p0, 3 in p1. */
async function openWithRecords() {
  const opened = await openTopicAdmin()
  await opened.admin.createTopics([{ topic: 'events', partitions: 2 }])
  opened.broker.append(P0, batchOf(5, 'a', T))
  opened.broker.append(P1, batchOf(3, 'b', T))
  return opened
}

describe('EmbeddedAdmin.listOffsets', () => {
  it('answers the log start for earliest and the log end for latest', async () => {
    const { broker, admin } = await openWithRecords()
    broker.deleteRecordsBefore(P0, 2)
    expect(
      await admin.listOffsets([
        { ...P0, spec: 'earliest' },
        { ...P0, spec: 'latest' },
        { ...P1, spec: 'earliest' },
        { ...P1, spec: 'latest' },
      ]),
    ).toEqual([
      { ...P0, offset: 2, timestampMs: null },
      { ...P0, offset: 5, timestampMs: null },
      { ...P1, offset: 0, timestampMs: null },
      { ...P1, offset: 3, timestampMs: null },
    ])
  })

  it('finds the first record at or after a timestamp, and null when every record is older', async () => {
    const { admin } = await openWithRecords()
    expect(
      await admin.listOffsets([
        { ...P0, spec: { timestampMs: T + 2 } },
        { ...P0, spec: { timestampMs: 0 } },
        { ...P0, spec: { timestampMs: T + 100 } },
      ]),
    ).toEqual([
      { ...P0, offset: 2, timestampMs: T + 2 },
      { ...P0, offset: 0, timestampMs: T },
      { ...P0, offset: null, timestampMs: null },
    ])
  })

  it('answers null for a timestamp query on an empty partition', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'empty' }])
    expect(await admin.listOffsets([{ topic: 'empty', partition: 0, spec: { timestampMs: T } }])).toEqual([
      { topic: 'empty', partition: 0, offset: null, timestampMs: null },
    ])
  })

  it.each([
    ['a negative timestamp', 'LOG_INVALID_ARGUMENT', { ...P0, spec: { timestampMs: -1 } }],
    ['a fractional timestamp', 'LOG_INVALID_ARGUMENT', { ...P0, spec: { timestampMs: 1.5 } }],
    ['an unknown spec', 'LOG_INVALID_ARGUMENT', { ...P0, spec: 'newest' }],
    ['a missing partition', 'LOG_INVALID_ARGUMENT', { topic: 'events', spec: 'latest' }],
    ['an unknown topic', 'LOG_UNKNOWN_TOPIC', { topic: 'missing', partition: 0, spec: 'latest' }],
    ['an unknown partition', 'LOG_UNKNOWN_PARTITION', { topic: 'events', partition: 2, spec: 'latest' }],
    ['a negative partition', 'LOG_UNKNOWN_PARTITION', { topic: 'events', partition: -1, spec: 'latest' }],
  ])('rejects %s with %s', async (_case, code, query) => {
    const { admin } = await openWithRecords()
    await expectRejects(admin.listOffsets([{ ...P1, spec: 'latest' }, query] as never), code)
  })
})

describe('EmbeddedAdmin.deleteRecords', () => {
  it('moves each log start offset and answers it as the low watermark', async () => {
    const { admin } = await openWithRecords()
    expect(
      await admin.deleteRecords([
        { ...P0, offset: 3 },
        { ...P1, offset: -1 },
      ]),
    ).toEqual([
      { ...P0, lowWatermark: 3 },
      { ...P1, lowWatermark: 3 },
    ])
    expect(await admin.listOffsets([{ ...P0, spec: 'earliest' }])).toEqual([{ ...P0, offset: 3, timestampMs: null }])
  })

  it('leaves the log start where it is for an offset below it', async () => {
    const { admin } = await openWithRecords()
    await admin.deleteRecords([{ ...P0, offset: 4 }])
    expect(await admin.deleteRecords([{ ...P0, offset: 1 }])).toEqual([{ ...P0, lowWatermark: 4 }])
  })

  it('accepts the log end itself, which empties the partition', async () => {
    const { admin } = await openWithRecords()
    expect(await admin.deleteRecords([{ ...P0, offset: 5 }])).toEqual([{ ...P0, lowWatermark: 5 }])
  })

  it.each([
    ['an offset past the log end', 'LOG_OFFSET_OUT_OF_RANGE', { ...P1, offset: 4 }],
    ['a negative offset other than -1', 'LOG_OFFSET_OUT_OF_RANGE', { ...P1, offset: -2 }],
    ['a fractional offset', 'LOG_INVALID_ARGUMENT', { ...P1, offset: 1.5 }],
    ['a partition twice', 'LOG_INVALID_ARGUMENT', { ...P0, offset: 1 }],
    ['an unknown topic', 'LOG_UNKNOWN_TOPIC', { topic: 'missing', partition: 0, offset: 0 }],
    ['an unknown partition', 'LOG_UNKNOWN_PARTITION', { topic: 'events', partition: 9, offset: 0 }],
  ])('rejects a batch with %s with %s and deletes nothing', async (_case, code, second) => {
    const { admin } = await openWithRecords()
    await expectRejects(admin.deleteRecords([{ ...P0, offset: 2 }, second] as never), code)
    expect(await admin.listOffsets([{ ...P0, spec: 'earliest' }, { ...P1, spec: 'earliest' }])).toEqual([
      { ...P0, offset: 0, timestampMs: null },
      { ...P1, offset: 0, timestampMs: null },
    ])
  })

  it('rejects arguments of the wrong shape with LOG_INVALID_ARGUMENT', async () => {
    const { admin } = await openWithRecords()
    await expectRejects(admin.deleteRecords(P0 as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.deleteRecords([{ topic: 'events', partition: '0', offset: 1 }] as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.listOffsets('events' as never), 'LOG_INVALID_ARGUMENT')
  })
})
