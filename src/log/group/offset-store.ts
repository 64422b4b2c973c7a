/**
 * Committed offsets and group metadata kept in `__consumer_offsets` (log-anchor §5.6–5.7): the
 * compacted log is the truth, an in-memory cache serves fetches.
 *
 * Every change is one record batch (Kafka's records, key v1/v2, compression none) appended to the
 * group's partition (`partitionForGroup`), made durable, and only then applied to the cache.
 * Appends happen synchronously in call order; the cache applies them in the same order even when
 * their fsyncs complete together (a per-partition apply chain), so the cache always equals a
 * replay of the log. One writer per partition: this store.
 *
 * Opening replays each partition from its log start (latest record per key wins; tombstones
 * delete). A partition that cannot be read keeps its error, and every operation on a group of
 * that partition raises it — offsets are never silently lost.
 */
import { logError, type LogError } from '../errors.js'
import { isMillraceError } from '../errors.js'
import { encodeRecordBatch } from '../record/batch-builder.js'
import { readControlRecord } from '../record/control-record.js'
import type { RecordBatch } from '../record/record-batch.js'
import { replayPartition } from '../internal-topic-replay.js'
import { incrementSequence } from '../storage/producer-state.js'
import type { StoredOffset } from './coordinator-api.js'
import { CONSUMER_OFFSETS_TOPIC, type OffsetsLog } from './offsets-log.js'
import {
  decodeConsumerOffsetsRecord,
  encodeGroupMetadataRecord,
  encodeOffsetCommitRecord,
  partitionForGroup,
  type EncodedConsumerOffsetsRecord,
  type GroupMetadataValue,
} from './offsets-schema/index.js'

/** What a replayed GroupMetadata record leaves of a group: members are never restored. */
export interface LoadedGroup {
  readonly protocolType: string
  readonly generationId: number
  readonly protocolName: string | undefined
}

export interface OffsetToStore {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly metadata: string
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** Offsets a transaction wrote to one `__consumer_offsets` partition, applied when its marker arrives. */
interface PendingTxnOffsets {
  /** The producer epoch of the transaction (one transaction per epoch: KIP-890). */
  epoch: number
  /** Base sequence of the next batch this store writes for the producer here. */
  nextSequence: number
  /** group → offsets, latest per partition. */
  readonly byGroup: Map<string, Map<string, StoredOffset>>
}

export class OffsetStore {
  private readonly offsetsByGroup = new Map<string, Map<string, StoredOffset>>()
  /** `__consumer_offsets` partition → producer id → offsets pending in its open transaction. */
  private readonly pending = new Map<number, Map<bigint, PendingTxnOffsets>>()
  private readonly loadErrors = new Map<number, LogError>()
  /** Per partition: resolves when every write issued so far has been applied (never rejects). */
  private readonly applyTails = new Map<number, Promise<unknown>>()
  private partitions: number

  /** `configuredPartitions` is used only when `__consumer_offsets` does not exist yet. */
  constructor(
    private readonly log: OffsetsLog,
    configuredPartitions: number,
  ) {
    this.partitions = log.offsetsTopicPartitions() ?? configuredPartitions
  }

  /**
   * Replays every partition of `__consumer_offsets` (when it exists) into the offset cache and
   * returns the groups whose latest GroupMetadata record is not a tombstone. A partition that
   * fails keeps its error for {@link checkReadable}.
   */
  async load(): Promise<Map<string, LoadedGroup>> {
    const groups = new Map<string, LoadedGroup>()
    if (this.log.offsetsTopicPartitions() === undefined) return groups
    for (let partition = 0; partition < this.partitions; partition++) {
      try {
        await this.replay(partition, groups)
      } catch (err) {
        if (!isMillraceError(err) || !err.code.startsWith('LOG_')) throw err
        this.loadErrors.set(partition, err as LogError)
      }
    }
    return groups
  }

  /** The `__consumer_offsets` partition holding `groupId`. */
  partitionOf(groupId: string): number {
    return partitionForGroup(groupId, this.partitions)
  }

  /** The group's partition, creating `__consumer_offsets` first when it does not exist. */
  ensurePartitionOf(groupId: string): number {
    this.partitions = this.log.ensureOffsetsTopic(this.partitions)
    return this.partitionOf(groupId)
  }

  /** @throws the load error of the group's partition (`LOG_CORRUPT_BATCH`, `LOG_CORRUPT_SEGMENT`, …). */
  checkReadable(groupId: string): void {
    const err = this.loadErrors.get(this.partitionOf(groupId))
    if (err) throw err
  }

  /** @throws the first partition load error, if any: a listing would be incomplete. */
  checkAllReadable(): void {
    const first = this.loadErrors.values().next()
    if (first.done !== true) throw first.value
  }

  /** Partitions of a user topic. @throws `LOG_UNKNOWN_TOPIC`. */
  partitionCountOf(topic: string): number {
    return this.log.partitionCount(topic)
  }

  hasOffsets(groupId: string): boolean {
    return (this.offsetsByGroup.get(groupId)?.size ?? 0) > 0
  }

