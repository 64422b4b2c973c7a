/**
 * Idempotent-producer state of one partition (Kafka `ProducerStateManager` + `ProducerAppendInfo`,
 * log-anchor §3): per producer id its epoch and the metadata of its last 5 batches, so that a
 * retried batch is recognised and acknowledged with its original offsets, and a gap or reorder in
 * the sequence numbers is refused.
 *
 * The state is derived data: the log is the source of truth. Appends update it; opening a
 * partition rebuilds it from the newest valid snapshot plus a replay of the batches after it
 * (`partition-producers.ts`). Replay applies exactly the transitions of the append path, minus
 * the client checks — Kafka's rule, so rebuilt and live state never differ.
 *
 * One writer: driven by the partition's single writer.
 */
import { logError } from '../errors.js'
import type { ProducerSnapshotEntry } from './producer-snapshot.js'

/** Kafka `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`, matching `max.in.flight.requests ≤ 5`. */
export const NUM_BATCHES_TO_RETAIN = 5
/** Kafka `RecordBatch.NO_SEQUENCE` / `NO_PRODUCER_EPOCH`. */
export const NO_SEQUENCE = -1
export const NO_PRODUCER_EPOCH = -1
const INT32_MAX = 0x7fff_ffff

/** Where a retained batch sits: its sequence range and offsets. */
export interface ProducerBatchMetadata {
  readonly firstSeq: number
  readonly lastSeq: number
  readonly firstOffset: number
  readonly lastOffset: number
  /** The batch's max timestamp (the log append time on LogAppendTime topics). */
  readonly timestampMs: number
}

/** A transaction a marker closed in this partition: from its first batch to the marker. */
export interface CompletedTxn {
  readonly producerId: bigint
  readonly firstOffset: number
  /** The marker's offset. */
  readonly lastOffset: number
}

/** The producer fields of one data batch, as its header states them. */
export interface ProducerBatchInfo {
  producerId: bigint
  epoch: number
  firstSeq: number
  lastSeq: number
  isTransactional: boolean
}

/** One producer's state in one partition. */
export class ProducerStateEntry {
  readonly producerId: bigint
  epoch = NO_PRODUCER_EPOCH
  /** Oldest first, at most {@link NUM_BATCHES_TO_RETAIN}. */
  readonly batches: ProducerBatchMetadata[] = []
  lastTimestampMs = -1
  coordinatorEpoch = -1
  /** First offset of the producer's open transaction in this partition, −1 when none. */
  currentTxnFirstOffset = -1

  constructor(producerId: bigint) {
    this.producerId = producerId
  }

  get lastSeq(): number {
    const last = this.batches[this.batches.length - 1]
    return last === undefined ? NO_SEQUENCE : last.lastSeq
  }

  get lastOffset(): number {
    const last = this.batches[this.batches.length - 1]
    return last === undefined ? -1 : last.lastOffset
  }

  /** The retained batch with exactly this epoch and sequence range (Kafka `findDuplicateBatch`). */
  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): ProducerBatchMetadata | undefined {
    if (epoch !== this.epoch) return undefined
    const batches = this.batches
    for (let i = batches.length - 1; i >= 0; i--) {
      const b = batches[i] as ProducerBatchMetadata
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b
    }
    return undefined
  }

  /** Records a batch; a new epoch starts an empty window (Kafka `maybeUpdateProducerEpoch`). */
  addBatch(epoch: number, batch: ProducerBatchMetadata): void {
    if (epoch !== this.epoch) {
      this.epoch = epoch
      this.batches.length = 0
    }
    this.batches.push(batch)
    if (this.batches.length > NUM_BATCHES_TO_RETAIN) this.batches.shift()
    this.lastTimestampMs = batch.timestampMs
  }
}

/** Kafka `DefaultRecordBatch.incrementSequence`: sequences wrap from 2^31 − 1 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1
  return sequence + increment
}

/** Kafka `DefaultRecordBatch.decrementSequence`: the inverse of {@link incrementSequence}. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1
  return sequence - decrement
}

/** `next` directly follows `last` (Kafka `inSequence`). */
function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX)
}

/** Identifies the partition in errors. */
export interface PartitionIds {
  topic: string
  partition: number
}

