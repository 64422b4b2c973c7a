/**
 * The idempotent-producer side of a partition log: checks each client batch against the
 * {@link ProducerStateManager} before it is appended, records it after, and keeps the state's
 * `<offset>.snapshot` files (log-anchor §2.2).
 *
 * Snapshots follow Kafka: one at every segment roll (offset = the new segment's base) and one at
 * a clean close (offset = the log end). They are a cache of state derivable from the log, so they
 * are written without fsync: a snapshot lost or torn by a power cut fails its length or CRC check
 * and is deleted, and the state is rebuilt from an older snapshot (or from the log start) by
 * replaying batch headers. What must never happen is using a snapshot that describes data the
 * log no longer has: every snapshot above the log end is deleted at open and at truncation
 * (durably, before the truncated range can be rewritten).
 */
import { join } from 'node:path'
import { isMillraceError, logError } from '../errors.js'
import {
  BASE_SEQUENCE_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  attributesAt,
  baseSequenceAt,
  lastOffsetDeltaAt,
  producerEpochAt,
  producerIdAt,
  CONTROL_FLAG_MASK,
  TRANSACTIONAL_FLAG_MASK,
} from '../record/record-batch-v2.js'
import { readInt32At } from '../binary/reader.js'
import { ATOMIC_TEMP_SUFFIX, readFileFully } from './atomic-file.js'
import { BatchHeaderCursor } from './batch-scan.js'
import type { FileIO } from './file-io.js'
import { PRODUCER_SNAPSHOT_SUFFIX, decodeProducerSnapshot, encodeProducerSnapshot } from './producer-snapshot.js'
import {
  ProducerStateManager,
  incrementSequence,
  type CompletedTxn,
  type PartitionIds,
  type ProducerBatchInfo,
  type ProducerBatchMetadata,
} from './producer-state.js'
import { parseSegmentFileName, segmentFileName, type LogSegment } from './segment.js'
import { RecordBatch } from '../record/record-batch.js'
import { readControlRecord } from '../record/control-record.js'

/** True when the batch at `pos` carries a producer id (Kafka `hasProducerId`: id > −1). */
export function hasProducerIdAt(buf: Uint8Array, pos: number): boolean {
  // The high word's sign decides: −1 (no producer) and every other negative id have it set.
  return readInt32At(buf, pos + PRODUCER_ID_OFFSET) >= 0
}

/** The producer fields of the batch at `pos`, validated as Kafka's LogValidator does. */
export function producerBatchInfoAt(buf: Uint8Array, pos: number, ids: PartitionIds): ProducerBatchInfo {
  const producerId = producerIdAt(buf, pos)
  const epoch = producerEpochAt(buf, pos)
  const firstSeq = baseSequenceAt(buf, pos)
  if (epoch < 0 || firstSeq < 0) {
    throw logError(
      'LOG_INVALID_RECORD',
      `batch of producer ${producerId} for ${ids.topic}-${ids.partition} has epoch ${epoch} and base sequence ${firstSeq}`,
      { ...ids, producerId, epoch, sequence: firstSeq, position: pos + (epoch < 0 ? PRODUCER_EPOCH_OFFSET : BASE_SEQUENCE_OFFSET) },
    )
  }
  return {
    producerId,
    epoch,
    firstSeq,
    lastSeq: incrementSequence(firstSeq, lastOffsetDeltaAt(buf, pos)),
    isTransactional: (attributesAt(buf, pos) & TRANSACTIONAL_FLAG_MASK) !== 0,
  }
}

/** The producer state of one partition and its snapshot files (see the file comment). */
export class PartitionProducers {
  readonly state: ProducerStateManager

  constructor(
    private readonly io: FileIO,
    private readonly dir: string,
    private readonly ids: PartitionIds,
  ) {
    this.state = new ProducerStateManager(ids)
  }