  /** Groups that have committed offsets. */
  groupsWithOffsets(): string[] {
    return [...this.offsetsByGroup.keys()]
  }

  /** The group's offsets, ordered by topic then partition; `filter` keeps only those partitions. */
  fetch(groupId: string, filter?: ReadonlyArray<{ topic: string; partition: number }>): StoredOffset[] {
    const byTp = this.offsetsByGroup.get(groupId)
    if (!byTp) return []
    const found =
      filter === undefined
        ? [...byTp.values()]
        : filter.map((tp) => byTp.get(tpKey(tp.topic, tp.partition))).filter((o): o is StoredOffset => o !== undefined)
    return found.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  }

  /** Writes one batch of OffsetCommit records, durably, then caches them. Callers validated them. */
  commit(groupId: string, offsets: readonly OffsetToStore[]): Promise<void> {
    const commitTimestampMs = this.log.clock.nowMs()
    const records = offsets.map((o) =>
      encodeOffsetCommitRecord(
        { group: groupId, topic: o.topic, partition: o.partition },
        { offset: o.offset, metadata: o.metadata, commitTimestampMs },
      ),
    )
    return this.write(groupId, records, () => {
      for (const o of offsets) this.setOffset(groupId, { ...o, commitTimestampMs })
    })
  }

  /**
   * Kafka TxnOffsetCommit: writes the offsets as a transactional batch of the producer (its id and
   * epoch; sequences kept here per producer and partition), durably; they stay pending — not
   * fetched — until the transaction's marker reaches the partition ({@link completeTransaction}).
   * @throws (rejects) `LOG_INVALID_PRODUCER_EPOCH` when the partition saw a newer epoch (a zombie).
   */
  commitTransactional(groupId: string, producerId: bigint, producerEpoch: number, offsets: readonly OffsetToStore[]): Promise<void> {
    const commitTimestampMs = this.log.clock.nowMs()
    const records = offsets.map((o) =>
      encodeOffsetCommitRecord(
        { group: groupId, topic: o.topic, partition: o.partition },
        { offset: o.offset, metadata: o.metadata, commitTimestampMs },
      ),
    )
    this.partitions = this.log.ensureOffsetsTopic(this.partitions)
    const partition = this.partitionOf(groupId)
    const txn = this.pendingOf(partition, producerId, producerEpoch)
    const baseSequence = txn.nextSequence
    txn.nextSequence = incrementSequence(baseSequence, records.length)
    return this.write(
      groupId,
      records,
      () => {
        for (const o of offsets) this.setPending(txn, groupId, { ...o, commitTimestampMs })
      },
      { producerId, producerEpoch, baseSequence, isTransactional: true },
    ).catch((err: unknown) => {
      // Nothing was appended: the sequence is free again, unless a later write took the next one.
      if (txn.nextSequence === incrementSequence(baseSequence, records.length)) txn.nextSequence = baseSequence
      throw err
    })
  }

  /**
   * A COMMIT/ABORT marker of `producerId` reached `partition`: its pending offsets become the
   * committed ones (commit) or are dropped (abort).
   */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): void {
    const byProducer = this.pending.get(partition)
    const txn = byProducer?.get(producerId)
    if (txn === undefined) return
    byProducer?.delete(producerId)
    if (!commit) return
    for (const [groupId, byTp] of txn.byGroup) for (const stored of byTp.values()) this.setOffset(groupId, stored)
  }

  /** Whether offsets of the group wait in an open transaction (Kafka's unstable offsets). */
  hasPendingOffsets(groupId: string): boolean {
    const byProducer = this.pending.get(this.partitionOf(groupId))
    if (byProducer === undefined) return false
    for (const txn of byProducer.values()) if (txn.byGroup.has(groupId)) return true
    return false
  }

  private pendingOf(partition: number, producerId: bigint, epoch: number): PendingTxnOffsets {
    let byProducer = this.pending.get(partition)
    if (byProducer === undefined) this.pending.set(partition, (byProducer = new Map()))
    let txn = byProducer.get(producerId)
    if (txn === undefined || txn.epoch !== epoch) {
      txn = { epoch, nextSequence: 0, byGroup: txn?.epoch === epoch ? txn.byGroup : new Map() }
      byProducer.set(producerId, txn)
    }
    return txn
  }

  private setPending(txn: PendingTxnOffsets, groupId: string, stored: StoredOffset): void {
    let byTp = txn.byGroup.get(groupId)
    if (byTp === undefined) txn.byGroup.set(groupId, (byTp = new Map()))
    byTp.set(tpKey(stored.topic, stored.partition), stored)
  }

  /** Writes the group's GroupMetadata record durably (null: a tombstone). */
  writeGroupMetadata(groupId: string, value: GroupMetadataValue | null): Promise<void> {
    return this.write(groupId, [encodeGroupMetadataRecord({ group: groupId }, value)], () => undefined)
  }

  /** Tombstones every offset of the group and its metadata in one batch, then forgets the offsets. */
  deleteGroup(groupId: string): Promise<void> {
    const records = this.fetch(groupId).map((o) =>
      encodeOffsetCommitRecord({ group: groupId, topic: o.topic, partition: o.partition }, null),
    )
    records.push(encodeGroupMetadataRecord({ group: groupId }, null))
    return this.write(groupId, records, () => {
      this.offsetsByGroup.delete(groupId)
    })
  }

