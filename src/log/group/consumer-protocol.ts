/**
 * Kafka's consumer protocol payloads (apache/kafka clients `ConsumerProtocolSubscription.json`,
 * `ConsumerProtocolAssignment.json`; log anchor §5.2): the JoinGroup metadata and the SyncGroup
 * assignment of a consumer group. The coordinator treats both as opaque bytes; members (and
 * admin tooling) parse them.
 *
 * Both are version-prefixed, non-flexible structs (classic field encodings, see
 * `offsets-schema/schema-fields.ts`):
 *
 * ```
 * ConsumerProtocolSubscription v0–3
 *   version            int16
 *   topics             int32 count, count × string (int16 length, UTF-8)
 *   userData           nullable bytes (int32 length, −1 = null)
 *   ownedPartitions    v1+  int32 count, count × { topic string, partitions int32 count × int32 }
 *   generationId       v2+  int32 (−1 = unknown)
 *   rackId             v3+  nullable string (int16 length, −1 = null)
 *
 * ConsumerProtocolAssignment v0–3 (every version has the same fields; the version follows the
 * subscription's so both sides speak one protocol version)
 *   version            int16
 *   assignedPartitions int32 count, count × { topic string, partitions int32 count × int32 }
 *   userData           nullable bytes
 * ```
 *
 * Forward compatibility is part of Kafka's consumer protocol contract: a newer version only
 * appends fields, so a reader of version 3 decodes the v3 fields of any higher version and
 * ignores what follows (`ConsumerProtocol.deserializeSubscription` clamps the version the same
 * way). For versions we know, trailing bytes mean garbled metadata and are rejected.
 *
 * Partitions are grouped per topic when encoding: topics in first-seen order, each topic's
 * partitions in the order given (callers pass them ascending; we never reorder, so the bytes are
 * a pure function of the input).
 */
import { Reader } from '../binary/reader.js'
import { Writer } from '../binary/writer.js'
import type { MemberAssignment, MemberSubscription } from '../client/assignors/assignor.js'
import type { TopicPartition } from '../topic-partition.js'
import {
  FieldProblems,
  expectEnd,
  readArrayLength,
  readNullableString,
  readString,
  writeArrayLength,
  writeBytes,
  writeNullableString,
  writeString,
} from './offsets-schema/schema-fields.js'

/** The highest consumer protocol version this codec writes and fully understands. */
export const CONSUMER_PROTOCOL_LATEST_VERSION = 3
const FIRST_OWNED_PARTITIONS_VERSION = 1
const FIRST_GENERATION_ID_VERSION = 2
const FIRST_RACK_ID_VERSION = 3
/** Kafka's default for GenerationId: no generation known. */
const UNKNOWN_GENERATION_ID = -1
const NULL_LENGTH = -1
/** Non-flexible versions only: the field helpers take a `flexible` flag. */
const CLASSIC = false

/**
 * Encodes a member's subscription as ConsumerProtocolSubscription `version` (0–3, default 3).
 * Fields the version lacks are dropped (owned partitions below v1, generation below v2, rack
 * below v3), as Kafka's serializer does. `groupInstanceId` is not part of the payload (it travels
 * in the JoinGroup request). The input is not modified; the result is a fresh buffer.
 * @throws `CONFIG_INVALID` listing every invalid field (version outside 0–3, a topic that is not
 *   a string of at most 32767 UTF-8 bytes, a partition or generation that is not an int32,
 *   userData that is neither bytes nor null).
 */
export function encodeSubscription(sub: MemberSubscription, version: number = CONSUMER_PROTOCOL_LATEST_VERSION): Uint8Array {
  const problems = new FieldProblems()
  problems.version('version', version, 0, CONSUMER_PROTOCOL_LATEST_VERSION)
  checkStringList(problems, 'topics', sub.topics)
  checkNullableBytes(problems, 'userData', sub.userData)
  checkTopicPartitions(problems, 'ownedPartitions', sub.ownedPartitions)
  if (sub.generationId !== undefined) problems.int32('generationId', sub.generationId)
  if (sub.rackId !== undefined) problems.string('rackId', sub.rackId, false, CLASSIC)
  problems.throwIfAny('consumer protocol subscription')

  const w = new Writer(256)
  w.int16(version)
  writeArrayLength(w, sub.topics.length, CLASSIC)
  for (const topic of sub.topics) writeString(w, topic, CLASSIC)
  writeNullableBytes(w, sub.userData)
  if (version >= FIRST_OWNED_PARTITIONS_VERSION) writeTopicPartitions(w, sub.ownedPartitions)
  if (version >= FIRST_GENERATION_ID_VERSION) w.int32(sub.generationId ?? UNKNOWN_GENERATION_ID)
  if (version >= FIRST_RACK_ID_VERSION) writeNullableString(w, sub.rackId ?? null, CLASSIC)
  return copyOut(w)
}

/**
 * Decodes a ConsumerProtocolSubscription of any version ≥ 0 (above 3: its v3 fields). The
 * result never aliases `bytes`. `ownedPartitions` is `[]` below v1; `generationId` is set from
 * v2 (possibly −1) and absent below; `rackId` is absent below v3 or when null;
 * `groupInstanceId` is always absent (it is not in the bytes).
 * @throws `LOG_CORRUPT_BATCH` for truncated or malformed bytes, a negative version, or trailing
 *   bytes after a version we know.
 */
