/**
 * Which batches and records survive a cleaning round (Kafka `Cleaner.cleanInto`'s
 * `RecordFilter`, `shouldRetainRecord`, and `MemoryRecords.filterTo`), given the round's
 * key → latest offset map:
 *
 * - Batches starting at or beyond the round's upper bound (past the map's range) and control
 *   batches (transaction markers; their removal belongs to the transactions layer) are kept
 *   byte for byte.
 * - A record is kept iff it has a key, no later record of that key is in the map
 *   (`offset ≥ map[key]`), and, for a tombstone, its batch's delete horizon has not passed.
 * - A batch keeping every record, and not needing a delete horizon, is copied byte for byte;
 *   otherwise it is re-encoded with its original offsets (`retained-batch.ts`). The first
 *   re-encoding that keeps a tombstone stamps `deleteHorizonMs = now + delete.retention.ms`
 *   (KIP-534); a stamped horizon is never moved.
 * - A batch that loses every record is dropped, unless the caller must retain it (the last batch
 *   of the round, or of an output segment): then its header is kept with no records.
 */
import type { LogRecord } from '../record/log-record.js'
import type { RecordBatch } from '../record/record-batch.js'
import type { KeyOffsetMap } from './key-offset-map.js'
import { encodeEmptyBatch, encodeRetainedBatch } from './retained-batch.js'

export interface CompactionFilterOptions {
  offsetMap: KeyOffsetMap
  /** Batches whose base offset is at or above this are past the map's range: kept as they are. */
  upperBoundOffset: number
  nowMs: number
  deleteRetentionMs: number
}

export class CompactionFilter {
  /** Smallest delete horizon of a batch that still holds a tombstone after filtering. */
  earliestDeleteHorizonMs: number | undefined
  recordsRead = 0
  recordsRetained = 0
  private readonly kept: LogRecord[] = []

  constructor(private readonly options: CompactionFilterOptions) {}

  /**
   * The bytes to write for `batch`, or undefined to drop it. A returned view may share `batch`'s
   * bytes. `mustRetain` keeps an emptied batch as a header.
   */
  filter(batch: RecordBatch, mustRetain: boolean): Uint8Array | undefined {
    const { offsetMap, nowMs } = this.options
    if (batch.baseOffset >= this.options.upperBoundOffset || batch.isControl) {
      this.noteHorizon(batch.deleteHorizonMs, batch.recordsCount > 0)
      return batch.bytes()
    }
    const horizon = batch.deleteHorizonMs
    const tombstonesExpired = horizon !== undefined && nowMs >= horizon
    const kept = this.kept
    kept.length = 0
    let total = 0
    let keptTombstone = false
    batch.forEachRecord((record) => {
      total++
      if (record.keySize < 0) return // invalid on a compacted topic: dropped (Kafka counts it)
      if (offsetMap.get(record.key as Uint8Array) > record.offset) return // a later record has this key
      if (record.valueSize < 0) {
        if (tombstonesExpired) return
        keptTombstone = true
      }
      kept.push(record)
    })
    this.recordsRead += total
    this.recordsRetained += kept.length
    if (kept.length === 0) {
      if (!mustRetain) return undefined
      return total === 0 ? batch.bytes() : encodeEmptyBatch(batch)
    }
    const newHorizon = horizon ?? (keptTombstone ? nowMs + this.options.deleteRetentionMs : undefined)
    this.noteHorizon(newHorizon, keptTombstone)
    if (kept.length === total && newHorizon === horizon) return batch.bytes()
    return encodeRetainedBatch(batch, kept, newHorizon)
  }

  private noteHorizon(horizonMs: number | undefined, holdsTombstones: boolean): void {
    if (horizonMs === undefined || !holdsTombstones) return
    if (this.earliestDeleteHorizonMs === undefined || horizonMs < this.earliestDeleteHorizonMs) {
      this.earliestDeleteHorizonMs = horizonMs
    }
  }
}
