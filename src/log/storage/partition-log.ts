/**
 * The log of one partition: an ordered list of segments, the last of which is active.
 *
 * One writer per partition: `append` is synchronous and runs on the event loop, so appends are
 * serialised by construction. Reads are synchronous too and never see a half-applied append.
 * Only `flush` is asynchronous — that is the group commit: every append made before a flush
 * starts is made durable by the same fdatasync, and appends keep landing while it runs.
 *
 * Durability bookkeeping: `recoveryPoint` is the offset below which everything is fsynced. The
 * broker checkpoints it; after an unclean shutdown segments from the one holding the recovery
 * point onwards are scanned, a torn tail above it is truncated (and reported), and damage below it
 * is corruption of durable data — reported as `LOG_CORRUPT_SEGMENT`, never silently dropped.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../clock.js'
import { isMillraceError, logError, MillraceError, type LogError } from '../errors.js'
import type { FileIO } from './file-io.js'
import {
  CLEANED_SUFFIX,
  IndexMismatch,
  LogSegment,
  findSegmentIndex,
  segmentFileName,
} from './segment.js'
import { CleanedSegment, swapInCleanedSegment } from './segment-swap.js'
import { GroupCommit } from './group-commit.js'
import { AppendWaiters } from './append-waiters.js'
import { InactiveSegmentView, type SegmentReplaceOutcome, type SegmentSnapshot } from './segment-snapshot.js'
import { emptyRecoveryReport, loadPartition, type RecoveryReport } from './partition-recovery.js'
import { ReadBufferPool } from './read-pool.js'
import { PartitionProducers, hasProducerIdAt, type TxnMarker } from './partition-producers.js'
import type { AbortedTxn } from './txn-index.js'
import type { ProducerBatchInfo, ProducerBatchMetadata } from './producer-state.js'
import { BatchHeaderCursor } from './batch-scan.js'
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  TIMESTAMP_TYPE_MASK,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
  recordsCountAt,
  setBaseOffsetAt,
  setPartitionLeaderEpochAt,
  stampBatchCrc,
  validateBatchAt,
  attributesAt,
  isControlAt,
} from '../record/record-batch-v2.js'
import { writeInt64At } from '../binary/writer.js'

/** The topic settings a partition log acts on (camelCase forms of Kafka's topic configs). */
export interface PartitionLogConfig {
  segmentBytes: number
  segmentMs: number
  segmentIndexBytes: number
  indexIntervalBytes: number
  maxMessageBytes: number
  messageTimestampType: 'CreateTime' | 'LogAppendTime'
  /** fsync after this many unflushed records (Kafka `flush.messages`). */
  flushMessages: number
}

export interface PartitionLogOptions {
  io: FileIO
  /** The partition directory (`<dataDir>/<topic>-<partition>`). */
  dir: string
  topic: string
  partition: number
  config: PartitionLogConfig
  clock: Clock
  /** Offsets below this were fsynced before the last shutdown (checkpoint); 0 when unknown. */
  recoveryPoint: number
  /** The checkpointed log start offset; 0 when unknown. */
  logStartOffset?: number
  /** True when the broker found its clean-shutdown marker: recovery scans are skipped. */
  cleanShutdown: boolean
  readPool?: ReadBufferPool
  /**
   * KIP-890 part 1: called before a transactional batch opens a transaction of its producer in
   * this partition, to check with the transaction coordinator that the partition is in the
   * producer's open transaction at this epoch; it throws to refuse the batch (nothing appended).
   * Absent: transactional batches are not verified (tests of the partition alone).
   */
  verifyTransaction?: (producerId: bigint, producerEpoch: number) => void
}

export interface AppendResult {
  baseOffset: number
  lastOffset: number
  /** The broker time stamped on the batch for LogAppendTime topics, −1 otherwise. */
  logAppendTimeMs: number
  recordCount: number
  /**
   * True when the batch repeated one of its idempotent producer's last 5 batches: nothing was
   * appended, and the offsets (and log append time) are those of the original (Kafka answers a
   * retried batch the same way).
   */
  duplicate?: boolean
}

export interface AppendOptions {
  /**
   * The batches were built in this process by Millrace's own encoder: skip the CRC re-check.
   * Batches from outside (wire, files) are always validated.
   */
  trusted?: boolean
}

export interface SegmentInfo {
  baseOffset: number
  nextOffset: number
  sizeBytes: number
  /** Largest record timestamp, or the segment's creation time when it holds none. */
  maxTimestampMs: number
  /** maxTimestamp of the segment's first batch, −1 when empty (for `max.compaction.lag.ms`). */
  firstBatchTimestampMs: number
  isActive: boolean
}

const MAX_FETCH_RETRIES = 2
/**
 * A commit is acknowledged only once its data is durable, so it waits for the fsync of whatever
 * the transaction wrote that the page cache still holds. Syncing an open transaction's data in
 * the background every this many bytes per partition leaves the commit only the tail: measured
 * (`bench/clients/idempotence.ts`, ~7 MiB per partition per 100 ms transaction) the commit's data
 * fsync fell from ~18 ms to ~9 ms at 4 MiB; 1–2 MiB syncs contend with the writer and gain less.
 */
