/**
 * The admin's group description from a coordinator snapshot: member bytes parsed with the
 * consumer protocol codec, offsets with lag and owner. Pure: snapshots are plain data.
 */
import { describe, expect, it } from 'vitest'
import { describeGroupSnapshot, UNKNOWN_LOG_END_OFFSET } from '../../../../src/log/client/admin/group-description.js'
import type { GroupMemberSnapshot, GroupSnapshot, StoredOffset } from '../../../../src/log/group/coordinator-api.js'
import { encodeAssignment, encodeSubscription } from '../../../../src/log/group/consumer-protocol.js'
import type { TopicPartition } from '../../../../src/log/topic-partition.js'

function member(memberId: string, topics: string[], assigned: TopicPartition[]): GroupMemberSnapshot {
  return {
    memberId,
    groupInstanceId: undefined,
    clientId: `client-${memberId}`,
    clientHost: '/in-process',
    metadata: encodeSubscription({ topics, ownedPartitions: [], userData: null }),
    assignment: encodeAssignment({ partitions: assigned }),
  }
}

function snapshot(members: GroupMemberSnapshot[], protocolType = 'consumer'): GroupSnapshot {
  return { groupId: 'g', state: 'Stable', protocolType, protocolName: 'range', generationId: 3, leaderId: 'm1', members }
}

function stored(topic: string, partition: number, offset: number): StoredOffset {
  return { topic, partition, offset, metadata: `md-${partition}`, commitTimestampMs: 0 }
}

const LOG_ENDS: Record<string, number> = { 'a-0': 10, 'a-1': 4, 'b-0': 7 }
const logEndOf = ({ topic, partition }: TopicPartition) => LOG_ENDS[`${topic}-${partition}`] ?? UNKNOWN_LOG_END_OFFSET

describe('describeGroupSnapshot', () => {
  it('parses each member’s subscription and assignment', () => {
    const d = describeGroupSnapshot(
      snapshot([member('m1', ['a', 'b'], [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]), member('m2', ['a'], [{ topic: 'a', partition: 1 }])]),
      [],
      logEndOf,
    )
    expect(d).toMatchObject({ groupId: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'range', generationId: 3, leaderId: 'm1' })
    expect(d.members).toEqual([
      {
        memberId: 'm1',
        groupInstanceId: undefined,
        clientId: 'client-m1',
        clientHost: '/in-process',
        subscription: ['a', 'b'],
        assignment: [
          { topic: 'a', partition: 0 },
          { topic: 'b', partition: 0 },
        ],
      },
      {
        memberId: 'm2',
        groupInstanceId: undefined,
        clientId: 'client-m2',
        clientHost: '/in-process',
        subscription: ['a'],
        assignment: [{ topic: 'a', partition: 1 }],
      },
    ])
  })

  it('lists offsets by topic then partition with lag and the owning member', () => {
    const d = describeGroupSnapshot(
      snapshot([member('m1', ['a'], [{ topic: 'a', partition: 1 }])]),
      [stored('b', 0, 7), stored('a', 1, 1), stored('a', 0, 4)],
      logEndOf,
    )
    expect(d.offsets).toEqual([
      { topic: 'a', partition: 0, committedOffset: 4, metadata: 'md-0', logEndOffset: 10, lag: 6, memberId: undefined },
      { topic: 'a', partition: 1, committedOffset: 1, metadata: 'md-1', logEndOffset: 4, lag: 3, memberId: 'm1' },
      { topic: 'b', partition: 0, committedOffset: 7, metadata: 'md-0', logEndOffset: 7, lag: 0, memberId: undefined },
    ])
  })

  it('never reports a negative lag, and lag 0 for a partition without a log end', () => {
    const d = describeGroupSnapshot(snapshot([]), [stored('a', 1, 9), stored('gone', 0, 5)], logEndOf)
    expect(d.offsets.map((o) => [o.topic, o.logEndOffset, o.lag])).toEqual([
      ['a', 4, 0],
      ['gone', UNKNOWN_LOG_END_OFFSET, 0],
    ])
  })

  it('shows a member with unparseable bytes with an empty subscription and assignment, and the others as usual', () => {
    const broken: GroupMemberSnapshot = {
      ...member('bad', [], []),
      metadata: new Uint8Array([0, 3, 0xff]),
      assignment: new Uint8Array([0, 0, 0, 0, 0, 9]),
    }
    const d = describeGroupSnapshot(snapshot([broken, member('ok', ['a'], [{ topic: 'a', partition: 0 }])]), [stored('a', 0, 1)], logEndOf)
    expect(d.members.map((m) => [m.memberId, m.subscription, m.assignment])).toEqual([
      ['bad', [], []],
      ['ok', ['a'], [{ topic: 'a', partition: 0 }]],
    ])
    expect(d.offsets[0]?.memberId).toBe('ok')
  })

  it('parses the subscription even when only the assignment is unparseable', () => {
    const half: GroupMemberSnapshot = { ...member('m', ['a'], []), assignment: new Uint8Array([0]) }
    const d = describeGroupSnapshot(snapshot([half]), [], logEndOf)
    expect(d.members[0]?.subscription).toEqual(['a'])
    expect(d.members[0]?.assignment).toEqual([])
  })

  it('shows members before their first sync with their subscription and no assignment', () => {
    const joining: GroupMemberSnapshot = { ...member('m', ['a'], []), assignment: new Uint8Array(0) }
    const unjoined: GroupMemberSnapshot = { ...member('n', [], []), metadata: new Uint8Array(0), assignment: new Uint8Array(0) }
    const d = describeGroupSnapshot(snapshot([joining, unjoined]), [], logEndOf)
    expect(d.members.map((m) => [m.subscription, m.assignment])).toEqual([
      [['a'], []],
      [[], []],
    ])
  })

  it('does not parse the bytes of another protocol type', () => {
    const d = describeGroupSnapshot(snapshot([member('w', ['a'], [{ topic: 'a', partition: 0 }])], 'connect'), [], logEndOf)
    expect(d.members[0]?.subscription).toEqual([])
    expect(d.members[0]?.assignment).toEqual([])
  })
})
