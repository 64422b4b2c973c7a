/**
 * The in-process group coordinator's requests and answers: Kafka's classic group RPCs
 * (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
 * DescribeGroups, DeleteGroups — log-anchor §5) as method calls. The embedded consumer and admin
 * talk to the coordinator only through {@link GroupCoordinatorApi}; Kafka's error codes become
 * `MillraceError` codes (`LOG_UNKNOWN_MEMBER_ID`, `LOG_ILLEGAL_GENERATION`, …).
 *
 * Subscription and assignment bytes are ConsumerProtocolSubscription / ConsumerProtocolAssignment
 * (see `consumer-protocol.ts`); the coordinator stores and forwards them without parsing, as
 * Kafka's does.
 */
import type { GroupState } from '../client/admin/admin-api.js'
import type { TopicPartition } from '../topic-partition.js'

export interface JoinGroupProtocol {
  /** Assignor name (`range`, `cooperative-sticky`, a custom assignor's name). */
  readonly name: string
  /** The member's ConsumerProtocolSubscription for this assignor. */
  readonly metadata: Uint8Array
}

export interface JoinGroupRequest {
  readonly groupId: string
  /** `''` for a member joining for the first time; the coordinator generates its id. */
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  readonly sessionTimeoutMs: number
  /** How long the coordinator waits for members to rejoin (the consumer's `maxPollIntervalMs`). */
  readonly rebalanceTimeoutMs: number
  /** `consumer` for consumer groups. */
  readonly protocolType: string
  /** Supported assignors, preferred first. */
  readonly protocols: readonly JoinGroupProtocol[]
  /**
   * In-process shortcut for Kafka's heartbeat answer REBALANCE_IN_PROGRESS: called (synchronously,
   * must not throw) when the group starts a rebalance this member must rejoin, or when the member
   * is removed (session expiry, fencing). The member still learns the details from its next
   * heartbeat; this only saves it waiting a heartbeat interval.
   */
  readonly onRebalance?: () => void
  /**
   * Withdraws a parked join (the consumer is closing): the member is removed as if it had left,
   * and the join rejects with `LOG_ABORTED`.
   */
  readonly signal?: AbortSignal
}

export interface JoinGroupMember {
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  /** The member's metadata for the chosen protocol. */
  readonly metadata: Uint8Array
}

export interface JoinGroupResult {
  readonly generationId: number
  /** The chosen assignor (every member supports it; most first-preference votes). */
  readonly protocolName: string
  readonly leaderId: string
  /** This member's id (generated on first join). */
  readonly memberId: string
  /** Every member's metadata for the leader; `[]` for followers. */
  readonly members: JoinGroupMember[]
}

export interface SyncGroupRequest {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  /** The leader's computed assignment (ConsumerProtocolAssignment per member); `[]` from followers. */
  readonly assignments: ReadonlyArray<{ readonly memberId: string; readonly assignment: Uint8Array }>
}

export interface SyncGroupResult {
  readonly protocolName: string
  /** This member's ConsumerProtocolAssignment (empty bytes = nothing assigned). */
  readonly assignment: Uint8Array
}

export interface MemberIdentity {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | undefined
}

export interface LeaveGroupRequest {
  readonly groupId: string
  readonly members: ReadonlyArray<{ readonly memberId: string; readonly groupInstanceId: string | undefined }>
}

export interface OffsetCommitEntry {
  readonly topic: string
  readonly partition: number
  /** The next offset to consume. */
  readonly offset: number
  readonly metadata: string
}

export interface OffsetCommitRequest {
  readonly groupId: string
  /** −1 with memberId `''` for a commit outside group management (assign-mode consumer, admin). */
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  readonly offsets: readonly OffsetCommitEntry[]
}

export interface StoredOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly metadata: string
  readonly commitTimestampMs: number
}

export interface GroupSummary {
  readonly groupId: string
  readonly state: GroupState
  readonly protocolType: string
}

export interface GroupMemberSnapshot {
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  readonly clientHost: string
  /** The member's metadata for the group's chosen protocol (a ConsumerProtocolSubscription). */
  readonly metadata: Uint8Array
  /** The member's assignment of the current generation (empty until synced). */
  readonly assignment: Uint8Array
}

export interface GroupSnapshot {
  readonly groupId: string
  readonly state: GroupState
  readonly protocolType: string
  readonly protocolName: string
  readonly generationId: number
  readonly leaderId: string | undefined
  readonly members: GroupMemberSnapshot[]
}

/**
 * Kafka's classic group coordinator, in process. Every method validates the group id
 * (`LOG_INVALID_GROUP_ID`) and raises `LOG_CLOSED` once the broker closes; waiting joins and
 * syncs then reject with `LOG_CLOSED` too.
 */
export interface GroupCoordinatorApi {
  /**
   * Joins (or rejoins) the group and resolves when the join phase completes for everyone: all
   * known members rejoined, or the rebalance timeout removed the ones that did not.
   * @throws `LOG_UNKNOWN_MEMBER_ID` (a non-empty id the group does not know), `LOG_FENCED_INSTANCE_ID`,
   *   `LOG_INCONSISTENT_GROUP_PROTOCOL`, `LOG_INVALID_SESSION_TIMEOUT`, `LOG_REBALANCE_IN_PROGRESS`
   *   (retriable: the member was removed from this join phase by a newer rebalance; rejoin).
   */
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult>
  /**
   * Followers wait for the leader's assignment; the leader's call stores the group metadata
   * record, then answers everyone. @throws `LOG_UNKNOWN_MEMBER_ID`, `LOG_ILLEGAL_GENERATION`,
   * `LOG_REBALANCE_IN_PROGRESS` (a new rebalance started; rejoin), `LOG_FENCED_INSTANCE_ID`.
   */
  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult>
  /**
   * Keeps the member's session alive. @throws `LOG_REBALANCE_IN_PROGRESS` (rejoin),
   * `LOG_ILLEGAL_GENERATION`, `LOG_UNKNOWN_MEMBER_ID`, `LOG_FENCED_INSTANCE_ID`.
   */
  heartbeat(request: MemberIdentity): void
  /** Removes members; the group rebalances. Unknown members are ignored. */
  leaveGroup(request: LeaveGroupRequest): Promise<void>
  /**
   * Stores offsets durably in `__consumer_offsets`, then applies them.
   * @throws `LOG_UNKNOWN_MEMBER_ID`, `LOG_ILLEGAL_GENERATION`, `LOG_FENCED_INSTANCE_ID`,
   *   `LOG_REBALANCE_IN_PROGRESS` (CompletingRebalance), `LOG_UNKNOWN_MEMBER_ID` also for a
   *   generation −1 commit to a group with members, `LOG_INVALID_ARGUMENT` (negative offset, metadata over
   *   4096 bytes), `LOG_UNKNOWN_TOPIC`/`LOG_UNKNOWN_PARTITION`.
   */
  commitOffsets(request: OffsetCommitRequest): Promise<void>
  /** Committed offsets of the group (all when `partitions` is omitted); absent partitions are left out. */
  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[]): StoredOffset[]
  listGroups(): GroupSummary[]
  /** A Dead snapshot with no members for an unknown group. */
  describeGroup(groupId: string): GroupSnapshot
  /** Deletes empty groups and their offsets (tombstones). @throws `LOG_UNKNOWN_GROUP`, `LOG_GROUP_NOT_EMPTY`. */
  deleteGroups(groupIds: readonly string[]): Promise<void>
}
