import type { TopicPartition } from '../../../topic-partition.js'
import type { AssignmentCluster, MemberAssignment, MemberSubscription } from '../assignor.js'

/**
 * Java's `String.compareTo` order (UTF-16 code units), which JavaScript's `<` also uses.
 * `localeCompare` would make assignments depend on the host's locale.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Topic name, then partition number: the order Kafka lays partitions out in. */
export function comparePartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition
}

/**
 * Members in `AbstractPartitionAssignor.MemberInfo` order: static members by
 * `groupInstanceId` first, then dynamic members by memberId. Two static members sharing an
 * instance id cannot both be in a valid group; memberId breaks that tie so the order stays total.
 */
export function sortMembersForAssignment(
  memberIds: Iterable<string>,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): string[] {
  return [...memberIds].sort((a, b) => {
    const instanceA = subscriptions.get(a)?.groupInstanceId
    const instanceB = subscriptions.get(b)?.groupInstanceId
    if (instanceA !== undefined && instanceB !== undefined) {
      return compareStrings(instanceA, instanceB) || compareStrings(a, b)
    }
    if (instanceA !== undefined) return -1
    if (instanceB !== undefined) return 1
    return compareStrings(a, b)
  })
}

/** The partition count of a topic, or `undefined` when the cluster has no usable metadata for it. */
export function findPartitionCount(cluster: AssignmentCluster, topic: string): number | undefined {
  const count = cluster.partitionsPerTopic.get(topic)
  return count !== undefined && Number.isSafeInteger(count) && count >= 0 ? count : undefined
}

/** True when the partition exists in the cluster metadata. */
export function isKnownPartition(cluster: AssignmentCluster, tp: TopicPartition): boolean {
  const count = findPartitionCount(cluster, tp.topic)
  return count !== undefined && Number.isSafeInteger(tp.partition) && tp.partition >= 0 && tp.partition < count
}

/** Every topic some member subscribes to that has metadata, sorted by name. */
export function subscribedTopicsWithMetadata(
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): string[] {
  const topics = new Set<string>()
  for (const subscription of subscriptions.values()) {
    for (const topic of subscription.topics) {
      if (findPartitionCount(cluster, topic) !== undefined) topics.add(topic)
    }
  }
  return [...topics].sort(compareStrings)
}

/** Partitions 0 … count−1 of a topic. */
export function partitionsOfTopic(topic: string, count: number): TopicPartition[] {
  return Array.from({ length: count }, (_, partition) => ({ topic, partition }))
}

/**
 * Wraps per-member partition lists as the assignor result: keys in memberId order and each
 * member's partitions sorted, so equal inputs give equal (and equally ordered) outputs.
 */
export function toMemberAssignments(
  partitionsByMember: ReadonlyMap<string, TopicPartition[]>,
): Map<string, MemberAssignment> {
  const result = new Map<string, MemberAssignment>()
  for (const memberId of [...partitionsByMember.keys()].sort(compareStrings)) {
    const partitions = [...(partitionsByMember.get(memberId) ?? [])].sort(comparePartitions)
    result.set(memberId, { partitions, userData: null })
  }
  return result
}