  /**
   * Checks the client batch at `pos` (the only batch of its append); returns its producer fields
   * and, when it duplicates a retained batch, that batch. @throws as
   * {@link ProducerStateManager.checkClientBatch}, and `LOG_INVALID_RECORD` for a negative epoch
   * or sequence.
   */
  check(buf: Uint8Array, pos: number): { info: ProducerBatchInfo; duplicate: ProducerBatchMetadata | undefined } {
    const info = producerBatchInfoAt(buf, pos, this.ids)
    return { info, duplicate: this.state.checkClientBatch(info) }
  }

  /** Whether the producer has an open transaction in this partition. */
  hasOpenTransaction(producerId: bigint): boolean {
    return (this.state.findEntry(producerId)?.currentTxnFirstOffset ?? -1) >= 0
  }

  /** Records an appended batch (offsets assigned). */
  appended(info: ProducerBatchInfo, firstOffset: number, lastOffset: number, timestampMs: number): void {
    this.state.applyBatch(info, firstOffset, lastOffset, timestampMs)
  }

  // ---------------------------------------------------------------- snapshots

  /** Writes `<offset>.snapshot` (temp file + rename, no fsync: see the file comment). */
  writeSnapshot(offset: number): void {
    const path = join(this.dir, segmentFileName(offset, PRODUCER_SNAPSHOT_SUFFIX))
    const temp = path + ATOMIC_TEMP_SUFFIX
    const file = this.io.open(temp, { create: true })
    try {
      file.truncate(0)
      file.append(encodeProducerSnapshot(this.state.toSnapshot()))
    } finally {
      file.close()
    }
    this.io.rename(temp, path)
  }

  /** Offsets of the snapshot files in the directory, ascending. */
  snapshotOffsets(): number[] {
    const out: number[] = []
    for (const name of this.io.list(this.dir)) {
      const parsed = parseSegmentFileName(name)
      if (parsed?.suffix === PRODUCER_SNAPSHOT_SUFFIX) out.push(parsed.baseOffset)
    }
    return out.sort((a, b) => a - b)
  }

  /** Deletes snapshots with an offset above `offset` (or below it, with `below`). Returns how many. */
  deleteSnapshots(predicate: (offset: number) => boolean): number {
    let n = 0
    for (const offset of this.snapshotOffsets()) {
      if (!predicate(offset)) continue
      this.io.remove(join(this.dir, segmentFileName(offset, PRODUCER_SNAPSHOT_SUFFIX)))
      n++
    }
    return n
  }

  // ---------------------------------------------------------------- rebuilding

  /**
   * Rebuilds the state for a log holding `segments` with the given start and end: deletes
   * snapshots above the log end, loads the newest snapshot that decodes, replays the batches from
   * its offset to the log end, and drops producers with no data left at or after the log start.
   * Corrupt snapshots are deleted (their names go to `removed`). The caller syncs the directory.
   */
  rebuild(segments: readonly LogSegment[], logStartOffset: number, logEndOffset: number, removed: string[]): void {
    this.state.clear()
    this.deleteSnapshots((offset) => offset > logEndOffset)
    let from = segments[0]?.baseOffset ?? logStartOffset
    // A segment whose aborted-transaction index recovery emptied is replayed from its start.
    const firstStale = segments.find((seg) => seg.txnIndexStale)
    const latestUsable = firstStale === undefined ? logEndOffset : firstStale.baseOffset
    const candidates = this.snapshotOffsets().filter((offset) => offset >= from && offset <= latestUsable)
    for (let i = candidates.length - 1; i >= 0; i--) {
      const offset = candidates[i] as number
      const name = segmentFileName(offset, PRODUCER_SNAPSHOT_SUFFIX)
      try {
        const bytes = readFileFully(this.io, join(this.dir, name))
        if (bytes === undefined) continue
        this.state.loadSnapshot(decodeProducerSnapshot(bytes, join(this.dir, name)))
        from = offset
        break
      } catch (err) {
        if (!isMillraceError(err, 'LOG_CORRUPT_BATCH')) throw err
        // reason: a snapshot is a cache; a torn one is discarded and the log replayed instead.
        this.io.remove(join(this.dir, name))
        removed.push(name)
      }
    }
    this.replay(segments, from, logEndOffset)
    // The rebuilt entries become durable now: the caller checkpoints the recovery point next, and
    // a segment below it is trusted with whatever index it has on disk.
    let rebuilt = false
    for (const seg of segments) {
      if (!seg.txnIndexStale) continue
      if (seg.hasTxnIndex()) seg.txnIndex().syncNow()
      seg.txnIndexStale = false
      rebuilt = true
    }
    // An index file the replay created must survive too.
    if (rebuilt) this.io.syncDir(this.dir)
    this.state.evictBelow(logStartOffset)
  }

