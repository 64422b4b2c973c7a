/**
 * Builds the admin's view of a consumer group from the coordinator's snapshot: members with
 * their parsed subscription and assignment (the coordinator keeps both as opaque bytes, as
 * Kafka's does; only tooling parses them — log-anchor §5.2), and committed offsets with lag.
 */
import { isMillraceError } from '../../errors.js'
import type { GroupSnapshot, GroupMemberSnapshot, StoredOffset } from '../../group/coordinator-api.js'
import { decodeAssignment, decodeSubscription } from '../../group/consumer-protocol.js'
import type { TopicPartition } from '../../topic-partition.js'
import { partitionKey } from './admin-arguments.js'
import type { GroupDescription, GroupMemberDescription, GroupOffsetLag } from './admin-api.js'

/** Kafka's `ConsumerProtocol.PROTOCOL_TYPE`: the only member bytes we know how to read. */
const CONSUMER_PROTOCOL_TYPE = 'consumer'
/** What `logEndOf` answers for a partition that no longer exists or failed to open. */
export const UNKNOWN_LOG_END_OFFSET = -1

/**
 * Describes a group. `logEndOf` answers a partition's log end, or {@link UNKNOWN_LOG_END_OFFSET}
 * when it has none (topic deleted, partition failed): such an offset is listed with lag 0 rather
 * than failing the description, since a group's offsets outlive its topics.
 */
export function describeGroupSnapshot(
  snapshot: GroupSnapshot,
  offsets: readonly StoredOffset[],
  logEndOf: (tp: TopicPartition) => number,
): GroupDescription {
  const members = snapshot.members.map((m) => describeMember(snapshot.protocolType, m))
  const owner = new Map<string, string>()
  for (const m of members) {
    for (const tp of m.assignment) owner.set(partitionKey(tp), m.memberId)
  }
  const lags: GroupOffsetLag[] = [...offsets].sort(byTopicThenPartition).map((o) => {
    const logEndOffset = logEndOf(o)
    return {
      topic: o.topic,
      partition: o.partition,
      committedOffset: o.offset,
      metadata: o.metadata,
      logEndOffset,
      lag: logEndOffset === UNKNOWN_LOG_END_OFFSET ? 0 : Math.max(0, logEndOffset - o.offset),
      memberId: owner.get(partitionKey(o)),
    }
  })
  return {
    groupId: snapshot.groupId,
    state: snapshot.state,
    protocolType: snapshot.protocolType,
    protocol: snapshot.protocolName,
    generationId: snapshot.generationId,
    leaderId: snapshot.leaderId,
    members,
    offsets: lags,
  }
}

function describeMember(protocolType: string, m: GroupMemberSnapshot): GroupMemberDescription {
  const parsed = parseMemberBytes(protocolType, m)
  return {
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscription: parsed.subscription,
    assignment: parsed.assignment,
  }
}

/**
 * Parses a member's subscription and assignment, each on its own. A member whose bytes are not
 * a consumer protocol payload — another protocol type (Kafka Connect workers, a custom group), or
 * bytes that fail to parse (a buggy or foreign client) — is shown with an empty subscription
 * and/or assignment instead of failing the call: the coordinator never validates these bytes, so
 * one odd member must not make the whole group (and every other group of the same describe call)
 * impossible to inspect. Kafka's admin likewise reads them only for the `consumer` (or empty)
 * protocol type.
 */
function parseMemberBytes(
  protocolType: string,
  m: GroupMemberSnapshot,
): { subscription: string[]; assignment: TopicPartition[] } {
  if (protocolType !== CONSUMER_PROTOCOL_TYPE && protocolType !== '') return { subscription: [], assignment: [] }
  return {
    // Before its first join completes a member has no metadata yet: nothing to parse.
    subscription: m.metadata.length === 0 ? [] : orEmpty(() => [...decodeSubscription(m.metadata).topics]),
    assignment: orEmpty(() => decodeAssignment(m.assignment).partitions),
  }
}

/**
 * `decode()`, or `[]` when the bytes are corrupt. The `LOG_CORRUPT_BATCH` is dropped on purpose
 * (see above): it is about a member's bytes, which the describing caller cannot act on; any other
 * error is a bug and propagates.
 */
function orEmpty<T>(decode: () => T[]): T[] {
  try {
    return decode()
  } catch (err) {
    if (isMillraceError(err, 'LOG_CORRUPT_BATCH')) return []
    throw err
  }
}

function byTopicThenPartition(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1
  return a.partition - b.partition
}