const OPEN_TRANSACTION_SYNC_BYTES = 4 * 1024 * 1024

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  readonly dir: string
  readonly recoveryReport: RecoveryReport
  private readonly io: FileIO
  private readonly clock: Clock
  private readonly pool: ReadBufferPool
  private config: PartitionLogConfig
  private segments: LogSegment[] = []
  private logStart = 0
  private logEnd = 0
  private readonly commit: GroupCommit
  /** Long polls waiting for the log end to pass an offset (see waitForAppend). */
  private readonly appendWaiters = new AppendWaiters(() =>
    logError('LOG_ABORTED', `wait on ${this.topic}-${this.partition} was aborted`, this.ids()),
  )
  /** Segments replaced by a swap, their files unlinked, still open (see releaseReplacedSegments). */
  private replaced: LogSegment[] = []
  /** Idempotent-producer state and its snapshot files. */
  private readonly producers: PartitionProducers
  private readonly verifyTransaction: ((producerId: bigint, producerEpoch: number) => void) | undefined
  private failure: LogError | undefined
  private closed = false

  private constructor(options: PartitionLogOptions) {
    this.io = options.io
    this.dir = options.dir
    this.topic = options.topic
    this.partition = options.partition
    this.config = { ...options.config }
    this.clock = options.clock
    this.pool = options.readPool ?? new ReadBufferPool()
    this.recoveryReport = emptyRecoveryReport()
    this.producers = new PartitionProducers(this.io, this.dir, { topic: this.topic, partition: this.partition })
    this.verifyTransaction = options.verifyTransaction
    this.commit = new GroupCommit(
      {
        logEndOffset: () => this.logEnd,
        blockedBy: () => (this.closed ? this.closedError() : this.failure),
        onSyncFailure: (cause) => {
          this.failure = this.ioError('fsync', cause)
          return this.failure
        },
      },
      this.clock,
      0,
    )
  }

  /**
   * Opens (creating when missing) the partition directory and recovers it. Throws
   * `LOG_CORRUPT_SEGMENT` (details: file, position, offset) when fsynced data is damaged.
   */
  static open(options: PartitionLogOptions): PartitionLog {
    const log = new PartitionLog(options)
    try {
      log.load(options)
    } catch (err) {
      log.closeFiles()
      throw err
    }
    return log
  }

  get logStartOffset(): number {
    return this.logStart
  }

  /** The offset the next appended record gets (Kafka's log end offset). */
  get logEndOffset(): number {
    return this.logEnd
  }

  /** Offsets below this are durable (fsynced). */
  get recoveryPoint(): number {
    return this.commit.durableOffset
  }

  get sizeBytes(): number {
    let n = 0
    for (const s of this.segments) n += s.sizeBytes
    return n
  }

  get segmentCount(): number {
    return this.segments.length
  }

  /** Monotonic time of the last completed flush (for `flush.ms`). */
  get lastFlushMonotonicMs(): number {
    return this.commit.lastSyncMs
  }

  get hasUnflushedData(): boolean {
    return this.commit.durableOffset < this.logEnd
  }

  /** The error that stopped this log (a failed write or fsync), if any. */
  get failedWith(): LogError | undefined {
    return this.failure
  }

  updateConfig(config: PartitionLogConfig): void {
    this.config = { ...config }
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends one or more whole v2 batches held in `batches`, assigning offsets from the log end.
   * Takes ownership of the buffer: baseOffset and partitionLeaderEpoch are written in place (and
   * the timestamp fields and CRC for LogAppendTime topics). All-or-nothing: every batch is
   * checked before any byte is written.
   *
   * Throws `LOG_CORRUPT_BATCH` (bad framing or CRC), `LOG_RECORD_TOO_LARGE` (a batch over
   * `max.message.bytes`), `LOG_IO_ERROR` (the write failed; the log is then failed), `LOG_CLOSED`.
   */
  append(batches: Uint8Array, options: AppendOptions = {}): AppendResult {
    this.ensureWritable()
    const length = batches.length
    if (length === 0) throw logError('LOG_CORRUPT_BATCH', 'empty append', { ...this.ids(), position: 0 })
    // Pass 1: validate everything, count offsets.
    let pos = 0
    let offsetCount = 0
    let records = 0
    let firstMaxTimestamp = -1
    let producer: ProducerBatchInfo | undefined
    let marker: TxnMarker | undefined
    while (pos < length) {
      const size = options.trusted ? this.checkFraming(batches, pos, length) : validateBatchAt(batches, pos, length)
      if (size > this.config.maxMessageBytes) {
        throw logError(
          'LOG_RECORD_TOO_LARGE',
          `batch of ${size} bytes exceeds max.message.bytes ${this.config.maxMessageBytes} for ${this.topic}-${this.partition}`,
          { ...this.ids(), sizeBytes: size, maxMessageBytes: this.config.maxMessageBytes },
        )
      }
      if (hasProducerIdAt(batches, pos)) {
        // Kafka's rule for produce requests: a batch with a producer id travels alone, so a
        // duplicate can be answered for the whole append (and a marker ends exactly one batch).
        if (pos !== 0 || size !== length) {
          throw logError('LOG_INVALID_RECORD', `a batch with a producer id must be appended alone to ${this.topic}-${this.partition}`, {
            ...this.ids(),
            position: pos,
          })
        }
        if (isControlAt(batches, pos)) {
          // A transaction marker: no sequence, no dedup; it closes the producer's transaction.
          marker = this.producers.checkMarker(batches, pos)
        } else {
          const checked = this.producers.check(batches, pos)
          if (checked.duplicate !== undefined) return this.duplicateOf(checked.duplicate)
          producer = checked.info
          if (producer.isTransactional && this.verifyTransaction !== undefined && !this.producers.hasOpenTransaction(producer.producerId)) {
            this.verifyTransaction(producer.producerId, producer.epoch)
          }
        }
      }
      if (pos === 0) firstMaxTimestamp = maxTimestampAt(batches, pos) ?? -1
      offsetCount += lastOffsetDeltaAt(batches, pos) + 1
      records += recordsCountAt(batches, pos)
      pos += size
    }
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime'
    const nowMs = logAppendTime ? this.clock.nowMs() : -1
    if (logAppendTime) firstMaxTimestamp = nowMs
    const baseOffset = this.logEnd
    const lastOffset = baseOffset + offsetCount - 1
    this.maybeRoll(length, firstMaxTimestamp, lastOffset)
    // Pass 2: assign offsets in place.
    let next = baseOffset
    pos = 0
    while (pos < length) {
      const size = batchSizeAt(batches, pos)
      setBaseOffsetAt(batches, pos, next)
      setPartitionLeaderEpochAt(batches, pos, 0)
      if (logAppendTime) this.stampLogAppendTime(batches, pos, size, nowMs)
      next += lastOffsetDeltaAt(batches, pos) + 1
      pos += size
    }
    const active = this.active()
    const sizeBefore = active.sizeBytes
    try {
      active.append(batches, length)
    } catch (err) {
      this.rollBackFailedAppend(active, sizeBefore, err)
    }
    this.logEnd = next
    if (producer !== undefined) this.producers.appended(producer, baseOffset, lastOffset, firstMaxTimestamp)
    if (marker !== undefined) this.closeTransaction(active, marker, baseOffset, firstMaxTimestamp)
    this.commit.noteAppend(active, records, length)
    if (!this.appendWaiters.isEmpty) this.appendWaiters.wake(next)
    if (this.commit.unflushedMessages >= this.config.flushMessages) void this.flush().catch(() => undefined)
    else if (producer?.isTransactional === true && this.commit.unflushedBytes >= OPEN_TRANSACTION_SYNC_BYTES) this.commit.syncInBackground()
    return { baseOffset, lastOffset, logAppendTimeMs: nowMs, recordCount: records }
  }

  /**
   * A marker was appended at `markerOffset`: the producer's transaction is closed, and an abort
   * gets its entry in the segment's aborted-transaction index, stamped with the LSO after it.
   */
  private closeTransaction(segment: LogSegment, marker: TxnMarker, markerOffset: number, timestampMs: number): void {
    const aborted = this.producers.marked(marker, markerOffset, timestampMs)
    if (aborted === undefined) return
    try {
      segment.txnIndex().append({ ...aborted, lastStableOffset: this.lastStableOffset })
    } catch (err) {
      // The marker is in the log but its index entry is not: stop, and let recovery rebuild it.
      this.failure = this.ioError('append aborted-transaction index', err)
      throw this.failure
    }
  }

  /**
   * Kafka's last stable offset: the first offset of the oldest open transaction, or the log end
   * when none is open. `read_committed` readers never read at or past it.
   */
  get lastStableOffset(): number {
    return this.producers.state.firstUnstableOffset() ?? this.logEnd
  }

  /**
   * Aborted transactions that overlap `[fetchOffset, upperBoundOffset)`, from the aborted-
   * transaction indexes of the segments from the one holding `fetchOffset` on (Kafka
   * `collectAbortedTransactions`), for `read_committed` readers to skip their batches.
   */
  abortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    this.ensureReadable()
    const out: AbortedTxn[] = []
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const seg = this.segments[i] as LogSegment
      if (!seg.hasTxnIndex()) continue
      const { aborted, complete } = seg.txnIndex().collect(fetchOffset, upperBoundOffset)
      out.push(...aborted)
      if (complete) break
    }
    return out
  }

  /** The answer to a retried idempotent batch: its original offsets, nothing appended. */
  private duplicateOf(original: ProducerBatchMetadata): AppendResult {
    return {
      baseOffset: original.firstOffset,
      lastOffset: original.lastOffset,
      logAppendTimeMs: this.config.messageTimestampType === 'LogAppendTime' ? original.timestampMs : -1,
      recordCount: original.lastOffset - original.firstOffset + 1,
      duplicate: true,
    }
  }

  private checkFraming(buf: Uint8Array, pos: number, end: number): number {
    if (end - pos < BATCH_HEADER_BYTES) {
      throw logError('LOG_CORRUPT_BATCH', `truncated batch at position ${pos}`, { ...this.ids(), position: pos })
    }
    const size = batchSizeAt(buf, pos)
    if (size < BATCH_HEADER_BYTES || size > end - pos) {
      throw logError('LOG_CORRUPT_BATCH', `bad batch length at position ${pos}`, { ...this.ids(), position: pos })
    }
    return size
  }

  private stampLogAppendTime(buf: Uint8Array, pos: number, size: number, nowMs: number): void {
    const attributes = attributesAt(buf, pos) | TIMESTAMP_TYPE_MASK
    buf[pos + ATTRIBUTES_OFFSET] = (attributes >>> 8) & 0xff
    buf[pos + ATTRIBUTES_OFFSET + 1] = attributes & 0xff
    writeInt64At(buf, pos + MAX_TIMESTAMP_OFFSET, nowMs)
    stampBatchCrc(buf, pos, size)
  }

  private rollBackFailedAppend(segment: LogSegment, sizeBefore: number, cause: unknown): never {
    const err = this.ioError('append', cause)
    try {
      segment.truncateToPosition(sizeBefore)
    } catch (cleanupErr) {
      // The file state is unknown: stop the partition; reopening runs recovery.
      this.failure = logError('LOG_IO_ERROR', `${this.topic}-${this.partition} failed after a write error`, this.ids(), [
        cause,
        cleanupErr,
      ])
      throw this.failure
    }
    throw err
  }

  private maybeRoll(incomingBytes: number, incomingMaxTimestamp: number, lastOffset: number): void {
    const active = this.active()
    const size = active.sizeBytes
    if (size === 0) {
      if (!active.canHold(lastOffset)) {
        throw logError('LOG_RECORD_TOO_LARGE', 'append spans more offsets than one segment can hold', this.ids())
      }
      return
    }
    const waitedMs =
      active.firstBatchTimestamp >= 0 && incomingMaxTimestamp >= 0
        ? incomingMaxTimestamp - active.firstBatchTimestamp
        : this.clock.nowMs() - active.createdAtMs
    if (size > this.config.segmentBytes - incomingBytes || waitedMs > this.config.segmentMs || !active.canHold(lastOffset)) {
      this.roll()
    }
  }

  /** Starts a new active segment at the log end (no-op when the active segment is empty). */
  roll(): void {
    this.rollActive(true)
  }

  /**
   * `syncOld` false: the caller deletes the old segment at once, so no fsync may be started
   * under it (closing a file with an fdatasync in flight fails that fsync, and the log with it).
   */
  private rollActive(syncOld: boolean): void {
    this.ensureWritable()
    const old = this.active()
    if (old.isEmpty) return
    try {
      old.onBecomeInactive()
      const seg = LogSegment.create(this.io, this.dir, this.logEnd, this.segmentOptions(), this.clock.nowMs())
      // Kafka snapshots producer state at every roll, named by the new segment's base offset.
      this.producers.writeSnapshot(this.logEnd)
      // The new files must survive a power loss before any durable ack can point into them.
      this.io.syncDir(this.dir)
      this.segments.push(seg)
    } catch (err) {
      this.failure = this.ioError('roll', err)
      throw this.failure
    }
    if (!syncOld) return
    // Kafka flushes a rolled segment in the background: its data and, now final, its indexes
    // (see LogSegment.sync) — even when its data was already durable. That also bounds recovery
    // scans. A sync in flight does not cover it; the next group commit (or close) will.
    this.commit.markDirty(old)
    this.commit.syncSoon()
  }

  // ---------------------------------------------------------------- durability

  /**
   * Group commit (see {@link GroupCommit}): resolves with the durable offset once everything
   * appended before the call is fsynced; concurrent callers share fsyncs. A failed fsync fails
   * the log and rejects every waiter with `LOG_IO_ERROR`.
   */
  flush(): Promise<number> {
    return this.commit.flush()
  }

  // ---------------------------------------------------------------- long poll

  /**
   * Resolves once the log end is past `offset` — at once when it already is, else at the append
   * that takes it there: consumers are woken by appends, never by a timer loop. Rejects with
   * `LOG_ABORTED` when `signal` aborts (the caller's timeout) and `LOG_CLOSED` when the log
   * closes. Waiters cost nothing on the append path while there are none.
   */
  waitForAppend(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError())
    if (this.logEnd > offset) return Promise.resolve()
    return this.appendWaiters.wait(offset, signal)
  }

  // ---------------------------------------------------------------- read

  /**
   * Reads whole batches starting with the one that contains `fetchOffset` (so callers drop the
   * records below it, as Kafka clients do), up to `maxBytes` — but always at least one whole
   * batch — and never a batch starting at or after `maxOffset` (default: the log end). The bytes
   * are a fresh view from the read pool, owned by the caller. Empty at the log end.
   *
   * Throws `LOG_OFFSET_OUT_OF_RANGE` below the log start or above the log end.
   */
  read(fetchOffset: number, maxBytes: number, maxOffset = this.logEnd): Uint8Array {
    this.ensureReadable()
    if (fetchOffset < this.logStart || fetchOffset > this.logEnd) {
      throw logError(
        'LOG_OFFSET_OUT_OF_RANGE',
        `offset ${fetchOffset} is outside [${this.logStart}, ${this.logEnd}] of ${this.topic}-${this.partition}`,
        { ...this.ids(), offset: fetchOffset, logStartOffset: this.logStart, logEndOffset: this.logEnd },
      )
    }
    const upper = Math.min(maxOffset, this.logEnd)
    let target = fetchOffset
    let i = this.segmentIndexFor(target)
    while (i < this.segments.length && target < upper) {
      const seg = this.segments[i] as LogSegment
      if (target < seg.nextOffset) {
        const start = this.findPosition(seg, target)
        if (start < seg.sizeBytes) return this.readFrom(seg, start, maxBytes, upper)
      }
      i++
      target = Math.max(target, seg.nextOffset)
    }
    return EMPTY
  }

  private readFrom(seg: LogSegment, start: number, maxBytes: number, upper: number): Uint8Array {
    const available = seg.sizeBytes - start
    const want = Math.min(Math.max(maxBytes, LOG_OVERHEAD), available)
    let buf = this.pool.take(want)
    let n = seg.log.read(buf, 0, want, start)
    let p = 0
    while (p + LOG_OVERHEAD <= n) {
      const size = batchSizeAt(buf, p)
      if (size < BATCH_HEADER_BYTES) break
      if (p + size > n) {
        if (p > 0 || size > available) break
        // The first batch is bigger than maxBytes: return it whole (Kafka's minOneMessage).
        buf = this.pool.take(size)
        n = seg.log.read(buf, 0, size, start)
        if (n < size) break
      }
      const base = baseOffsetAt(buf, p)
      if (base === undefined || base >= upper) break
      p += size
    }
    return p === 0 ? EMPTY : buf.subarray(0, p)
  }

  private findPosition(seg: LogSegment, target: number): number {
    for (let attempt = 0; ; attempt++) {
      try {
        return seg.findPosition(target)
      } catch (err) {
        if (!(err instanceof IndexMismatch) || attempt >= MAX_FETCH_RETRIES) throw err
        // The index pointed at the wrong bytes: it is derived data, rebuild it and look again.
        seg.rebuildIndexes()
        this.recoveryReport.rebuiltIndexes.push(seg.fileName)
      }
    }
  }

  private segmentIndexFor(offset: number): number {
    return findSegmentIndex(this.segments, offset)
  }

  /**
   * Header scan for timestamp lookups: the first batch (in offset order, from `fromOffset`) whose
   * maxTimestamp is ≥ `timestampMs`, read whole; undefined when no batch qualifies.
   */
  readFirstBatchAtOrAfterTimestamp(timestampMs: number): Uint8Array | undefined {
    this.ensureReadable()
    for (const seg of this.segments) {
      if (seg.maxTimestamp < timestampMs || seg.nextOffset <= this.logStart) continue
      const after = Math.max(seg.timeIndex.lookupBefore(timestampMs) + 1, this.logStart)
      const start = this.findPosition(seg, after)
      const cursor = new BatchHeaderCursor(seg.log, start, seg.sizeBytes)
      while (cursor.next()) {
        if (cursor.maxTimestamp >= timestampMs && cursor.lastOffset >= this.logStart) {
          const bytes = this.pool.take(cursor.size)
          seg.log.read(bytes, 0, cursor.size, cursor.position)
          return bytes
        }
        cursor.advance()
      }
    }
    return undefined
  }

  // ---------------------------------------------------------------- truncation, retention

  /**
   * Removes every record at or after `offset` (whole batches: the batch containing `offset`
   * goes too). Durable before returning. Returns the new log end offset.
   */
  truncateTo(offset: number): number {
    this.ensureWritable()
    if (offset >= this.logEnd) return this.logEnd
    try {
      const target = Math.max(offset, this.logStart)
      while (this.segments.length > 1 && (this.segments[this.segments.length - 1] as LogSegment).baseOffset >= target) {
        const seg = this.segments.pop() as LogSegment
        this.commit.forget(seg)
        seg.delete()
      }
      const last = this.active()
      if (last.baseOffset >= target) {
        // Everything goes: start an empty segment at the target (Kafka truncateFullyAndStartAt).
        this.commit.forget(last)
        last.delete()
        this.segments = [LogSegment.create(this.io, this.dir, target, this.segmentOptions(), this.clock.nowMs())]
        this.logEnd = target
        if (this.logStart > target) this.logStart = target
      } else {
        this.logEnd = last.truncateTo(target)
        last.log.syncNow()
        // Whole batches go: the cut can fall below a log start inside the batch holding it.
        if (this.logStart > this.logEnd) this.logStart = this.logEnd
      }
      // Snapshots above the new end describe data that is gone; their removal is made durable
      // by the directory sync below, before anything can be appended in the truncated range.
      this.producers.rebuild(this.segments, this.logStart, this.logEnd, [])
      this.io.syncDir(this.dir)
    } catch (err) {
      this.failure = this.ioError('truncate', err)
      throw this.failure
    }
    this.commit.truncatedTo(this.logEnd)
    return this.logEnd
  }

  /** A snapshot of the segments, oldest first, for retention and compaction decisions. */
  segmentInfos(): SegmentInfo[] {
    const last = this.segments.length - 1
    return this.segments.map((s, i) => ({
      baseOffset: s.baseOffset,
      nextOffset: s.nextOffset,
      sizeBytes: s.sizeBytes,
      maxTimestampMs: s.maxTimestamp >= 0 ? s.maxTimestamp : s.createdAtMs,
      firstBatchTimestampMs: s.firstBatchTimestamp,
      isActive: i === last,
    }))
  }

  /**
   * Deletes the `count` oldest segments and advances the log start offset to the first remaining
   * one. When that would include the active segment, a new empty active segment is rolled first
   * (Kafka never deletes the active segment). Returns how many were deleted.
   */
  deleteOldestSegments(count: number): number {
    this.ensureWritable()
    if (count <= 0) return 0
    if (count >= this.segments.length) {
      if (this.active().isEmpty) count = this.segments.length - 1
      else this.rollActive(false)
    }
    const n = Math.min(count, this.segments.length - 1)
    if (n <= 0) return 0
    const doomed = this.segments.slice(0, n)
    const next = this.segments[n] as LogSegment
    this.logStart = Math.max(this.logStart, next.baseOffset)
    this.segments = this.segments.slice(n)
    try {
      // Oldest first, each removal durable before the next: a power loss may keep any subset of
      // unsynced removals, and keeping a newer one while reverting an older one would leave a
      // hole in the middle of the log. This way it can only undo the newest: a smaller retention.
      for (const seg of doomed) {
        this.commit.forget(seg)
        const retired = seg.retire()
        this.io.syncDir(this.dir)
        for (const path of retired) this.removeInBackground(path)
      }
      // Snapshots of deleted segments can never be used again (rebuilds start at the first segment).
      this.producers.deleteSnapshots((offset) => offset < next.baseOffset)
    } catch (err) {
      this.failure = this.ioError('delete segment', err)
      throw this.failure
    }
    this.producers.state.evictBelow(this.logStart)
    return n
  }

  /**
   * Unlinks a retired file on the thread pool: freeing a GiB of page cache takes ~190 ms, too
   * long for the event loop. A failure is deliberately dropped: the file is already out of the
   * log under a `.deleted` name, and the next open removes such leftovers.
   */
  private removeInBackground(path: string): void {
    this.io.removeInBackground(path).catch(() => undefined)
  }

  /**
   * Moves the log start offset forward (Kafka DeleteRecords) and deletes segments that lie
   * wholly below it. Records below the new start are no longer readable.
   */
  advanceLogStartOffset(offset: number): void {
    this.ensureWritable()
    if (offset <= this.logStart) return
    if (offset > this.logEnd) {
      throw logError('LOG_OFFSET_OUT_OF_RANGE', `log start ${offset} beyond the log end ${this.logEnd}`, {
        ...this.ids(),
        offset,
      })
    }
    this.logStart = offset
    let n = 0
    while (n < this.segments.length - 1 && (this.segments[n + 1] as LogSegment).baseOffset <= offset) n++
    if (n > 0) this.deleteOldestSegments(n)
    else this.producers.state.evictBelow(offset)
  }

  // ---------------------------------------------------------------- idempotent producers

  /** The producer state of this partition (read-only use: describe, tests). */
  get producerState(): PartitionProducers['state'] {
    return this.producers.state
  }

  /**
   * Forgets producers that appended nothing for `expirationMs` and have no open transaction
   * (Kafka `producer.id.expiration.ms`); their next batch is accepted with any sequence.
   */
  expireProducers(nowMs: number, expirationMs: number): number {
    return this.producers.state.expire(nowMs, expirationMs)
  }

  // ---------------------------------------------------------------- compaction

  /**
   * Views of every segment but the active one, oldest first, for the cleaner. Synchronous, like
   * everything that touches the segment list, so the views are a consistent cut of the log.
   */
  inactiveSegments(): SegmentSnapshot[] {
    this.ensureReadable()
    return this.segments.slice(0, -1).map(
      (seg) =>
        new InactiveSegmentView(
          seg,
          (s, size) => !this.closed && !this.failure && s.sizeBytes === size && this.segments.includes(s) && s !== this.active(),
          (s, offset) => this.findPosition(s, offset),
        ),
    )
  }

  /**
   * Starts the cleaner's output segment `<baseOffset>.log.cleaned` (+ `.index.cleaned`,
   * `.timeindex.cleaned`), replacing leftovers of an earlier attempt. The caller owns it: it
   * either hands it to {@link replaceSegments} or discards it. Throws `LOG_IO_ERROR`; the log
   * itself is not failed by errors in files that are not part of it yet.
   */
  createCleanedSegment(baseOffset: number): CleanedSegment {
    this.ensureWritable()
    try {
      return new CleanedSegment(
        LogSegment.create(this.io, this.dir, baseOffset, this.segmentOptions(), this.clock.nowMs(), CLEANED_SUFFIX),
      )
    } catch (err) {
      throw this.ioError('create cleaned segment', err)
    }
  }

  /**
   * Swaps `cleaned` into the log in place of `replaced` — consecutive inactive segments, the
   * first with the cleaned segment's base offset, the last ending (`nextOffset`) where the
   * cleaned one ends. Synchronous, so appends and reads see either the old segments or the new
   * one; buffers returned by earlier reads are copies and stay valid. The file protocol
   * (`.cleaned` → `.swap` → live, each step recoverable after a crash) is
   * `swapInCleanedSegment`'s; `cleaned` is fsynced first when the caller did not await its
   * `sync()`.
   *
   * Returns `'stale'` (nothing done) when a replaced segment changed or left the log since its
   * view was taken, `'busy'` when one still has an fsync pending (flush, then retry). Throws
   * `LOG_IO_ERROR` when a file step fails — the log is then failed; reopening it completes or
   * discards the swap — and `LOG_CLOSED`.
   */
  replaceSegments(replaced: readonly SegmentSnapshot[], cleaned: CleanedSegment): SegmentReplaceOutcome {
    this.ensureWritable()
    const views = replaced.map((v) => {
      if (!(v instanceof InactiveSegmentView)) throw new TypeError('replaceSegments takes views from inactiveSegments()')
      return v
    })
    const first = views[0]
    const last = views[views.length - 1]
    if (first === undefined || last === undefined) return 'stale'
    const at = this.segments.indexOf(first.segment)
    if (at < 0) return 'stale'
    for (let i = 0; i < views.length; i++) {
      const view = views[i] as InactiveSegmentView
      if (this.segments[at + i] !== view.segment || !view.isCurrent()) return 'stale'
    }
    if (cleaned.baseOffset !== first.baseOffset || cleaned.nextOffset !== last.nextOffset) {
      // Recovery finds the replaced segments by the cleaned segment's offset range (see
      // swapInCleanedSegment), so a range mismatch would resurrect or lose segments after a crash.
      throw new RangeError(
        `cleaned segment [${cleaned.baseOffset}, ${cleaned.nextOffset}) does not cover [${first.baseOffset}, ${last.nextOffset})`,
      )
    }
    if (views.some((v) => this.commit.isPending(v.segment))) return 'busy'
    let seg: LogSegment
    try {
      cleaned.seal()
      swapInCleanedSegment(
        this.io,
        this.dir,
        cleaned.baseOffset,
        views.map((v) => v.baseOffset),
      )
      seg = LogSegment.open(this.io, this.dir, cleaned.baseOffset, this.segmentOptions(), this.clock.nowMs())
      if (!seg.loadIndexes()) {
        seg.rebuildIndexes()
        this.recoveryReport.rebuiltIndexes.push(seg.fileName)
      }
    } catch (err) {
      this.failure = this.ioError('segment swap', err)
      throw this.failure
    }
    this.segments.splice(at, views.length, seg)
    // Closing the last descriptor of an unlinked file frees its page cache synchronously (~25 ms
    // per 128 MiB here): left to releaseReplacedSegments, a slice at a time.
    this.replaced.push(...views.map((v) => v.segment))
    return 'replaced'
  }

  /**
   * Frees the files of segments that swaps replaced — unlinked already, so no reader can reach
   * them — by cutting at most `maxBytes` off them per call and closing them once empty: a file
   * system frees an unlinked file's pages when its last descriptor closes, synchronously, and
   * in bounded steps this never stalls the event loop for long. Returns true while some remain.
   */
  releaseReplacedSegments(maxBytes: number): boolean {
    const seg = this.replaced[0]
    if (seg === undefined) return false
    try {
      const size = seg.log.size()
      if (size > maxBytes) {
        seg.log.truncate(size - maxBytes)
        return true
      }
      this.replaced.shift()
      seg.close()
    } catch {
      // The file is unreachable already; a failed truncate or close only delays freeing its
      // space until the process exits. Stop trying for this one.
      this.replaced.shift()
    }
    return this.replaced.length > 0
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Flushes and closes every file. After a clean close the recovery point equals the log end, so
   * the broker can write its checkpoint and clean-shutdown marker.
   */
  close(): void {
    if (this.closed) return
    this.closed = true
    let durable = 0
    if (!this.failure) {
      try {
        this.active().onBecomeInactive()
        // Also the segments of an fsync still in flight (a group commit, the background flush of
        // a rolled segment): it may not complete before the process exits, and the clean-shutdown
        // marker written next would vouch for their unsynced tails.
        for (const seg of this.commit.pendingSegments()) if (this.segments.includes(seg)) seg.syncAllNow()
        this.active().syncAllNow()
        this.producers.writeSnapshot(this.logEnd)
        durable = this.logEnd
      } catch (err) {
        this.failure = this.ioError('close', err)
      }
    }
    this.commit.settleOnClose(durable, this.failure ?? this.closedError())
    this.appendWaiters.rejectAll(this.closedError())
    this.closeFiles()
    if (this.failure) throw this.failure
  }

  /** Closes and removes every file of the partition (topic deletion). */
  deleteFiles(): void {
    this.closed = true
    this.appendWaiters.rejectAll(this.closedError())
    this.closeFiles()
    // Kafka's `<topic>-<partition>.<id>-delete`: out of the way at once (a topic of the same
    // name can be created right away), removed in the background; the broker removes leftovers
    // of a crash on open. The caller fsyncs the data directory.
    const doomed = `${this.dir}.${randomBytes(6).toString('hex')}-delete`
    this.io.rename(this.dir, doomed)
    this.removeInBackground(doomed)
  }

  private closeFiles(): void {
    for (const seg of [...this.segments, ...this.replaced.splice(0)]) {
      try {
        seg.close()
      } catch {
        // Closing a descriptor cannot lose data that matters here; the first error was reported.
      }
    }
  }

  // ---------------------------------------------------------------- loading and recovery

  private load(options: PartitionLogOptions): void {
    const loaded = loadPartition(
      {
        io: this.io,
        dir: this.dir,
        topic: this.topic,
        partition: this.partition,
        nowMs: this.clock.nowMs(),
        segmentOptions: this.segmentOptions(),
        report: this.recoveryReport,
      },
      options,
    )
    this.segments = loaded.segments
    this.logStart = loaded.logStartOffset
    this.logEnd = loaded.logEndOffset
    this.commit.durableOffset = loaded.recoveryPoint
    const removedBefore = this.recoveryReport.cleanedUpFiles.length
    // Above the log end: data that is gone (a torn tail). Below the first segment: left by a
    // crash in the middle of a retention deletion; nothing can use them.
    const firstBase = (this.segments[0] as LogSegment).baseOffset
    const staleSnapshots = this.producers.deleteSnapshots((offset) => offset > this.logEnd || offset < firstBase)
    this.producers.rebuild(this.segments, this.logStart, this.logEnd, this.recoveryReport.cleanedUpFiles)
    if (staleSnapshots > 0 || this.recoveryReport.cleanedUpFiles.length > removedBefore) this.io.syncDir(this.dir)
  }

  // ---------------------------------------------------------------- helpers

  private active(): LogSegment {
    return this.segments[this.segments.length - 1] as LogSegment
  }

  private segmentOptions(): { indexIntervalBytes: number; maxIndexEntries: number } {
    return {
      indexIntervalBytes: this.config.indexIntervalBytes,
      maxIndexEntries: Math.max(1, Math.floor(this.config.segmentIndexBytes / 8)),
    }
  }

  private ids(): { topic: string; partition: number } {
    return { topic: this.topic, partition: this.partition }
  }

  private ensureReadable(): void {
    if (this.closed) throw this.closedError()
  }

  private ensureWritable(): void {
    if (this.closed) throw this.closedError()
    if (this.failure) throw this.failure
  }

  private closedError(): LogError {
    return logError('LOG_CLOSED', `${this.topic}-${this.partition} is closed`, this.ids())
  }

  private ioError(operation: string, cause: unknown): LogError {
    if (isMillraceError(cause) && cause.code.startsWith('LOG_')) return cause as LogError
    const code = (cause as NodeJS.ErrnoException | undefined)?.code
    return new MillraceError('LOG_IO_ERROR', `${operation} failed for ${this.topic}-${this.partition}: ${code ?? 'error'}`, {
      cause,
      retriable: code === 'ENOSPC',
      details: { ...this.ids(), operation, errno: code },
    })
  }
}

const EMPTY = new Uint8Array(0)

/** {@link SegmentSnapshot} over a live segment; `isLive` and `locate` are the owning log's checks. */
export { segmentFileName }
export type { SegmentReplaceOutcome, SegmentSnapshot }