/** The producer states of one partition (see the file comment). */
export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerStateEntry>()
  /**
   * The entry of the last batch applied: a partition usually hears from one producer at a time,
   * and comparing two bigints is much cheaper than hashing one for the map.
   */
  private lastEntry: ProducerStateEntry | undefined
  /**
   * Open transactions: first offset → producer id. Appends are sequential, so insertion order is
   * offset order and the first key is the partition's first unstable offset (O(1) LSO).
   */
  private readonly ongoing = new Map<number, bigint>()

  constructor(private readonly ids: PartitionIds) {}

  get size(): number {
    return this.producers.size
  }

  /** First offset of the oldest open transaction; `undefined` when none is open. */
  firstUnstableOffset(): number | undefined {
    for (const first of this.ongoing.keys()) return first
    return undefined
  }

  /** Open transactions, oldest first. */
  ongoingTransactions(): Array<{ producerId: bigint; firstOffset: number }> {
    return [...this.ongoing].map(([firstOffset, producerId]) => ({ producerId, firstOffset }))
  }

  findEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId)
  }

  private entryOf(producerId: bigint): ProducerStateEntry | undefined {
    const last = this.lastEntry
    if (last !== undefined && last.producerId === producerId) return last
    return this.producers.get(producerId)
  }

  /** All entries, in insertion order. */
  entries(): ProducerStateEntry[] {
    return [...this.producers.values()]
  }

  /**
   * Checks a batch a client appends (Kafka `checkProducerEpoch` + `checkSequence`); returns the
   * retained batch when this one is a duplicate of it (to be acknowledged with its offsets, not
   * appended), `undefined` when it may be appended.
   * @throws `LOG_INVALID_PRODUCER_EPOCH` for an epoch older than the producer's current one;
   *   `LOG_OUT_OF_ORDER_SEQUENCE` for a sequence that does not follow the last one (or, after an
   *   epoch bump, does not start at 0).
   */
  checkClientBatch(info: ProducerBatchInfo): ProducerBatchMetadata | undefined {
    const entry = this.entryOf(info.producerId)
    if (entry === undefined) return undefined // unknown (new, expired or retained away): any sequence
    const duplicate = entry.findDuplicate(info.epoch, info.firstSeq, info.lastSeq)
    if (duplicate !== undefined) return duplicate
    if (info.epoch < entry.epoch) {
      throw logError(
        'LOG_INVALID_PRODUCER_EPOCH',
        `producer ${info.producerId} wrote with epoch ${info.epoch} to ${this.ids.topic}-${this.ids.partition}, older than its epoch ${entry.epoch}`,
        { ...this.ids, producerId: info.producerId, epoch: info.epoch, sequence: info.firstSeq },
      )
    }
    if (info.epoch !== entry.epoch) {
      // A bumped epoch starts its sequences over.
      if (info.firstSeq !== 0 && entry.epoch !== NO_PRODUCER_EPOCH) throw this.outOfOrder(info, entry, 'a new epoch must start at sequence 0')
      return undefined
    }
    if (!inSequence(entry.lastSeq, info.firstSeq)) throw this.outOfOrder(info, entry, `expected sequence ${incrementSequence(entry.lastSeq, 1)}`)
    if (!info.isTransactional && entry.currentTxnFirstOffset >= 0) {
      throw logError(
        'LOG_INVALID_TXN_STATE',
        `producer ${info.producerId} sent a non-transactional batch to ${this.ids.topic}-${this.ids.partition} while its transaction is open`,
        { ...this.ids, producerId: info.producerId, epoch: info.epoch },
      )
    }
    return undefined
  }

  /**
   * Checks a COMMIT/ABORT marker before it is appended (Kafka `appendEndTxnMarker`'s checks).
   * @throws `LOG_INVALID_PRODUCER_EPOCH` for an epoch older than the producer's;
   *   `LOG_TRANSACTION_COORDINATOR_FENCED` for an older coordinator epoch than the last marker's.
   */
  checkMarker(producerId: bigint, epoch: number, coordinatorEpoch: number): void {
    const entry = this.entryOf(producerId)
    if (entry === undefined) return
    const details = { ...this.ids, producerId, epoch, coordinatorEpoch }
    if (epoch < entry.epoch) {
      throw logError('LOG_INVALID_PRODUCER_EPOCH', `marker of producer ${producerId} has epoch ${epoch}, older than ${entry.epoch}`, details)
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      throw logError(
        'LOG_TRANSACTION_COORDINATOR_FENCED',
        `marker of producer ${producerId} comes from coordinator epoch ${coordinatorEpoch}, older than ${entry.coordinatorEpoch}`,
        details,
      )
    }
  }

  /**
   * Applies an appended marker: closes the producer's open transaction, if any, and returns it
   * (its first offset and the marker's offset) — `undefined` when none was open. The marker's
   * epoch becomes the producer's (a bump empties the dedup window: sequences restart at 0).
   */
  applyMarker(producerId: bigint, epoch: number, coordinatorEpoch: number, markerOffset: number, timestampMs: number): CompletedTxn | undefined {
    let entry = this.entryOf(producerId)
    if (entry === undefined) {
      entry = new ProducerStateEntry(producerId)
      this.producers.set(producerId, entry)
    }
    this.lastEntry = entry
    if (epoch !== entry.epoch) {
      entry.epoch = epoch
      entry.batches.length = 0
    }
    entry.coordinatorEpoch = coordinatorEpoch
    entry.lastTimestampMs = timestampMs
    const firstOffset = entry.currentTxnFirstOffset
    if (firstOffset < 0) return undefined
    entry.currentTxnFirstOffset = -1
    this.ongoing.delete(firstOffset)
    return { producerId, firstOffset, lastOffset: markerOffset }
  }

  /** Applies an appended data batch (append path and replay alike). */
  applyBatch(info: ProducerBatchInfo, firstOffset: number, lastOffset: number, timestampMs: number): void {
    let entry = this.entryOf(info.producerId)
    if (entry === undefined) {
      entry = new ProducerStateEntry(info.producerId)
      this.producers.set(info.producerId, entry)
    }
    this.lastEntry = entry
    entry.addBatch(info.epoch, { firstSeq: info.firstSeq, lastSeq: info.lastSeq, firstOffset, lastOffset, timestampMs })
    if (info.isTransactional && entry.currentTxnFirstOffset < 0) {
      entry.currentTxnFirstOffset = firstOffset
      this.ongoing.set(firstOffset, info.producerId)
    }
  }

  /**
   * Drops producers with no data at or after `logStartOffset` (Kafka `truncateHead`): retention
   * or `deleteRecords` removed every batch they had. Returns how many were dropped.
   */
  evictBelow(logStartOffset: number): number {
    let n = 0
    for (const [id, entry] of this.producers) {
      if (entry.currentTxnFirstOffset < 0 && (entry.batches.length === 0 || entry.lastOffset < logStartOffset)) {
        if (entry === this.lastEntry) this.lastEntry = undefined
        this.producers.delete(id)
        n++
      }
    }
    return n
  }

  /**
   * Drops producers that wrote nothing for `expirationMs` and have no open transaction (Kafka
   * `producer.id.expiration.ms`). Returns how many were dropped.
   */
  expire(nowMs: number, expirationMs: number): number {
    let n = 0
    for (const [id, entry] of this.producers) {
      if (entry.currentTxnFirstOffset < 0 && nowMs - entry.lastTimestampMs >= expirationMs) {
        if (entry === this.lastEntry) this.lastEntry = undefined
        this.producers.delete(id)
        n++
      }
    }
    return n
  }

  clear(): void {
    this.producers.clear()
    this.ongoing.clear()
    this.lastEntry = undefined
  }

  /** The state as snapshot rows: each producer's last batch only (as Kafka writes it). */
  toSnapshot(): ProducerSnapshotEntry[] {
    return this.entries().map((e) => {
      const last = e.batches[e.batches.length - 1]
      return {
        producerId: e.producerId,
        epoch: e.epoch,
        lastSequence: last === undefined ? NO_SEQUENCE : last.lastSeq,
        lastOffset: last === undefined ? -1 : last.lastOffset,
        offsetDelta: last === undefined ? 0 : last.lastOffset - last.firstOffset,
        timestampMs: last === undefined ? e.lastTimestampMs : last.timestampMs,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnFirstOffset: e.currentTxnFirstOffset,
      }
    })
  }

  /** Replaces the state with a snapshot's rows. */
  loadSnapshot(rows: readonly ProducerSnapshotEntry[]): void {
    this.clear()
    for (const row of rows) {
      const entry = new ProducerStateEntry(row.producerId)
      entry.epoch = row.epoch
      entry.coordinatorEpoch = row.coordinatorEpoch
      entry.currentTxnFirstOffset = row.currentTxnFirstOffset
      entry.lastTimestampMs = row.timestampMs
      if (row.lastOffset >= 0) {
        const firstOffset = row.lastOffset - row.offsetDelta
        const firstSeq = row.lastSequence < 0 ? NO_SEQUENCE : decrementSequence(row.lastSequence, row.offsetDelta)
        entry.batches.push({ firstSeq, lastSeq: row.lastSequence, firstOffset, lastOffset: row.lastOffset, timestampMs: row.timestampMs })
      }
      this.producers.set(row.producerId, entry)
    }
    const open = rows.filter((r) => r.currentTxnFirstOffset >= 0).sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset)
    for (const row of open) this.ongoing.set(row.currentTxnFirstOffset, row.producerId)
  }

  private outOfOrder(info: ProducerBatchInfo, entry: ProducerStateEntry, why: string): Error {
    return logError(
      'LOG_OUT_OF_ORDER_SEQUENCE',
      `producer ${info.producerId} (epoch ${info.epoch}) sent sequence ${info.firstSeq} to ${this.ids.topic}-${this.ids.partition} after ${entry.lastSeq}: ${why}`,
      { ...this.ids, producerId: info.producerId, epoch: info.epoch, sequence: info.firstSeq, lastSequence: entry.lastSeq },
    )
  }
}
