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
 * Kafka's `RoundRobinAssignor` (log-anchor §5.3): every subscribed topic-partition, ordered by
 * topic name then partition, is dealt in turn to the members (static members by
 * `groupInstanceId`, then dynamic members by memberId) on a circular iterator that skips members
 * not subscribed to the partition's topic. With identical subscriptions the counts differ by at
 * most one; with differing subscriptions it can be unbalanced, exactly as in Kafka.
 *
 * Pure and deterministic; never throws. Eager only, as in Kafka.
 */
export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin'
  readonly supportedProtocols: ReadonlyArray<RebalanceProtocol> = ['eager']

  assign(
    cluster: AssignmentCluster,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, MemberAssignment> {
    return toMemberAssignments(assignRoundRobin(cluster, subscriptions))
  }
}

/** The round-robin algorithm on plain lists. */
export function assignRoundRobin(
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): Map<string, TopicPartition[]> {
  const assignment = new Map<string, TopicPartition[]>()
  for (const memberId of subscriptions.keys()) assignment.set(memberId, [])
  const members = sortMembersForAssignment(subscriptions.keys(), subscriptions)

  let cursor = 0
  for (const topic of subscribedTopicsWithMetadata(cluster, subscriptions)) {
    // Someone subscribes to every topic listed here, so the skip loop always stops.
    for (const tp of partitionsOfTopic(topic, cluster.partitionsPerTopic.get(topic) ?? 0)) {
      while (!isSubscribed(subscriptions, members[cursor], topic)) cursor = (cursor + 1) % members.length
      const memberId = members[cursor]
      if (memberId !== undefined) assignment.get(memberId)?.push(tp)
      cursor = (cursor + 1) % members.length
    }
  }
  return assignment
}

function isSubscribed(
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  memberId: string | undefined,
  topic: string,
): boolean {
  return memberId !== undefined && (subscriptions.get(memberId)?.topics.includes(topic) ?? false)
}
