/**
 * A consumer's membership in its group — Kafka's client-side `ConsumerCoordinator`: joins and
 * syncs with the group coordinator, runs the chosen assignor when it is the leader, heartbeats
 * on the clock, leaves when the application stops polling for `maxPollIntervalMs`, and drives
 * the rebalance listener with Kafka's eager and cooperative (KIP-429) rules:
 *
 * 1. Prepare (before JoinGroup): partitions lost without a hand-over (session expired, fenced,
 *    generation gone) go to `onPartitionsLost`; eager revokes everything it owns
 *    (`onPartitionsRevoked`); cooperative revokes only partitions of topics no longer subscribed.
 *    Auto-commit runs first, while the member still belongs to the generation.
 * 2. JoinGroup (parked by the coordinator until every member rejoined); the leader computes the
 *    assignment with the assignor the group chose; SyncGroup hands each member its part.
 * 3. Complete: cooperative revokes what it owned but was not given, then — when it revoked
 *    anything — asks for a second rebalance that hands those partitions to their new owners;
 *    the added partitions go to `onPartitionsAssigned`.
 *
 * The rebalance protocol is the highest one every configured assignor supports, as in Kafka:
 * the default `['range', 'cooperative-sticky']` is therefore eager until range is dropped.
 */
import type { Clock, ClockTimer } from '../../clock.js'
import { isMillraceError, logError } from '../../errors.js'
import type { GroupCoordinatorApi, JoinGroupResult, MemberIdentity } from '../../group/coordinator-api.js'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../group/consumer-protocol.js'
import { topicPartitionKey, type TopicPartition } from '../../topic-partition.js'
import type { MemberSubscription, PartitionAssignor, RebalanceProtocol } from '../assignors/assignor.js'
import type { RebalanceListener } from './consumer-api.js'
import type { ConsumerConfig } from './consumer-config.js'

/** What the member needs from its consumer. */
export interface GroupMemberHost {
  readonly clock: Clock
  readonly config: ConsumerConfig
  readonly assignors: readonly PartitionAssignor[]
  coordinator(): GroupCoordinatorApi
  /** @throws `LOG_UNKNOWN_TOPIC`. */
  partitionCount(topic: string): number
  topicNames(): string[]
  /** Starts fetching `partitions` from their committed offsets (or the reset policy). */
  addPartitions(partitions: readonly TopicPartition[]): void
  /** Stops fetching `partitions` and drops their buffers. */
  removePartitions(partitions: readonly TopicPartition[]): void
  /** Commits the positions of the owned partitions when auto-commit is on; never throws. */
  autoCommit(): Promise<void>
  /** Ends a waiting poll so that it runs group work. */
  wake(): void
}

/** Topics starting with `__` are the log's own (offsets, transactions); patterns never match them. */
function isInternal(topic: string): boolean {
  return topic.startsWith('__')
}

/** Group errors that mean "rejoin and carry on" rather than failing the application. */
const REJOIN_CODES = new Set(['LOG_REBALANCE_IN_PROGRESS', 'LOG_ILLEGAL_GENERATION', 'LOG_UNKNOWN_MEMBER_ID'])

export class ConsumerGroupMember {
  readonly protocol: RebalanceProtocol
  private readonly host: GroupMemberHost
  private topics: readonly string[] = []
  private pattern: RegExp | undefined
  private listener: RebalanceListener = {}
  memberId = ''
  generationId = -1
  private protocolName = ''
  private owned: TopicPartition[] = []
  private needsJoin = true
  /** The owned partitions were taken away without a clean revoke; report them as lost. */
  private lost = false
  /** A fatal error (fenced static member) raised by every later `ensureActive`. */
  private fatal: unknown
  private heartbeatTimer: ClockTimer | undefined
  private joining: Promise<void> | undefined
  /** Withdraws a parked JoinGroup when the member leaves (close, unsubscribe). */
  private joinAbort = new AbortController()
  /** Subscribed topics with partition counts when the last join started; a change triggers a rejoin. */
  private fingerprint = ''
  private inPoll = false
  private lastPollMs: number
  private stopped = false

