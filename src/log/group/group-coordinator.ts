/**
 * Kafka's classic group coordinator in process (log-anchor §5): validates each request, finds or
 * creates its {@link ClassicGroup}, and hands membership changes to {@link GroupMembership} and
 * offsets to the {@link OffsetStore} over `__consumer_offsets`.
 *
 * Restart: replaying `__consumer_offsets` restores committed offsets and every group's last
 * generation id, protocol type and protocol, but no members — the only process that could hold
 * them restarted with the broker — so every group comes back Empty. Its members rejoin as new
 * ones, and the generation keeps increasing, so a commit of a pre-restart generation stays fenced.
 */
import type { Clock } from '../clock.js'
import { groupIdProblem } from '../client/consumer/consumer-config.js'
import type { TopicPartition } from '../topic-partition.js'
import { logError } from '../errors.js'
import { ClassicGroup, IN_PROCESS_CLIENT_HOST, memberError } from './classic-group.js'
import type {
  GroupCoordinatorApi,
  GroupSnapshot,
  GroupSummary,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  MemberIdentity,
  OffsetCommitRequest,
  StoredOffset,
  SyncGroupRequest,
  SyncGroupResult,
} from './coordinator-api.js'
import { resolveGroupCoordinatorConfig, type GroupCoordinatorConfig, type GroupCoordinatorConfigInput } from './group-coordinator-config.js'
import { GroupMembership } from './group-membership.js'
import { OffsetStore } from './offset-store.js'
import { CONSUMER_OFFSETS_TOPIC, type OffsetsLog } from './offsets-log.js'

/** Kafka `offset.metadata.max.bytes`. */
export const MAX_OFFSET_METADATA_BYTES = 4096

export interface GroupCoordinatorOptions {
  /** The log seam; the coordinator does not own it (the broker closes its logs after it). */
  readonly log: OffsetsLog
  readonly config?: GroupCoordinatorConfigInput
}

/**
 * The in-process {@link GroupCoordinatorApi}. Create it, `await load()` once, use it, `close()`
 * it before the log. One event loop: requests are handled one at a time between awaits.
 */
export class GroupCoordinator implements GroupCoordinatorApi {
  readonly config: GroupCoordinatorConfig
  private readonly clock: Clock
  private readonly groups = new Map<string, ClassicGroup>()
  private readonly store: OffsetStore
  private readonly membership: GroupMembership
  private closed = false

