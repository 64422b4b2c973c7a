/**
 * The embedded broker's {@link Consumer}: a {@link Fetcher} over the partition logs for records,
 * a {@link ConsumerGroupMember} for group membership, and the group coordinator for offsets.
 *
 * Positions: a partition is fetched from the position the consumer knows for it — after a seek,
 * the committed offset, or the `autoOffsetReset` policy (earliest = log start, latest = log end
 * or, for `read_committed`, the last stable offset). With policy `none` and no committed offset
 * the partition stays assigned without a position and `poll` raises `LOG_NO_OFFSET` until the
 * application seeks it. A position that falls out of the log (retention, `deleteRecords`) is
 * reset by the same policy on the next poll.
 */
import type { ClockTimer } from '../../clock.js'
import { isMillraceError, logError } from '../../errors.js'
import type { GroupCoordinatorApi, StoredOffset } from '../../group/coordinator-api.js'
import { topicPartitionKey, type TopicPartition } from '../../topic-partition.js'
import { validateTopicName } from '../../topic-name.js'
import { builtInAssignor } from '../assignors/index.js'
import type { PartitionAssignor } from '../assignors/assignor.js'
import type {
  CommittedOffset,
  Consumer,
  ConsumerCloseOptions,
  ConsumerGroupMetadata,
  ConsumerPollOptions,
  ConsumerRecord,
  OffsetAndTimestamp,
  OffsetToCommit,
  SubscribeOptions,
  TopicPartitionOffset,
  TopicPartitionTimestamp,
} from './consumer-api.js'
import { resolveConsumerConfig, type ConsumerConfig, type ConsumerConfigInput } from './consumer-config.js'
import { ConsumerGroupMember } from './consumer-group-member.js'
import type { ConsumerLog } from './consumer-log.js'
import { Fetcher, OffsetOutOfRangeError, type FetchSource } from './fetcher.js'

/** Node's largest timer delay (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_DELAY_MS = 0x7fff_ffff

/** Kafka commit failures that mean "you are not the owner any more". */
const FENCED_CODES = new Set(['LOG_ILLEGAL_GENERATION', 'LOG_UNKNOWN_MEMBER_ID', 'LOG_FENCED_INSTANCE_ID'])

export class EmbeddedConsumer implements Consumer {
  readonly config: ConsumerConfig
  private readonly log: ConsumerLog
  private readonly fetcher: Fetcher
  private readonly member: ConsumerGroupMember | undefined
  /** Manually assigned partitions (assign mode), in assignment order. */
  private manual: TopicPartition[] = []
  private mode: 'none' | 'subscribed' | 'assigned' = 'none'
  /** Assigned partitions without a position (policy `none`, nothing committed), by key. */
  private readonly unpositioned = new Map<string, TopicPartition>()
  /** Paused partitions by key, re-applied when a partition gets its position. */
  private readonly pausedKeys = new Set<string>()
  /** Controllers of waiting fetches; `wake` aborts them so the poll re-runs its loop. */
  private readonly waits = new Set<AbortController>()
  /** Deadlines of waiting polls; `close` aborts them so the polls end. */
  private readonly deadlines = new Set<AbortController>()
  private nextAutoCommitMs: number
  /** Set when `close` starts: polls end; commits from the revoke callback still work. */
  private closing = false
  private closed = false

  /** @throws `CONFIG_INVALID` listing every invalid option. */
  constructor(log: ConsumerLog, config: ConsumerConfigInput = {}) {
    this.config = resolveConsumerConfig(config)
    this.log = log
    const { maxPartitionFetchBytes, fetchMaxBytes, maxPollRecords, checkCrcs } = this.config
    this.fetcher = new Fetcher(this.fetchSource(), { maxPartitionFetchBytes, fetchMaxBytes, maxPollRecords, checkCrcs })
    this.nextAutoCommitMs = log.clock.monotonicMs() + this.config.autoCommitIntervalMs
    if (this.config.groupId !== undefined) {
      const assignors = this.config.partitionAssignmentStrategy.map(
        (a): PartitionAssignor => (typeof a === 'string' ? (builtInAssignor(a) as PartitionAssignor) : a),
      )
      this.member = new ConsumerGroupMember({
        clock: log.clock,
        config: this.config,
        assignors,
        coordinator: () => this.coordinator(),
        partitionCount: (topic) => log.partitionCount(topic),
        topicNames: () => log.topicNames(),
        addPartitions: (partitions) => this.addPartitions(partitions),
        removePartitions: (partitions) => this.removePartitions(partitions),
        autoCommit: () => this.autoCommit(),
        wake: () => this.wake(),
      })
    }
  }