  constructor(host: GroupMemberHost) {
    this.host = host
    this.protocol = host.assignors.every((a) => a.supportedProtocols.includes('cooperative')) ? 'cooperative' : 'eager'
    this.lastPollMs = host.clock.monotonicMs()
  }

  get groupId(): string {
    return this.host.config.groupId as string // reason: members exist only for consumers with a groupId
  }

  get groupInstanceId(): string | undefined {
    return this.host.config.groupInstanceId
  }

  /** The partitions this member owns in its current generation. */
  assignment(): TopicPartition[] {
    return [...this.owned]
  }

  identity(): MemberIdentity {
    return { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId }
  }

  subscribe(topics: readonly string[] | RegExp, listener: RebalanceListener): void {
    if (topics instanceof RegExp) {
      this.pattern = new RegExp(topics.source, topics.flags.replace(/[gy]/g, '')) // reason: stateful flags break .test
      this.topics = []
    } else {
      this.pattern = undefined
      this.topics = [...new Set(topics)]
    }
    this.listener = listener
    this.needsJoin = true
    if (this.stopped) {
      // Subscribing again after `unsubscribe`: a new membership.
      this.stopped = false
      this.joinAbort = new AbortController()
    }
  }

  /** The subscribed topic names (a pattern resolved against the current topics). */
  subscribedTopics(): string[] {
    const pattern = this.pattern
    if (pattern === undefined) return [...this.topics]
    return this.host
      .topicNames()
      .filter((t) => !isInternal(t) && pattern.test(t))
      .sort()
  }

  /** Marks the start and end of a poll: the max-poll interval counts only time outside polls. */
  enterPoll(): void {
    this.inPoll = true
    this.lastPollMs = this.host.clock.monotonicMs()
  }

  exitPoll(): void {
    this.inPoll = false
    this.lastPollMs = this.host.clock.monotonicMs()
  }

  /**
   * `undefined` when the member is in a stable generation with nothing to do (the poll fast
   * path); otherwise the promise of the rebalance in flight, shared by overlapping callers.
   * Listener errors reject it after the rebalance completed.
   * @throws `LOG_FENCED_INSTANCE_ID` once a newer static member with this instance id fenced it.
   */
  ensureActive(): Promise<void> | undefined {
    if (this.fatal !== undefined) throw this.fatal
    if (this.joining !== undefined) return this.joining
    if (!this.needsJoin && !this.lost && this.fingerprint === this.currentFingerprint()) return undefined
    const joining = this.rebalance().finally(() => {
      this.joining = undefined
    })
    this.joining = joining
    // reason: a poll that timed out stops awaiting the join; the next poll awaits it again and
    // sees the error, so a rejection here must not count as unhandled in between.
    joining.catch(() => undefined)
    return joining
  }

  /**
   * Leaves the group (see `ConsumerCloseOptions`): auto-commit, revoke (or lost, when the
   * generation is gone), LeaveGroup for dynamic members unless `leaveGroup` is false.
   */
  async leave(leaveGroup: boolean): Promise<void> {
    this.stopHeartbeats()
    this.stopped = true
    this.joinAbort.abort()
    let firstError: unknown
    const dynamic = this.groupInstanceId === undefined
    let left = false
    if (this.joining !== undefined) {
      // Mid-rebalance: a parked SyncGroup ends only when the group moves on, so leave first.
      if (leaveGroup && dynamic && this.memberId !== '') firstError = await this.sendLeave()
      left = true
      await this.joining.catch(() => undefined)
    }
    if (leaveGroup && this.owned.length > 0) {
      if (this.generationId >= 0 && !this.lost) {
        await this.host.autoCommit()
        firstError = await this.invoke('onPartitionsRevoked', this.owned)
      } else {
        firstError = await this.invoke('onPartitionsLost', this.owned)
      }
    }
    this.host.removePartitions(this.owned)
    this.owned = []
    if (leaveGroup && dynamic && !left && this.memberId !== '') firstError ??= await this.sendLeave()
    this.memberId = ''
    this.generationId = -1
    if (firstError !== undefined) throw firstError
  }

