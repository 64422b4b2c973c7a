/**
 * `__consumer_offsets` group-metadata records of the classic protocol (apache/kafka
 * group-coordinator `GroupMetadataKey.json`, `GroupMetadataValue.json`; log anchor §5.6).
 *
 * ```
 * GroupMetadataKey (not flexible)
 *   version int16 = 2 (the record type) | group string
 *
 * GroupMetadataValue v0–4 (flexible from v4: compact strings, bytes and array, tagged fields
 * after each member and after the value)
 *   version                int16
 *   protocolType           string
 *   generation             int32
 *   protocol               nullable string
 *   leader                 nullable string
 *   currentStateTimestamp  int64             v2+ (−1 when absent)
 *   members                array of:
 *     memberId             string
 *     groupInstanceId      nullable string   v3+ (null when absent)
 *     clientId             string
 *     clientHost           string
 *     rebalanceTimeout     int32             v1+ (v0: read as sessionTimeout, like Kafka's
 *                                                    GroupMetadataManager)
 *     sessionTimeout       int32
 *     subscription         bytes
 *     assignment           bytes
 *     tagged fields                          v4+
 *   tagged fields                            v4+
 * ```
 *
 * We write v3, what Kafka 3.x/4.x writes for classic groups; all versions are read. A null value
 * (tombstone) deletes the group.
 */
import { Reader } from '../../binary/reader.js'
import { Writer } from '../../binary/writer.js'
import {
  FieldProblems,
  expectEnd,
  readArrayLength,
  readBytes,
  readNullableString,
  readString,
  skipTaggedFields,
  writeArrayLength,
  writeBytes,
  writeNoTaggedFields,
  writeNullableString,
  writeString,
} from './schema-fields.js'

export type GroupMetadataValueVersion = 0 | 1 | 2 | 3 | 4

/** The key version, which is also the record type of group metadata. */
export const GROUP_METADATA_KEY_VERSION = 2
/** The value version Kafka writes. */
export const GROUP_METADATA_VALUE_VERSION: GroupMetadataValueVersion = 3
const FIRST_FLEXIBLE_VALUE_VERSION = 4
const LAST_VALUE_VERSION = 4

export interface GroupMetadataKey {
  group: string
}

export interface GroupMemberMetadata {
  memberId: string
  /** Static membership (KIP-345); null for dynamic members. */
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  /** The member's protocol metadata (for consumers, the serialized subscription). */
  subscription: Uint8Array
  assignment: Uint8Array
}

export interface GroupMetadataValue {
  /** `consumer` for consumer groups. */
  protocolType: string
  generation: number
  /** The selected protocol (assignor name); null while no generation is complete. */
  protocol: string | null
  leader: string | null
  /** −1 when unknown (v0–1). */
  currentStateTimestampMs: number
  members: readonly GroupMemberMetadata[]
}

export interface DecodedGroupMetadataValue extends GroupMetadataValue {
  version: GroupMetadataValueVersion
}

/** @throws `CONFIG_INVALID` for a group name that is not a string of at most 32767 UTF-8 bytes. */
export function encodeGroupMetadataKey(key: GroupMetadataKey): Buffer {
  const problems = new FieldProblems()
  problems.string('group', key.group, false, false)
  problems.throwIfAny('GroupMetadataKey')
  const w = new Writer(32)
  w.int16(GROUP_METADATA_KEY_VERSION)
  writeString(w, key.group, false)
  return w.finish()
}

/** Reads a GroupMetadataKey body; `r` is positioned after the int16 version. */
export function readGroupMetadataKeyBody(r: Reader): GroupMetadataKey {
  const group = readString(r, false, 'group')
  expectEnd(r)
  return { group }
}

/**
 * Encodes a GroupMetadataValue (v3 by default). Fields absent from `version` are dropped, as
 * Kafka does for `ignorable` fields. Does not mutate `value`.
 * @throws `CONFIG_INVALID` listing every invalid field.
 */
