/**
 * `__transaction_state` records (apache/kafka transaction-coordinator `TransactionLogKey.json`,
 * `TransactionLogValue.json`; log anchor §4.2). Big-endian.
 *
 * ```
 * TransactionLogKey (not flexible)
 *   version int16 (0) | transactionalId string
 *
 * TransactionLogValue v0–1 (flexible from v1: compact strings/arrays, tagged fields)
 *   version                            int16
 *   producerId                         int64
 *   producerEpoch                      int16
 *   transactionTimeoutMs               int32
 *   transactionStatus                  int8     state id (transaction-state.ts)
 *   transactionPartitions              nullable [ { topic string, partitionIds [int32] } ]
 *   transactionLastUpdateTimestampMs   int64
 *   transactionStartTimestampMs        int64
 *   tagged (v1): 0 previousProducerId int64 (−1), 1 nextProducerId int64 (−1),
 *                2 clientTransactionVersion int16 (0)
 * ```
 *
 * We write v1 (what Kafka 4 writes for transaction version 2, the KIP-890 protocol we follow),
 * with each tagged field only when it differs from its default, as Kafka's generated code does.
 * A null value (tombstone) removes an expired transactional id.
 */
import { Reader } from '../binary/reader.js'
import { Writer } from '../binary/writer.js'
import {
  FieldProblems,
  expectEnd,
  readArrayLength,
  readString,
  skipTaggedFields,
  writeArrayLength,
  writeString,
} from '../group/offsets-schema/schema-fields.js'

export const TRANSACTION_LOG_KEY_VERSION = 0
export const TRANSACTION_LOG_VALUE_VERSION = 1
const NO_PRODUCER_ID = -1n
const TAG_PREVIOUS_PRODUCER_ID = 0
const TAG_NEXT_PRODUCER_ID = 1
const TAG_CLIENT_TRANSACTION_VERSION = 2

export interface TransactionLogPartitions {
  readonly topic: string
  readonly partitionIds: readonly number[]
}

export interface TransactionLogValue {
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly transactionTimeoutMs: number
  /** The state id (0 Empty … 7 PrepareEpochFence). */
  readonly transactionStatus: number
  /** Null when the transaction holds no partitions (Kafka writes null for Empty and Complete*). */
  readonly transactionPartitions: readonly TransactionLogPartitions[] | null
  readonly transactionLastUpdateTimestampMs: number
  readonly transactionStartTimestampMs: number
  /** −1 unless set (v1). */
  readonly previousProducerId: bigint
  /** −1 unless set (v1): the id the producer continues with after an epoch overflow. */
  readonly nextProducerId: bigint
  /** 0 unless set (v1). */
  readonly clientTransactionVersion: number
}

export interface DecodedTransactionLogValue extends TransactionLogValue {
  readonly version: number
}

export type TransactionLogValueInput = Omit<TransactionLogValue, 'previousProducerId' | 'nextProducerId' | 'clientTransactionVersion'> &
  Partial<Pick<TransactionLogValue, 'previousProducerId' | 'nextProducerId' | 'clientTransactionVersion'>>

/** @throws `CONFIG_INVALID` for a transactional id that is not a non-empty string. */
export function encodeTransactionLogKey(transactionalId: string): Buffer {
  const problems = new FieldProblems()
  problems.string('transactionalId', transactionalId, false, false)
  if (transactionalId === '') problems.other('transactionalId must not be empty')
  problems.throwIfAny('TransactionLogKey')
  const w = new Writer(4 + Buffer.byteLength(transactionalId))
  w.int16(TRANSACTION_LOG_KEY_VERSION)
  writeString(w, transactionalId, false)
  return w.finish()
}

/** @throws `LOG_CORRUPT_BATCH` for an unknown version or malformed bytes. */
export function decodeTransactionLogKey(bytes: Uint8Array): string {
  const r = new Reader(bytes, 0, bytes.length, 0, 'TransactionLogKey')
  const version = r.int16()
  if (version !== TRANSACTION_LOG_KEY_VERSION) throw r.corrupt(`unknown TransactionLogKey version ${version}`, 0)
  const id = readString(r, false, 'transactionalId')
  expectEnd(r)
  return id
}

/**
 * Encodes a value at `version` (1 by default; 0 drops the tagged fields).
 * @throws `CONFIG_INVALID` listing every invalid field.
 */