  /** LeaveGroup for this member; returns an error worth reporting, if any. */
  private async sendLeave(): Promise<unknown> {
    try {
      await this.host.coordinator().leaveGroup({
        groupId: this.groupId,
        members: [{ memberId: this.memberId, groupInstanceId: undefined }],
      })
      return undefined
    } catch (err) {
      // reason: leaving is best effort — a member the coordinator no longer knows (expired,
      // closed broker) has already left; any other error is reported after cleanup.
      if (isMillraceError(err, 'LOG_UNKNOWN_MEMBER_ID') || isMillraceError(err, 'LOG_CLOSED')) return undefined
      return err
    }
  }

  /** Records a group error seen by a commit or heartbeat; the next `ensureActive` acts on it. */
  onGroupError(err: unknown): void {
    if (!isMillraceError(err)) return
    switch (err.code) {
      case 'LOG_REBALANCE_IN_PROGRESS':
        this.needsJoin = true
        break
      case 'LOG_ILLEGAL_GENERATION':
        this.generationId = -1
        this.markLost()
        break
      case 'LOG_UNKNOWN_MEMBER_ID':
        this.memberId = ''
        this.generationId = -1
        this.markLost()
        break
      case 'LOG_FENCED_INSTANCE_ID':
        this.fatal = err
        this.stopHeartbeats()
        break
      default:
        return
    }
    this.host.wake()
  }

  // ---------------------------------------------------------------- rebalance

  private async rebalance(): Promise<void> {
    let listenerError: unknown
    while (this.needsJoin || this.lost || this.fingerprint !== this.currentFingerprint()) {
      if (this.stopped) throw logError('LOG_CLOSED', 'consumer is closed')
      if (this.fatal !== undefined) throw this.fatal
      this.stopHeartbeats()
      listenerError ??= await this.prepare()
      const topics = this.subscribedTopics()
      this.fingerprint = this.fingerprintOf(topics)
      this.needsJoin = false
      try {
        const joined = await this.join(topics)
        const assignments = joined.leaderId === joined.memberId ? this.assign(joined) : []
        const synced = await this.host.coordinator().syncGroup({
          ...this.identity(),
          assignments,
        })
        listenerError ??= await this.complete(decodeAssignment(synced.assignment).partitions, joined.generationId)
      } catch (err) {
        if (isMillraceError(err) && REJOIN_CODES.has(err.code)) {
          this.onGroupError(err)
          this.needsJoin = true
          continue
        }
        if (isMillraceError(err, 'LOG_FENCED_INSTANCE_ID')) this.fatal = err
        throw err
      }
    }
    this.startHeartbeats()
    if (listenerError !== undefined) throw listenerError
  }

  /** Step 1 (see the file comment); returns the first listener error. */
  private async prepare(): Promise<unknown> {
    if (this.lost) {
      const error = this.owned.length > 0 ? await this.invoke('onPartitionsLost', this.owned) : undefined
      this.host.removePartitions(this.owned)
      this.owned = []
      this.lost = false
      return error
    }
    if (this.owned.length === 0) return undefined
    await this.host.autoCommit()
    let revoked: TopicPartition[]
    if (this.protocol === 'eager') {
      revoked = this.owned
    } else {
      const subscribed = new Set(this.subscribedTopics())
      revoked = this.owned.filter((tp) => !subscribed.has(tp.topic))
    }
    if (revoked.length === 0) return undefined
    const error = await this.invoke('onPartitionsRevoked', revoked)
    this.dropOwned(revoked)
    return error
  }

