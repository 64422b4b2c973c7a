import type { TopicPartition } from '../../topic-partition.js'
import type {
  AssignmentCluster,
  MemberAssignment,
  MemberSubscription,
  PartitionAssignor,
  RebalanceProtocol,
} from './assignor.js'
import {
  partitionsOfTopic,
  sortMembersForAssignment,
  subscribedTopicsWithMetadata,
  toMemberAssignments,
} from './internal/assignment-support.js'

/**
 * Kafka's `RangeAssignor` (without rack awareness, log-anchor §5.3). Each topic is handled on
 * its own: its subscribers are sorted (static members by `groupInstanceId`, then dynamic members
 * by memberId) and the partitions are cut into contiguous ranges, the first `P % C` members
 * getting one extra. Topics with equal partition counts are therefore co-partitioned: partition
 * i of every such topic lands on the same member.
 *
 * Pure and deterministic; never throws. Eager only, as in Kafka.
 */
export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range'
  readonly supportedProtocols: ReadonlyArray<RebalanceProtocol> = ['eager']

  assign(
    cluster: AssignmentCluster,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, MemberAssignment> {
    return toMemberAssignments(assignRange(cluster, subscriptions))
  }
}

/** The range algorithm on plain lists. */
export function assignRange(
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): Map<string, TopicPartition[]> {
  const assignment = new Map<string, TopicPartition[]>()
  for (const memberId of subscriptions.keys()) assignment.set(memberId, [])

  for (const topic of subscribedTopicsWithMetadata(cluster, subscriptions)) {
    const subscribers = [...subscriptions].filter(([, s]) => s.topics.includes(topic)).map(([id]) => id)
    const members = sortMembersForAssignment(subscribers, subscriptions)
    const partitions = partitionsOfTopic(topic, cluster.partitionsPerTopic.get(topic) ?? 0)
    const perMember = Math.floor(partitions.length / members.length)
    const membersWithExtra = partitions.length % members.length
    members.forEach((memberId, i) => {
      const start = perMember * i + Math.min(i, membersWithExtra)
      const length = perMember + (i < membersWithExtra ? 1 : 0)
      assignment.get(memberId)?.push(...partitions.slice(start, start + length))
    })
  }
  return assignment
}
