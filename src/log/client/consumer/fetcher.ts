/**
 * The consumer's fetcher: turns a partition log's read path into polled records with bounded
 * memory. Internal to the consumer (groups, offsets and `autoOffsetReset` live there).
 *
 * Per assigned partition it keeps a fetch position (the next offset to return) and at most one
 * fetched buffer (≤ `maxPartitionFetchBytes`, or one larger batch). Buffers are filled only by
 * `poll`, so a consumer that stops polling stops reading: memory is bounded by
 * partitions × `maxPartitionFetchBytes`, never by the log's growth (DESIGN.md §2 "Clients").
 *
 * Positions advance per record *returned*, not per record buffered; a `seek` discards the
 * partition's buffer. Batches are decoded one at a time, lazily (records hold positions, see
 * `LogRecord`), and CRCs are checked when a batch is reached, so a corrupt batch stops its
 * partition at the batch, not before the good records preceding it.
 */
import { MillraceError, isMillraceError, logError, type LogError } from '../../errors.js'
import { ConfigInvalidError } from '../../topic-config.js'
import { iterateBatches, type RecordBatch } from '../../record/record-batch.js'
import { readControlRecord } from '../../record/control-record.js'
import { BATCH_HEADER_BYTES, baseOffsetAt, batchSizeAt, lastOffsetDeltaAt } from '../../record/record-batch-v2.js'
import { topicPartitionKey, type TopicPartition } from '../../topic-partition.js'
import { LazyFetchedRecord, type FetchedRecord } from './fetched-record.js'
import { checkInteger, resolveFetcherConfig, type FetcherConfig, type FetcherConfigInput } from './fetcher-config.js'

/**
 * What the fetcher reads from: the embedded `Broker` satisfies it; a Kafka-protocol client can
 * provide it later. Offsets are `number`s (≤ 2^53 − 1).
 */
