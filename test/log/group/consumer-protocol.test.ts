/**
 * ConsumerProtocolSubscription / ConsumerProtocolAssignment: golden bytes hand-built field by
 * field from Kafka's ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json (log
 * anchor §5.2), a cross-check against kafkajs's independent v0 encoder, round trips over every
 * version, forward compatibility and corruption.
 */
import fc from 'fast-check'
import { AssignerProtocol } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import {
  CONSUMER_PROTOCOL_LATEST_VERSION,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/log/group/consumer-protocol.js'
import type { MemberAssignment, MemberSubscription } from '../../../src/log/client/assignors/assignor.js'
import type { TopicPartition } from '../../../src/log/topic-partition.js'
import { decodesOrCorrupt, expectCode, hex } from './offsets-schema/helpers.js'

const subscription: MemberSubscription = {
  topics: ['t1', 't2'],
  userData: new Uint8Array([0xab]),
  // Deliberately interleaved: the encoder groups per topic in first-seen order.
  ownedPartitions: [
    { topic: 't1', partition: 1 },
    { topic: 't2', partition: 0 },
    { topic: 't1', partition: 2 },
  ],
  generationId: 7,
  rackId: 'r',
}

const SUB_V0 = [
  '00000002', //                topics: int32 count 2
  '0002 7431', //               "t1"
  '0002 7432', //               "t2"
  '00000001 ab', //             userData: int32 length 1, ab
]
const SUB_OWNED = [
  '00000002', //                ownedPartitions: int32 count 2 (topics)
  '0002 7431', //                 topic "t1"
  '00000002 00000001 00000002', //  partitions: count 2, [1, 2]
  '0002 7432', //                 topic "t2"
  '00000001 00000000', //         partitions: count 1, [0]
]
const SUB_GENERATION = '00000007' // generationId int32 7
const SUB_RACK = '0001 72' //        rackId: nullable string "r"

const GOLDEN_SUBSCRIPTIONS: ReadonlyArray<readonly [number, Buffer]> = [
  [0, hex('0000', ...SUB_V0)],
  [1, hex('0001', ...SUB_V0, ...SUB_OWNED)],
  [2, hex('0002', ...SUB_V0, ...SUB_OWNED, SUB_GENERATION)],
  [3, hex('0003', ...SUB_V0, ...SUB_OWNED, SUB_GENERATION, SUB_RACK)],
]

const assignment: MemberAssignment = {
  partitions: [
    { topic: 't1', partition: 0 },
    { topic: 't1', partition: 1 },
    { topic: 't2', partition: 3 },
  ],
  userData: null,
}

const ASSIGNMENT_V3 = hex(
  '0003', //                    version 3
  '00000002', //                assignedPartitions: int32 count 2 (topics)
  '0002 7431', //                 topic "t1"
  '00000002 00000000 00000001', //  partitions: count 2, [0, 1]
  '0002 7432', //                 topic "t2"
  '00000001 00000003', //         partitions: count 1, [3]
  'ffffffff', //                userData: null (int32 −1)
)

describe('consumer protocol subscription', () => {
  it.each(GOLDEN_SUBSCRIPTIONS)('encodes version %i to the spec bytes', (version, golden) => {
    expect(Buffer.from(encodeSubscription(subscription, version))).toEqual(golden)
  })

  it.each(GOLDEN_SUBSCRIPTIONS)('decodes the version %i spec bytes, keeping only that version’s fields', (version, golden) => {
    const decoded = decodeSubscription(golden)
    expect(decoded.topics).toEqual(['t1', 't2'])
    expect(decoded.userData).toEqual(new Uint8Array([0xab]))
    expect(decoded.ownedPartitions).toEqual(
      version >= 1
        ? [
            { topic: 't1', partition: 1 },
            { topic: 't1', partition: 2 },
            { topic: 't2', partition: 0 },
          ]
        : [],
    )
    expect(decoded.generationId).toBe(version >= 2 ? 7 : undefined)
    expect(decoded.rackId).toBe(version >= 3 ? 'r' : undefined)
    expect(decoded.groupInstanceId).toBeUndefined()
  })

  it('encodes version 3 by default, with null userData, unknown generation and no rack', () => {
    const bytes = encodeSubscription({ topics: ['a'], ownedPartitions: [], userData: null })
    expect(Buffer.from(bytes)).toEqual(
      hex(
        '0003', //              version 3
        '00000001 0001 61', //  topics ["a"]
        'ffffffff', //          userData null
        '00000000', //          ownedPartitions: empty
        'ffffffff', //          generationId −1 (Kafka's default)
        'ffff', //              rackId null
      ),
    )
    expect(decodeSubscription(bytes)).toEqual({ topics: ['a'], ownedPartitions: [], userData: null, generationId: -1 })
  })

  it('writes the same v0 bytes as kafkajs’s independent encoder', () => {
    const ours = encodeSubscription({ topics: ['orders', 'payments'], ownedPartitions: [], userData: new Uint8Array([1, 2]) }, 0)
    const theirs = AssignerProtocol.MemberMetadata.encode({
      version: 0,
      topics: ['orders', 'payments'],
      userData: Buffer.from([1, 2]),
    })
    expect(Buffer.from(ours)).toEqual(theirs)
  })

  it('reads the v3 fields of a v4 payload and ignores the fields it does not know', () => {
    const v4 = hex(
      '0004', //                version 4 (from a newer client)
      ...SUB_V0,
      ...SUB_OWNED,
      SUB_GENERATION,
      SUB_RACK,
      '0003 78797a 00000009', // fields added after v3, unknown to us
    )
    const decoded = decodeSubscription(v4)
    expect(decoded.topics).toEqual(['t1', 't2'])
    expect(decoded.ownedPartitions).toHaveLength(3)
    expect(decoded.generationId).toBe(7)
    expect(decoded.rackId).toBe('r')
  })

  it('rejects trailing bytes after a version it knows', () => {
    const golden = GOLDEN_SUBSCRIPTIONS[3]?.[1] ?? Buffer.alloc(0)
    expectCode(() => decodeSubscription(Buffer.concat([golden, Buffer.from([0])])), 'LOG_CORRUPT_BATCH')
  })

  it('rejects a negative version and empty bytes', () => {
    expectCode(() => decodeSubscription(hex('ffff', ...SUB_V0)), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeSubscription(new Uint8Array(0)), 'LOG_CORRUPT_BATCH')
  })

  it('raises only LOG_CORRUPT_BATCH for every truncation of every version', () => {
    for (const [, golden] of GOLDEN_SUBSCRIPTIONS) {
      for (let n = 0; n < golden.length; n++) {
        expectCode(() => decodeSubscription(golden.subarray(0, n)), 'LOG_CORRUPT_BATCH')
      }
    }
  })

  it('never aliases the payload it decoded', () => {
    const bytes = Buffer.from(GOLDEN_SUBSCRIPTIONS[3]?.[1] ?? Buffer.alloc(0))
    const decoded = decodeSubscription(bytes)
    bytes.fill(0)
    expect(decoded.userData).toEqual(new Uint8Array([0xab]))
  })

  it('rejects invalid fields with CONFIG_INVALID before writing anything', () => {
    const base: MemberSubscription = { topics: ['a'], ownedPartitions: [], userData: null }
    expectCode(() => encodeSubscription(base, 4), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription(base, -1), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, topics: ['x'.repeat(0x8000)] }), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, ownedPartitions: [{ topic: 'a', partition: 2 ** 31 }] }), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, ownedPartitions: [{ topic: 'a', partition: 1.5 }] }), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, generationId: -(2 ** 31) - 1 }), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, rackId: 'r'.repeat(0x8000) }), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, topics: 'a' } as unknown as MemberSubscription), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, userData: 'x' } as unknown as MemberSubscription), 'CONFIG_INVALID')
    expectCode(() => encodeSubscription({ ...base, ownedPartitions: [null] } as unknown as MemberSubscription), 'CONFIG_INVALID')
  })

  it('validates owned partitions even at v0, which does not write them', () => {
    const sub: MemberSubscription = { topics: ['a'], ownedPartitions: [{ topic: 'a', partition: -(2 ** 40) }], userData: null }
    expectCode(() => encodeSubscription(sub, 0), 'CONFIG_INVALID')
  })
})