  /** Resolves when every write issued so far has been applied or failed. */
  async drain(): Promise<void> {
    await Promise.all([...this.applyTails.values()])
  }

  private async write(
    groupId: string,
    records: EncodedConsumerOffsetsRecord[],
    apply: () => void,
    producer?: { producerId: bigint; producerEpoch: number; baseSequence: number; isTransactional: true },
  ): Promise<void> {
    this.checkReadable(groupId)
    this.partitions = this.log.ensureOffsetsTopic(this.partitions)
    const partition = this.partitionOf(groupId)
    const batch = encodeRecordBatch(
      records.map((r) => ({ key: r.key, value: r.value })),
      { nowMs: this.log.clock.nowMs(), ...producer },
    )
    // The append happens now (call order = offset order); Promise.all attaches a handler to it
    // at once, so a failed fsync is never an unhandled rejection while earlier writes finish.
    const written = this.log.appendDurable({ topic: CONSUMER_OFFSETS_TOPIC, partition }, batch)
    const previous = this.applyTails.get(partition) ?? Promise.resolve()
    const applied = Promise.all([previous, written]).then(apply)
    // The tail only orders applies; the caller gets this write's own error.
    this.applyTails.set(
      partition,
      applied.catch(() => undefined),
    )
    await applied
  }

  private setOffset(groupId: string, stored: StoredOffset): void {
    let byTp = this.offsetsByGroup.get(groupId)
    if (!byTp) {
      byTp = new Map()
      this.offsetsByGroup.set(groupId, byTp)
    }
    byTp.set(tpKey(stored.topic, stored.partition), stored)
  }

  private deleteOffset(groupId: string, topic: string, partition: number): void {
    const byTp = this.offsetsByGroup.get(groupId)
    if (!byTp) return
    byTp.delete(tpKey(topic, partition))
    if (byTp.size === 0) this.offsetsByGroup.delete(groupId)
  }

  private replay(partition: number, groups: Map<string, LoadedGroup>): Promise<void> {
    return replayPartition(this.log, { topic: CONSUMER_OFFSETS_TOPIC, partition }, (batch, from) => {
      if (batch.isControl) this.replayMarker(batch, partition)
      else if (batch.isTransactional) this.replayTransactional(batch, from, partition)
      else {
        batch.forEachRecord((record) => {
          if (record.offset >= from) this.replayRecord(record.key, record.value, record.offset, partition, groups)
        })
      }
    })
  }

  /** A marker replayed: the producer's pending offsets in this partition are committed or dropped. */
  private replayMarker(batch: RecordBatch, partition: number): void {
    const marker = readControlRecord(batch)
    if (marker.type !== 'UNKNOWN') this.completeTransaction(partition, batch.producerId, marker.type === 'COMMIT')
  }

  /** Transactional offset commits replayed: pending until their marker (later in the log, or never). */
  private replayTransactional(batch: RecordBatch, from: number, partition: number): void {
    const txn = this.pendingOf(partition, batch.producerId, batch.producerEpoch)
    txn.nextSequence = incrementSequence(batch.baseSequence, batch.lastOffsetDelta + 1)
    batch.forEachRecord((record) => {
      if (record.offset < from || record.key === null) return
      const decoded = decodeConsumerOffsetsRecord(record.key, record.value)
      if (decoded.type !== 'offset-commit' || decoded.value === null) return
      const { group, topic, partition: p } = decoded.key
      const { offset, metadata, commitTimestampMs } = decoded.value
      this.setPending(txn, group, { topic, partition: p, offset, metadata, commitTimestampMs })
    })
  }

  private replayRecord(
    key: Uint8Array | null,
    value: Uint8Array | null,
    offset: number,
    partition: number,
    groups: Map<string, LoadedGroup>,
  ): void {
    if (key === null) {
      // Compacted topics reject null keys on append: one here means damaged data.
      throw logError('LOG_CORRUPT_BATCH', `null key in ${CONSUMER_OFFSETS_TOPIC}-${partition} at offset ${offset}`, {
        topic: CONSUMER_OFFSETS_TOPIC,
        partition,
        offset,
      })
    }
    const record = decodeConsumerOffsetsRecord(key, value)
    if (record.type === 'offset-commit') {
      const { group, topic, partition: p } = record.key
      if (record.value === null) this.deleteOffset(group, topic, p)
      else {
        const { offset: committed, metadata, commitTimestampMs } = record.value
        this.setOffset(group, { topic, partition: p, offset: committed, metadata, commitTimestampMs })
      }
    } else if (record.type === 'group-metadata') {
      const group = record.key.group
      if (record.value === null) groups.delete(group)
      else {
        groups.set(group, {
          protocolType: record.value.protocolType,
          generationId: record.value.generation,
          protocolName: record.value.protocol ?? undefined,
        })
      }
    }
    // Other record types (KIP-848/932) are not ours to read.
  }
}