  private join(topics: string[]): Promise<JoinGroupResult> {
    const { config } = this.host
    const owned = this.owned
    return this.host
      .coordinator()
      .joinGroup({
        groupId: this.groupId,
        memberId: this.memberId,
        groupInstanceId: this.groupInstanceId,
        clientId: config.clientId,
        sessionTimeoutMs: config.sessionTimeoutMs,
        rebalanceTimeoutMs: config.maxPollIntervalMs,
        protocolType: 'consumer',
        protocols: this.host.assignors.map((assignor) => ({
          name: assignor.name,
          metadata: encodeSubscription({
            topics,
            ownedPartitions: owned,
            userData: assignor.subscriptionUserData?.(topics, owned) ?? null,
            generationId: this.generationId,
          }),
        })),
        onRebalance: () => this.onCoordinatorNotice(),
        signal: this.joinAbort.signal,
      })
      .then((joined) => {
        this.memberId = joined.memberId
        this.generationId = joined.generationId
        this.protocolName = joined.protocolName
        return joined
      })
  }

  /** Step 2 on the leader: the chosen assignor over every member's subscription. */
  private assign(joined: JoinGroupResult): Array<{ memberId: string; assignment: Uint8Array }> {
    const assignor = this.host.assignors.find((a) => a.name === joined.protocolName)
    if (assignor === undefined) {
      throw logError('LOG_INCONSISTENT_GROUP_PROTOCOL', `the group chose assignor ${joined.protocolName}, which this consumer lacks`, {
        groupId: this.groupId,
        protocol: joined.protocolName,
      })
    }
    const subscriptions = new Map<string, MemberSubscription>()
    const partitionsPerTopic = new Map<string, number>()
    for (const member of joined.members) {
      const decoded = decodeSubscription(member.metadata)
      const subscription: MemberSubscription =
        member.groupInstanceId === undefined ? decoded : { ...decoded, groupInstanceId: member.groupInstanceId }
      subscriptions.set(member.memberId, subscription)
      for (const topic of decoded.topics) {
        if (partitionsPerTopic.has(topic)) continue
        try {
          partitionsPerTopic.set(topic, this.host.partitionCount(topic))
        } catch (err) {
          // reason: a subscribed topic that does not exist (yet) is skipped, as Kafka skips
          // topics without metadata; creating it changes the fingerprint and triggers a rejoin.
          if (!isMillraceError(err, 'LOG_UNKNOWN_TOPIC')) throw err
        }
      }
    }
    const result = assignor.assign({ partitionsPerTopic }, subscriptions)
    return [...subscriptions.keys()].map((memberId) => ({
      memberId,
      assignment: encodeAssignment(result.get(memberId) ?? { partitions: [] }),
    }))
  }

  /** Step 3 (see the file comment); returns the first listener error. */
  private async complete(assigned: TopicPartition[], generationId: number): Promise<unknown> {
    const assignor = this.host.assignors.find((a) => a.name === this.protocolName)
    assignor?.onAssignment?.({ partitions: assigned }, generationId)
    const assignedKeys = new Set(assigned.map(topicPartitionKey))
    const ownedKeys = new Set(this.owned.map(topicPartitionKey))
    const added = assigned.filter((tp) => !ownedKeys.has(topicPartitionKey(tp)))
    const revoked = this.owned.filter((tp) => !assignedKeys.has(topicPartitionKey(tp)))
    let error: unknown
    if (revoked.length > 0) {
      // Only cooperative members can still own something the new generation does not give them.
      error = await this.invoke('onPartitionsRevoked', revoked)
      this.dropOwned(revoked)
      this.needsJoin = true
    }
    this.host.addPartitions(added)
    this.owned = [...this.owned, ...added]
    const assignedError = await this.invoke('onPartitionsAssigned', this.protocol === 'eager' ? assigned : added)
    return error ?? assignedError
  }