export function encodeTransactionLogValue(value: TransactionLogValueInput, version = TRANSACTION_LOG_VALUE_VERSION): Buffer {
  const problems = new FieldProblems()
  problems.version('version', version, 0, 1)
  if (typeof value.producerId !== 'bigint') problems.other('producerId must be a bigint')
  if (!Number.isInteger(value.producerEpoch) || value.producerEpoch < -1 || value.producerEpoch > 0x7fff) problems.other('producerEpoch must be an int16 ≥ −1')
  problems.int32('transactionTimeoutMs', value.transactionTimeoutMs)
  if (!Number.isInteger(value.transactionStatus) || value.transactionStatus < 0 || value.transactionStatus > 0x7f) problems.other('transactionStatus must be an int8 ≥ 0')
  problems.int64('transactionLastUpdateTimestampMs', value.transactionLastUpdateTimestampMs)
  problems.int64('transactionStartTimestampMs', value.transactionStartTimestampMs)
  for (const [i, p] of (value.transactionPartitions ?? []).entries()) {
    problems.string(`transactionPartitions[${i}].topic`, p.topic, false, version >= 1)
    for (const id of p.partitionIds) problems.int32(`transactionPartitions[${i}].partitionIds`, id)
  }
  problems.throwIfAny('TransactionLogValue')
  const flexible = version >= 1
  const w = new Writer(64)
  w.int16(version)
  w.int64(value.producerId)
  w.int16(value.producerEpoch)
  w.int32(value.transactionTimeoutMs)
  w.int8(value.transactionStatus)
  const partitions = value.transactionPartitions
  if (partitions === null) {
    if (flexible) w.uvarint(0)
    else w.int32(-1)
  } else {
    writeArrayLength(w, partitions.length, flexible)
    for (const p of partitions) {
      writeString(w, p.topic, flexible)
      writeArrayLength(w, p.partitionIds.length, flexible)
      for (const id of p.partitionIds) w.int32(id)
      if (flexible) w.uvarint(0)
    }
  }
  w.int64(value.transactionLastUpdateTimestampMs)
  w.int64(value.transactionStartTimestampMs)
  if (flexible) writeTags(w, value)
  return w.finish()
}

function writeTags(w: Writer, value: TransactionLogValueInput): void {
  const previous = value.previousProducerId ?? NO_PRODUCER_ID
  const next = value.nextProducerId ?? NO_PRODUCER_ID
  const clientVersion = value.clientTransactionVersion ?? 0
  const count = (previous !== NO_PRODUCER_ID ? 1 : 0) + (next !== NO_PRODUCER_ID ? 1 : 0) + (clientVersion !== 0 ? 1 : 0)
  w.uvarint(count)
  if (previous !== NO_PRODUCER_ID) w.uvarint(TAG_PREVIOUS_PRODUCER_ID).uvarint(8).int64(previous)
  if (next !== NO_PRODUCER_ID) w.uvarint(TAG_NEXT_PRODUCER_ID).uvarint(8).int64(next)
  if (clientVersion !== 0) w.uvarint(TAG_CLIENT_TRANSACTION_VERSION).uvarint(2).int16(clientVersion)
}

/** @throws `LOG_CORRUPT_BATCH` for an unknown version or malformed bytes. */
export function decodeTransactionLogValue(bytes: Uint8Array): DecodedTransactionLogValue {
  const r = new Reader(bytes, 0, bytes.length, 0, 'TransactionLogValue')
  const version = r.int16()
  if (version !== 0 && version !== 1) throw r.corrupt(`unknown TransactionLogValue version ${version}`, 0)
  const flexible = version >= 1
  const producerId = r.bigInt64()
  const producerEpoch = r.int16()
  const transactionTimeoutMs = r.int32()
  const transactionStatus = r.int8()
  let transactionPartitions: TransactionLogPartitions[] | null = null
  const at = r.pos
  const rawCount = flexible ? r.uvarint() - 1 : r.int32()
  if (rawCount < -1) throw r.corrupt(`transactionPartitions has length ${rawCount}`, at)
  if (rawCount > r.remaining) throw r.corrupt(`transactionPartitions claims ${rawCount} elements in ${r.remaining} bytes`, at)
  if (rawCount >= 0) {
    transactionPartitions = []
    for (let i = 0; i < rawCount; i++) {
      const topic = readString(r, flexible, 'topic')
      const n = readArrayLength(r, flexible, 'partitionIds')
      const partitionIds: number[] = []
      for (let j = 0; j < n; j++) partitionIds.push(r.int32())
      if (flexible) skipTaggedFields(r)
      transactionPartitions.push({ topic, partitionIds })
    }
  }
  const transactionLastUpdateTimestampMs = r.int64()
  const transactionStartTimestampMs = r.int64()
  let previousProducerId = NO_PRODUCER_ID
  let nextProducerId = NO_PRODUCER_ID
  let clientTransactionVersion = 0
  if (flexible) {
    const count = r.uvarint()
    for (let i = 0; i < count; i++) {
      const tag = r.uvarint()
      const size = r.uvarint()
      const start = r.pos
      if (tag === TAG_PREVIOUS_PRODUCER_ID && size === 8) previousProducerId = r.bigInt64()
      else if (tag === TAG_NEXT_PRODUCER_ID && size === 8) nextProducerId = r.bigInt64()
      else if (tag === TAG_CLIENT_TRANSACTION_VERSION && size === 2) clientTransactionVersion = r.int16()
      else r.skip(size)
      if (r.pos !== start + size) throw r.corrupt(`tagged field ${tag} has size ${size}`, start)
    }
  }
  expectEnd(r)
  return {
    version,
    producerId,
    producerEpoch,
    transactionTimeoutMs,
    transactionStatus,
    transactionPartitions,
    transactionLastUpdateTimestampMs,
    transactionStartTimestampMs,
    previousProducerId,
    nextProducerId,
    clientTransactionVersion,
  }
}
