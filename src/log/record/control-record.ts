/**
 * Transaction markers: control batches (apache/kafka `ControlRecordType.java`,
 * `EndTransactionMarker.java`). Attributes = isControl | isTransactional; producerId and epoch
 * are the transaction's; baseSequence −1; exactly one record:
 *
 * ```
 * key   (4 bytes)  version int16 = 0 | type int16 (0 ABORT, 1 COMMIT; 2–6 KRaft-only)
 * value (6 bytes)  version int16 = 0 | coordinatorEpoch int32
 * ```
 *
 * Readers never hand control records to users, but their offsets count: a consumer's position
 * moves past them.
 */
import { logError } from '../errors.js'
import { readInt16At, readInt32At } from '../binary/reader.js'
import { RecordBatchBuilder } from './batch-builder.js'
import { corruptAt } from './record-batch-v2.js'
import type { RecordBatch } from './record-batch.js'

export type ControlRecordType = 'ABORT' | 'COMMIT'

const CONTROL_KEY_VERSION = 0
const END_TXN_MARKER_VERSION = 0
const CONTROL_KEY_BYTES = 4
const END_TXN_MARKER_BYTES = 6
const CONTROL_TYPE_ID: Readonly<Record<ControlRecordType, number>> = { ABORT: 0, COMMIT: 1 }

export interface ControlBatchInput {
  type: ControlRecordType
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  /** Marker time; from the coordinator's clock. */
  timestampMs: number
  /** Default 0; the partition log assigns the real offset on append. */
  baseOffset?: number
  /** Default −1; stamped by the partition log. */
  partitionLeaderEpoch?: number
}

export interface ControlRecord {
  /** `'UNKNOWN'` for types this log does not use (KRaft records, future types): ignore them. */
  type: ControlRecordType | 'UNKNOWN'
  /** The transaction coordinator's epoch for COMMIT/ABORT, −1 for UNKNOWN. */
  coordinatorEpoch: number
}

/**
 * Encodes a COMMIT or ABORT marker batch.
 * @throws CONFIG_INVALID when producerId/epoch are out of range; LOG_INVALID_RECORD for a bad
 *   coordinatorEpoch or timestamp.
 */
export function encodeControlBatch(input: ControlBatchInput): Buffer {
  const typeId = CONTROL_TYPE_ID[input.type]
  if (typeId === undefined) {
    throw logError('LOG_INVALID_RECORD', `unknown control record type ${String(input.type)}`)
  }
  const epoch = input.coordinatorEpoch
  if (!Number.isInteger(epoch) || epoch < -0x8000_0000 || epoch > 0x7fff_ffff) {
    throw logError('LOG_INVALID_RECORD', `coordinatorEpoch ${epoch} is not an int32`, { coordinatorEpoch: epoch })
  }
  const key = Buffer.allocUnsafe(CONTROL_KEY_BYTES)
  key.writeInt16BE(CONTROL_KEY_VERSION, 0)
  key.writeInt16BE(typeId, 2)
  const value = Buffer.allocUnsafe(END_TXN_MARKER_BYTES)
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0)
  value.writeInt32BE(epoch, 2)
  const builder = new RecordBatchBuilder({
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
    ...(input.baseOffset === undefined ? {} : { baseOffset: input.baseOffset }),
    ...(input.partitionLeaderEpoch === undefined ? {} : { partitionLeaderEpoch: input.partitionLeaderEpoch }),
    maxBatchBytes: 128,
  })
  builder.append({ key, value }, input.timestampMs)
  return builder.build()
}

/**
 * Reads the marker of a control batch (its first record).
 * @throws LOG_INVALID_RECORD when `batch` is not a control batch.
 * @throws LOG_CORRUPT_BATCH when the batch has no record, the key is shorter than 4 bytes, or a
 *   COMMIT/ABORT value is shorter than 6 bytes.
 */
export function readControlRecord(batch: RecordBatch): ControlRecord {
  if (!batch.isControl) {
    throw logError('LOG_INVALID_RECORD', `batch at position ${batch.position} is not a control batch`, {
      position: batch.position,
    })
  }
  let first: { key: Uint8Array | null; value: Uint8Array | null } | undefined
  batch.forEachRecord((record, index) => {
    if (index === 0) first = { key: record.key, value: record.value }
  })
  if (first === undefined) throw corruptAt(batch.position, 'control batch without a record')
  const { key, value } = first
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw corruptAt(batch.position, 'control record key shorter than 4 bytes')
  }
  // Like Kafka's ControlRecordType.parse: the version is read but any version's type is honoured.
  const typeId = readInt16At(key, 2)
  const type = typeId === 0 ? 'ABORT' : typeId === 1 ? 'COMMIT' : 'UNKNOWN'
  if (type === 'UNKNOWN') return { type, coordinatorEpoch: -1 }
  if (value === null || value.length < END_TXN_MARKER_BYTES) {
    throw corruptAt(batch.position, 'transaction marker value shorter than 6 bytes')
  }
  return { type, coordinatorEpoch: readInt32At(value, 2) }
}
