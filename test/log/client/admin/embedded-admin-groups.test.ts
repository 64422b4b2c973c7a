/**
 * EmbeddedAdmin consumer-group administration against a real broker and its real group
 * coordinator. Members join and sync through the coordinator with consumer protocol bytes, as
 * the embedded consumer does.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { Broker } from '../../../../src/log/broker.js'
import { ManualClock } from '../../../../src/log/clock.js'
import { EmbeddedAdmin } from '../../../../src/log/client/admin/embedded-admin.js'
import { encodeAssignment, encodeSubscription } from '../../../../src/log/group/consumer-protocol.js'
import type { TopicPartition } from '../../../../src/log/topic-partition.js'
import { batchOf } from '../../../support/batches.js'
import { tempDir } from '../../../support/temp-dir.js'
import { asAdminLog, expectRejects } from './helpers.js'

async function openGroupAdmin(): Promise<{ broker: Broker; admin: EmbeddedAdmin }> {
  const broker = await Broker.open({ dataDir: tempDir('millrace-admin-groups-'), clock: new ManualClock() })
  onTestFinished(() => broker.close())
  const admin = new EmbeddedAdmin({ log: asAdminLog(broker), coordinator: () => broker.groupCoordinator() })
  await admin.createTopics([{ topic: 'orders', partitions: 2 }])
  broker.append({ topic: 'orders', partition: 0 }, batchOf(10, 'a'))
  broker.append({ topic: 'orders', partition: 1 }, batchOf(4, 'b'))
  return { broker, admin }
}

/** One consumer joins `groupId` alone and syncs with `assigned` as its assignment: the group is Stable. */
async function stableMember(broker: Broker, groupId: string, assigned: TopicPartition[]): Promise<string> {
  const coordinator = broker.groupCoordinator()
  const joined = await coordinator.joinGroup({
    groupId,
    memberId: '',
    groupInstanceId: undefined,
    clientId: 'app',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['orders'], ownedPartitions: [], userData: null }) }],
  })
  await coordinator.syncGroup({
    groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: undefined,
    assignments: [{ memberId: joined.memberId, assignment: encodeAssignment({ partitions: assigned }) }],
  })
  return joined.memberId
}

async function leave(broker: Broker, groupId: string, memberId: string): Promise<void> {
  await broker.groupCoordinator().leaveGroup({ groupId, members: [{ memberId, groupInstanceId: undefined }] })
}

