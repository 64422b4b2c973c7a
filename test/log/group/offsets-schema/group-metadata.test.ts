/**
 * GroupMetadataKey / GroupMetadataValue golden bytes, hand-built field by field from Kafka's
 * GroupMetadataKey.json / GroupMetadataValue.json (log anchor §5.6), then round trips and
 * corruption.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeConsumerOffsetsKey } from '../../../../src/log/group/offsets-schema/consumer-offsets-record.js'
import {
  decodeGroupMetadataValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  type GroupMemberMetadata,
  type GroupMetadataValue,
  type GroupMetadataValueVersion,
} from '../../../../src/log/group/offsets-schema/group-metadata.js'
import { isMillraceError } from '../../../../src/log/errors.js'
import { decodesOrCorrupt, expectCode, hex } from './helpers.js'

const T = 1_700_000_000_000 // 0x0000018bcfe56800

const KEY = hex(
  '0002', //                      key version 2 (group metadata)
  '0002 6731', //                 group: int16 length 2, "g1"
)

const member: GroupMemberMetadata = {
  memberId: 'm-1',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: '/h',
  rebalanceTimeoutMs: 300_000,
  sessionTimeoutMs: 45_000,
  subscription: new Uint8Array([1, 2]),
  assignment: new Uint8Array(0),
}
const group: GroupMetadataValue = {
  protocolType: 'consumer',
  generation: 5,
  protocol: 'range',
  leader: 'm-1',
  currentStateTimestampMs: T,
  members: [member],
}

const VALUE_V3 = hex(
  '0003', //                      value version 3 (what Kafka writes)
  '0008 636f6e73756d6572', //     protocolType: int16 length 8, "consumer"
  '00000005', //                  generation int32 5
  '0005 72616e6765', //           protocol: nullable string "range"
  '0003 6d2d31', //               leader: nullable string "m-1"
  '0000018bcfe56800', //          currentStateTimestamp int64 T
  '00000001', //                  members: int32 count 1
  '0003 6d2d31', //                 memberId "m-1"
  'ffff', //                        groupInstanceId null (int16 −1)
  '0001 63', //                     clientId "c"
  '0002 2f68', //                   clientHost "/h"
  '000493e0', //                    rebalanceTimeout int32 300000
  '0000afc8', //                    sessionTimeout int32 45000
  '00000002 0102', //               subscription: int32 length 2, 01 02
  '00000000', //                    assignment: int32 length 0
)

const VALUE_V4 = hex(
  '0004', //                      value version 4 (first flexible)
  '09 636f6e73756d6572', //       protocolType: COMPACT_STRING uvarint(8 + 1), "consumer"
  '00000005', //                  generation int32 5
  '06 72616e6765', //             protocol: uvarint(5 + 1), "range"
  '04 6d2d31', //                 leader: uvarint(3 + 1), "m-1"
  '0000018bcfe56800', //          currentStateTimestamp int64 T
  '02', //                        members: COMPACT_ARRAY uvarint(1 + 1)
  '04 6d2d31', //                   memberId "m-1"
  '02 69', //                       groupInstanceId "i"
  '02 63', //                       clientId "c"
  '03 2f68', //                     clientHost "/h"
  '000493e0', //                    rebalanceTimeout int32 300000
  '0000afc8', //                    sessionTimeout int32 45000
  '03 0102', //                     subscription: COMPACT_BYTES uvarint(2 + 1), 01 02
  '01', //                          assignment: uvarint(0 + 1), empty
  '00', //                          member tagged fields: none
  '00', //                        value tagged fields: none
)

const VALUE_V0 = hex(
  '0000', //                      value version 0
  '0008 636f6e73756d6572', //     protocolType "consumer"
  '00000005', //                  generation int32 5
  'ffff', //                      protocol null
  'ffff', //                      leader null
  //                              (no currentStateTimestamp before v2)
  '00000001', //                  members: int32 count 1
  '0003 6d2d31', //                 memberId "m-1" (no groupInstanceId before v3)
  '0001 63', //                     clientId "c"
  '0002 2f68', //                   clientHost "/h" (no rebalanceTimeout before v1)
  '0000afc8', //                    sessionTimeout int32 45000
  '00000002 0102', //               subscription 01 02
  '00000000', //                    assignment empty
)

describe('GroupMetadataKey golden bytes', () => {
  it('encodes key version 2', () => {
    expect(encodeGroupMetadataKey({ group: 'g1' }).toString('hex')).toBe(KEY.toString('hex'))
  })

  it('decodes key version 2', () => {
    expect(decodeConsumerOffsetsKey(KEY)).toEqual({ type: 'group-metadata', version: 2, group: 'g1' })
  })
})

describe('GroupMetadataValue golden bytes', () => {
  it('writes version 3 by default, as Kafka does', () => {
    expect(encodeGroupMetadataValue(group).toString('hex')).toBe(VALUE_V3.toString('hex'))
  })

  it('writes the flexible version 4 when asked', () => {
    const v4 = { ...group, members: [{ ...member, groupInstanceId: 'i' }] }
    expect(encodeGroupMetadataValue(v4, 4).toString('hex')).toBe(VALUE_V4.toString('hex'))
  })

  it('writes version 0 without the fields it lacks', () => {
    const v0 = { ...group, protocol: null, leader: null }
    expect(encodeGroupMetadataValue(v0, 0).toString('hex')).toBe(VALUE_V0.toString('hex'))
  })

  it('decodes version 3', () => {
    expect(decodeGroupMetadataValue(VALUE_V3)).toEqual({ version: 3, ...group })
  })

  it('decodes version 4', () => {
    expect(decodeGroupMetadataValue(VALUE_V4)).toEqual({ version: 4, ...group, members: [{ ...member, groupInstanceId: 'i' }] })
  })

  it('decodes version 0, taking rebalanceTimeout from sessionTimeout like Kafka', () => {
    expect(decodeGroupMetadataValue(VALUE_V0)).toEqual({
      version: 0,
      protocolType: 'consumer',
      generation: 5,
      protocol: null,
      leader: null,
      currentStateTimestampMs: -1,
      members: [{ ...member, rebalanceTimeoutMs: 45_000 }],
    })
  })

  it('returns copies of subscription and assignment, not views of the input', () => {
    const bytes = Buffer.from(VALUE_V3)
    const decoded = decodeGroupMetadataValue(bytes)
    bytes.fill(0)
    expect(decoded?.members[0]?.subscription).toEqual(new Uint8Array([1, 2]))
  })

  it('decodes a tombstone (null value) as null', () => {
    expect(decodeGroupMetadataValue(null)).toBeNull()
  })
})

const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })
const str = fc.string({ unit: 'binary', maxLength: 20 })
const memberArb: fc.Arbitrary<GroupMemberMetadata> = fc.record({
  memberId: str,
  groupInstanceId: fc.option(str, { nil: null }),
  clientId: str,
  clientHost: str,
  rebalanceTimeoutMs: int32,
  sessionTimeoutMs: int32,
  subscription: fc.uint8Array({ maxLength: 20 }),
  assignment: fc.uint8Array({ maxLength: 20 }),
})
const valueArb: fc.Arbitrary<GroupMetadataValue> = fc.record({
  protocolType: str,
  generation: int32,
  protocol: fc.option(str, { nil: null }),
  leader: fc.option(str, { nil: null }),
  currentStateTimestampMs: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  members: fc.array(memberArb, { maxLength: 4 }),
})
const versionArb = fc.constantFrom<GroupMetadataValueVersion>(0, 1, 2, 3, 4)

describe('GroupMetadataValue round trips', () => {
  it('decodes what it encodes in every version, with fields absent from the version at their defaults', () => {
    fc.assert(
      fc.property(valueArb, versionArb, (value, version) => {
        expect(decodeGroupMetadataValue(encodeGroupMetadataValue(value, version))).toEqual({
          version,
          ...value,
          currentStateTimestampMs: version >= 2 ? value.currentStateTimestampMs : -1,
          members: value.members.map((m) => ({
            ...m,
            groupInstanceId: version >= 3 ? m.groupInstanceId : null,
            rebalanceTimeoutMs: version >= 1 ? m.rebalanceTimeoutMs : m.sessionTimeoutMs,
          })),
        })
      }),
    )
  })

  it('round-trips group keys', () => {
    fc.assert(
      fc.property(str, (g) => {
        expect(decodeConsumerOffsetsKey(encodeGroupMetadataKey({ group: g }))).toEqual({ type: 'group-metadata', version: 2, group: g })
      }),
    )
  })
})

describe('GroupMetadataValue corruption', () => {
  it('rejects every truncation with LOG_CORRUPT_BATCH', () => {
    for (const golden of [VALUE_V0, VALUE_V3, VALUE_V4]) {
      for (let n = 0; n < golden.length; n++) expectCode(() => decodeGroupMetadataValue(golden.subarray(0, n)), 'LOG_CORRUPT_BATCH')
    }
    for (let n = 0; n < KEY.length; n++) expectCode(() => decodeConsumerOffsetsKey(KEY.subarray(0, n)), 'LOG_CORRUPT_BATCH')
  })

  it('rejects a null non-nullable field, a negative or oversized member count and trailing bytes', () => {
    const nullProtocolType = hex('0003 ffff', VALUE_V3.subarray(12).toString('hex'))
    expectCode(() => decodeGroupMetadataValue(nullProtocolType), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeGroupMetadataValue(hex('0003 0000 00000000 ffff ffff 0000018bcfe56800 ffffffff')), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeGroupMetadataValue(hex('0003 0000 00000000 ffff ffff 0000018bcfe56800 7fffffff')), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeGroupMetadataValue(hex(VALUE_V3.toString('hex'), '00')), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeGroupMetadataValue(hex('0005', VALUE_V3.subarray(2).toString('hex'))), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeConsumerOffsetsKey(hex(KEY.toString('hex'), '00')), 'LOG_CORRUPT_BATCH')
  })

  it('either decodes or raises LOG_CORRUPT_BATCH on garbled bytes', () => {
    fc.assert(
      fc.property(valueArb, versionArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (value, version, flips) => {
        const bytes = Buffer.from(encodeGroupMetadataValue(value, version))
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte
        decodesOrCorrupt(() => decodeGroupMetadataValue(bytes))
      }),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        decodesOrCorrupt(() => decodeGroupMetadataValue(bytes))
      }),
      { numRuns: 500 },
    )
  })
})

describe('GroupMetadataValue encode validation', () => {
  it('rejects bad fields with CONFIG_INVALID, listing each', () => {
    const bad = {
      ...group,
      generation: 2 ** 31,
      members: [{ ...member, sessionTimeoutMs: -0x8000_0001, subscription: 'x' as never }],
    }
    expectCode(() => encodeGroupMetadataValue(bad), 'CONFIG_INVALID')
    let thrown: unknown
    try {
      encodeGroupMetadataValue(bad)
    } catch (err) {
      thrown = err
    }
    expect(isMillraceError(thrown) && thrown.details.problems).toBe(3)
    expectCode(() => encodeGroupMetadataValue({ ...group, protocolType: null as never }), 'CONFIG_INVALID')
    expectCode(() => encodeGroupMetadataValue({ ...group, members: null as never }), 'CONFIG_INVALID')
    expectCode(() => encodeGroupMetadataKey({ group: 'g'.repeat(0x8000) }), 'CONFIG_INVALID')
  })
})
