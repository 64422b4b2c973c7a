/**
 * OffsetCommitKey / OffsetCommitValue golden bytes, hand-built field by field from Kafka's
 * OffsetCommitKey.json / OffsetCommitValue.json (log anchor §5.6), then round trips and
 * corruption.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeOffsetCommitValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type OffsetCommitValue,
  type OffsetCommitValueVersion,
} from '../../../../src/log/group/offsets-schema/offset-commit.js'
import { decodeConsumerOffsetsKey } from '../../../../src/log/group/offsets-schema/consumer-offsets-record.js'
import { decodesOrCorrupt, expectCode, hex } from './helpers.js'

const T = 1_700_000_000_000 // 0x0000018bcfe56800

const KEY_V1 = hex(
  '0001', //                  key version 1 (offset commit; what Kafka writes)
  '0002 6731', //             group: int16 length 2, "g1"
  '0007 746f7069632d61', //   topic: int16 length 7, "topic-a"
  '00000003', //              partition int32 3
)

const VALUE_V3 = hex(
  '0003', //                  value version 3
  '000000000000002a', //      offset int64 42
  '00000007', //              leaderEpoch int32 7
  '0001 6d', //               metadata: int16 length 1, "m"
  '0000018bcfe56800', //      commitTimestamp int64 T
)

const VALUE_V1 = hex(
  '0001', //                  value version 1
  '000000000000002a', //      offset int64 42
  '0000', //                  metadata: int16 length 0, ""
  '0000018bcfe56800', //      commitTimestamp int64 T
  '0000018bcfe56be8', //      expireTimestamp int64 T + 1000
)

const VALUE_V0 = hex(
  '0000', //                  value version 0
  '000000000000002a', //      offset int64 42
  '0001 6d', //               metadata "m"
  '0000018bcfe56800', //      commitTimestamp int64 T
)

const VALUE_V2 = hex(
  '0002', //                  value version 2: same fields as v0
  '000000000000002a', //      offset int64 42
  '0001 6d', //               metadata "m"
  '0000018bcfe56800', //      commitTimestamp int64 T
)

const VALUE_V4 = hex(
  '0004', //                  value version 4 (first flexible)
  '000000000000002a', //      offset int64 42
  '00000007', //              leaderEpoch int32 7
  '02 6d', //                 metadata: COMPACT_STRING uvarint(1 + 1), "m"
  '0000018bcfe56800', //      commitTimestamp int64 T
  '00', //                    tagged fields: none
)

describe('OffsetCommitKey golden bytes', () => {
  it('encodes key version 1 by default, as Kafka writes', () => {
    expect(encodeOffsetCommitKey({ group: 'g1', topic: 'topic-a', partition: 3 }).toString('hex')).toBe(KEY_V1.toString('hex'))
  })

  it('encodes key version 0 with the same fields', () => {
    const v0 = encodeOffsetCommitKey({ group: 'g1', topic: 'topic-a', partition: 3 }, 0)
    expect(v0.toString('hex')).toBe('0000' + KEY_V1.subarray(2).toString('hex'))
  })

  it('decodes both key versions', () => {
    expect(decodeConsumerOffsetsKey(KEY_V1)).toEqual({ type: 'offset-commit', version: 1, group: 'g1', topic: 'topic-a', partition: 3 })
    const v0 = Buffer.concat([hex('0000'), KEY_V1.subarray(2)])
    expect(decodeConsumerOffsetsKey(v0)).toEqual({ type: 'offset-commit', version: 0, group: 'g1', topic: 'topic-a', partition: 3 })
  })
})

describe('OffsetCommitValue golden bytes', () => {
  it('writes version 3 without an expire timestamp, as Kafka does', () => {
    const bytes = encodeOffsetCommitValue({ offset: 42, leaderEpoch: 7, metadata: 'm', commitTimestampMs: T })
    expect(bytes.toString('hex')).toBe(VALUE_V3.toString('hex'))
  })

  it('writes version 1 when an expire timestamp is set, as Kafka does', () => {
    const bytes = encodeOffsetCommitValue({ offset: 42, leaderEpoch: 7, metadata: '', commitTimestampMs: T, expireTimestampMs: T + 1000 })
    expect(bytes.toString('hex')).toBe(VALUE_V1.toString('hex'))
  })

  it.each([
    [0, VALUE_V0],
    [2, VALUE_V2],
    [4, VALUE_V4],
  ] as const)('writes version %i when asked', (version, golden) => {
    const bytes = encodeOffsetCommitValue({ offset: 42, leaderEpoch: 7, metadata: 'm', commitTimestampMs: T }, version)
    expect(bytes.toString('hex')).toBe(golden.toString('hex'))
  })

  it.each([
    ['v0', VALUE_V0, { version: 0, offset: 42, leaderEpoch: -1, metadata: 'm', commitTimestampMs: T, expireTimestampMs: -1 }],
    ['v1', VALUE_V1, { version: 1, offset: 42, leaderEpoch: -1, metadata: '', commitTimestampMs: T, expireTimestampMs: T + 1000 }],
    ['v2', VALUE_V2, { version: 2, offset: 42, leaderEpoch: -1, metadata: 'm', commitTimestampMs: T, expireTimestampMs: -1 }],
    ['v3', VALUE_V3, { version: 3, offset: 42, leaderEpoch: 7, metadata: 'm', commitTimestampMs: T, expireTimestampMs: -1 }],
    ['v4', VALUE_V4, { version: 4, offset: 42, leaderEpoch: 7, metadata: 'm', commitTimestampMs: T, expireTimestampMs: -1 }],
  ])('decodes %s with absent fields at their defaults', (_name, golden, expected) => {
    expect(decodeOffsetCommitValue(golden)).toEqual(expected)
  })

  it('skips unknown tagged fields in version 4', () => {
    const withTags = hex(
      VALUE_V4.subarray(0, VALUE_V4.length - 1).toString('hex'),
      '02', //                  two tagged fields
      '00 03 aabbcc', //        tag 0, size 3, payload
      '05 00', //               tag 5, size 0
    )
    expect(decodeOffsetCommitValue(withTags)).toEqual(decodeOffsetCommitValue(VALUE_V4))
  })

  it('decodes a tombstone (null value) as null', () => {
    expect(decodeOffsetCommitValue(null)).toBeNull()
  })
})

const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })
const safeInt = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
const valueArb: fc.Arbitrary<OffsetCommitValue> = fc.record({
  offset: safeInt,
  leaderEpoch: int32,
  metadata: fc.string({ unit: 'binary', maxLength: 40 }),
  commitTimestampMs: safeInt,
  expireTimestampMs: safeInt,
})
const versionArb = fc.constantFrom<OffsetCommitValueVersion>(0, 1, 2, 3, 4)

describe('OffsetCommitValue round trips', () => {
  it('decodes what it encodes in every version, with fields absent from the version at their defaults', () => {
    fc.assert(
      fc.property(valueArb, versionArb, (value, version) => {
        expect(decodeOffsetCommitValue(encodeOffsetCommitValue(value, version))).toEqual({
          version,
          offset: value.offset,
          leaderEpoch: version >= 3 ? value.leaderEpoch : -1,
          metadata: value.metadata,
          commitTimestampMs: value.commitTimestampMs,
          expireTimestampMs: version === 1 ? value.expireTimestampMs : -1,
        })
      }),
    )
  })

  it('round-trips keys with any group, topic and partition', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), int32, fc.constantFrom<0 | 1>(0, 1), (group, topic, partition, version) => {
        expect(decodeConsumerOffsetsKey(encodeOffsetCommitKey({ group, topic, partition }, version))).toEqual({
          type: 'offset-commit',
          version,
          group,
          topic,
          partition,
        })
      }),
    )
  })
})

describe('OffsetCommitValue corruption', () => {
  it('rejects every truncation with LOG_CORRUPT_BATCH', () => {
    for (const golden of [VALUE_V0, VALUE_V1, VALUE_V2, VALUE_V3, VALUE_V4]) {
      for (let n = 0; n < golden.length; n++) expectCode(() => decodeOffsetCommitValue(golden.subarray(0, n)), 'LOG_CORRUPT_BATCH')
    }
    for (let n = 0; n < KEY_V1.length; n++) expectCode(() => decodeConsumerOffsetsKey(KEY_V1.subarray(0, n)), 'LOG_CORRUPT_BATCH')
  })

  it('rejects trailing bytes, unknown versions, negative lengths and unsafe int64s', () => {
    expectCode(() => decodeOffsetCommitValue(hex(VALUE_V3.toString('hex'), '00')), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeOffsetCommitValue(hex('0005', VALUE_V3.subarray(2).toString('hex'))), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeOffsetCommitValue(hex('ffff', VALUE_V3.subarray(2).toString('hex'))), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeOffsetCommitValue(hex('0003 000000000000002a 00000007 ffff 0000018bcfe56800')), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeOffsetCommitValue(hex('0003 7fffffffffffffff 00000007 0000 0000018bcfe56800')), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeOffsetCommitValue(hex('0004 000000000000002a 00000007 00 0000018bcfe56800 00')), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeOffsetCommitValue(hex('0004 000000000000002a 00000007 02 6d 0000018bcfe56800 01 00 05 00')), 'LOG_CORRUPT_BATCH')
  })

  it('either decodes or raises LOG_CORRUPT_BATCH on garbled bytes', () => {
    fc.assert(
      fc.property(valueArb, versionArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (value, version, flips) => {
        const bytes = Buffer.from(encodeOffsetCommitValue(value, version))
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte
        decodesOrCorrupt(() => decodeOffsetCommitValue(bytes))
      }),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodesOrCorrupt(() => decodeOffsetCommitValue(bytes))
        decodesOrCorrupt(() => decodeConsumerOffsetsKey(bytes))
      }),
      { numRuns: 500 },
    )
  })
})

describe('OffsetCommit encode validation', () => {
  it('rejects bad fields with CONFIG_INVALID instead of writing them', () => {
    expectCode(() => encodeOffsetCommitValue({ offset: 1.5, metadata: '', commitTimestampMs: T }), 'CONFIG_INVALID')
    expectCode(() => encodeOffsetCommitValue({ offset: 2 ** 53, metadata: '', commitTimestampMs: T }), 'CONFIG_INVALID')
    expectCode(() => encodeOffsetCommitValue({ offset: 0, leaderEpoch: 2 ** 31, metadata: '', commitTimestampMs: T }), 'CONFIG_INVALID')
    expectCode(() => encodeOffsetCommitValue({ offset: 0, metadata: 'x'.repeat(0x8000), commitTimestampMs: T }), 'CONFIG_INVALID')
    expectCode(() => encodeOffsetCommitValue({ offset: 0, metadata: '', commitTimestampMs: T }, 5 as never), 'CONFIG_INVALID')
    expectCode(() => encodeOffsetCommitKey({ group: 'g', topic: 't', partition: -0x8000_0001 }), 'CONFIG_INVALID')
    expectCode(() => encodeOffsetCommitKey({ group: null as never, topic: 't', partition: 0 }), 'CONFIG_INVALID')
  })

  it('allows long metadata in the flexible version, whose strings are not int16-limited', () => {
    const metadata = 'x'.repeat(0x8000)
    const bytes = encodeOffsetCommitValue({ offset: 0, metadata, commitTimestampMs: T }, 4)
    expect(decodeOffsetCommitValue(bytes)?.metadata).toBe(metadata)
  })

  it('does not mutate its input', () => {
    const value = Object.freeze({ offset: 1, metadata: 'm', commitTimestampMs: T })
    expect(() => encodeOffsetCommitValue(value)).not.toThrow()
  })
})