describe('EmbeddedAdmin groups', () => {
  it('describes a stable group: members with parsed subscription and assignment, offsets with lag and owner', async () => {
    const { broker, admin } = await openGroupAdmin()
    const memberId = await stableMember(broker, 'g', [{ topic: 'orders', partition: 1 }])
    await broker.groupCoordinator().commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId,
      groupInstanceId: undefined,
      offsets: [
        { topic: 'orders', partition: 1, offset: 1, metadata: 'm' },
        { topic: 'orders', partition: 0, offset: 3, metadata: '' },
      ],
    })

    const [g] = await admin.describeGroups(['g'])
    expect(g).toMatchObject({ groupId: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'range', generationId: 1, leaderId: memberId })
    expect(g?.members.map((m) => [m.memberId, m.clientId, m.subscription, m.assignment])).toEqual([
      [memberId, 'app', ['orders'], [{ topic: 'orders', partition: 1 }]],
    ])
    expect(g?.offsets).toEqual([
      { topic: 'orders', partition: 0, committedOffset: 3, metadata: '', logEndOffset: 10, lag: 7, memberId: undefined },
      { topic: 'orders', partition: 1, committedOffset: 1, metadata: 'm', logEndOffset: 4, lag: 3, memberId },
    ])
    expect(await admin.listGroups()).toEqual([{ groupId: 'g', state: 'Stable', protocolType: 'consumer' }])
  })

  it('describes an unknown group as Dead with no members or offsets', async () => {
    const { admin } = await openGroupAdmin()
    const [g] = await admin.describeGroups(['nobody'])
    expect(g).toMatchObject({ groupId: 'nobody', state: 'Dead', members: [], offsets: [] })
    expect(await admin.listGroups()).toEqual([])
  })

  it('rejects invalid group ids and arguments of the wrong shape', async () => {
    const { admin } = await openGroupAdmin()
    await expectRejects(admin.describeGroups(['']), 'LOG_INVALID_GROUP_ID')
    await expectRejects(admin.describeGroups('g' as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.listGroupOffsets(7 as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.listGroupOffsets('g', [{ topic: 'orders' }] as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.deleteGroups([null] as never), 'LOG_INVALID_ARGUMENT')
  })

  it('alters the offsets of a group without members, and lists them', async () => {
    const { admin } = await openGroupAdmin()
    await admin.alterGroupOffsets('g', [
      { topic: 'orders', partition: 1, offset: 2, metadata: 'reset' },
      { topic: 'orders', partition: 0, offset: 5 },
    ])
    expect(await admin.listGroupOffsets('g')).toEqual([
      { topic: 'orders', partition: 0, offset: 5, metadata: '' },
      { topic: 'orders', partition: 1, offset: 2, metadata: 'reset' },
    ])
    expect(
      await admin.listGroupOffsets('g', [
        { topic: 'orders', partition: 1 },
        { topic: 'other', partition: 0 },
      ]),
    ).toEqual([
      { topic: 'orders', partition: 1, offset: 2, metadata: 'reset' },
      { topic: 'other', partition: 0, offset: null, metadata: '' },
    ])
    expect(await admin.listGroups()).toEqual([{ groupId: 'g', state: 'Empty', protocolType: '' }])
    const [g] = await admin.describeGroups(['g'])
    expect(g?.offsets.map((o) => [o.partition, o.lag, o.memberId])).toEqual([
      [0, 5, undefined],
      [1, 2, undefined],
    ])
  })

  it('refuses to alter the offsets of a group with members, and alters them once the members left', async () => {
    const { broker, admin } = await openGroupAdmin()
    const memberId = await stableMember(broker, 'g', [])
    await expectRejects(admin.alterGroupOffsets('g', [{ topic: 'orders', partition: 0, offset: 1 }]), 'LOG_GROUP_NOT_EMPTY')
    expect(await admin.listGroupOffsets('g')).toEqual([])
    await leave(broker, 'g', memberId)
    await admin.alterGroupOffsets('g', [{ topic: 'orders', partition: 0, offset: 1 }])
    expect(await admin.listGroupOffsets('g')).toEqual([{ topic: 'orders', partition: 0, offset: 1, metadata: '' }])
  })

  it.each([
    ['an unknown topic', 'LOG_UNKNOWN_TOPIC', { topic: 'missing', partition: 0, offset: 1 }],
    ['an unknown partition', 'LOG_UNKNOWN_PARTITION', { topic: 'orders', partition: 2, offset: 1 }],
    ['a negative offset', 'LOG_INVALID_ARGUMENT', { topic: 'orders', partition: 1, offset: -1 }],
    ['a fractional offset', 'LOG_INVALID_ARGUMENT', { topic: 'orders', partition: 1, offset: 0.5 }],
    ['metadata that is not a string', 'LOG_INVALID_ARGUMENT', { topic: 'orders', partition: 1, offset: 1, metadata: 3 }],
    ['a partition twice', 'LOG_INVALID_ARGUMENT', { topic: 'orders', partition: 0, offset: 2 }],
  ])('rejects altered offsets with %s with %s and commits none of them', async (_case, code, second) => {
    const { admin } = await openGroupAdmin()
    await expectRejects(admin.alterGroupOffsets('g', [{ topic: 'orders', partition: 0, offset: 1 }, second] as never), code)
    expect(await admin.listGroupOffsets('g')).toEqual([])
  })

  it('deletes empty groups through the coordinator, and refuses unknown or non-empty ones', async () => {
    const { broker, admin } = await openGroupAdmin()
    await admin.alterGroupOffsets('old', [{ topic: 'orders', partition: 0, offset: 1 }])
    await stableMember(broker, 'busy', [])
    await expectRejects(admin.deleteGroups(['old', 'busy']), 'LOG_GROUP_NOT_EMPTY')
    await expectRejects(admin.deleteGroups(['old', 'nobody']), 'LOG_UNKNOWN_GROUP')
    expect((await admin.listGroups()).map((g) => g.groupId)).toEqual(['busy', 'old'])
    await admin.deleteGroups(['old'])
    expect((await admin.listGroups()).map((g) => g.groupId)).toEqual(['busy'])
    expect(await admin.listGroupOffsets('old')).toEqual([])
  })

  it('still describes a group after one of its topics was deleted', async () => {
    const { admin } = await openGroupAdmin()
    await admin.createTopics([{ topic: 'gone' }])
    await admin.alterGroupOffsets('g', [
      { topic: 'gone', partition: 0, offset: 0 },
      { topic: 'orders', partition: 0, offset: 4 },
    ])
    await admin.deleteTopics(['gone'])
    const [g] = await admin.describeGroups(['g'])
    // Whether the coordinator keeps offsets of deleted topics is its business; any it keeps
    // are listed with an unknown log end and lag 0.
    for (const o of g?.offsets.filter((x) => x.topic === 'gone') ?? []) expect([o.logEndOffset, o.lag]).toEqual([-1, 0])
    expect(g?.offsets.find((o) => o.topic === 'orders')?.lag).toBe(6)
  })
})
