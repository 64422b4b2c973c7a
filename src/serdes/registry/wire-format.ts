/**
 * The schema-registry wire format (Confluent's, which every registry-aware Kafka client speaks).
 *
 * Byte layout:
 * ```
 *   0        magic byte 0x00 (format version 0)
 *   1..4     schema id: int32, big-endian, the registry's global id of the writer's schema
 *   5..      Protobuf only: the message indexes, the path to the message within its schema, as
 *            Kafka zigzag varints (`ByteUtils.writeVarint`): the count, then each index.
 *            The common path [0] (the first message of the file) is the single byte 0x00, read as
 *            count 0. So [0] → 00, [1] → 02 02, [1, 2] → 04 02 04, [2, 0] → 04 04 00.
 *   then     the payload: Avro binary, protobuf binary, or JSON text
 * ```
 * Example: Avro `"long"` 1 under schema id 7 → 00 00 00 00 07 02.
 */
import { Reader, Writer, isMillraceError } from '../../log/index.js'
import { invalidBytes, serdesError } from '../errors.js'

/** Wire-format version 0; newer Confluent serdes use 1 for GUID-based ids, not supported here. */
export const MAGIC_BYTE = 0
const HEADER_BYTES = 5
const MAX_VARINT_BYTES = 5
const MAX_SCHEMA_ID = 0x7fff_ffff
const SERDE = 'schema-registry wire format'

/** A decoded wire-format record: its schema id, message indexes (Protobuf) and payload. */
export interface WireFormatRecord {
  readonly schemaId: number
  /** The Protobuf message indexes; `undefined` when they were not asked for (Avro, JSON). */
  readonly messageIndexes: readonly number[] | undefined
  /** A view of the payload within the given bytes (not a copy). */
  readonly payload: Uint8Array
}

/**
 * Frames `payload` under `schemaId`, with `messageIndexes` for Protobuf (`[]` is written as [0]).
 *
 * @throws `SERDES_UNKNOWN_SCHEMA` for an id outside [0, 2^31 − 1] (no registry hands those out),
 *   `SERDES_INVALID_VALUE` for a negative or fractional message index.
 */
export function encodeWireFormat(schemaId: number, payload: Uint8Array, messageIndexes?: readonly number[]): Uint8Array {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw serdesError('SERDES_UNKNOWN_SCHEMA', `${SERDE}: a schema id must be an int32 of at least 0`, { serde: SERDE })
  }
  const indexBytes = messageIndexes === undefined ? 0 : (messageIndexes.length + 1) * MAX_VARINT_BYTES
  const writer = new Writer(HEADER_BYTES + indexBytes + payload.length)
  writer.int8(MAGIC_BYTE).int32(schemaId)
  if (messageIndexes !== undefined) writeMessageIndexes(writer, messageIndexes)
  return writer.bytes(payload).finish()
}

function writeMessageIndexes(writer: Writer, indexes: readonly number[]): void {
  if (indexes.length === 0 || (indexes.length === 1 && indexes[0] === 0)) {
    writer.varint(0)
    return
  }
  writer.varint(indexes.length)
  for (const index of indexes) {
    if (!Number.isInteger(index) || index < 0 || index > MAX_SCHEMA_ID) {
      throw serdesError('SERDES_INVALID_VALUE', `${SERDE}: a message index must be an int32 of at least 0`, { serde: SERDE })
    }
    writer.varint(index)
  }
}

/**
 * Reads the header of a wire-format record of `topic`; with `withMessageIndexes` (Protobuf) also
 * the message indexes.
 *
 * @throws `SERDES_UNKNOWN_MAGIC_BYTE` when the first byte is not 0 (the bytes are not in this
 *   format: plain Avro, JSON, another serde); `SERDES_INVALID_BYTES` when the header or the
 *   message indexes are truncated or malformed.
 */
export function decodeWireFormat(topic: string, bytes: Uint8Array, withMessageIndexes: boolean): WireFormatRecord {
  if (bytes.length < HEADER_BYTES) {
    throw invalidBytes(SERDE, topic, `expected at least ${HEADER_BYTES} header bytes, got ${bytes.length}`)
  }
  const magicByte = bytes[0] as number
  if (magicByte !== MAGIC_BYTE) {
    throw serdesError('SERDES_UNKNOWN_MAGIC_BYTE', `${SERDE}: a record of topic ${topic} starts with an unknown magic byte`, {
      serde: SERDE,
      topic,
      magicByte,
    })
  }
  const reader = new Reader(bytes, 1, bytes.length, 0, SERDE)
  try {
    const schemaId = reader.int32()
    const messageIndexes = withMessageIndexes ? readMessageIndexes(reader) : undefined
    return { schemaId, messageIndexes, payload: reader.view(reader.remaining) }
  } catch (err) {
    if (isMillraceError(err, 'LOG_CORRUPT_BATCH')) {
      throw invalidBytes(SERDE, topic, 'truncated or malformed message indexes', err)
    }
    throw err
  }
}

function readMessageIndexes(reader: Reader): number[] {
  const count = reader.varint()
  if (count === 0) return [0]
  // Each index takes at least one byte: a larger count is corrupt, and must not size an array.
  if (count < 0 || count > reader.remaining) throw reader.corrupt(`message index count ${count}`)
  const indexes = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    const index = reader.varint()
    if (index < 0) throw reader.corrupt(`negative message index ${index}`)
    indexes[i] = index
  }
  return indexes
}
