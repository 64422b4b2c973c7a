import { describe, expect, it } from 'vitest'
import { bytes, codeOf, joinRequest, openFixture, stableSingleMember, track } from './coordinator-support.js'
import { eventually } from '../../support/eventually.js'

describe('GroupCoordinator join and sync', () => {
  it('lets a lone member join at once as leader of generation 1 with its own metadata', async () => {
    const { coordinator } = await openFixture()
    const joined = await coordinator.joinGroup(joinRequest({ clientId: 'app' }))
    expect(joined.memberId).toMatch(/^app-[0-9a-f-]{36}$/)
    expect(joined.generationId).toBe(1)
    expect(joined.leaderId).toBe(joined.memberId)
    expect(joined.protocolName).toBe('range')
    expect(joined.members).toEqual([{ memberId: joined.memberId, groupInstanceId: undefined, metadata: bytes('sub') }])
    expect(coordinator.describeGroup('g').state).toBe('CompletingRebalance')
  })

  it('parks both members until both joined, then answers the leader with all metadata and the follower with none', async () => {
    const { coordinator } = await openFixture()
    let rebalances = 0
    const first = await stableSingleMember(coordinator, { onRebalance: () => rebalances++ })

    const second = track(coordinator.joinGroup(joinRequest({ clientId: 'b', protocols: [{ name: 'range', metadata: bytes('b') }] })))
    await eventually(() => rebalances === 1, 5_000, 'first member told to rejoin')
    expect(coordinator.describeGroup('g').state).toBe('PreparingRebalance')
    expect(second.settled()).toBe(false)

    const rejoin = await coordinator.joinGroup(joinRequest({ memberId: first.memberId, protocols: [{ name: 'range', metadata: bytes('a') }] }))
    const follower = await second.promise
    expect(rejoin.generationId).toBe(2)
    expect(follower.generationId).toBe(2)
    expect(rejoin.leaderId).toBe(first.memberId)
    expect(follower.leaderId).toBe(first.memberId)
    expect(rejoin.members.map((m) => [m.memberId, Buffer.from(m.metadata).toString()])).toEqual([
      [first.memberId, 'a'],
      [follower.memberId, 'b'],
    ])
    expect(follower.members).toEqual([])
  })

  it("parks followers' syncs until the leader's, then gives each member its assignment (empty when left out)", async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 3000 })
    const a = track(coordinator.joinGroup(joinRequest({ clientId: 'a' })))
    const b = track(coordinator.joinGroup(joinRequest({ clientId: 'b' })))
    const c = track(coordinator.joinGroup(joinRequest({ clientId: 'c' })))
    clock.advance(3000)
    const [ra, rb, rc] = await Promise.all([a.promise, b.promise, c.promise])
    expect(ra.leaderId).toBe(ra.memberId)

    const syncOf = (memberId: string, assignments: Array<{ memberId: string; assignment: Uint8Array }> = []) =>
      track(coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId, groupInstanceId: undefined, assignments }))
    const sb = syncOf(rb.memberId)
    const sc = syncOf(rc.memberId)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(sb.settled()).toBe(false)
    const sa = syncOf(ra.memberId, [
      { memberId: ra.memberId, assignment: bytes('A') },
      { memberId: rb.memberId, assignment: bytes('B') },
    ])
    const results = await Promise.all([sa.promise, sb.promise, sc.promise])
    expect(results.map((r) => Buffer.from(r.assignment).toString())).toEqual(['A', 'B', ''])
    expect(results.every((r) => r.protocolName === 'range')).toBe(true)
    expect(coordinator.describeGroup('g').state).toBe('Stable')
    // A sync in Stable returns the stored assignment.
    const again = await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: rb.memberId, groupInstanceId: undefined, assignments: [] })
    expect(Buffer.from(again.assignment).toString()).toBe('B')
  })

  it('delays the first join phase of an Empty group by groupInitialRebalanceDelayMs', async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 3000 })
    const a = track(coordinator.joinGroup(joinRequest()))
    clock.advance(2999)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(a.settled()).toBe(false)
    clock.advance(1)
    expect((await a.promise).generationId).toBe(1)
  })

  it('rejects a parked sync with a retriable LOG_REBALANCE_IN_PROGRESS when a rebalance starts', async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 3000 })
    const a = track(coordinator.joinGroup(joinRequest()))
    const b = track(coordinator.joinGroup(joinRequest()))
    clock.advance(3000)
    const [, rb] = await Promise.all([a.promise, b.promise])
    const parked = coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: rb.memberId, groupInstanceId: undefined, assignments: [] })
    void coordinator.joinGroup(joinRequest({ clientId: 'late' })).catch(() => undefined)
    const err = await parked.then(
      () => undefined,
      (e: unknown) => e as { code: string; retriable: boolean },
    )
    expect(err?.code).toBe('LOG_REBALANCE_IN_PROGRESS')
    expect(err?.retriable).toBe(true)
  })

  it('selects the protocol with the most first-preference votes among those all members support', async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 100 })
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: bytes(name) }))
    const joins = [
      coordinator.joinGroup(joinRequest({ protocols: p('sticky', 'roundrobin', 'range') })),
      coordinator.joinGroup(joinRequest({ protocols: p('roundrobin', 'range') })),
      coordinator.joinGroup(joinRequest({ protocols: p('cooperative-sticky', 'roundrobin', 'range') })),
      coordinator.joinGroup(joinRequest({ protocols: p('range', 'roundrobin') })),
    ]
    clock.advance(100)
    const results = await Promise.all(joins)
    // Candidates {roundrobin, range}; votes roundrobin 3, range 1.
    expect(results.map((r) => r.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin', 'roundrobin'])
    const leader = results.find((r) => r.members.length > 0)
    expect(leader?.members.map((m) => Buffer.from(m.metadata).toString())).toEqual(['roundrobin', 'roundrobin', 'roundrobin', 'roundrobin'])
  })

  it('breaks a tie between protocols by the leader’s preference', async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 100 })
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: bytes(name) }))
    const joins = [
      coordinator.joinGroup(joinRequest({ protocols: p('range', 'roundrobin') })),
      coordinator.joinGroup(joinRequest({ protocols: p('roundrobin', 'range') })),
    ]
    clock.advance(100)
    expect((await Promise.all(joins)).map((r) => r.protocolName)).toEqual(['range', 'range'])
  })

  it('refuses a member whose protocol type or assignors share nothing with the group (LOG_INCONSISTENT_GROUP_PROTOCOL)', async () => {
    const { coordinator } = await openFixture()
    await stableSingleMember(coordinator)
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ protocolType: 'connect' })))).toBe('LOG_INCONSISTENT_GROUP_PROTOCOL')
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ protocols: [{ name: 'RoundRobinAssigner', metadata: bytes('') }] })))).toBe(
      'LOG_INCONSISTENT_GROUP_PROTOCOL',
    )
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ groupId: 'other', protocols: [] })))).toBe('LOG_INCONSISTENT_GROUP_PROTOCOL')
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ groupId: 'other', protocolType: '' })))).toBe('LOG_INCONSISTENT_GROUP_PROTOCOL')
    expect(coordinator.describeGroup('g').state).toBe('Stable')
  })

  it('refuses session timeouts outside [groupMinSessionTimeoutMs, groupMaxSessionTimeoutMs] (LOG_INVALID_SESSION_TIMEOUT)', async () => {
    const { coordinator } = await openFixture()
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 5999 })))).toBe('LOG_INVALID_SESSION_TIMEOUT')
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 1_800_001 })))).toBe('LOG_INVALID_SESSION_TIMEOUT')
    // A refused first join leaves no group behind.
    expect(coordinator.listGroups()).toEqual([])
    expect((await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 6000 }))).generationId).toBe(1)
    const narrow = await openFixture({ groupMinSessionTimeoutMs: 100, groupMaxSessionTimeoutMs: 200 })
    expect(await codeOf(() => narrow.coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 300 })))).toBe('LOG_INVALID_SESSION_TIMEOUT')
    expect((await narrow.coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 150 }))).generationId).toBe(1)
  })

  it('validates group ids and rejects unknown member ids', async () => {
    const { coordinator } = await openFixture()
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ groupId: '' })))).toBe('LOG_INVALID_GROUP_ID')
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ groupId: 'x'.repeat(250) })))).toBe('LOG_INVALID_GROUP_ID')
    expect(await codeOf(() => coordinator.fetchOffsets(''))).toBe('LOG_INVALID_GROUP_ID')
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ memberId: 'ghost' })))).toBe('LOG_UNKNOWN_MEMBER_ID')
    await stableSingleMember(coordinator)
    expect(await codeOf(() => coordinator.joinGroup(joinRequest({ memberId: 'ghost' })))).toBe('LOG_UNKNOWN_MEMBER_ID')
  })

  it('answers a follower rejoining a Stable group with unchanged metadata without a rebalance', async () => {
    const { coordinator, clock } = await openFixture({ groupInitialRebalanceDelayMs: 10 })
    const joins = [coordinator.joinGroup(joinRequest()), coordinator.joinGroup(joinRequest())] as const
    clock.advance(10)
    const [leader, follower] = await Promise.all(joins)
    const syncs = [leader, follower].map((r) =>
      coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: undefined, assignments: [] }),
    )
    await Promise.all(syncs)
    const again = await coordinator.joinGroup(joinRequest({ memberId: follower.memberId }))
    expect(again.generationId).toBe(1)
    expect(coordinator.describeGroup('g').state).toBe('Stable')
  })
})