describe('consumer protocol assignment', () => {
  it('encodes version 3 to the spec bytes by default', () => {
    expect(Buffer.from(encodeAssignment(assignment))).toEqual(ASSIGNMENT_V3)
  })

  it('decodes the spec bytes', () => {
    expect(decodeAssignment(ASSIGNMENT_V3)).toEqual(assignment)
  })

  it('writes the same v0 bytes as kafkajs’s independent encoder', () => {
    const ours = encodeAssignment(
      {
        partitions: [
          { topic: 'a', partition: 0 },
          { topic: 'a', partition: 2 },
          { topic: 'b', partition: 1 },
        ],
        userData: new Uint8Array([9]),
      },
      0,
    )
    const theirs = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { a: [0, 2], b: [1] }, userData: Buffer.from([9]) })
    expect(Buffer.from(ours)).toEqual(theirs)
  })

  it('decodes empty bytes as an empty assignment (a member the leader left out)', () => {
    expect(decodeAssignment(new Uint8Array(0))).toEqual({ partitions: [], userData: null })
  })

  it('reads the known fields of a v4 payload and ignores the rest', () => {
    const v4 = Buffer.concat([hex('0004'), ASSIGNMENT_V3.subarray(2), hex('00000001 ff')])
    expect(decodeAssignment(v4)).toEqual(assignment)
  })

  it('raises only LOG_CORRUPT_BATCH for every non-empty truncation and for trailing bytes', () => {
    for (let n = 1; n < ASSIGNMENT_V3.length; n++) {
      expectCode(() => decodeAssignment(ASSIGNMENT_V3.subarray(0, n)), 'LOG_CORRUPT_BATCH')
    }
    expectCode(() => decodeAssignment(Buffer.concat([ASSIGNMENT_V3, hex('00')])), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeAssignment(hex('8000', '00000000', 'ffffffff')), 'LOG_CORRUPT_BATCH')
  })

  it('rejects invalid fields with CONFIG_INVALID', () => {
    expectCode(() => encodeAssignment({ partitions: [{ topic: 'a', partition: 2 ** 31 }] }), 'CONFIG_INVALID')
    expectCode(() => encodeAssignment({ partitions: [{ topic: 'x'.repeat(0x8000), partition: 0 }] }), 'CONFIG_INVALID')
    expectCode(() => encodeAssignment({ partitions: [] }, 7), 'CONFIG_INVALID')
    expectCode(() => encodeAssignment({ partitions: {} } as unknown as MemberAssignment), 'CONFIG_INVALID')
  })
})