  /** @throws `CONFIG_INVALID` listing every invalid option. */
  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config)
    this.clock = options.log.clock
    this.store = new OffsetStore(options.log, this.config.offsetsTopicPartitions)
    this.membership = new GroupMembership({
      clock: this.clock,
      initialRebalanceDelayMs: this.config.groupInitialRebalanceDelayMs,
      persist: (groupId, value) => this.store.writeGroupMetadata(groupId, value),
      onBackgroundError: (task, err) => options.log.onBackgroundError(task, err),
    })
  }

  /**
   * Replays `__consumer_offsets` (if it exists): offsets, and groups as Empty with their last
   * generation (see the file comment). A partition that cannot be read does not fail the load:
   * operations on its groups, and `listGroups`, raise its error (`LOG_CORRUPT_BATCH`,
   * `LOG_CORRUPT_SEGMENT`, …), so no offset is silently lost.
   * @throws `LOG_CLOSED`.
   */
  async load(): Promise<void> {
    this.ensureOpen()
    const loaded = await this.store.load()
    for (const [groupId, g] of loaded) {
      const group = new ClassicGroup(groupId)
      group.generationId = g.generationId
      group.protocolType = g.protocolType
      group.protocolName = g.protocolName
      this.groups.set(groupId, group)
    }
  }

  /**
   * Cancels all timers, rejects parked joins and syncs with `LOG_CLOSED`, and waits for offset
   * writes in flight. Later calls raise `LOG_CLOSED`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.membership.close(this.groups.values())
    await this.store.drain()
  }

  /**
   * {@inheritDoc GroupCoordinatorApi.joinGroup}
   * Also `LOG_ABORTED` when `signal` aborts, `LOG_INVALID_ARGUMENT` for a non-positive rebalance timeout.
   */
  // async so that validation errors reject rather than throw, as the interface promises.
  async joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    this.checkGroupId(request.groupId)
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.config
    if (!Number.isInteger(request.sessionTimeoutMs) || request.sessionTimeoutMs < min || request.sessionTimeoutMs > max) {
      throw memberError(
        'LOG_INVALID_SESSION_TIMEOUT',
        `sessionTimeoutMs ${request.sessionTimeoutMs} is outside [${min}, ${max}]`,
        request.groupId,
        request.memberId,
      )
    }
    if (request.signal?.aborted === true) {
      throw memberError('LOG_ABORTED', `join of group ${request.groupId} was aborted`, request.groupId, request.memberId)
    }
    if (!Number.isInteger(request.rebalanceTimeoutMs) || request.rebalanceTimeoutMs <= 0) {
      throw logError('LOG_INVALID_ARGUMENT', `rebalanceTimeoutMs must be a positive integer`, { group: request.groupId })
    }
    const known = this.groups.get(request.groupId)
    const group = known ?? this.newGroupFor(request.groupId, request.memberId)
    if (group.is('Dead')) throw memberError('LOG_REBALANCE_IN_PROGRESS', `group ${group.groupId} is being deleted`, group.groupId, request.memberId)
    // join validates before it changes anything: a refused first join leaves no group behind.
    const answer = this.membership.join(group, request)
    if (known === undefined) this.groups.set(group.groupId, group)
    return answer
  }

  /** {@inheritDoc GroupCoordinatorApi.syncGroup} */
  async syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult> {
    return this.membership.sync(this.activeGroup(request.groupId, request.memberId), request)
  }

  /** {@inheritDoc GroupCoordinatorApi.heartbeat} */
  heartbeat(request: MemberIdentity): void {
    this.membership.heartbeat(this.activeGroup(request.groupId, request.memberId), request)
  }

  /** {@inheritDoc GroupCoordinatorApi.leaveGroup} */
  async leaveGroup(request: LeaveGroupRequest): Promise<void> {
    this.checkGroupId(request.groupId)
    const group = this.groups.get(request.groupId)
    if (group !== undefined && !group.is('Dead')) this.membership.leave(group, request.members)
  }

  /** {@inheritDoc GroupCoordinatorApi.commitOffsets} */
  async commitOffsets(request: OffsetCommitRequest): Promise<void> {
    this.checkGroupId(request.groupId)
    this.validateCommitter(request)
    this.checkOffsets(request)
    if (request.offsets.length === 0) return
    await this.store.commit(request.groupId, request.offsets)
  }

  /** @throws `LOG_INVALID_ARGUMENT`, `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION` for the first bad entry. */
  private checkOffsets(request: OffsetCommitRequest): void {
    for (const o of request.offsets) {
      const where = { group: request.groupId, topic: o.topic, partition: o.partition }
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw logError('LOG_INVALID_ARGUMENT', `offset ${o.offset} of ${o.topic}-${o.partition} must be a non-negative safe integer`, where)
      }
      if (typeof o.metadata !== 'string' || Buffer.byteLength(o.metadata) > MAX_OFFSET_METADATA_BYTES) {
        throw logError('LOG_INVALID_ARGUMENT', `metadata of ${o.topic}-${o.partition} exceeds ${MAX_OFFSET_METADATA_BYTES} bytes`, where)
      }
      const partitions = this.store.partitionCountOf(o.topic)
      if (!Number.isInteger(o.partition) || o.partition < 0 || o.partition >= partitions) {
        throw logError('LOG_UNKNOWN_PARTITION', `topic ${o.topic} has no partition ${o.partition}`, where)
      }
    }
  }

  /**
   * Kafka TxnOffsetCommit: stores offsets as part of the producer's transaction — written durably
   * to the group's `__consumer_offsets` partition as a transactional batch, fetched only once the
   * transaction's COMMIT marker reaches that partition ({@link completeTransaction}).
   *
   * KIP-447 fencing: a request that names a member or generation (the consumer's
   * `groupMetadata()`) must come from a current member at the group's generation, so a zombie of
   * an older generation cannot commit offsets of partitions that moved on. Generation −1 without
   * a member id (a producer outside a group) is not checked, as in Kafka.
   * @throws `LOG_ILLEGAL_GENERATION`, `LOG_UNKNOWN_MEMBER_ID`, `LOG_FENCED_INSTANCE_ID`,
   *   `LOG_REBALANCE_IN_PROGRESS` (group being deleted), `LOG_INVALID_ARGUMENT`,
   *   `LOG_UNKNOWN_PARTITION`, `LOG_UNKNOWN_TOPIC`; the partition's append errors
   *   (`LOG_INVALID_PRODUCER_EPOCH`, `LOG_PRODUCER_FENCED`, `LOG_INVALID_TXN_STATE`).
   */
  async commitTransactionalOffsets(request: OffsetCommitRequest & { readonly producerId: bigint; readonly producerEpoch: number }): Promise<void> {
    this.checkGroupId(request.groupId)
    const { groupId, generationId, memberId, groupInstanceId } = request
    const g = this.groups.get(groupId)
    if (g?.is('Dead')) throw memberError('LOG_REBALANCE_IN_PROGRESS', `group ${groupId} is being deleted`, groupId, memberId)
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== undefined) {
      if (g === undefined || g.is('Empty')) throw memberError('LOG_UNKNOWN_MEMBER_ID', `group ${groupId} has no member ${memberId}`, groupId, memberId)
      this.membership.validateCommitter(g, request)
    }
    this.checkOffsets(request)
    if (request.offsets.length === 0) return
    await this.store.commitTransactional(groupId, request.producerId, request.producerEpoch, request.offsets)
  }

  /**
   * The `__consumer_offsets` partition a transaction committing offsets of `groupId` adds
   * (creating the topic when needed). @throws `LOG_INVALID_GROUP_ID`, `LOG_CLOSED`.
   */
  transactionalOffsetsPartition(groupId: string): TopicPartition {
    this.checkGroupId(groupId)
    return { topic: CONSUMER_OFFSETS_TOPIC, partition: this.store.ensurePartitionOf(groupId) }
  }

  /**
   * A COMMIT/ABORT marker of `producerId` is durable in `__consumer_offsets` partition
   * `partition`: its pending transactional offsets there are applied (commit) or dropped.
   */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): void {
    this.store.completeTransaction(partition, producerId, commit)
  }

  /** {@inheritDoc GroupCoordinatorApi.fetchOffsets} */
  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[]): StoredOffset[] {
    this.checkGroupId(groupId)
    return this.store.fetch(groupId, partitions)
  }

  /** {@inheritDoc GroupCoordinatorApi.listGroups} */
  listGroups(): GroupSummary[] {
    this.ensureOpen()
    this.store.checkAllReadable()
    const out = new Map<string, GroupSummary>()
    for (const groupId of this.store.groupsWithOffsets()) out.set(groupId, { groupId, state: 'Empty', protocolType: '' })
    for (const g of this.groups.values()) {
      if (!g.is('Dead')) out.set(g.groupId, { groupId: g.groupId, state: g.state, protocolType: g.protocolType })
    }
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
  }

  /** {@inheritDoc GroupCoordinatorApi.describeGroup} */
  describeGroup(groupId: string): GroupSnapshot {
    this.checkGroupId(groupId)
    const g = this.groups.get(groupId)
    if (g === undefined) {
      const state = this.store.hasOffsets(groupId) ? 'Empty' : 'Dead'
      return { groupId, state, protocolType: '', protocolName: '', generationId: state === 'Empty' ? 0 : -1, leaderId: undefined, members: [] }
    }
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType,
      protocolName: g.protocolName ?? '',
      generationId: g.generationId,
      leaderId: g.leaderId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: IN_PROCESS_CLIENT_HOST,
        metadata: g.metadataOf(m),
        assignment: m.assignment,
      })),
    }
  }

  /** {@inheritDoc GroupCoordinatorApi.deleteGroups} */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    this.ensureOpen()
    const ids = [...new Set(groupIds)]
    // Everything is checked before anything is deleted.
    for (const groupId of ids) {
      this.checkGroupId(groupId)
      const g = this.groups.get(groupId)
      if (g !== undefined && g.members.size > 0) {
        throw logError('LOG_GROUP_NOT_EMPTY', `group ${groupId} has members`, { group: groupId })
      }
      if ((g === undefined || g.is('Dead')) && !this.store.hasOffsets(groupId)) {
        throw logError('LOG_UNKNOWN_GROUP', `group ${groupId} does not exist`, { group: groupId })
      }
    }
    const groups = ids.map((groupId) => {
      let g = this.groups.get(groupId)
      if (g === undefined) {
        g = new ClassicGroup(groupId)
        this.groups.set(groupId, g)
      }
      // Dead while the tombstones are written: joins and commits are told to retry.
      g.transitionTo('Dead')
      return g
    })
    const results = await Promise.allSettled(groups.map((g) => this.store.deleteGroup(g.groupId)))
    let failure: unknown
    groups.forEach((g, i) => {
      const result = results[i]
      if (this.groups.get(g.groupId) !== g) return
      this.groups.delete(g.groupId)
      if (result?.status !== 'rejected') return
      failure ??= result.reason
      // Not deleted after all: the group lives on, Empty, as it was.
      const kept = new ClassicGroup(g.groupId)
      kept.generationId = g.generationId
      kept.protocolType = g.protocolType
      kept.protocolName = g.protocolName
      this.groups.set(g.groupId, kept)
    })
    if (failure !== undefined) throw failure
  }

  // ------------------------------------------------------------ internals

  /**
   * Kafka `validateOffsetCommit`: generation −1 without member id commits only to an Empty or
   * unknown group; otherwise the member must exist at the group's generation, outside
   * CompletingRebalance.
   */
  private validateCommitter(request: OffsetCommitRequest): void {
    this.store.checkReadable(request.groupId)
    const g = this.groups.get(request.groupId)
    const { groupId, generationId, memberId, groupInstanceId } = request
    if (g?.is('Dead')) throw memberError('LOG_REBALANCE_IN_PROGRESS', `group ${groupId} is being deleted`, groupId, memberId)
    if (g === undefined || g.is('Empty')) {
      if (generationId < 0) return
      throw memberError('LOG_UNKNOWN_MEMBER_ID', `group ${groupId} has no member ${memberId}`, groupId, memberId)
    }
    if (generationId < 0 && memberId === '' && groupInstanceId === undefined) {
      throw memberError('LOG_UNKNOWN_MEMBER_ID', `group ${groupId} has members: commits need a member id`, groupId, memberId)
    }
    this.membership.validateCommitter(g, request)
    if (g.is('CompletingRebalance')) {
      throw memberError('LOG_REBALANCE_IN_PROGRESS', `group ${groupId} is completing a rebalance`, groupId, memberId)
    }
  }

  /** A group for a first join (not yet registered); members with an id must know it. */
  private newGroupFor(groupId: string, memberId: string): ClassicGroup {
    if (memberId !== '') throw memberError('LOG_UNKNOWN_MEMBER_ID', `group ${groupId} has no member ${memberId}`, groupId, memberId)
    return new ClassicGroup(groupId)
  }

  /** The group of a sync or heartbeat: one with members. */
  private activeGroup(groupId: string, memberId: string): ClassicGroup {
    this.checkGroupId(groupId)
    const g = this.groups.get(groupId)
    if (g === undefined || g.is('Dead') || g.is('Empty')) {
      throw memberError('LOG_UNKNOWN_MEMBER_ID', `group ${groupId} has no member ${memberId}`, groupId, memberId)
    }
    return g
  }

  private checkGroupId(groupId: string): void {
    this.ensureOpen()
    const problem = groupIdProblem('groupId', groupId)
    if (problem) throw logError('LOG_INVALID_GROUP_ID', problem.message, { group: typeof groupId === 'string' ? groupId : undefined })
    this.store.checkReadable(groupId)
  }

  private ensureOpen(): void {
    if (this.closed) throw logError('LOG_CLOSED', 'the group coordinator is closed')
  }
}
