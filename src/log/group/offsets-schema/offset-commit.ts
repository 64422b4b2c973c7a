/**
 * `__consumer_offsets` offset-commit records (apache/kafka group-coordinator
 * `OffsetCommitKey.json`, `OffsetCommitValue.json`; log anchor §5.6). Big-endian; strings are
 * int16-length UTF-8 in classic versions.
 *
 * ```
 * OffsetCommitKey (not flexible; the key version doubles as the record type, 0 or 1)
 *   version int16 (1 written) | group string | topic string | partition int32
 *
 * OffsetCommitValue v0–4 (flexible from v4)
 *   version           int16
 *   offset            int64
 *   leaderEpoch       int32    v3+ (−1 = unknown; read as −1 from v0–2)
 *   metadata          string   (compact in v4)
 *   commitTimestamp   int64
 *   expireTimestamp   int64    v1 only (−1 otherwise)
 *   tagged fields              v4+
 * ```
 *
 * We write what Kafka 3.x/4.x writes: value v3, or v1 when an expire timestamp is set
 * (`MetadataVersion.offsetCommitValueVersion`). Fields absent from the written version are
 * dropped, as Kafka does for `ignorable` fields. A null value (tombstone) deletes the offset.
 */
import { Reader } from '../../binary/reader.js'
import { Writer } from '../../binary/writer.js'
import {
  FieldProblems,
  expectEnd,
  readString,
  skipTaggedFields,
  writeNoTaggedFields,
  writeString,
} from './schema-fields.js'

export type OffsetCommitKeyVersion = 0 | 1
export type OffsetCommitValueVersion = 0 | 1 | 2 | 3 | 4

/** The key version Kafka writes for offset commits. */
export const OFFSET_COMMIT_KEY_VERSION: OffsetCommitKeyVersion = 1
/** The value version Kafka writes without an expire timestamp. */
export const OFFSET_COMMIT_VALUE_VERSION: OffsetCommitValueVersion = 3
/** The value version Kafka writes when an expire timestamp is set (the only one carrying it). */
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY: OffsetCommitValueVersion = 1
const FIRST_FLEXIBLE_VALUE_VERSION = 4
const LAST_VALUE_VERSION = 4
/** Kafka's "no leader epoch" / "no expiry". */
const NONE = -1

export interface OffsetCommitKey {
  group: string
  topic: string
  partition: number
}

export interface OffsetCommitValue {
  /** The committed offset (the next record to consume). */
  offset: number
  /** −1 when unknown. */
  leaderEpoch: number
  metadata: string
  commitTimestampMs: number
  /** −1 unless set (value v1 only). */
  expireTimestampMs: number
}

export interface DecodedOffsetCommitValue extends OffsetCommitValue {
  version: OffsetCommitValueVersion
}

export type OffsetCommitValueInput = Omit<OffsetCommitValue, 'leaderEpoch' | 'expireTimestampMs'> &
  Partial<Pick<OffsetCommitValue, 'leaderEpoch' | 'expireTimestampMs'>>

/**
 * Encodes an OffsetCommitKey (version 1 by default, as Kafka writes).
 * @throws `CONFIG_INVALID` listing every invalid field.
 */
export function encodeOffsetCommitKey(
  key: OffsetCommitKey,
  version: OffsetCommitKeyVersion = OFFSET_COMMIT_KEY_VERSION,
): Buffer {
  const problems = new FieldProblems()
  problems.version('version', version, 0, 1)
  problems.string('group', key.group, false, false)
  problems.string('topic', key.topic, false, false)
  problems.int32('partition', key.partition)
  problems.throwIfAny('OffsetCommitKey')
  const w = new Writer(64)
  w.int16(version)
  writeString(w, key.group, false)
  writeString(w, key.topic, false)
  w.int32(key.partition)
  return w.finish()
}

/** Reads an OffsetCommitKey body; `r` is positioned after the int16 version. */
export function readOffsetCommitKeyBody(r: Reader): OffsetCommitKey {
  const group = readString(r, false, 'group')
  const topic = readString(r, false, 'topic')
  const partition = r.int32()
  expectEnd(r)
  return { group, topic, partition }
}

/** Version Kafka would write for `value`. */
export function offsetCommitValueVersionFor(value: OffsetCommitValueInput): OffsetCommitValueVersion {
  return value.expireTimestampMs !== undefined && value.expireTimestampMs !== NONE
    ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY
    : OFFSET_COMMIT_VALUE_VERSION
}

/**
 * Encodes an OffsetCommitValue, by default in the version Kafka writes (see the file comment).
 * Does not mutate `value`. @throws `CONFIG_INVALID` listing every invalid field.
 */
export function encodeOffsetCommitValue(
  value: OffsetCommitValueInput,
  version: OffsetCommitValueVersion = offsetCommitValueVersionFor(value),
): Buffer {
  const leaderEpoch = value.leaderEpoch ?? NONE
  const expireTimestampMs = value.expireTimestampMs ?? NONE
  const flexible = version >= FIRST_FLEXIBLE_VALUE_VERSION
  const problems = new FieldProblems()
  problems.version('version', version, 0, LAST_VALUE_VERSION)
  problems.int64('offset', value.offset)
  problems.int32('leaderEpoch', leaderEpoch)
  problems.string('metadata', value.metadata, false, flexible)
  problems.int64('commitTimestampMs', value.commitTimestampMs)
  problems.int64('expireTimestampMs', expireTimestampMs)
  problems.throwIfAny('OffsetCommitValue')

  const w = new Writer(64)
  w.int16(version)
  w.int64(value.offset)
  if (version >= 3) w.int32(leaderEpoch)
  writeString(w, value.metadata, flexible)
  w.int64(value.commitTimestampMs)
  if (version === 1) w.int64(expireTimestampMs)
  if (flexible) writeNoTaggedFields(w)
  return w.finish()
}

/**
 * Decodes an OffsetCommitValue of any version 0–4; `null` (a tombstone) decodes to `null`.
 * @throws `LOG_CORRUPT_BATCH` for truncated or garbled bytes, an unknown version or trailing bytes.
 */
export function decodeOffsetCommitValue(bytes: Uint8Array | null): DecodedOffsetCommitValue | null {
  if (bytes === null) return null
  const r = new Reader(bytes, 0, bytes.length, 0, 'OffsetCommitValue')
  const version = r.int16()
  if (version < 0 || version > LAST_VALUE_VERSION) throw r.corrupt(`unknown version ${version}`, 0)
  const flexible = version >= FIRST_FLEXIBLE_VALUE_VERSION
  const offset = r.int64()
  const leaderEpoch = version >= 3 ? r.int32() : NONE
  const metadata = readString(r, flexible, 'metadata')
  const commitTimestampMs = r.int64()
  const expireTimestampMs = version === 1 ? r.int64() : NONE
  if (flexible) skipTaggedFields(r)
  expectEnd(r)
  return {
    version: version as OffsetCommitValueVersion,
    offset,
    leaderEpoch,
    metadata,
    commitTimestampMs,
    expireTimestampMs,
  }
}