// ---- properties -------------------------------------------------------------------------------

const topicArb = fc.string({ maxLength: 12 })
const int32Arb = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
const tpArb: fc.Arbitrary<TopicPartition> = fc.record({ topic: fc.constantFrom('a', 'b', 'ü', ''), partition: int32Arb })
const bytesArb = fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null })
const versionArb = fc.integer({ min: 0, max: CONSUMER_PROTOCOL_LATEST_VERSION })

/** The oracle for grouping: a stable sort by the topic's first appearance. */
function groupedByTopic(tps: readonly TopicPartition[]): TopicPartition[] {
  const firstSeen = new Map<string, number>()
  tps.forEach((tp, i) => {
    if (!firstSeen.has(tp.topic)) firstSeen.set(tp.topic, i)
  })
  return [...tps].sort((x, y) => (firstSeen.get(x.topic) ?? 0) - (firstSeen.get(y.topic) ?? 0))
}

describe('consumer protocol properties', () => {
  it('round-trips every subscription at every version, minus the fields the version lacks', () => {
    const subArb = fc.record(
      {
        topics: fc.array(topicArb, { maxLength: 5 }),
        ownedPartitions: fc.array(tpArb, { maxLength: 8 }),
        userData: bytesArb,
        generationId: int32Arb,
        rackId: fc.string({ maxLength: 5 }),
      },
      { requiredKeys: ['topics', 'ownedPartitions', 'userData'] },
    )
    fc.assert(
      fc.property(subArb, versionArb, (sub, version) => {
        const decoded = decodeSubscription(encodeSubscription(sub, version))
        const expected: MemberSubscription = {
          topics: sub.topics,
          userData: sub.userData,
          ownedPartitions: version >= 1 ? groupedByTopic(sub.ownedPartitions) : [],
          ...(version >= 2 ? { generationId: sub.generationId ?? -1 } : {}),
          ...(version >= 3 && sub.rackId !== undefined ? { rackId: sub.rackId } : {}),
        }
        expect(decoded).toEqual(expected)
      }),
    )
  })

  it('round-trips every assignment at every version', () => {
    const assignmentArb = fc.record({ partitions: fc.array(tpArb, { maxLength: 8 }), userData: bytesArb })
    fc.assert(
      fc.property(assignmentArb, versionArb, (a, version) => {
        expect(decodeAssignment(encodeAssignment(a, version))).toEqual({
          partitions: groupedByTopic(a.partitions),
          userData: a.userData,
        })
      }),
    )
  })

  it('decodes or raises LOG_CORRUPT_BATCH for arbitrary bytes, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodesOrCorrupt(() => decodeSubscription(bytes))
        decodesOrCorrupt(() => decodeAssignment(bytes))
      }),
    )
  })

  it('decodes or raises LOG_CORRUPT_BATCH for single-byte corruptions of valid payloads', () => {
    const golden = GOLDEN_SUBSCRIPTIONS[3]?.[1] ?? Buffer.alloc(0)
    fc.assert(
      fc.property(fc.nat({ max: golden.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const sub = Buffer.from(golden)
        sub[at] = value
        decodesOrCorrupt(() => decodeSubscription(sub))
        const asg = Buffer.from(ASSIGNMENT_V3)
        asg[at % asg.length] = value
        decodesOrCorrupt(() => decodeAssignment(asg))
      }),
    )
  })
})
