/**
 * The classic rebalance protocol over {@link ClassicGroup}s (log-anchor §5.1–5.4): parked joins
 * and syncs, the join phase and its timers, session expiry, leaving, and static members. The
 * {@link GroupCoordinator} validates requests and finds the group; this class changes it.
 *
 * Timers run on the injected clock. Everything here runs on one event loop, so a group is
 * changed by one call at a time; the only await is the leader's durable GroupMetadata write,
 * after which the generation is re-checked.
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { LogErrorCode, MillraceError } from '../errors.js'
import { ClassicGroup, groupMetadataValue, memberError, type ClassicMember, type Parked } from './classic-group.js'
import type { JoinGroupRequest, JoinGroupResult, LeaveGroupRequest, MemberIdentity, SyncGroupRequest, SyncGroupResult } from './coordinator-api.js'
import type { GroupMetadataValue } from './offsets-schema/index.js'

const NO_ASSIGNMENT = new Uint8Array(0)

export interface GroupMembershipOptions {
  readonly clock: Clock
  readonly initialRebalanceDelayMs: number
  /** Stores the group's GroupMetadata record durably. */
  readonly persist: (groupId: string, value: GroupMetadataValue) => Promise<void>
  readonly onBackgroundError: (task: string, err: unknown) => void
}

function rebalancing(group: ClassicGroup, memberId: string): MillraceError<LogErrorCode> {
  return memberError('LOG_REBALANCE_IN_PROGRESS', `group ${group.groupId} is rebalancing; rejoin`, group.groupId, memberId)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b)
}

function sameProtocols(member: ClassicMember, request: JoinGroupRequest): boolean {
  const a = member.protocols
  const b = request.protocols
  return a.length === b.length && a.every((p, i) => p.name === b[i]?.name && sameBytes(p.metadata, b[i].metadata))
}

export class GroupMembership {
  private closed = false

  constructor(private readonly options: GroupMembershipOptions) {}