  // ---------------------------------------------------------------- subscription and assignment

  async subscribe(options: SubscribeOptions): Promise<void> {
    this.ensureOpen()
    const member = this.member
    if (member === undefined) throw logError('LOG_ILLEGAL_STATE', 'subscribe needs a groupId; use assign() without one')
    if (this.mode === 'assigned') throw logError('LOG_ILLEGAL_STATE', 'subscribe after assign; unsubscribe first')
    const topics = options?.topics
    if (Array.isArray(topics)) {
      if (topics.length === 0) throw logError('LOG_INVALID_ARGUMENT', 'subscribe needs at least one topic')
      for (const topic of topics as unknown[]) validateTopicName(topic as string)
    } else if (!(topics instanceof RegExp)) {
      throw logError('LOG_INVALID_ARGUMENT', 'subscribe takes { topics: string[] | RegExp }')
    }
    member.subscribe(topics, options.listener ?? {})
    this.mode = 'subscribed'
    this.wake()
    await Promise.resolve()
  }

  async unsubscribe(): Promise<void> {
    this.ensureOpen()
    if (this.mode === 'subscribed' && this.member !== undefined) await this.member.leave(true)
    if (this.mode === 'assigned') await this.autoCommit()
    this.clearAssignment()
  }

  subscription(): string[] {
    return this.mode === 'subscribed' && this.member !== undefined ? this.member.subscribedTopics() : []
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.ensureOpen()
    if (this.mode === 'subscribed') throw logError('LOG_ILLEGAL_STATE', 'assign while subscribed; unsubscribe first')
    if (!Array.isArray(partitions)) throw logError('LOG_INVALID_ARGUMENT', 'assign takes an array of partitions')
    const seen = new Set<string>()
    for (const tp of partitions) {
      const key = topicPartitionKey(tp)
      if (seen.has(key)) throw logError('LOG_INVALID_ARGUMENT', `${key} is listed twice`, { ...tp })
      seen.add(key)
      this.log.offsets(tp) // throws LOG_UNKNOWN_TOPIC / LOG_UNKNOWN_PARTITION
    }
    if (this.mode === 'assigned') await this.autoCommit()
    this.clearAssignment()
    this.manual = partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition }))
    this.mode = partitions.length > 0 ? 'assigned' : 'none'
    this.addPartitions(this.manual)
  }

  assignment(): TopicPartition[] {
    if (this.mode === 'assigned') return [...this.manual]
    if (this.mode === 'subscribed' && this.member !== undefined) return this.member.assignment()
    return []
  }

  // ---------------------------------------------------------------- polling

  async poll(options: ConsumerPollOptions = {}): Promise<ConsumerRecord[]> {
    this.ensureOpen()
    if (this.closing) throw logError('LOG_CLOSED', 'consumer is closing')
    if (this.mode === 'none') throw logError('LOG_ILLEGAL_STATE', 'poll needs subscribe() or assign() first')
    const { timeoutMs, signal, maxRecords } = options
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      throw logError('LOG_INVALID_ARGUMENT', 'timeoutMs must be a non-negative number')
    }
    const member = this.mode === 'subscribed' ? this.member : undefined
    member?.enterPoll()
    try {
      // Fast path: a stable member (or assign mode) with buffered or readable records.
      if (member?.ensureActive() === undefined && signal?.aborted !== true) {
        await this.maybeAutoCommit()
        this.throwIfUnpositioned()
        const now = this.drainNow(maxRecords)
        if (now.length > 0 || timeoutMs === 0) return now
      }
      return await this.pollWaiting(member, timeoutMs ?? (signal === undefined ? 0 : Infinity), signal, maxRecords)
    } finally {
      member?.exitPoll()
    }
  }

  records(options: { readonly signal?: AbortSignal } = {}): AsyncIterableIterator<ConsumerRecord> {
    return this.iterate(options.signal)
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    return this.iterate(undefined)
  }

  private async *iterate(signal: AbortSignal | undefined): AsyncGenerator<ConsumerRecord, void, undefined> {
    let batch: ConsumerRecord[] = []
    let index = 0
    try {
      while (!this.closing && signal?.aborted !== true) {
        batch = await this.poll({ signal: signal ?? this.neverAborted() })
        for (index = 0; index < batch.length; index++) yield batch[index] as ConsumerRecord
      }
    } finally {
      // An early `break` leaves records of the last poll unseen: rewind their partitions so the
      // position (and what gets committed) covers only records the loop received.
      if (!this.closing) this.rewindUnseen(batch, index + 1)
    }
  }

  private async pollWaiting(
    member: ConsumerGroupMember | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    maxRecords: number | undefined,
  ): Promise<ConsumerRecord[]> {
    const deadline = new AbortController()
    const onAbort = (): void => deadline.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    let timer: ClockTimer | undefined
    if (timeoutMs === 0 || signal?.aborted === true) deadline.abort()
    else timer = Number.isFinite(timeoutMs) ? this.log.clock.setTimeout(onAbort, timeoutMs) : this.keepAlive()
    this.deadlines.add(deadline)
    try {
      for (;;) {
        if (this.closing) return []
        const joining = member?.ensureActive()
        if (joining !== undefined && !(await untilAborted(joining, deadline.signal))) return []
        await this.maybeAutoCommit()
        this.throwIfUnpositioned()
        const wake = new AbortController()
        const onDeadline = (): void => wake.abort()
        deadline.signal.addEventListener('abort', onDeadline, { once: true })
        if (deadline.signal.aborted) wake.abort()
        this.waits.add(wake)
        let records: ConsumerRecord[]
        try {
          records = await this.fetcher.poll({ signal: wake.signal, maxRecords })
        } catch (err) {
          if (!(err instanceof OffsetOutOfRangeError)) throw err
          this.resetOutOfRange(err)
          continue
        } finally {
          this.waits.delete(wake)
          deadline.signal.removeEventListener('abort', onDeadline)
        }
        if (records.length > 0 || deadline.signal.aborted || this.closing) return records
      }
    } finally {
      this.deadlines.delete(deadline)
      timer?.cancel()
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * A poll waiting without a timeout holds a timer, as a pending socket read would, so that a
   * process whose only work is waiting for records does not exit (a pending promise alone does
   * not keep Node running). It never ends the poll; the poll cancels it when it returns.
   */
  private keepAlive(): ClockTimer {
    let current: ClockTimer
    const arm = (): void => {
      current = this.log.clock.setTimeout(arm, MAX_TIMER_DELAY_MS)
    }
    arm()
    return { cancel: () => current.cancel(), unref: () => current.unref() }
  }

  /** Whatever is buffered or readable now, resetting out-of-range positions by policy. */
  private drainNow(maxRecords: number | undefined): ConsumerRecord[] {
    for (;;) {
      try {
        return this.fetcher.pollNow(maxRecords)
      } catch (err) {
        if (!(err instanceof OffsetOutOfRangeError)) throw err
        this.resetOutOfRange(err)
      }
    }
  }

  private resetOutOfRange(err: OffsetOutOfRangeError): void {
    if (this.config.autoOffsetReset === 'none') throw err
    this.fetcher.seek(err.topicPartition, this.resetOffset(err.topicPartition))
  }

  private throwIfUnpositioned(): void {
    const first = this.unpositioned.values().next()
    if (first.done === true) return
    const tp = first.value
    throw logError('LOG_NO_OFFSET', `${topicPartitionKey(tp)} has no committed offset and autoOffsetReset is none`, {
      topic: tp.topic,
      partition: tp.partition,
    })
  }

  // ---------------------------------------------------------------- offsets

  async commit(offsets?: readonly OffsetToCommit[]): Promise<void> {
    this.ensureOpen()
    const groupId = this.config.groupId
    if (groupId === undefined) throw logError('LOG_ILLEGAL_STATE', 'commit needs a groupId')
    const entries: readonly OffsetToCommit[] = offsets === undefined ? this.positions() : offsets
    if (!Array.isArray(entries)) throw logError('LOG_INVALID_ARGUMENT', 'commit takes an array of offsets')
    for (const o of entries) checkOffset(o, o.offset)
    if (entries.length === 0) return
    const member = this.mode === 'subscribed' ? this.member : undefined
    const identity = member?.identity() ?? { groupId, generationId: -1, memberId: '', groupInstanceId: undefined }
    try {
      await this.coordinator().commitOffsets({
        ...identity,
        offsets: entries.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' })),
      })
    } catch (err) {
      member?.onGroupError(err)
      if (isMillraceError(err) && FENCED_CODES.has(err.code)) {
        throw logError(
          'LOG_COMMIT_FAILED',
          `commit refused: the member is no longer part of generation ${identity.generationId} of group ${groupId}`,
          { groupId, generationId: identity.generationId, memberId: identity.memberId, reason: err.code },
          err,
        )
      }
      throw err
    }
  }

  async committed(partitions?: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    this.ensureOpen()
    const groupId = this.config.groupId
    if (groupId === undefined) throw logError('LOG_ILLEGAL_STATE', 'committed needs a groupId')
    const wanted = partitions ?? this.assignment()
    const stored = new Map<string, StoredOffset>()
    for (const o of this.coordinator().fetchOffsets(groupId, wanted)) stored.set(topicPartitionKey(o), o)
    return wanted.map((tp) => {
      const o = stored.get(topicPartitionKey(tp))
      return { topic: tp.topic, partition: tp.partition, offset: o?.offset ?? null, metadata: o?.metadata ?? '' }
    })
  }

  seek(tp: TopicPartition, offset: number): void {
    this.ensureOpen()
    checkOffset(tp, offset)
    const key = topicPartitionKey(tp)
    const pending = this.unpositioned.get(key)
    if (pending !== undefined) {
      this.unpositioned.delete(key)
      this.fetcher.add([{ topic: pending.topic, partition: pending.partition, offset }])
      if (this.pausedKeys.has(key)) this.fetcher.pause([pending])
      return
    }
    this.fetcher.seek(tp, offset)
  }

  async seekToBeginning(partitions?: readonly TopicPartition[]): Promise<void> {
    this.ensureOpen()
    for (const tp of partitions ?? this.assignment()) {
      this.assigned(tp)
      this.seek(tp, this.log.offsets(tp).logStartOffset)
    }
  }

  async seekToEnd(partitions?: readonly TopicPartition[]): Promise<void> {
    this.ensureOpen()
    for (const tp of partitions ?? this.assignment()) {
      this.assigned(tp)
      this.seek(tp, this.endOffset(tp))
    }
  }

  async position(tp: TopicPartition): Promise<number> {
    this.ensureOpen()
    if (this.unpositioned.has(topicPartitionKey(tp))) this.throwIfUnpositioned()
    return this.fetcher.position(tp)
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.ensureOpen()
    const positioned = partitions.filter((tp) => this.assigned(tp) && !this.unpositioned.has(topicPartitionKey(tp)))
    this.fetcher.pause(positioned)
    for (const tp of partitions) this.pausedKeys.add(topicPartitionKey(tp))
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.ensureOpen()
    const positioned = partitions.filter((tp) => this.assigned(tp) && !this.unpositioned.has(topicPartitionKey(tp)))
    this.fetcher.resume(positioned)
    for (const tp of partitions) this.pausedKeys.delete(topicPartitionKey(tp))
  }

  paused(): TopicPartition[] {
    return this.assignment().filter((tp) => this.pausedKeys.has(topicPartitionKey(tp)))
  }

  async offsetsForTimes(query: readonly TopicPartitionTimestamp[]): Promise<OffsetAndTimestamp[]> {
    this.ensureOpen()
    return query.map((q) => {
      if (!Number.isSafeInteger(q.timestampMs) || q.timestampMs < 0) {
        throw logError('LOG_INVALID_ARGUMENT', `invalid timestamp for ${topicPartitionKey(q)}`, { topic: q.topic, partition: q.partition })
      }
      const found = this.log.offsetForTimestamp(q, q.timestampMs)
      return { topic: q.topic, partition: q.partition, offset: found?.offset ?? null, timestampMs: found?.timestampMs ?? null }
    })
  }

  async beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    this.ensureOpen()
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.log.offsets(tp).logStartOffset }))
  }

  async endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    this.ensureOpen()
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.endOffset(tp) }))
  }

  groupMetadata(): ConsumerGroupMetadata {
    this.ensureOpen()
    const groupId = this.config.groupId
    if (groupId === undefined) throw logError('LOG_ILLEGAL_STATE', 'groupMetadata needs a groupId')
    const member = this.mode === 'subscribed' ? this.member : undefined
    return {
      groupId,
      generationId: member?.generationId ?? -1,
      memberId: member?.memberId ?? '',
      groupInstanceId: this.config.groupInstanceId,
    }
  }

  async close(options: ConsumerCloseOptions = {}): Promise<void> {
    if (this.closing) return
    this.closing = true
    for (const deadline of this.deadlines) deadline.abort()
    this.wake()
    let firstError: unknown
    try {
      if (this.mode === 'subscribed' && this.member !== undefined) await this.member.leave(options.leaveGroup ?? true)
      else if (this.mode === 'assigned') await this.autoCommit()
    } catch (err) {
      firstError = err
    }
    this.closed = true
    this.clearAssignment()
    if (firstError !== undefined) throw firstError
  }

  // ---------------------------------------------------------------- internals

  /** Starts fetching `partitions`: committed offset, else the reset policy, else unpositioned. */
  private addPartitions(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return
    const groupId = this.config.groupId
    const committed = new Map<string, number>()
    if (groupId !== undefined) {
      for (const o of this.coordinator().fetchOffsets(groupId, partitions)) committed.set(topicPartitionKey(o), o.offset)
    }
    const positions = []
    for (const tp of partitions) {
      const key = topicPartitionKey(tp)
      const offset = committed.get(key) ?? (this.config.autoOffsetReset === 'none' ? undefined : this.resetOffset(tp))
      if (offset === undefined) this.unpositioned.set(key, { topic: tp.topic, partition: tp.partition })
      else positions.push({ topic: tp.topic, partition: tp.partition, offset })
    }
    this.fetcher.add(positions)
    const paused = positions.filter((p) => this.pausedKeys.has(topicPartitionKey(p)))
    if (paused.length > 0) this.fetcher.pause(paused)
  }

  private removePartitions(partitions: readonly TopicPartition[]): void {
    this.fetcher.unassign(partitions)
    for (const tp of partitions) {
      const key = topicPartitionKey(tp)
      this.unpositioned.delete(key)
      this.pausedKeys.delete(key)
    }
  }

  private clearAssignment(): void {
    this.fetcher.unassign()
    this.unpositioned.clear()
    this.pausedKeys.clear()
    this.manual = []
    this.mode = 'none'
  }

  /** The reset policy's offset for `tp` (`latest` under `read_committed` is the last stable offset). */
  private resetOffset(tp: TopicPartition): number {
    return this.config.autoOffsetReset === 'earliest' ? this.log.offsets(tp).logStartOffset : this.endOffset(tp)
  }

  private endOffset(tp: TopicPartition): number {
    return this.config.isolationLevel === 'read_committed' ? this.log.lastStableOffset(tp) : this.log.offsets(tp).logEndOffset
  }

  /** The position of every positioned, assigned partition. */
  private positions(): TopicPartitionOffset[] {
    return this.fetcher.assignment().map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.fetcher.position(tp) }))
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.config.enableAutoCommit || this.config.groupId === undefined) return
    const now = this.log.clock.monotonicMs()
    if (now < this.nextAutoCommitMs) return
    this.nextAutoCommitMs = now + this.config.autoCommitIntervalMs
    await this.autoCommit()
  }

  /**
   * Commits positions when auto-commit is on. Failures are not raised (as in Kafka, where
   * auto-commit is asynchronous and only logged): a fenced member's rebalance path handles them,
   * and the next auto-commit retries anything else.
   */
  private async autoCommit(): Promise<void> {
    if (!this.config.enableAutoCommit || this.config.groupId === undefined) return
    try {
      await this.commit()
    } catch (err) {
      // reason: see the method comment; the member already recorded group errors.
      if (!isMillraceError(err)) throw err
    }
  }

  private rewindUnseen(batch: readonly ConsumerRecord[], from: number): void {
    const rewound = new Set<string>()
    for (let i = from; i < batch.length; i++) {
      const record = batch[i] as ConsumerRecord
      const key = topicPartitionKey(record)
      if (rewound.has(key)) continue
      rewound.add(key)
      if (this.assigned(record)) this.fetcher.seek(record, record.offset)
    }
  }

  private assigned(tp: TopicPartition): boolean {
    const key = topicPartitionKey(tp)
    if (this.assignment().some((a) => topicPartitionKey(a) === key)) return true
    throw logError('LOG_PARTITION_NOT_ASSIGNED', `${key} is not assigned`, { topic: tp.topic, partition: tp.partition })
  }

  private wake(): void {
    for (const controller of this.waits) controller.abort()
  }

  private neverAborted(): AbortSignal {
    return new AbortController().signal
  }

  private coordinator(): GroupCoordinatorApi {
    return this.log.groupCoordinator()
  }

  private fetchSource(): FetchSource {
    const log = this.log
    const readCommitted = this.config.isolationLevel === 'read_committed'
    if (!readCommitted) {
      return {
        read: (tp, offset, maxBytes) => log.read(tp, offset, maxBytes),
        offsets: (tp) => log.offsets(tp),
        waitForAppend: (tp, offset, signal) => log.waitForAppend(tp, offset, signal),
      }
    }
    return {
      read: (tp, offset, maxBytes) => log.read(tp, offset, maxBytes, log.lastStableOffset(tp)),
      offsets: (tp) => log.offsets(tp),
      waitForAppend: (tp, offset, signal) => waitForStable(log, tp, offset, signal),
      abortedTransactions: (tp, offset, upperBoundOffset) => log.abortedTransactions(tp, offset, upperBoundOffset),
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw logError('LOG_CLOSED', 'consumer is closed')
  }
}

/**
 * read_committed long poll: resolves once the last stable offset passes `offset`. Records below
 * the log end may still be unstable (an open transaction), so it waits for the next append — a
 * marker, or more data — and looks again: woken by appends, never by a timer or a spin.
 */
async function waitForStable(log: ConsumerLog, tp: TopicPartition, offset: number, signal: AbortSignal): Promise<void> {
  while (log.lastStableOffset(tp) <= offset) await log.waitForAppend(tp, log.offsets(tp).logEndOffset, signal)
}

/** Offsets are non-negative safe integers. */
function checkOffset(tp: TopicPartition, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw logError('LOG_INVALID_ARGUMENT', `invalid offset for ${topicPartitionKey(tp)}`, {
      topic: tp.topic,
      partition: tp.partition,
    })
  }
}

/** Resolves true when `work` settles first (rethrowing its error), false when `signal` aborts first. */
function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = (): void => resolve(false)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      () => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err as Error)
      },
    )
  })
}