  /** Applies the data batches of `segments` in [from, to) to the state (no client checks). */
  private replay(segments: readonly LogSegment[], from: number, to: number): void {
    for (const seg of segments) {
      if (seg.nextOffset <= from || seg.baseOffset >= to) continue
      const cursor = new BatchHeaderCursor(seg.log, 0, seg.sizeBytes)
      for (; cursor.next(); cursor.advance()) {
        if (cursor.lastOffset < from) continue
        if (cursor.baseOffset >= to) break
        const header = cursor.header()
        if (!hasProducerIdAt(header, 0)) continue
        if ((attributesAt(header, 0) & CONTROL_FLAG_MASK) !== 0) {
          this.replayMarker(seg, cursor)
          continue
        }
        const info = producerBatchInfoAt(header, 0, this.ids)
        this.state.applyBatch(info, cursor.baseOffset, cursor.lastOffset, cursor.maxTimestamp)
      }
    }
  }

  /** A marker met in replay: the same transition as {@link marked}, and its index entry when the segment's index was emptied. */
  private replayMarker(seg: LogSegment, cursor: BatchHeaderCursor): void {
    const bytes = Buffer.allocUnsafe(cursor.size)
    if (seg.log.read(bytes, 0, cursor.size, cursor.position) !== cursor.size) return
    const marker = markerOf(bytes, 0)
    if (marker === undefined) return
    const completed = this.state.applyMarker(marker.producerId, marker.epoch, marker.coordinatorEpoch, cursor.baseOffset, cursor.maxTimestamp)
    if (completed !== undefined && marker.type === 'ABORT' && seg.txnIndexStale) {
      seg.txnIndex().append({ ...completed, lastStableOffset: this.state.firstUnstableOffset() ?? cursor.lastOffset + 1 })
    }
  }

  // ---------------------------------------------------------------- transaction markers

  /**
   * Checks the control batch at `pos` (alone in its append) before it is written; returns its
   * marker, `undefined` for a control record of an unknown type (kept, but without effect).
   * @throws as {@link ProducerStateManager.checkMarker}; `LOG_CORRUPT_BATCH` for a malformed marker.
   */
  checkMarker(buf: Uint8Array, pos: number): TxnMarker | undefined {
    const marker = markerOf(buf, pos)
    if (marker !== undefined) this.state.checkMarker(marker.producerId, marker.epoch, marker.coordinatorEpoch)
    return marker
  }

  /**
   * Applies an appended marker; returns the transaction it aborted (for the caller's
   * aborted-transaction index, with the LSO after it), `undefined` for a commit or when no
   * transaction was open.
   */
  marked(marker: TxnMarker, markerOffset: number, timestampMs: number): CompletedTxn | undefined {
    const completed = this.state.applyMarker(marker.producerId, marker.epoch, marker.coordinatorEpoch, markerOffset, timestampMs)
    return marker.type === 'ABORT' ? completed : undefined
  }
}

/** A COMMIT or ABORT marker and whose transaction it ends. */
export interface TxnMarker {
  type: 'COMMIT' | 'ABORT'
  producerId: bigint
  epoch: number
  coordinatorEpoch: number
}

/** The marker of the control batch at `pos`; `undefined` for a control record of unknown type. */
function markerOf(buf: Uint8Array, pos: number): TxnMarker | undefined {
  const batch = new RecordBatch(buf, pos)
  const record = readControlRecord(batch)
  if (record.type === 'UNKNOWN') return undefined
  return { type: record.type, producerId: batch.producerId, epoch: batch.producerEpoch, coordinatorEpoch: record.coordinatorEpoch }
}