export function encodeGroupMetadataValue(
  value: GroupMetadataValue,
  version: GroupMetadataValueVersion = GROUP_METADATA_VALUE_VERSION,
): Buffer {
  const flexible = version >= FIRST_FLEXIBLE_VALUE_VERSION
  const problems = new FieldProblems()
  problems.version('version', version, 0, LAST_VALUE_VERSION)
  problems.string('protocolType', value.protocolType, false, flexible)
  problems.int32('generation', value.generation)
  problems.string('protocol', value.protocol, true, flexible)
  problems.string('leader', value.leader, true, flexible)
  problems.int64('currentStateTimestampMs', value.currentStateTimestampMs)
  if (!Array.isArray(value.members)) problems.other('members must be an array')
  else {
    value.members.forEach((m, i) => {
      const path = `members[${i}]`
      problems.string(`${path}.memberId`, m.memberId, false, flexible)
      problems.string(`${path}.groupInstanceId`, m.groupInstanceId, true, flexible)
      problems.string(`${path}.clientId`, m.clientId, false, flexible)
      problems.string(`${path}.clientHost`, m.clientHost, false, flexible)
      problems.int32(`${path}.rebalanceTimeoutMs`, m.rebalanceTimeoutMs)
      problems.int32(`${path}.sessionTimeoutMs`, m.sessionTimeoutMs)
      problems.bytes(`${path}.subscription`, m.subscription)
      problems.bytes(`${path}.assignment`, m.assignment)
    })
  }
  problems.throwIfAny('GroupMetadataValue')

  const w = new Writer(256)
  w.int16(version)
  writeString(w, value.protocolType, flexible)
  w.int32(value.generation)
  writeNullableString(w, value.protocol, flexible)
  writeNullableString(w, value.leader, flexible)
  if (version >= 2) w.int64(value.currentStateTimestampMs)
  writeArrayLength(w, value.members.length, flexible)
  for (const m of value.members) {
    writeString(w, m.memberId, flexible)
    if (version >= 3) writeNullableString(w, m.groupInstanceId, flexible)
    writeString(w, m.clientId, flexible)
    writeString(w, m.clientHost, flexible)
    if (version >= 1) w.int32(m.rebalanceTimeoutMs)
    w.int32(m.sessionTimeoutMs)
    writeBytes(w, m.subscription, flexible)
    writeBytes(w, m.assignment, flexible)
    if (flexible) writeNoTaggedFields(w)
  }
  if (flexible) writeNoTaggedFields(w)
  return w.finish()
}

/**
 * Decodes a GroupMetadataValue of any version 0–4; `null` (a tombstone) decodes to `null`.
 * Subscription and assignment bytes are copies.
 * @throws `LOG_CORRUPT_BATCH` for truncated or garbled bytes, an unknown version or trailing bytes.
 */
export function decodeGroupMetadataValue(bytes: Uint8Array | null): DecodedGroupMetadataValue | null {
  if (bytes === null) return null
  const r = new Reader(bytes, 0, bytes.length, 0, 'GroupMetadataValue')
  const version = r.int16()
  if (version < 0 || version > LAST_VALUE_VERSION) throw r.corrupt(`unknown version ${version}`, 0)
  const flexible = version >= FIRST_FLEXIBLE_VALUE_VERSION
  const protocolType = readString(r, flexible, 'protocolType')
  const generation = r.int32()
  const protocol = readNullableString(r, flexible, 'protocol')
  const leader = readNullableString(r, flexible, 'leader')
  const currentStateTimestampMs = version >= 2 ? r.int64() : -1
  const count = readArrayLength(r, flexible, 'members')
  const members: GroupMemberMetadata[] = []
  for (let i = 0; i < count; i++) {
    const memberId = readString(r, flexible, 'memberId')
    const groupInstanceId = version >= 3 ? readNullableString(r, flexible, 'groupInstanceId') : null
    const clientId = readString(r, flexible, 'clientId')
    const clientHost = readString(r, flexible, 'clientHost')
    const rebalanceTimeout = version >= 1 ? r.int32() : undefined
    const sessionTimeoutMs = r.int32()
    const subscription = readBytes(r, flexible, 'subscription')
    const assignment = readBytes(r, flexible, 'assignment')
    if (flexible) skipTaggedFields(r)
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeout ?? sessionTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    })
  }
  if (flexible) skipTaggedFields(r)
  expectEnd(r)
  return {
    version: version as GroupMetadataValueVersion,
    protocolType,
    generation,
    protocol,
    leader,
    currentStateTimestampMs,
    members,
  }
}