export interface FetchSource {
  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` but at least one batch;
   * empty at the log end. The caller owns the bytes.
   * @throws `LOG_OFFSET_OUT_OF_RANGE` when `offset` is outside [logStartOffset, logEndOffset].
   */
  read(tp: TopicPartition, offset: number, maxBytes: number): Uint8Array
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
  /**
   * Resolves once the log end is past `offset`; rejects with `LOG_ABORTED` when `signal` aborts.
   */
  waitForAppend(tp: TopicPartition, offset: number, signal: AbortSignal): Promise<void>
  /**
   * Only for `read_committed` sources (whose `read` stops at the last stable offset): the aborted
   * transactions overlapping `[offset, upperBoundOffset)`, whose batches the fetcher skips (Kafka's
   * `AbortedTransactions` of a read_committed fetch).
   */
  abortedTransactions?(tp: TopicPartition, offset: number, upperBoundOffset: number): readonly AbortedTransaction[]
}

/** An aborted transaction of one producer: its first offset (the ABORT marker comes later). */
export interface AbortedTransaction {
  readonly producerId: bigint
  readonly firstOffset: number
}

/** A partition to assign and the offset to start fetching at. */
export interface PartitionPosition {
  readonly topic: string
  readonly partition: number
  /** The next offset to consume. */
  readonly offset: number
}

export interface PollOptions {
  /**
   * Cancels the wait: when it aborts, `poll` resolves with `[]` (the caller's timeout, e.g.
   * `AbortSignal.timeout(ms)` or a clock-driven controller). Required: a poll without data
   * otherwise waits for an append forever.
   */
  readonly signal: AbortSignal
  /** At most this many records (≥ 1); default and cap `maxPollRecords`. */
  readonly maxRecords?: number
}

/**
 * `LOG_OFFSET_OUT_OF_RANGE` for a fetch position outside the partition's log (below the log start
 * after retention or `deleteRecords`, or past the log end). The consumer resolves it with its
 * `autoOffsetReset` policy and a `seek`; until then, polls keep raising it.
 */
export class OffsetOutOfRangeError extends MillraceError<'LOG_OFFSET_OUT_OF_RANGE'> {
  readonly topicPartition: TopicPartition
  /** The fetch position that is out of range. */
  readonly offset: number

  constructor(tp: TopicPartition, offset: number, cause: unknown) {
    const range = isMillraceError(cause) ? cause.details : {}
    super('LOG_OFFSET_OUT_OF_RANGE', `fetch position ${offset} of ${topicPartitionKey(tp)} is out of range`, {
      cause,
      details: {
        topic: tp.topic,
        partition: tp.partition,
        offset,
        logStartOffset: range['logStartOffset'],
        logEndOffset: range['logEndOffset'],
      },
    })
    this.topicPartition = { topic: tp.topic, partition: tp.partition }
    this.offset = offset
  }
}

/** Fetch state of one assigned partition. */
interface PartitionState {
  readonly tp: TopicPartition
  /** The next offset to return. */
  position: number
  paused: boolean
  /** The one fetched buffer held for this partition; undefined when fully drained. */
  buffer: Uint8Array | undefined
  /** Batches of `buffer` not yet decoded. Defined exactly when `buffer` is. */
  batches: Generator<RecordBatch, void, undefined> | undefined
  /** Decoded records of the current batch at or after `position`, returned from `pendingIndex`. */
  readonly pending: FetchedRecord[]
  pendingIndex: number
  /** lastOffset + 1 of the current batch: the position once all of it has been returned. */
  batchEndOffset: number
  /**
   * read_committed: the aborted transactions of the current buffer by first offset, the next one
   * not yet reached, and the producers whose transactional batches are being skipped until their
   * ABORT marker (Kafka's `Fetcher` filter). `undefined` for read_uncommitted.
   */
  aborted: AbortedTransaction[] | undefined
  abortedNext: number
  readonly abortedProducers: Set<bigint>
}

/**
 * Fetches records of assigned partitions from a {@link FetchSource}.
 *
 * Not safe for concurrent mutation from several owners; polls may overlap (each record is still
 * returned once, since draining is synchronous) but a consumer polls from one loop.
 * The fetcher owns its buffers; the source stays owned by the caller.
 */
export class Fetcher {
  readonly config: FetcherConfig
  private readonly source: FetchSource
  /** Assignment in assignment order; round robin walks it from `cursor`. */
  private states: PartitionState[] = []
  private readonly byKey = new Map<string, PartitionState>()
  private cursor = 0
  private buffered = 0
  /** Controllers of waiting polls: assignment changes abort them so the poll re-evaluates. */
  private readonly waits = new Set<AbortController>()

  /** @throws `CONFIG_INVALID` listing every problem of `config`. */
  constructor(source: FetchSource, config: FetcherConfigInput = {}) {
    this.config = resolveFetcherConfig(config)
    this.source = source
  }

  /** Bytes of fetched buffers currently held (≤ partitions × maxPartitionFetchBytes, see the class doc). */
  get bufferedBytes(): number {
    return this.buffered
  }

  /**
   * Replaces the assignment with `partitions`, each starting at its offset; buffered data is
   * discarded and every partition starts unpaused.
   * @throws `LOG_UNKNOWN_TOPIC`/`LOG_UNKNOWN_PARTITION` from the source, `LOG_INVALID_ARGUMENT`
   *   when a partition is listed twice or an offset is negative or unsafe; nothing changes when it
   *   throws.
   */
  assign(partitions: readonly PartitionPosition[]): void {
    this.check(partitions, new Set())
    this.dropAll()
    this.append(partitions)
    this.wake()
  }

  /**
   * Adds `partitions` to the assignment (after the current ones), keeping the others' positions
   * and buffers — the cooperative rebalance's incremental assignment.
   * @throws as `assign`, and `LOG_INVALID_ARGUMENT` for a partition already assigned.
   */
  add(partitions: readonly PartitionPosition[]): void {
    this.check(partitions, new Set(this.byKey.keys()))
    this.append(partitions)
    this.wake()
  }

  private check(partitions: readonly PartitionPosition[], seen: Set<string>): void {
    for (const p of partitions) {
      const key = topicPartitionKey(p)
      if (seen.has(key)) {
        throw logError('LOG_INVALID_ARGUMENT', `${key} is assigned twice`, { topic: p.topic, partition: p.partition })
      }
      seen.add(key)
      checkOffset(p, p.offset)
      this.source.offsets(p) // throws for an unknown topic or partition
    }
  }

  private append(partitions: readonly PartitionPosition[]): void {
    for (const p of partitions) {
      const state: PartitionState = {
        tp: { topic: p.topic, partition: p.partition },
        position: p.offset,
        paused: false,
        buffer: undefined,
        batches: undefined,
        pending: [],
        pendingIndex: 0,
        batchEndOffset: 0,
        aborted: undefined,
        abortedNext: 0,
        abortedProducers: new Set(),
      }
      this.states.push(state)
      this.byKey.set(topicPartitionKey(p), state)
    }
  }

  /** Removes `partitions` (default: all) from the assignment, dropping their buffers. Unassigned ones are ignored. */
  unassign(partitions?: readonly TopicPartition[]): void {
    if (partitions === undefined) {
      this.dropAll()
    } else {
      const keys = new Set(partitions.map(topicPartitionKey))
      for (const key of keys) {
        const state = this.byKey.get(key)
        if (state === undefined) continue
        this.discard(state)
        this.byKey.delete(key)
      }
      this.states = this.states.filter((s) => keys.has(topicPartitionKey(s.tp)) === false)
      this.cursor = 0
    }
    this.wake()
  }

  /** The assigned partitions, in assignment order. */
  assignment(): TopicPartition[] {
    return this.states.map((s) => s.tp)
  }

  /**
   * Sets the next offset to fetch and discards the partition's buffered data. The offset is not
   * checked against the log here: an out-of-range position raises `LOG_OFFSET_OUT_OF_RANGE` from
   * the next `poll`.
   * @throws `LOG_PARTITION_NOT_ASSIGNED` when `tp` is not assigned; `LOG_INVALID_ARGUMENT` for a
   *   negative or unsafe offset.
   */
  seek(tp: TopicPartition, offset: number): void {
    const state = this.assigned(tp)
    checkOffset(tp, offset)
    this.discard(state)
    state.position = offset
    this.wake()
  }

  /**
   * The next offset `poll` will return for `tp` (last returned + 1, or past skipped control
   * batches and compaction gaps).
   * @throws `LOG_PARTITION_NOT_ASSIGNED` when `tp` is not assigned.
   */
  position(tp: TopicPartition): number {
    return this.assigned(tp).position
  }

  /**
   * Stops returning and fetching records of `partitions`; their buffered data is kept for
   * `resume`. @throws `LOG_PARTITION_NOT_ASSIGNED` for an unassigned partition (nothing changes).
   */
  pause(partitions: readonly TopicPartition[]): void {
    for (const state of partitions.map((tp) => this.assigned(tp))) state.paused = true
  }

  /** Undoes `pause`. @throws `LOG_PARTITION_NOT_ASSIGNED` for an unassigned partition (nothing changes). */
  resume(partitions: readonly TopicPartition[]): void {
    for (const state of partitions.map((tp) => this.assigned(tp))) state.paused = false
    this.wake()
  }

  /** The paused partitions, in assignment order. */
  paused(): TopicPartition[] {
    return this.states.filter((s) => s.paused).map((s) => s.tp)
  }

  /**
   * Records of the assigned, unpaused partitions: at once when any are buffered or readable,
   * otherwise after the first append to any of them (a long poll woken by appends, not a timer).
   * Partitions are served round robin, starting after the last one served by the previous poll,
   * so a busy partition cannot starve the others. Resolves `[]` when `signal` aborts.
   *
   * Errors stop the partition at its position (it is not skipped). When other partitions already
   * produced records in this poll, those are returned and the error is raised by the next poll.
   * @throws `LOG_CORRUPT_BATCH` (details: topic, partition, offset = the position, position) for a
   *   batch failing its CRC (with `checkCrcs`) or framing checks; {@link OffsetOutOfRangeError};
   *   `CONFIG_INVALID` for a bad `maxRecords`; `LOG_CLOSED` and other source errors as raised.
   */
  async poll(options: PollOptions): Promise<FetchedRecord[]> {
    const { signal } = options
    const maxRecords = this.maxRecordsOf(options.maxRecords)
    for (;;) {
      if (signal.aborted) return []
      const records = this.drain(maxRecords)
      if (records.length > 0) return records
      await this.waitForAnyAppend(signal)
    }
  }

  /** `poll` without waiting: the records buffered or readable now, possibly none. @throws as `poll`. */
  pollNow(maxRecords?: number): FetchedRecord[] {
    return this.drain(this.maxRecordsOf(maxRecords))
  }

  // ---------------------------------------------------------------- draining

  /** One round-robin pass: each unpaused partition serves its buffer, fetching one if it has none. */
  private drain(maxRecords: number): FetchedRecord[] {
    const out: FetchedRecord[] = []
    const states = this.states
    const n = states.length
    let fetchedBytes = 0
    for (let k = 0; k < n && out.length < maxRecords; k++) {
      const i = (this.cursor + k) % n
      const state = states[i] as PartitionState
      if (state.paused) continue
      const before = out.length
      try {
        if (state.buffer === undefined) {
          const budget = this.config.fetchMaxBytes - fetchedBytes
          // fetch.max.bytes bounds a poll's reads, but the first read may return one larger batch.
          if (budget <= 0) continue
          fetchedBytes += this.fetch(state, Math.min(this.config.maxPartitionFetchBytes, budget))
        }
        this.take(state, out, maxRecords)
      } catch (err) {
        // Start the next poll here: the position did not move past the failure, so it recurs.
        this.cursor = i
        if (out.length === 0) throw err
        // reason: records of earlier partitions were returned (positions advanced); raising now
        // would lose them, so the error is deferred to the next poll, which meets it again.
        return out
      }
      if (out.length > before) this.cursor = (i + 1) % n
    }
    return out
  }

  /** Reads one buffer at the position; returns its size (0 at the log end). */
  private fetch(state: PartitionState, maxBytes: number): number {
    let bytes: Uint8Array
    try {
      bytes = this.source.read(state.tp, state.position, maxBytes)
    } catch (err) {
      throw this.translate(state, err)
    }
    if (bytes.length === 0) return 0
    state.buffer = bytes
    state.batches = iterateBatches(bytes, 0, bytes.length, { verifyCrc: this.config.checkCrcs })
    if (this.source.abortedTransactions !== undefined) {
      let aborted: AbortedTransaction[]
      try {
        aborted = [...this.source.abortedTransactions(state.tp, state.position, endOffsetOf(bytes))]
      } catch (err) {
        this.release(state)
        throw this.translate(state, err)
      }
      state.aborted = aborted.sort((a, b) => a.firstOffset - b.firstOffset)
      state.abortedNext = 0
      state.abortedProducers.clear()
    }
    state.pending.length = 0
    state.pendingIndex = 0
    this.buffered += bytes.length
    return bytes.length
  }

  /** Moves buffered records of `state` to `out` (up to `maxRecords` in all), decoding batches as needed. */
  private take(state: PartitionState, out: FetchedRecord[], maxRecords: number): void {
    const pending = state.pending
    while (out.length < maxRecords) {
      if (state.pendingIndex < pending.length) {
        const record = pending[state.pendingIndex++] as FetchedRecord
        out.push(record)
        state.position = record.offset + 1
        continue
      }
      // The current batch is fully returned: step over its compacted tail, if any.
      if (state.batchEndOffset > state.position) state.position = state.batchEndOffset
      if (state.batches === undefined) return
      let batch: RecordBatch | undefined
      try {
        const next = state.batches.next()
        if (next.done === true) {
          this.release(state)
          return
        }
        batch = next.value
        this.decode(state, batch)
      } catch (err) {
        this.discard(state)
        throw this.translate(state, err)
      }
    }
  }

  /** Decodes `batch` into `state.pending`, keeping only records at or after the position. */
  private decode(state: PartitionState, batch: RecordBatch): void {
    const pending = state.pending
    pending.length = 0
    state.pendingIndex = 0
    const lastOffset = batch.lastOffset
    const position = state.position
    // Reads start at the batch containing the position; a batch wholly below it is skipped
    // defensively rather than trusted to be absent.
    if (lastOffset < position) return
    state.batchEndOffset = lastOffset + 1
    if (state.aborted !== undefined && this.isAbortedOrMarker(state, batch)) return
    // Control batches (transaction markers) are never handed to users; the position moves past
    // them once reached (via batchEndOffset above).
    if (batch.isControl) return
    const { topic, partition } = state.tp
    const timestampType = batch.timestampType
    batch.forEachRecord((record) => {
      if (record.offset >= position) pending.push(new LazyFetchedRecord(topic, partition, record, timestampType))
    })
  }

  /**
   * read_committed filter (Kafka `Fetcher.nextFetchedRecord`): a producer enters the skip set when
   * one of its aborted transactions starts at or before this batch, and leaves it at its ABORT
   * marker. True when the batch is to be skipped (aborted data, or a marker).
   */
  private isAbortedOrMarker(state: PartitionState, batch: RecordBatch): boolean {
    const aborted = state.aborted as AbortedTransaction[] // reason: the caller checked
    const lastOffset = batch.lastOffset
    while (state.abortedNext < aborted.length && (aborted[state.abortedNext] as AbortedTransaction).firstOffset <= lastOffset) {
      state.abortedProducers.add((aborted[state.abortedNext] as AbortedTransaction).producerId)
      state.abortedNext++
    }
    if (state.abortedProducers.size === 0 && !batch.isControl) return false
    const producerId = batch.producerId
    if (batch.isControl) {
      if (readControlRecord(batch).type === 'ABORT') state.abortedProducers.delete(producerId)
      return true
    }
    return batch.isTransactional && state.abortedProducers.has(producerId)
  }

  private translate(state: PartitionState, err: unknown): unknown {
    if (isMillraceError(err, 'LOG_OFFSET_OUT_OF_RANGE')) return new OffsetOutOfRangeError(state.tp, state.position, err)
    if (isMillraceError(err, 'LOG_CORRUPT_BATCH')) {
      return logError(
        'LOG_CORRUPT_BATCH',
        `corrupt batch in ${topicPartitionKey(state.tp)} at fetch position ${state.position}`,
        {
          topic: state.tp.topic,
          partition: state.tp.partition,
          offset: state.position,
          position: err.details['position'],
          reason: err.details['reason'],
        },
        err,
      ) satisfies LogError
    }
    return err
  }

  // ---------------------------------------------------------------- waiting

  /**
   * Waits for an append to any unpaused partition past its position — all at once, first append
   * wins, the losers' waits cancelled through one internal controller — or for `signal`, or for
   * an assignment change (`assign`, `seek`, `resume`, `unassign` abort the controller).
   */
  private waitForAnyAppend(signal: AbortSignal): Promise<void> {
    const controller = new AbortController()
    const onAbort = (): void => controller.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    this.waits.add(controller)
    const waiting = new Promise<void>((resolve, reject) => {
      controller.signal.addEventListener('abort', () => resolve(), { once: true })
      for (const state of this.states) {
        if (state.paused) continue
        const lost = (err: unknown): void => {
          // reason: once the controller aborted (a winner, the caller, or a wake), the other
          // waits reject with LOG_ABORTED by design; only errors of a live wait matter.
          if (!controller.signal.aborted) reject(err)
        }
        try {
          this.source.waitForAppend(state.tp, state.position, controller.signal).then(() => resolve(), lost)
        } catch (err) {
          lost(err)
        }
      }
    })
    return waiting.finally(() => {
      controller.abort()
      signal.removeEventListener('abort', onAbort)
      this.waits.delete(controller)
    })
  }

  private wake(): void {
    for (const controller of this.waits) controller.abort()
  }

  // ---------------------------------------------------------------- state

  private assigned(tp: TopicPartition): PartitionState {
    const state = this.byKey.get(topicPartitionKey(tp))
    if (state === undefined) {
      throw logError('LOG_PARTITION_NOT_ASSIGNED', `${topicPartitionKey(tp)} is not assigned`, {
        topic: tp.topic,
        partition: tp.partition,
      })
    }
    return state
  }

  /** Drops the buffer and the decoded batch; the position stays. */
  private discard(state: PartitionState): void {
    this.release(state)
    state.pending.length = 0
    state.pendingIndex = 0
    state.batchEndOffset = 0
  }

  private release(state: PartitionState): void {
    if (state.buffer !== undefined) this.buffered -= state.buffer.length
    state.buffer = undefined
    state.batches = undefined
  }

  private dropAll(): void {
    for (const state of this.states) this.discard(state)
    this.states = []
    this.byKey.clear()
    this.cursor = 0
  }

  private maxRecordsOf(maxRecords: number | undefined): number {
    if (maxRecords === undefined) return this.config.maxPollRecords
    const problem = checkInteger('maxRecords', maxRecords, [1, this.config.maxPollRecords])
    if (problem !== undefined) throw new ConfigInvalidError('poll', [problem])
    return maxRecords
  }
}

/** One past the last offset of the batches in `bytes` (a fetch result: whole batches). */
function endOffsetOf(bytes: Uint8Array): number {
  let end = 0
  for (let p = 0; p + BATCH_HEADER_BYTES <= bytes.length; ) {
    const size = batchSizeAt(bytes, p)
    end = (baseOffsetAt(bytes, p) ?? 0) + lastOffsetDeltaAt(bytes, p) + 1
    if (size < BATCH_HEADER_BYTES) break
    p += size
  }
  return end
}

/** Offsets are non-negative safe integers. */
function checkOffset(tp: TopicPartition, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw logError('LOG_INVALID_ARGUMENT', `invalid offset for ${topicPartitionKey(tp)}`, {
      topic: tp.topic,
      partition: tp.partition,
      offset,
    })
  }
}
