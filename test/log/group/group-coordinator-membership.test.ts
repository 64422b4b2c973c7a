import { describe, expect, it } from 'vitest'
import type { MemberIdentity } from '../../../src/log/group/coordinator-api.js'
import { bytes, codeOf, errorOf, joinRequest, openFixture, stableSingleMember, track } from './coordinator-support.js'

const identity = (memberId: string, generationId: number, groupInstanceId?: string): MemberIdentity => ({
  groupId: 'g',
  memberId,
  generationId,
  groupInstanceId,
})

describe('GroupCoordinator heartbeats, sessions and leaving', () => {
  it('answers heartbeats by state: unknown member, stale generation, rebalance in progress, and ok', async () => {
    const { coordinator } = await openFixture()
    expect(await codeOf(() => coordinator.heartbeat(identity('m', 0)))).toBe('LOG_UNKNOWN_MEMBER_ID')

    const a = await coordinator.joinGroup(joinRequest())
    // CompletingRebalance: a heartbeat between join and sync keeps the session (Kafka ≥ 2.x).
    coordinator.heartbeat(identity(a.memberId, 1))
    expect(await codeOf(() => coordinator.heartbeat(identity(a.memberId, 0)))).toBe('LOG_ILLEGAL_GENERATION')
    expect(await codeOf(() => coordinator.heartbeat(identity('ghost', 1)))).toBe('LOG_UNKNOWN_MEMBER_ID')
    await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: undefined, assignments: [] })

    coordinator.heartbeat(identity(a.memberId, 1)) // Stable
    expect(await codeOf(() => coordinator.heartbeat(identity(a.memberId, 2)))).toBe('LOG_ILLEGAL_GENERATION')

    void coordinator.joinGroup(joinRequest({ clientId: 'b' })).catch(() => undefined)
    expect(coordinator.describeGroup('g').state).toBe('PreparingRebalance')
    const err = await errorOf(() => coordinator.heartbeat(identity(a.memberId, 1)))
    expect(err?.code).toBe('LOG_REBALANCE_IN_PROGRESS')
    expect(err?.retriable).toBe(true)
    expect(await codeOf(() => coordinator.syncGroup({ ...identity(a.memberId, 1), assignments: [] }))).toBe('LOG_REBALANCE_IN_PROGRESS')

    await coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: a.memberId, groupInstanceId: undefined }] })
    // Empty again after the newcomer is removed too.
    const described = coordinator.describeGroup('g')
    await coordinator.leaveGroup({ groupId: 'g', members: described.members.map((m) => ({ memberId: m.memberId, groupInstanceId: undefined })) })
    expect(coordinator.describeGroup('g').state).toBe('Empty')
    expect(await codeOf(() => coordinator.heartbeat(identity(a.memberId, 2)))).toBe('LOG_UNKNOWN_MEMBER_ID')
  })

  it('removes a member whose session expires, tells it, and rebalances the rest', async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 10 })
    let aRemoved = 0
    let bTold = 0
    const joins = [
      coordinator.joinGroup(joinRequest({ clientId: 'a', sessionTimeoutMs: 10_000, onRebalance: () => aRemoved++ })),
      coordinator.joinGroup(joinRequest({ clientId: 'b', sessionTimeoutMs: 60_000, onRebalance: () => bTold++ })),
    ] as const
    clock.advance(10)
    const [a, b] = await Promise.all(joins)
    await Promise.all(
      [a, b].map((r) => coordinator.syncGroup({ ...identity(r.memberId, 1), groupInstanceId: undefined, assignments: [] })),
    )
    clock.advance(9_999)
    coordinator.heartbeat(identity(b.memberId, 1))
    expect(coordinator.describeGroup('g').members).toHaveLength(2)
    clock.advance(1)
    expect(aRemoved).toBe(1)
    expect(bTold).toBe(1)
    expect(coordinator.describeGroup('g').members.map((m) => m.memberId)).toEqual([b.memberId])
    expect(coordinator.describeGroup('g').state).toBe('PreparingRebalance')
    const rejoined = await coordinator.joinGroup(joinRequest({ memberId: b.memberId }))
    expect(rejoined.generationId).toBe(2)
    expect(rejoined.leaderId).toBe(b.memberId)
  })

  it('goes Empty with a new generation when the last member’s session expires', async () => {
    const { coordinator, clock } = await openFixture()
    await stableSingleMember(coordinator)
    clock.advance(10_000)
    const g = coordinator.describeGroup('g')
    expect(g.state).toBe('Empty')
    expect(g.generationId).toBe(2)
    expect(g.members).toEqual([])
  })

  it('removes members that do not rejoin within the largest rebalance timeout', async () => {
    const { coordinator, clock } = await openFixture()
    const a = await stableSingleMember(coordinator, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 60_000 })
    const b = track(coordinator.joinGroup(joinRequest({ clientId: 'b', rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 60_000 })))
    clock.advance(29_999)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(b.settled()).toBe(false)
    clock.advance(1)
    const result = await b.promise
    expect(result.generationId).toBe(2)
    expect(result.leaderId).toBe(result.memberId)
    expect(result.members.map((m) => m.memberId)).toEqual([result.memberId])
    expect(await codeOf(() => coordinator.heartbeat(identity(a.memberId, 1)))).toBe('LOG_UNKNOWN_MEMBER_ID')
  })

  it('keeps parked joiners alive past their session timeout', async () => {
    const { coordinator, clock } = await openFixture()
    await stableSingleMember(coordinator, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 50_000 })
    const b = track(coordinator.joinGroup(joinRequest({ clientId: 'b', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 50_000 })))
    clock.advance(50_000)
    expect((await b.promise).generationId).toBe(2)
  })

  it('rebalances on leave and goes Empty when the last member leaves', async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 10 })
    const joins = [coordinator.joinGroup(joinRequest()), coordinator.joinGroup(joinRequest())] as const
    clock.advance(10)
    const [a, b] = await Promise.all(joins)
    await Promise.all([a, b].map((r) => coordinator.syncGroup({ ...identity(r.memberId, 1), assignments: [] })))
    await coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: a.memberId, groupInstanceId: undefined }] })
    expect(coordinator.describeGroup('g').state).toBe('PreparingRebalance')
    const rejoined = await coordinator.joinGroup(joinRequest({ memberId: b.memberId }))
    expect(rejoined).toMatchObject({ generationId: 2, leaderId: b.memberId })
    await coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: b.memberId, groupInstanceId: undefined }, { memberId: 'ghost', groupInstanceId: undefined }] })
    expect(coordinator.describeGroup('g')).toMatchObject({ state: 'Empty', generationId: 3, members: [] })
  })

  it('replaces a rejoining static member without a rebalance and fences its old member id', async () => {
    const { coordinator } = await openFixture()
    const old = await stableSingleMember(coordinator, { groupInstanceId: 'i-1' })
    const rejoined = await coordinator.joinGroup(joinRequest({ groupInstanceId: 'i-1' }))
    expect(rejoined.memberId).not.toBe(old.memberId)
    expect(rejoined.generationId).toBe(1)
    expect(rejoined.leaderId).toBe(rejoined.memberId)
    expect(coordinator.describeGroup('g').state).toBe('Stable')

    const synced = await coordinator.syncGroup({ ...identity(rejoined.memberId, 1, 'i-1'), assignments: [] })
    expect(Buffer.from(synced.assignment).toString()).toBe(`a-${old.memberId}`)
    expect(await codeOf(() => coordinator.heartbeat(identity(old.memberId, 1, 'i-1')))).toBe('LOG_FENCED_INSTANCE_ID')
    expect(await codeOf(() => coordinator.syncGroup({ ...identity(old.memberId, 1, 'i-1'), assignments: [] }))).toBe('LOG_FENCED_INSTANCE_ID')
    const commit = { groupId: 'g', generationId: 1, memberId: old.memberId, groupInstanceId: 'i-1', offsets: [] }
    expect(await codeOf(() => coordinator.commitOffsets(commit))).toBe('LOG_FENCED_INSTANCE_ID')
    coordinator.heartbeat(identity(rejoined.memberId, 1, 'i-1'))

    // A zombie's leave does not remove its successor; the instance's own leave does.
    await coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: old.memberId, groupInstanceId: 'i-1' }] })
    expect(coordinator.describeGroup('g').members).toHaveLength(1)
    await coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: 'i-1' }] })
    expect(coordinator.describeGroup('g').state).toBe('Empty')
  })

  it('rebalances when a static member rejoins with new metadata', async () => {
    const { coordinator } = await openFixture()
    await stableSingleMember(coordinator, { groupInstanceId: 'i-1' })
    const rejoined = await coordinator.joinGroup(joinRequest({ groupInstanceId: 'i-1', protocols: [{ name: 'range', metadata: bytes('new') }] }))
    expect(rejoined.generationId).toBe(2)
  })

  it('withdraws a parked join whose signal aborts: LOG_ABORTED, and the member is gone', async () => {
    const { coordinator } = await openFixture()
    const a = await stableSingleMember(coordinator)
    const abort = new AbortController()
    const b = coordinator.joinGroup(joinRequest({ clientId: 'b', signal: abort.signal }))
    abort.abort()
    expect(await codeOf(() => b)).toBe('LOG_ABORTED')
    expect(coordinator.describeGroup('g').members.map((m) => m.memberId)).toEqual([a.memberId])
    const rejoined = await coordinator.joinGroup(joinRequest({ memberId: a.memberId }))
    expect(rejoined.members.map((m) => m.memberId)).toEqual([a.memberId])
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ signal: abort.signal })))).toBe('LOG_ABORTED')
  })

  it('survives an onRebalance callback that throws, reporting it as a background error', async () => {
    const { coordinator, backgroundErrors } = await openFixture()
    await stableSingleMember(coordinator, {
      onRebalance: () => {
        throw new Error('listener bug')
      },
    })
    const b = track(coordinator.joinGroup(joinRequest({ clientId: 'b' })))
    expect(backgroundErrors).toHaveLength(1)
    expect(b.settled()).toBe(false)
  })

  it('rejects parked joins with LOG_CLOSED on close, and every later call', async () => {
    const { broker, coordinator } = await openFixture({ groupInitialRebalanceDelayMs: 10 })
    const parkedJoin = coordinator.joinGroup(joinRequest())
    await broker.close()
    expect(await codeOf(() => parkedJoin)).toBe('LOG_CLOSED')
    expect(await codeOf(() => coordinator.joinGroup(joinRequest()))).toBe('LOG_CLOSED')
    expect(await codeOf(() => coordinator.heartbeat(identity('m', 1)))).toBe('LOG_CLOSED')
    expect(await codeOf(() => coordinator.listGroups())).toBe('LOG_CLOSED')
    expect(await codeOf(() => broker.groupCoordinator())).toBe('LOG_CLOSED')
  })

  it('rejects a parked follower sync with LOG_CLOSED on close', async () => {
    const { broker, coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 10 })
    const joins = [coordinator.joinGroup(joinRequest()), coordinator.joinGroup(joinRequest())] as const
    clock.advance(10)
    const [, follower] = await Promise.all(joins)
    const parked = coordinator.syncGroup({ ...identity(follower.memberId, 1), assignments: [] })
    await broker.close()
    expect(await codeOf(() => parked)).toBe('LOG_CLOSED')
  })
})
