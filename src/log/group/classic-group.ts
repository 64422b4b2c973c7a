/**
 * One classic consumer group: its state machine, generation, leader, chosen protocol and members
 * (Kafka `ClassicGroup`, log-anchor §5.1). Pure bookkeeping — no timers, no I/O; the
 * {@link GroupCoordinator} drives it.
 *
 * Legal transitions (Kafka `ClassicGroupState` valid previous states):
 * ```
 * Empty               → PreparingRebalance (a join), Dead (deleted)
 * PreparingRebalance  → CompletingRebalance (join phase done), Empty (no member left), Dead
 * CompletingRebalance → Stable (leader's sync stored), PreparingRebalance (a member left/rejoined), Dead
 * Stable              → PreparingRebalance, Dead
 * Dead                → Dead
 * ```
 */
import type { ClockTimer } from '../clock.js'
import type { GroupState } from '../client/admin/admin-api.js'
import { logError, MillraceError, type LogErrorCode } from '../errors.js'
import type { JoinGroupMember, JoinGroupProtocol, JoinGroupResult, SyncGroupResult } from './coordinator-api.js'
import type { GroupMemberMetadata, GroupMetadataValue } from './offsets-schema/index.js'

/** Members have no network address in process; Kafka would store `/<ip>`. */
export const IN_PROCESS_CLIENT_HOST = 'in-process'

