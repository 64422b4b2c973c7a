/**
 * Records of the compacted `__consumer_offsets` topic: the int16 key version is the record type
 * (apache/kafka `GroupCoordinatorRecordSerde`; log anchor §5.6):
 *
 * ```
 * key version  record                                      value
 * 0, 1         OffsetCommitKey                             OffsetCommitValue v0–4, or null
 * 2            GroupMetadataKey                            GroupMetadataValue v0–4, or null
 * 3–15         KIP-848 consumer-group / KIP-932 share-group records (not read here)
 * ```
 *
 * A null value is a tombstone: it deletes the offset or the group once compaction runs.
 */
import { Reader } from '../../binary/reader.js'
import {
  decodeGroupMetadataValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  readGroupMetadataKeyBody,
  type DecodedGroupMetadataValue,
  type GroupMetadataKey,
  type GroupMetadataValue,
} from './group-metadata.js'
import {
  decodeOffsetCommitValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  readOffsetCommitKeyBody,
  type DecodedOffsetCommitValue,
  type OffsetCommitKey,
  type OffsetCommitKeyVersion,
  type OffsetCommitValueInput,
} from './offset-commit.js'

export type ConsumerOffsetsKey =
  | ({ type: 'offset-commit'; version: OffsetCommitKeyVersion } & OffsetCommitKey)
  | ({ type: 'group-metadata'; version: 2 } & GroupMetadataKey)
  /** A record type we do not read (KIP-848/932); readers skip it. */
  | { type: 'other'; version: number }

export type ConsumerOffsetsRecord =
  | { type: 'offset-commit'; key: OffsetCommitKey; value: DecodedOffsetCommitValue | null }
  | { type: 'group-metadata'; key: GroupMetadataKey; value: DecodedGroupMetadataValue | null }
  | { type: 'other'; version: number }

/** Key and value bytes of one record; `value` null for a tombstone. */
export interface EncodedConsumerOffsetsRecord {
  key: Buffer
  value: Buffer | null
}

/**
 * Decodes a `__consumer_offsets` key by its version (record type).
 * @throws `LOG_CORRUPT_BATCH` for truncated or garbled bytes, a negative version or trailing bytes.
 */
export function decodeConsumerOffsetsKey(bytes: Uint8Array): ConsumerOffsetsKey {
  const r = new Reader(bytes, 0, bytes.length, 0, '__consumer_offsets key')
  const version = r.int16()
  if (version === 0 || version === 1) {
    r.context = 'OffsetCommitKey'
    return { type: 'offset-commit', version, ...readOffsetCommitKeyBody(r) }
  }
  if (version === 2) {
    r.context = 'GroupMetadataKey'
    return { type: 'group-metadata', version, ...readGroupMetadataKeyBody(r) }
  }
  if (version < 0) throw r.corrupt(`negative key version ${version}`, 0)
  return { type: 'other', version }
}

/**
 * Decodes a whole record; a null value is a tombstone.
 * @throws `LOG_CORRUPT_BATCH` for truncated or garbled key or value bytes.
 */
export function decodeConsumerOffsetsRecord(key: Uint8Array, value: Uint8Array | null): ConsumerOffsetsRecord {
  const k = decodeConsumerOffsetsKey(key)
  switch (k.type) {
    case 'offset-commit':
      return {
        type: 'offset-commit',
        key: { group: k.group, topic: k.topic, partition: k.partition },
        value: decodeOffsetCommitValue(value),
      }
    case 'group-metadata':
      return { type: 'group-metadata', key: { group: k.group }, value: decodeGroupMetadataValue(value) }
    case 'other':
      return k
  }
}

/**
 * An offset commit as Kafka writes it (key v1, value v3 or v1); `value` null deletes the offset.
 * @throws `CONFIG_INVALID` listing every invalid field.
 */
export function encodeOffsetCommitRecord(
  key: OffsetCommitKey,
  value: OffsetCommitValueInput | null,
): EncodedConsumerOffsetsRecord {
  return { key: encodeOffsetCommitKey(key), value: value === null ? null : encodeOffsetCommitValue(value) }
}

/**
 * Group metadata as Kafka writes it (key v2, value v3); `value` null deletes the group.
 * @throws `CONFIG_INVALID` listing every invalid field.
 */
export function encodeGroupMetadataRecord(
  key: GroupMetadataKey,
  value: GroupMetadataValue | null,
): EncodedConsumerOffsetsRecord {
  return { key: encodeGroupMetadataKey(key), value: value === null ? null : encodeGroupMetadataValue(value) }
}
