import { describe, expect, it } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import type { OffsetCommitRequest } from '../../../src/log/group/coordinator-api.js'
import { CONSUMER_OFFSETS_TOPIC } from '../../../src/log/group/offsets-log.js'
import { decodeConsumerOffsetsRecord, partitionForGroup, type ConsumerOffsetsRecord } from '../../../src/log/group/offsets-schema/index.js'
import { iterateBatches } from '../../../src/log/record/record-batch.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { codeOf, errorOf, joinRequest, openFixture, stableSingleMember, track } from './coordinator-support.js'

const commit = (overrides: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest => ({
  groupId: 'g',
  generationId: -1,
  memberId: '',
  groupInstanceId: undefined,
  offsets: [{ topic: 'orders', partition: 0, offset: 5, metadata: '' }],
  ...overrides,
})

/** Every record of `__consumer_offsets`-`partition`, decoded, with the batch it came in. */
function offsetsTopicRecords(broker: Broker, partition = 0): Array<{ batch: number; record: ConsumerOffsetsRecord }> {
  const tp = { topic: CONSUMER_OFFSETS_TOPIC, partition }
  const out: Array<{ batch: number; record: ConsumerOffsetsRecord }> = []
  const { logEndOffset } = broker.offsets(tp)
  if (logEndOffset === 0) return out
  let batchIndex = 0
  for (const batch of iterateBatches(broker.read(tp, 0, 1 << 20))) {
    for (const r of batch.records()) out.push({ batch: batchIndex, record: decodeConsumerOffsetsRecord(r.key as Uint8Array, r.value) })
    batchIndex++
  }
  return out
}

describe('GroupCoordinator offsets', () => {
  it('fences commits by member, generation and state, as Kafka validateOffsetCommit', async () => {
    const { broker, coordinator } = await openFixture()
    broker.createTopic({ topic: 'orders', partitions: 2 })
    // Unknown group: a generation −1 commit creates a simple group's offsets.
    await coordinator.commitOffsets(commit())
    expect(await codeOf(() => coordinator.commitOffsets(commit({ groupId: 'fresh', generationId: 1, memberId: 'm' })))).toBe('LOG_UNKNOWN_MEMBER_ID')

    const joined = await coordinator.joinGroup(joinRequest())
    const member = { generationId: 1, memberId: joined.memberId }
    const completing = await errorOf(() => coordinator.commitOffsets(commit(member)))
    expect(completing).toMatchObject({ code: 'LOG_REBALANCE_IN_PROGRESS', retriable: true })
    await coordinator.syncGroup({ groupId: 'g', ...member, groupInstanceId: undefined, assignments: [] })

    await coordinator.commitOffsets(commit({ ...member, offsets: [{ topic: 'orders', partition: 1, offset: 7, metadata: 'm' }] }))
    expect(await codeOf(() => coordinator.commitOffsets(commit({ ...member, generationId: 0 })))).toBe('LOG_ILLEGAL_GENERATION')
    expect(await codeOf(() => coordinator.commitOffsets(commit({ ...member, memberId: 'ghost' })))).toBe('LOG_UNKNOWN_MEMBER_ID')
    expect(await codeOf(() => coordinator.commitOffsets(commit()))).toBe('LOG_UNKNOWN_MEMBER_ID')

    // PreparingRebalance: members of the current generation still commit (eager revocation).
    void coordinator.joinGroup(joinRequest({ clientId: 'b' })).catch(() => undefined)
    await coordinator.commitOffsets(commit({ ...member, offsets: [{ topic: 'orders', partition: 1, offset: 8, metadata: '' }] }))
    expect(coordinator.fetchOffsets('g').map((o) => [o.partition, o.offset])).toEqual([
      [0, 5],
      [1, 8],
    ])
  })

  it('validates offsets, metadata size and partitions before writing anything', async () => {
    const { broker, coordinator } = await openFixture()
    broker.createTopic({ topic: 'orders', partitions: 1 })
    const one = (o: Partial<OffsetCommitRequest['offsets'][number]>) => commit({ offsets: [{ topic: 'orders', partition: 0, offset: 1, metadata: '', ...o }] })
    expect(await codeOf(() => coordinator.commitOffsets(one({ offset: -1 })))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => coordinator.commitOffsets(one({ offset: 2 ** 53 })))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => coordinator.commitOffsets(one({ offset: 1.5 })))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => coordinator.commitOffsets(one({ metadata: 'é'.repeat(2049) })))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => coordinator.commitOffsets(one({ topic: 'nope' })))).toBe('LOG_UNKNOWN_TOPIC')
    expect(await codeOf(() => coordinator.commitOffsets(one({ partition: 1 })))).toBe('LOG_UNKNOWN_PARTITION')
    expect(broker.hasTopic(CONSUMER_OFFSETS_TOPIC)).toBe(false)
    await coordinator.commitOffsets(one({ metadata: 'é'.repeat(2048) }))
    expect(coordinator.fetchOffsets('g')[0]?.metadata).toBe('é'.repeat(2048))
  })

  it('writes one batch of Kafka-format records per commit to a lazily created compacted topic', async () => {
    const { broker, coordinator, clock } = await openFixture()
    broker.createTopic({ topic: 'orders', partitions: 3 })
    const offsets = [0, 1, 2].map((partition) => ({ topic: 'orders', partition, offset: 10 + partition, metadata: `p${partition}` }))
    await coordinator.commitOffsets(commit({ offsets }))
    const description = broker.describeTopic(CONSUMER_OFFSETS_TOPIC)
    expect(description.partitions).toHaveLength(1)
    const config = broker.topicConfig(CONSUMER_OFFSETS_TOPIC)
    expect(config.cleanupPolicy.compact).toBe(true)
    expect(config.segmentBytes).toBe(104_857_600)
    const records = offsetsTopicRecords(broker)
    expect(records.map((r) => r.batch)).toEqual([0, 0, 0])
    expect(records.map((r) => r.record)).toEqual(
      offsets.map((o) => ({
        type: 'offset-commit',
        key: { group: 'g', topic: 'orders', partition: o.partition },
        value: { version: 3, offset: o.offset, leaderEpoch: -1, metadata: o.metadata, commitTimestampMs: clock.nowMs(), expireTimestampMs: -1 },
      })),
    )
    expect(coordinator.fetchOffsets('g', [{ topic: 'orders', partition: 2 }, { topic: 'orders', partition: 9 }])).toEqual([
      { topic: 'orders', partition: 2, offset: 12, metadata: 'p2', commitTimestampMs: clock.nowMs() },
    ])
  })

  it("stores the leader's assignment as a GroupMetadata record before answering the sync", async () => {
    const { broker, coordinator } = await openFixture()
    const joined = await stableSingleMember(coordinator, { groupInstanceId: 'i-1', clientId: 'app' })
    const [entry] = offsetsTopicRecords(broker)
    expect(entry?.record).toMatchObject({
      type: 'group-metadata',
      key: { group: 'g' },
      value: {
        version: 3,
        protocolType: 'consumer',
        generation: 1,
        protocol: 'range',
        leader: joined.memberId,
        members: [{ memberId: joined.memberId, groupInstanceId: 'i-1', clientId: 'app', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000 }],
      },
    })
    if (entry?.record.type !== 'group-metadata') throw new Error('expected group metadata')
    expect(Buffer.from(entry.record.value?.members[0]?.assignment ?? []).toString()).toBe(`a-${joined.memberId}`)
  })

  it('applies concurrent commits in append order', async () => {
    const { broker, coordinator } = await openFixture()
    broker.createTopic({ topic: 'orders' })
    const commits = [1, 2, 3, 4].map((offset) => coordinator.commitOffsets(commit({ offsets: [{ topic: 'orders', partition: 0, offset, metadata: '' }] })))
    await Promise.all(commits)
    expect(coordinator.fetchOffsets('g')[0]?.offset).toBe(4)
    expect(offsetsTopicRecords(broker).map((r) => (r.record.type === 'offset-commit' ? r.record.value?.offset : undefined))).toEqual([1, 2, 3, 4])
  })

  it('keeps offsets and group generations across a close and reopen; members are not restored', async () => {
    const first = await openFixture()
    first.broker.createTopic({ topic: 'orders' })
    const joined = await stableSingleMember(first.coordinator)
    await first.coordinator.commitOffsets(commit({ generationId: 1, memberId: joined.memberId, offsets: [{ topic: 'orders', partition: 0, offset: 42, metadata: 'x' }] }))
    await first.coordinator.commitOffsets(commit({ groupId: 'simple' }))
    await first.broker.close()

    const again = await openFixture({ dataDir: first.dataDir })
    expect(again.coordinator.fetchOffsets('g')).toMatchObject([{ topic: 'orders', partition: 0, offset: 42, metadata: 'x' }])
    expect(again.coordinator.describeGroup('g')).toMatchObject({ state: 'Empty', generationId: 1, protocolType: 'consumer', members: [] })
    expect(again.coordinator.listGroups()).toEqual([
      { groupId: 'g', state: 'Empty', protocolType: 'consumer' },
      { groupId: 'simple', state: 'Empty', protocolType: '' },
    ])
    expect(await codeOf(() => again.coordinator.commitOffsets(commit({ generationId: 1, memberId: joined.memberId })))).toBe('LOG_UNKNOWN_MEMBER_ID')
    const rejoined = await again.coordinator.joinGroup(joinRequest())
    expect(rejoined.generationId).toBe(2)
  })

  it('keeps durably committed offsets through a power loss', async () => {
    let io = new FaultFileIO()
    const clock = new ManualClock()
    const broker = await Broker.open({ dataDir: '/data', io, clock })
    broker.createTopic({ topic: 'orders' })
    await broker.groupCoordinator().commitOffsets(commit({ offsets: [{ topic: 'orders', partition: 0, offset: 9, metadata: '' }] }))
    io = io.powerLoss({ mode: 'drop-all-unsynced' })
    const reopened = await Broker.open({ dataDir: '/data', io, clock })
    try {
      expect(reopened.groupCoordinator().fetchOffsets('g')).toMatchObject([{ topic: 'orders', partition: 0, offset: 9 }])
    } finally {
      await reopened.close()
    }
  })

  it('raises the error of an unreadable offsets partition instead of losing its offsets', async () => {
    const io = new FaultFileIO()
    const clock = new ManualClock()
    const broker = await Broker.open({ dataDir: '/data', io, clock })
    broker.createTopic({ topic: 'orders' })
    await broker.groupCoordinator().commitOffsets(commit({ offsets: [{ topic: 'orders', partition: 0, offset: 9, metadata: 'meta' }] }))
    await broker.close()
    const segment = `/data/${CONSUMER_OFFSETS_TOPIC}-0/00000000000000000000.log`
    const damaged = io.readFile(segment)
    damaged[damaged.length - 3] = (damaged[damaged.length - 3] ?? 0) ^ 0xff
    io.writeFile(segment, damaged)
    const reopened = await Broker.open({ dataDir: '/data', io, clock, onBackgroundError: () => undefined })
    try {
      const code = await codeOf(() => reopened.groupCoordinator().fetchOffsets('g'))
      expect(['LOG_CORRUPT_BATCH', 'LOG_CORRUPT_SEGMENT']).toContain(code)
      expect(await codeOf(() => reopened.groupCoordinator().listGroups())).toBe(code)
      expect(await codeOf(() => reopened.groupCoordinator().commitOffsets(commit()))).toBe(code)
    } finally {
      await reopened.close()
    }
  })

  it('deletes only Empty or offsets-only groups, with tombstones that survive a reopen', async () => {
    const { broker, coordinator, dataDir } = await openFixture()
    broker.createTopic({ topic: 'orders' })
    await coordinator.commitOffsets(commit({ groupId: 'simple' }))
    const joined = await stableSingleMember(coordinator)
    await coordinator.commitOffsets(commit({ generationId: 1, memberId: joined.memberId }))
    expect(await codeOf(() => coordinator.deleteGroups(['g']))).toBe('LOG_GROUP_NOT_EMPTY')
    expect(await codeOf(() => coordinator.deleteGroups(['simple', 'nobody']))).toBe('LOG_UNKNOWN_GROUP')
    expect(coordinator.fetchOffsets('simple')).toHaveLength(1)

    await coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: joined.memberId, groupInstanceId: undefined }] })
    await coordinator.deleteGroups(['g', 'simple'])
    expect(coordinator.listGroups()).toEqual([])
    expect(coordinator.fetchOffsets('g')).toEqual([])
    expect(coordinator.describeGroup('g')).toMatchObject({ state: 'Dead', members: [] })
    const tombstones = offsetsTopicRecords(broker).filter((r) => r.record.type !== 'other' && r.record.value === null)
    expect(tombstones.map((r) => r.record.type).sort()).toEqual(['group-metadata', 'group-metadata', 'offset-commit', 'offset-commit'])
    await broker.close()

    const again = await openFixture({ dataDir })
    expect(again.coordinator.listGroups()).toEqual([])
    expect(await codeOf(() => again.coordinator.deleteGroups(['g']))).toBe('LOG_UNKNOWN_GROUP')
  })

  it('lists and describes groups by state, including groups known only by their offsets', async () => {
    const { broker, coordinator } = await openFixture()
    broker.createTopic({ topic: 'orders' })
    await coordinator.commitOffsets(commit({ groupId: 'offsets-only' }))
    await stableSingleMember(coordinator, { groupId: 'joining' })
    // Parked until the first member rejoins; rejected with LOG_CLOSED when the test closes the broker.
    const parked = track(coordinator.joinGroup(joinRequest({ groupId: 'joining' })))
    const joined = await stableSingleMember(coordinator, { groupId: 'stable', clientId: 'app' })
    expect(coordinator.listGroups()).toEqual([
      { groupId: 'joining', state: 'PreparingRebalance', protocolType: 'consumer' },
      { groupId: 'offsets-only', state: 'Empty', protocolType: '' },
      { groupId: 'stable', state: 'Stable', protocolType: 'consumer' },
    ])
    expect(coordinator.describeGroup('stable')).toMatchObject({
      state: 'Stable',
      protocolType: 'consumer',
      protocolName: 'range',
      generationId: 1,
      leaderId: joined.memberId,
      members: [{ memberId: joined.memberId, clientId: 'app', groupInstanceId: undefined }],
    })
    expect(coordinator.describeGroup('offsets-only')).toMatchObject({ state: 'Empty', protocolType: '', members: [] })
    expect(coordinator.describeGroup('unknown')).toMatchObject({ state: 'Dead', members: [], leaderId: undefined })
    expect(parked.settled()).toBe(false)
  })

  it('places groups on offsetsTopicPartitions partitions by Kafka’s partitionForGroup', async () => {
    const { broker, coordinator } = await openFixture({ offsetsTopicPartitions: 5 })
    broker.createTopic({ topic: 'orders' })
    await coordinator.commitOffsets(commit({ groupId: 'payments' }))
    expect(broker.describeTopic(CONSUMER_OFFSETS_TOPIC).partitions).toHaveLength(5)
    const partition = partitionForGroup('payments', 5)
    expect(broker.offsets({ topic: CONSUMER_OFFSETS_TOPIC, partition }).logEndOffset).toBe(1)
  })

  it('rejects invalid coordinator options with CONFIG_INVALID', async () => {
    const open = (extra: Record<string, number>) => openFixture(extra)
    expect(await codeOf(() => open({ offsetsTopicPartitions: 0 }))).toBe('CONFIG_INVALID')
    expect(await codeOf(() => open({ groupInitialRebalanceDelayMs: -1 }))).toBe('CONFIG_INVALID')
    expect(await codeOf(() => open({ groupMinSessionTimeoutMs: 1.5 }))).toBe('CONFIG_INVALID')
    expect(await codeOf(() => open({ groupMinSessionTimeoutMs: 10, groupMaxSessionTimeoutMs: 5 }))).toBe('CONFIG_INVALID')
  })
})