  private dropOwned(partitions: readonly TopicPartition[]): void {
    const keys = new Set(partitions.map(topicPartitionKey))
    this.host.removePartitions(partitions)
    this.owned = this.owned.filter((tp) => !keys.has(topicPartitionKey(tp)))
  }

  private markLost(): void {
    this.needsJoin = true
    if (this.owned.length > 0) this.lost = true
  }

  /** Calls a listener method (falling back from lost to revoked); returns what it threw. */
  private async invoke(method: keyof RebalanceListener, partitions: readonly TopicPartition[]): Promise<unknown> {
    const listener = this.listener
    const callback =
      method === 'onPartitionsLost' && listener.onPartitionsLost === undefined ? listener.onPartitionsRevoked : listener[method]
    if (callback === undefined) return undefined
    try {
      await callback.call(listener, [...partitions])
      return undefined
    } catch (err) {
      return err
    }
  }

  // ---------------------------------------------------------------- heartbeats

  private startHeartbeats(): void {
    this.stopHeartbeats()
    if (this.stopped) return
    const timer = this.host.clock.setTimeout(() => this.onHeartbeatDue(), this.host.config.heartbeatIntervalMs)
    timer.unref()
    this.heartbeatTimer = timer
  }

  private stopHeartbeats(): void {
    this.heartbeatTimer?.cancel()
    this.heartbeatTimer = undefined
  }

  private onHeartbeatDue(): void {
    this.heartbeatTimer = undefined
    if (this.stopped || this.joining !== undefined) return
    const now = this.host.clock.monotonicMs()
    if (!this.inPoll && now - this.lastPollMs > this.host.config.maxPollIntervalMs) {
      this.onPollTimeout()
      return
    }
    if (this.heartbeat()) this.startHeartbeats()
  }

  /** Sends one heartbeat; false when the member must rejoin (or stop) instead. */
  private heartbeat(): boolean {
    try {
      this.host.coordinator().heartbeat(this.identity())
      return true
    } catch (err) {
      this.onGroupError(err)
      if (isMillraceError(err) && !REJOIN_CODES.has(err.code) && !isMillraceError(err, 'LOG_FENCED_INSTANCE_ID')) {
        // reason: a closed broker or another failure ends heartbeating; the next poll meets it
        // through the coordinator and raises it there.
        this.needsJoin = true
        this.host.wake()
      }
      return false
    }
  }

  /**
   * Kafka's "consumer poll timeout has expired": the application is stuck, so its partitions
   * go to someone else. Dynamic members leave at once; static members just stop heartbeating
   * and expire after the session timeout (they never send LeaveGroup, KIP-345).
   */
  private onPollTimeout(): void {
    if (this.groupInstanceId === undefined && this.memberId !== '') {
      const members = [{ memberId: this.memberId, groupInstanceId: undefined }]
      this.host
        .coordinator()
        .leaveGroup({ groupId: this.groupId, members })
        .catch(() => undefined) // reason: best effort, as Kafka's; an expired member already left
      this.memberId = ''
    }
    this.generationId = -1
    this.markLost()
  }

  /** The coordinator's in-process nudge: learn what changed from a heartbeat, now. */
  private onCoordinatorNotice(): void {
    if (this.stopped || this.joining !== undefined || this.generationId < 0) {
      this.host.wake()
      return
    }
    queueMicrotask(() => {
      if (this.joining === undefined && !this.stopped) this.heartbeat()
    })
  }

  private currentFingerprint(): string {
    return this.fingerprintOf(this.subscribedTopics())
  }

  private fingerprintOf(topics: readonly string[]): string {
    let out = ''
    for (const topic of topics) {
      let count = -1
      try {
        count = this.host.partitionCount(topic)
      } catch (err) {
        if (!isMillraceError(err, 'LOG_UNKNOWN_TOPIC')) throw err
      }
      out += `${topic}:${count};`
    }
    return out
  }
}