const TRANSITIONS: Readonly<Record<GroupState, readonly GroupState[]>> = Object.freeze({
  Empty: ['PreparingRebalance', 'Dead'],
  PreparingRebalance: ['CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['Stable', 'PreparingRebalance', 'Dead'],
  Stable: ['PreparingRebalance', 'Dead'],
  Dead: ['Dead'],
})

/** A promise parked until the group answers it. */
export interface Parked<T> {
  resolve(value: T): void
  reject(err: unknown): void
}

export interface ClassicMember {
  memberId: string
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: readonly JoinGroupProtocol[]
  /** Assignment of the current generation (empty until the leader's sync is stored). */
  assignment: Uint8Array
  onRebalance: (() => void) | undefined
  /** Set while the member's JoinGroup waits for the join phase to complete. */
  pendingJoin: Parked<JoinGroupResult> | undefined
  /** Set while the member's SyncGroup waits for the leader's. */
  pendingSync: Parked<SyncGroupResult> | undefined
  sessionTimer: ClockTimer | undefined
}

export class ClassicGroup {
  state: GroupState = 'Empty'
  generationId = 0
  /** `''` until a member joined (or a group known only by its offsets). */
  protocolType = ''
  protocolName: string | undefined = undefined
  leaderId: string | undefined = undefined
  /** Insertion order = join order: the first remaining member becomes leader when one leaves. */
  readonly members = new Map<string, ClassicMember>()
  /** The join phase timer: the initial delay or the rebalance timeout. */
  joinTimer: ClockTimer | undefined = undefined
  /** True while the initial rebalance delay of a formerly Empty group runs. */
  initialDelayPending = false

  constructor(readonly groupId: string) {}

  is(state: GroupState): boolean {
    return this.state === state
  }

  /** @throws `LOG_ILLEGAL_STATE` for a transition the table does not allow (a coordinator bug). */
  transitionTo(next: GroupState): void {
    if (!TRANSITIONS[this.state].includes(next)) {
      throw logError('LOG_ILLEGAL_STATE', `group ${this.groupId} cannot go from ${this.state} to ${next}`, {
        group: this.groupId,
        from: this.state,
        to: next,
      })
    }
    this.state = next
  }

  add(member: ClassicMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    this.leaderId ??= member.memberId
  }

  /** Removes the member; a removed leader is succeeded by the earliest remaining member. */
  remove(memberId: string): void {
    this.members.delete(memberId)
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value
  }

  /** Puts `next` in the place of `previous` (static member rejoining), keeping leadership. */
  replace(previous: ClassicMember, next: ClassicMember): void {
    const entries = [...this.members.values()].map((m) => (m === previous ? next : m))
    this.members.clear()
    for (const m of entries) this.members.set(m.memberId, m)
    if (this.leaderId === previous.memberId) this.leaderId = next.memberId
  }

  findByInstanceId(groupInstanceId: string): ClassicMember | undefined {
    for (const m of this.members.values()) if (m.groupInstanceId === groupInstanceId) return m
    return undefined
  }

  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.pendingJoin === undefined) return false
    return true
  }

  /** The largest rebalance timeout of the members (Kafka `rebalanceTimeoutMs`). */
  maxRebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let candidates: Set<string> | undefined
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name))
      candidates = candidates === undefined ? names : new Set([...candidates].filter((n) => names.has(n)))
    }
    return candidates ?? new Set()
  }

  /**
   * Kafka `supportsProtocols`: an Empty group takes any non-empty type and list; otherwise the
   * type must match and some protocol of `protocols` must be one every member supports.
   */
  supportsProtocols(protocolType: string, protocols: readonly JoinGroupProtocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false
    if (this.members.size === 0) return true
    if (protocolType !== this.protocolType) return false
    const candidates = this.candidateProtocols()
    return protocols.some((p) => candidates.has(p.name))
  }

  /**
   * Kafka `selectProtocol`: each member votes for its most preferred candidate; the most votes
   * wins. Java breaks ties by HashMap order; we break them by the leader's preference, so the
   * choice is deterministic and honours the member that will compute the assignment.
   * @throws `LOG_INCONSISTENT_GROUP_PROTOCOL` when no protocol is common to all members.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => candidates.has(p.name))
      if (vote) votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1)
    }
    const leader = this.leaderId === undefined ? undefined : this.members.get(this.leaderId)
    const preference = (leader ?? [...this.members.values()][0])?.protocols.map((p) => p.name) ?? []
    let best: string | undefined
    for (const name of preference) {
      const count = votes.get(name) ?? 0
      if (count > 0 && (best === undefined || count > (votes.get(best) ?? 0))) best = name
    }
    if (best === undefined) {
      throw logError('LOG_INCONSISTENT_GROUP_PROTOCOL', `group ${this.groupId} has no protocol all members support`, {
        group: this.groupId,
      })
    }
    return best
  }

  /** The member's metadata for the chosen protocol (empty when it has none: never after a join). */
  metadataOf(member: ClassicMember): Uint8Array {
    return member.protocols.find((p) => p.name === this.protocolName)?.metadata ?? new Uint8Array(0)
  }

  /** The JoinGroup answer of `member` for the current generation. */
  joinResult(member: ClassicMember): JoinGroupResult {
    const isLeader = member.memberId === this.leaderId
    const members: JoinGroupMember[] = isLeader
      ? [...this.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: this.metadataOf(m),
        }))
      : []
    return {
      generationId: this.generationId,
      protocolName: this.protocolName ?? '',
      leaderId: this.leaderId ?? '',
      memberId: member.memberId,
      members,
    }
  }
}

/** A `MillraceError` about one group member; only REBALANCE_IN_PROGRESS is retriable. */
export function memberError(code: LogErrorCode, message: string, groupId: string, memberId?: string): MillraceError<LogErrorCode> {
  return new MillraceError(code, message, {
    details: { group: groupId, member: memberId },
    retriable: code === 'LOG_REBALANCE_IN_PROGRESS',
  })
}

/** The GroupMetadata record of the group's current generation (Kafka writes it per sync). */
export function groupMetadataValue(
  group: ClassicGroup,
  nowMs: number,
  assignmentOf: (m: ClassicMember) => Uint8Array,
): GroupMetadataValue {
  const members: GroupMemberMetadata[] = [...group.members.values()].map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId ?? null,
    clientId: m.clientId,
    clientHost: IN_PROCESS_CLIENT_HOST,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    sessionTimeoutMs: m.sessionTimeoutMs,
    subscription: group.metadataOf(m),
    assignment: assignmentOf(m),
  }))
  return {
    protocolType: group.protocolType,
    generation: group.generationId,
    protocol: group.protocolName ?? null,
    leader: group.leaderId ?? null,
    currentStateTimestampMs: nowMs,
    members,
  }
}