export function decodeSubscription(bytes: Uint8Array): MemberSubscription {
  const r = new Reader(bytes, 0, bytes.length, 0, 'consumer protocol subscription')
  const version = readVersion(r)
  const topicCount = readArrayLength(r, CLASSIC, 'topics')
  const topics: string[] = []
  for (let i = 0; i < topicCount; i++) topics.push(readString(r, CLASSIC, 'topics[]'))
  const userData = readNullableBytes(r, 'userData')
  const ownedPartitions = version >= FIRST_OWNED_PARTITIONS_VERSION ? readTopicPartitions(r, 'ownedPartitions') : []
  const generationId = version >= FIRST_GENERATION_ID_VERSION ? r.int32() : undefined
  const rackId = version >= FIRST_RACK_ID_VERSION ? readNullableString(r, CLASSIC, 'rackId') : null
  if (version <= CONSUMER_PROTOCOL_LATEST_VERSION) expectEnd(r)
  return {
    topics,
    ownedPartitions,
    userData,
    ...(generationId === undefined ? {} : { generationId }),
    ...(rackId === null ? {} : { rackId }),
  }
}

/**
 * Encodes a member's assignment as ConsumerProtocolAssignment `version` (0–3, default 3; all
 * versions have the same layout). Absent `userData` is written as null.
 * @throws `CONFIG_INVALID` listing every invalid field (version, topics, int32 partitions,
 *   userData).
 */
export function encodeAssignment(a: MemberAssignment, version: number = CONSUMER_PROTOCOL_LATEST_VERSION): Uint8Array {
  const problems = new FieldProblems()
  problems.version('version', version, 0, CONSUMER_PROTOCOL_LATEST_VERSION)
  checkTopicPartitions(problems, 'partitions', a.partitions)
  checkNullableBytes(problems, 'userData', a.userData ?? null)
  problems.throwIfAny('consumer protocol assignment')

  const w = new Writer(128)
  w.int16(version)
  writeTopicPartitions(w, a.partitions)
  writeNullableBytes(w, a.userData ?? null)
  return copyOut(w)
}

/**
 * Decodes a ConsumerProtocolAssignment of any version ≥ 0 (above 3: its v3 fields). Empty bytes
 * decode as an empty assignment: Kafka's coordinator sends empty bytes to a member the leader
 * left out of its assignment, and so does ours. The result never aliases `bytes`.
 * @throws `LOG_CORRUPT_BATCH` for truncated or malformed bytes, a negative version, or trailing
 *   bytes after a version we know.
 */
export function decodeAssignment(bytes: Uint8Array): MemberAssignment {
  if (bytes.length === 0) return { partitions: [], userData: null }
  const r = new Reader(bytes, 0, bytes.length, 0, 'consumer protocol assignment')
  const version = readVersion(r)
  const partitions = readTopicPartitions(r, 'assignedPartitions')
  const userData = readNullableBytes(r, 'userData')
  if (version <= CONSUMER_PROTOCOL_LATEST_VERSION) expectEnd(r)
  return { partitions, userData }
}

function readVersion(r: Reader): number {
  const version = r.int16()
  if (version < 0) throw r.corrupt(`unsupported version ${version}`, 0)
  return version
}

function writeNullableBytes(w: Writer, b: Uint8Array | null): void {
  if (b === null) w.int32(NULL_LENGTH)
  else writeBytes(w, b, CLASSIC)
}

/** A copy, so that decoded user data never aliases the payload. */
function readNullableBytes(r: Reader, field: string): Uint8Array | null {
  const at = r.pos
  const length = r.int32()
  if (length === NULL_LENGTH) return null
  if (length < 0) throw r.corrupt(`${field} has negative length ${length}`, at)
  return new Uint8Array(r.view(length))
}

/** Groups partitions per topic: topics in first-seen order, partitions in the order given. */
function writeTopicPartitions(w: Writer, partitions: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic)
    if (list === undefined) byTopic.set(topic, [partition])
    else list.push(partition)
  }
  writeArrayLength(w, byTopic.size, CLASSIC)
  for (const [topic, list] of byTopic) {
    writeString(w, topic, CLASSIC)
    writeArrayLength(w, list.length, CLASSIC)
    for (const p of list) w.int32(p)
  }
}

function readTopicPartitions(r: Reader, field: string): TopicPartition[] {
  const out: TopicPartition[] = []
  const topicCount = readArrayLength(r, CLASSIC, field)
  for (let i = 0; i < topicCount; i++) {
    const topic = readString(r, CLASSIC, `${field}[].topic`)
    const count = readArrayLength(r, CLASSIC, `${field}[].partitions`)
    for (let j = 0; j < count; j++) out.push({ topic, partition: r.int32() })
  }
  return out
}

function checkStringList(problems: FieldProblems, path: string, v: unknown): void {
  if (!Array.isArray(v)) {
    problems.other(`${path} must be an array of strings`)
    return
  }
  v.forEach((s: unknown, i) => problems.string(`${path}[${i}]`, s, false, CLASSIC))
}

function checkNullableBytes(problems: FieldProblems, path: string, v: unknown): void {
  if (v !== null) problems.bytes(path, v)
}

function checkTopicPartitions(problems: FieldProblems, path: string, v: unknown): void {
  if (!Array.isArray(v)) {
    problems.other(`${path} must be an array of { topic, partition }`)
    return
  }
  v.forEach((tp: unknown, i) => {
    if (typeof tp !== 'object' || tp === null) {
      problems.other(`${path}[${i}] must be a { topic, partition }`)
      return
    }
    const { topic, partition } = tp as Partial<Record<keyof TopicPartition, unknown>>
    problems.string(`${path}[${i}].topic`, topic, false, CLASSIC)
    problems.int32(`${path}[${i}].partition`, partition)
  })
}

/**
 * `finish()` is a view of the writer's (possibly much larger) buffer; payloads are kept by the
 * coordinator for the group's lifetime, so hand out an exact-size copy instead.
 */
function copyOut(w: Writer): Uint8Array {
  return new Uint8Array(w.finish())
}