  /** See `GroupCoordinatorApi.joinGroup`; the request was validated by the coordinator. */
  join(group: ClassicGroup, request: JoinGroupRequest): Promise<JoinGroupResult> {
    if (!group.supportsProtocols(request.protocolType, request.protocols)) {
      throw memberError(
        'LOG_INCONSISTENT_GROUP_PROTOCOL',
        `group ${group.groupId} uses protocol type '${group.protocolType}' with no assignor in common with the member's`,
        group.groupId,
        request.memberId,
      )
    }
    if (request.memberId === '') {
      const existing = request.groupInstanceId === undefined ? undefined : group.findByInstanceId(request.groupInstanceId)
      return existing ? this.rejoinStatic(group, existing, request) : this.addMember(group, request)
    }
    const member = this.validateMember(group, request.memberId, request.groupInstanceId)
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateAndRebalance(group, member, request)
      case 'CompletingRebalance':
        // The member lost our answer: give it again unless its protocols changed.
        return sameProtocols(member, request) ? this.answerCurrent(group, member) : this.updateAndRebalance(group, member, request)
      case 'Stable':
        // A leader rejoining may have seen metadata change (new topics): it gets a rebalance.
        return member.memberId !== group.leaderId && sameProtocols(member, request)
          ? this.answerCurrent(group, member)
          : this.updateAndRebalance(group, member, request)
      default:
        throw memberError('LOG_UNKNOWN_MEMBER_ID', `group ${group.groupId} has no member ${member.memberId}`, group.groupId, member.memberId)
    }
  }

  /** See `GroupCoordinatorApi.syncGroup`. */
  sync(group: ClassicGroup, request: SyncGroupRequest): Promise<SyncGroupResult> {
    const member = this.validateMember(group, request.memberId, request.groupInstanceId)
    this.checkGeneration(group, member, request.generationId)
    if (group.is('PreparingRebalance')) throw rebalancing(group, member.memberId)
    if (group.is('Stable')) {
      this.scheduleSession(group, member)
      return Promise.resolve({ protocolName: group.protocolName ?? '', assignment: member.assignment })
    }
    // CompletingRebalance: park until the leader's assignment is stored.
    member.pendingSync?.reject(rebalancing(group, member.memberId))
    const answer = new Promise<SyncGroupResult>((resolve, reject) => {
      member.pendingSync = { resolve, reject }
    })
    this.scheduleSession(group, member)
    if (member.memberId === group.leaderId) void this.storeAssignment(group, request.assignments)
    return answer
  }

  /** See `GroupCoordinatorApi.heartbeat`. */
  heartbeat(group: ClassicGroup, request: MemberIdentity): void {
    const member = this.validateMember(group, request.memberId, request.groupInstanceId)
    this.checkGeneration(group, member, request.generationId)
    this.scheduleSession(group, member)
    if (group.is('PreparingRebalance')) throw rebalancing(group, member.memberId)
  }

  /**
   * Removes the listed members that exist. A static member is found by its instance id; an entry
   * naming an older member id of that instance is ignored, so a fenced zombie cannot remove its
   * successor.
   */
  leave(group: ClassicGroup, members: LeaveGroupRequest['members']): void {
    for (const entry of members) {
      const member =
        entry.groupInstanceId === undefined ? group.members.get(entry.memberId) : group.findByInstanceId(entry.groupInstanceId)
      if (member === undefined) continue
      if (entry.groupInstanceId !== undefined && entry.memberId !== '' && entry.memberId !== member.memberId) continue
      // The member asked to leave: no callback for it.
      this.removeMember(group, member, false)
    }
  }

  /** Cancels every timer and rejects parked joins and syncs with `LOG_CLOSED`. */
  close(groups: Iterable<ClassicGroup>): void {
    this.closed = true
    for (const group of groups) {
      group.joinTimer?.cancel()
      group.joinTimer = undefined
      for (const member of group.members.values()) {
        member.sessionTimer?.cancel()
        member.sessionTimer = undefined
        const err = memberError('LOG_CLOSED', `the group coordinator closed`, group.groupId, member.memberId)
        member.pendingJoin?.reject(err)
        member.pendingSync?.reject(err)
        member.pendingJoin = undefined
        member.pendingSync = undefined
      }
    }
  }

  // ------------------------------------------------------------ joining

  private addMember(group: ClassicGroup, request: JoinGroupRequest): Promise<JoinGroupResult> {
    const member = this.newMember(request)
    group.add(member)
    const answer = this.park(group, member, request.signal)
    this.scheduleSession(group, member)
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group)
    else this.prepareRebalance(group)
    return answer
  }

  /**
   * KIP-345: a known instance joining with no member id gets a new id in the old member's place;
   * the old id is fenced. A Stable group with unchanged protocols answers at once with the
   * current generation — the member syncs and gets its previous assignment — and no rebalance.
   */
  private rejoinStatic(group: ClassicGroup, old: ClassicMember, request: JoinGroupRequest): Promise<JoinGroupResult> {
    const member = this.newMember(request)
    member.assignment = old.assignment
    const unchanged = sameProtocols(old, request)
    group.replace(old, member)
    old.sessionTimer?.cancel()
    const fenced = memberError('LOG_FENCED_INSTANCE_ID', `instance ${request.groupInstanceId} rejoined as another member`, group.groupId, old.memberId)
    old.pendingJoin?.reject(fenced)
    old.pendingSync?.reject(fenced)
    this.notify(group, old)
    if (group.is('Stable') && unchanged) {
      this.scheduleSession(group, member)
      // The leader gets no member list: in Stable its sync's assignment would be ignored anyway.
      return Promise.resolve({ ...group.joinResult(member), members: [] })
    }
    const answer = this.park(group, member, request.signal)
    this.scheduleSession(group, member)
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group)
    else this.prepareRebalance(group)
    return answer
  }

  private updateAndRebalance(group: ClassicGroup, member: ClassicMember, request: JoinGroupRequest): Promise<JoinGroupResult> {
    member.protocols = request.protocols
    member.protocolType = request.protocolType
    member.sessionTimeoutMs = request.sessionTimeoutMs
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs
    member.onRebalance = request.onRebalance
    const answer = this.park(group, member, request.signal)
    this.scheduleSession(group, member)
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group)
    else this.prepareRebalance(group)
    return answer
  }

  private answerCurrent(group: ClassicGroup, member: ClassicMember): Promise<JoinGroupResult> {
    this.scheduleSession(group, member)
    return Promise.resolve(group.joinResult(member))
  }

  private newMember(request: JoinGroupRequest): ClassicMember {
    return {
      memberId: `${request.clientId}-${randomUUID()}`,
      groupInstanceId: request.groupInstanceId,
      clientId: request.clientId,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      assignment: NO_ASSIGNMENT,
      onRebalance: request.onRebalance,
      pendingJoin: undefined,
      pendingSync: undefined,
      sessionTimer: undefined,
    }
  }

  /**
   * Parks the member's join. A second join of the same member supersedes its first, which is told
   * to rejoin. Aborting `signal` withdraws the join: the member leaves, the join rejects with
   * `LOG_ABORTED`.
   */
  private park(group: ClassicGroup, member: ClassicMember, signal: AbortSignal | undefined): Promise<JoinGroupResult> {
    member.pendingJoin?.reject(rebalancing(group, member.memberId))
    return new Promise<JoinGroupResult>((resolve, reject) => {
      const onAbort = (): void => {
        if (member.pendingJoin !== parked) return
        member.pendingJoin = undefined
        reject(memberError('LOG_ABORTED', `join of member ${member.memberId} was aborted`, group.groupId, member.memberId))
        if (!this.closed && group.members.get(member.memberId) === member) this.removeMember(group, member, false)
      }
      const parked: Parked<JoinGroupResult> = {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(value)
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        },
      }
      member.pendingJoin = parked
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  // ------------------------------------------------------------ the join phase

  private prepareRebalance(group: ClassicGroup): void {
    if (group.is('CompletingRebalance')) {
      // Kafka resetAndPropagateAssignmentWithError: waiting syncs learn they must rejoin.
      for (const m of group.members.values()) {
        m.pendingSync?.reject(rebalancing(group, m.memberId))
        m.pendingSync = undefined
        m.assignment = NO_ASSIGNMENT
      }
    }
    const fromEmpty = group.is('Empty')
    group.transitionTo('PreparingRebalance')
    for (const m of group.members.values()) if (m.pendingJoin === undefined) this.notify(group, m)
    group.joinTimer?.cancel()
    const delayMs = this.options.initialRebalanceDelayMs
    group.initialDelayPending = fromEmpty && delayMs > 0
    group.joinTimer = this.options.clock.setTimeout(
      () => this.onJoinTimer(group),
      group.initialDelayPending ? delayMs : group.maxRebalanceTimeoutMs(),
    )
    this.maybeCompleteJoin(group)
  }

  private maybeCompleteJoin(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && !group.initialDelayPending && group.hasAllMembersJoined()) this.completeJoin(group)
  }

  private onJoinTimer(group: ClassicGroup): void {
    group.joinTimer = undefined
    if (this.closed || !group.is('PreparingRebalance')) return
    if (group.initialDelayPending) {
      group.initialDelayPending = false
      if (!group.hasAllMembersJoined()) {
        group.joinTimer = this.options.clock.setTimeout(() => this.onJoinTimer(group), group.maxRebalanceTimeoutMs())
        return
      }
    }
    this.completeJoin(group)
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are removed; static ones stay
   * (KIP-345: their session timeout decides), as in Kafka's `completeClassicGroupJoin`.
   */
  private completeJoin(group: ClassicGroup): void {
    group.joinTimer?.cancel()
    group.joinTimer = undefined
    for (const m of [...group.members.values()]) {
      if (m.pendingJoin === undefined && m.groupInstanceId === undefined) {
        group.remove(m.memberId)
        m.sessionTimer?.cancel()
        this.notify(group, m)
      }
    }
    if (group.members.size === 0) {
      group.generationId++
      group.protocolName = undefined
      group.leaderId = undefined
      group.transitionTo('Empty')
      this.persistInBackground(group)
      return
    }
    const joined = [...group.members.values()].filter((m) => m.pendingJoin !== undefined)
    if (joined.length === 0) {
      // Only static members that have not rejoined: wait for them, or for their sessions to end.
      group.joinTimer = this.options.clock.setTimeout(() => this.onJoinTimer(group), group.maxRebalanceTimeoutMs())
      return
    }
    const leader = group.leaderId === undefined ? undefined : group.members.get(group.leaderId)
    if (leader?.pendingJoin === undefined) group.leaderId = joined[0]?.memberId
    group.generationId++
    group.protocolName = group.selectProtocol()
    group.transitionTo('CompletingRebalance')
    for (const m of joined) {
      const parked = m.pendingJoin
      m.pendingJoin = undefined
      this.scheduleSession(group, m)
      parked?.resolve(group.joinResult(m))
    }
  }

  /** The leader's sync: store the GroupMetadata record, then answer every parked sync. */
  private async storeAssignment(group: ClassicGroup, assignments: SyncGroupRequest['assignments']): Promise<void> {
    const generationId = group.generationId
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]))
    const assignmentOf = (m: ClassicMember): Uint8Array => byMember.get(m.memberId) ?? NO_ASSIGNMENT
    try {
      await this.options.persist(group.groupId, groupMetadataValue(group, this.options.clock.nowMs(), assignmentOf))
    } catch (err) {
      if (this.closed || group.generationId !== generationId || !group.is('CompletingRebalance')) return
      for (const m of group.members.values()) {
        m.pendingSync?.reject(err)
        m.pendingSync = undefined
      }
      this.prepareRebalance(group)
      return
    }
    // A newer rebalance (or close) already answered the parked syncs.
    if (this.closed || group.generationId !== generationId || !group.is('CompletingRebalance')) return
    for (const m of group.members.values()) m.assignment = assignmentOf(m)
    group.transitionTo('Stable')
    for (const m of group.members.values()) {
      const parked = m.pendingSync
      m.pendingSync = undefined
      parked?.resolve({ protocolName: group.protocolName ?? '', assignment: m.assignment })
    }
  }

  // ------------------------------------------------------------ sessions and removal

  private scheduleSession(group: ClassicGroup, member: ClassicMember): void {
    member.sessionTimer?.cancel()
    member.sessionTimer = this.options.clock.setTimeout(() => this.onSessionExpired(group, member), member.sessionTimeoutMs)
  }

  private onSessionExpired(group: ClassicGroup, member: ClassicMember): void {
    member.sessionTimer = undefined
    if (this.closed || group.members.get(member.memberId) !== member) return
    // A member waiting on us cannot heartbeat: Kafka keeps it alive (`shouldKeepAlive`).
    if (member.pendingJoin !== undefined || member.pendingSync !== undefined) {
      this.scheduleSession(group, member)
      return
    }
    this.removeMember(group, member, true)
  }

  private removeMember(group: ClassicGroup, member: ClassicMember, notify: boolean): void {
    group.remove(member.memberId)
    member.sessionTimer?.cancel()
    member.sessionTimer = undefined
    const gone = memberError('LOG_UNKNOWN_MEMBER_ID', `member ${member.memberId} left group ${group.groupId}`, group.groupId, member.memberId)
    member.pendingJoin?.reject(gone)
    member.pendingSync?.reject(gone)
    member.pendingJoin = undefined
    member.pendingSync = undefined
    if (notify) this.notify(group, member)
    if (group.is('Stable') || group.is('CompletingRebalance')) this.prepareRebalance(group)
    else this.maybeCompleteJoin(group)
  }

  private validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | undefined): ClassicMember {
    if (groupInstanceId !== undefined) {
      const current = group.findByInstanceId(groupInstanceId)
      if (current !== undefined && current.memberId !== memberId) {
        throw memberError('LOG_FENCED_INSTANCE_ID', `instance ${groupInstanceId} is now another member`, group.groupId, memberId)
      }
    }
    const member = group.members.get(memberId)
    if (member === undefined) {
      throw memberError('LOG_UNKNOWN_MEMBER_ID', `group ${group.groupId} has no member ${memberId}`, group.groupId, memberId)
    }
    return member
  }

  private checkGeneration(group: ClassicGroup, member: ClassicMember, generationId: number): void {
    if (generationId !== group.generationId) {
      throw memberError(
        'LOG_ILLEGAL_GENERATION',
        `member ${member.memberId} is at generation ${generationId}, group ${group.groupId} at ${group.generationId}`,
        group.groupId,
        member.memberId,
      )
    }
  }

  /** Calls the member's `onRebalance`; a throwing callback is reported, never propagated. */
  private notify(group: ClassicGroup, member: ClassicMember): void {
    try {
      member.onRebalance?.()
    } catch (err) {
      this.options.onBackgroundError(`onRebalance of member ${member.memberId} in group ${group.groupId}`, err)
    }
  }

  private persistInBackground(group: ClassicGroup): void {
    this.options.persist(group.groupId, groupMetadataValue(group, this.options.clock.nowMs(), () => NO_ASSIGNMENT)).catch((err: unknown) => {
      if (!this.closed) this.options.onBackgroundError(`storing metadata of group ${group.groupId}`, err)
    })
  }

  /** Exposed for the coordinator's commit validation (same rules as heartbeats). */
  validateCommitter(group: ClassicGroup, identity: MemberIdentity): void {
    const member = this.validateMember(group, identity.memberId, identity.groupInstanceId)
    this.checkGeneration(group, member, identity.generationId)
  }
}
