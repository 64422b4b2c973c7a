import { topicPartitionKey, type TopicPartition } from '../../../topic-partition.js'
import type { AssignmentCluster, MemberSubscription } from '../assignor.js'
import {
  compareStrings,
  comparePartitions,
  findPartitionCount,
  isKnownPartition,
  partitionsOfTopic,
} from './assignment-support.js'

/**
 * Kafka's `AbstractStickyAssignor` (log-anchor §5.3), shared by the eager and the cooperative
 * sticky assignors. Goals, in order: (1) balance — member counts differ by at most one, or no
 * member with two or more fewer partitions could take any of the others'; (2) stickiness — keep
 * as many previously owned partitions where they are as balance allows.
 *
 * Deliberate differences from the Java code, all for determinism (Java iterates `HashMap`s):
 * - members are visited in memberId order and each member's owned partitions in
 *   (topic, partition) order, so which owned partitions a member keeps is stable;
 * - generation conflicts are resolved per partition over all claimants at once (see
 *   `resolvePreviousOwners`), which Java's visiting order can make differ in three-way conflicts;
 * - the general path omits `PartitionMovements`' reverse-movement swap: every reassignment still
 *   strictly narrows the count spread, so the loop ends and balance is unchanged.
 */

/** Kafka's `DEFAULT_GENERATION`: a subscription without a generation. */
const DEFAULT_GENERATION = -1

export interface StickyResult {
  /** memberId → assigned partitions (every member has an entry). */
  readonly assignment: Map<string, TopicPartition[]>
  /**
   * Partition key → the member whose claim survived the generation checks. Partitions claimed
   * by several members of the same (highest) generation have no entry.
   */
  readonly previousOwners: ReadonlyMap<string, string>
}

export function assignSticky(
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): StickyResult {
  const members = [...subscriptions.keys()].sort(compareStrings)
  const topicsByMember = new Map<string, ReadonlySet<string>>()
  for (const memberId of members) topicsByMember.set(memberId, new Set(subscriptions.get(memberId)?.topics ?? []))

  const allTopics = new Set<string>()
  for (const topics of topicsByMember.values()) {
    for (const topic of topics) if (findPartitionCount(cluster, topic) !== undefined) allTopics.add(topic)
  }
  const claims = resolvePreviousOwners(cluster, subscriptions, allTopics)
  const previousOwners = new Map<string, string>()
  const ownedByMember = new Map<string, TopicPartition[]>()
  for (const memberId of members) ownedByMember.set(memberId, [])
  for (const [key, { memberId, tp }] of claims) {
    previousOwners.set(key, memberId)
    ownedByMember.get(memberId)?.push(tp)
  }
  for (const owned of ownedByMember.values()) owned.sort(comparePartitions)

  const assignment = haveEqualSubscriptions(members, topicsByMember)
    ? buildConstrained(cluster, [...allTopics].sort(compareStrings), members, ownedByMember)
    : buildGeneral(cluster, [...allTopics], members, topicsByMember, ownedByMember)
  return { assignment, previousOwners }
}

/**
 * Decides who previously owned each partition, from `ownedPartitions` and `generationId`: the
 * single claimant with the highest generation wins; several claimants tied at the highest
 * generation all lose the partition (Kafka's `partitionsWithMultiplePreviousOwners`). Claims on
 * partitions of topics nobody subscribes to, or that no longer exist, are ignored.
 */
function resolvePreviousOwners(
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  allTopics: ReadonlySet<string>,
): Map<string, { memberId: string; tp: TopicPartition }> {
  const best = new Map<string, { memberId: string; tp: TopicPartition; generation: number; tied: boolean }>()
  for (const [memberId, subscription] of subscriptions) {
    const generation = subscription.generationId ?? DEFAULT_GENERATION
    const seen = new Set<string>()
    for (const tp of subscription.ownedPartitions) {
      const key = topicPartitionKey(tp)
      if (seen.has(key) || !allTopics.has(tp.topic) || !isKnownPartition(cluster, tp)) continue
      seen.add(key)
      const current = best.get(key)
      if (current === undefined || generation > current.generation) {
        best.set(key, { memberId, tp: { topic: tp.topic, partition: tp.partition }, generation, tied: false })
      } else if (generation === current.generation) {
        current.tied = true
      }
    }
  }
  const owners = new Map<string, { memberId: string; tp: TopicPartition }>()
  for (const key of [...best.keys()].sort(compareStrings)) {
    const claim = best.get(key)
    if (claim !== undefined && !claim.tied) owners.set(key, { memberId: claim.memberId, tp: claim.tp })
  }
  return owners
}

function haveEqualSubscriptions(
  members: readonly string[],
  topicsByMember: ReadonlyMap<string, ReadonlySet<string>>,
): boolean {
  const first = members[0] === undefined ? undefined : topicsByMember.get(members[0])
  if (first === undefined) return true
  return members.every((memberId) => {
    const topics = topicsByMember.get(memberId)
    return topics !== undefined && topics.size === first.size && [...topics].every((t) => first.has(t))
  })
}

/**
 * `ConstrainedAssignmentBuilder`: all members subscribe to the same topics. Members keep owned
 * partitions up to their quota (minQuota = ⌊P/C⌋, maxQuota = ⌈P/C⌉, at most `P % C` members at
 * maxQuota), then the remaining partitions are dealt round robin to members below minQuota, and
 * finally one each to members at minQuota until `P % C` members hold maxQuota.
 */
function buildConstrained(
  cluster: AssignmentCluster,
  sortedTopics: readonly string[],
  members: readonly string[],
  ownedByMember: ReadonlyMap<string, TopicPartition[]>,
): Map<string, TopicPartition[]> {
  const allPartitions = sortedTopics.flatMap((t) => partitionsOfTopic(t, findPartitionCount(cluster, t) ?? 0))
  const assignment = new Map<string, TopicPartition[]>()
  for (const memberId of members) assignment.set(memberId, [])
  if (members.length === 0) return assignment

  const minQuota = Math.floor(allPartitions.length / members.length)
  const maxQuota = Math.ceil(allPartitions.length / members.length)
  const expectedMembersOverMin = allPartitions.length % members.length
  let membersOverMin = 0
  let underMin: string[] = []
  let exactlyMin: string[] = []
  const assigned = new Set<string>()

  for (const memberId of members) {
    const owned = ownedByMember.get(memberId) ?? []
    const target = assignment.get(memberId) ?? []
    let kept: TopicPartition[]
    if (owned.length < minQuota) {
      kept = owned
      underMin.push(memberId)
    } else if (owned.length >= maxQuota && membersOverMin < expectedMembersOverMin) {
      kept = owned.slice(0, maxQuota)
      membersOverMin++
      if (membersOverMin === expectedMembersOverMin) exactlyMin = []
    } else {
      kept = owned.slice(0, minQuota)
      if (membersOverMin < expectedMembersOverMin) exactlyMin.push(memberId)
    }
    target.push(...kept)
    for (const tp of kept) assigned.add(topicPartitionKey(tp))
  }

  const unassigned = allPartitions.filter((tp) => !assigned.has(topicPartitionKey(tp)))
  underMin = underMin.sort(compareStrings)
  exactlyMin = exactlyMin.sort(compareStrings)
  let cursor = 0
  for (const tp of unassigned) {
    let memberId: string | undefined
    if (underMin.length > 0) {
      if (cursor >= underMin.length) cursor = 0
      memberId = underMin[cursor]
    } else {
      memberId = exactlyMin.shift()
      membersOverMin++
      if (membersOverMin === expectedMembersOverMin) exactlyMin = []
    }
    // Unreachable by the quota arithmetic (Kafka throws IllegalStateException here).
    if (memberId === undefined) break
    const target = assignment.get(memberId) ?? []
    target.push(tp)
    if (underMin.length > 0 && underMin[cursor] === memberId) {
      if (target.length === minQuota) {
        underMin.splice(cursor, 1)
        if (membersOverMin < expectedMembersOverMin) exactlyMin.push(memberId)
      } else {
        cursor++
      }
    }
  }
  return assignment
}

/**
 * `GeneralAssignmentBuilder`: subscriptions differ. Keep each member's valid owned partitions
 * (dropping those of topics it no longer subscribes to), give every unassigned partition to the
 * least-loaded member that can take it, then move partitions from a member to one with at least
 * two fewer while that is possible. As in Kafka, reassignments that do not lower the balance
 * score are undone unless the group starts from nothing (each move does lower it, so this is a
 * safety net rather than a branch the tests reach).
 */
function buildGeneral(
  cluster: AssignmentCluster,
  topics: readonly string[],
  members: readonly string[],
  topicsByMember: ReadonlyMap<string, ReadonlySet<string>>,
  ownedByMember: ReadonlyMap<string, TopicPartition[]>,
): Map<string, TopicPartition[]> {
  const subscribersByTopic = new Map<string, string[]>()
  for (const topic of topics) {
    subscribersByTopic.set(
      topic,
      members.filter((m) => topicsByMember.get(m)?.has(topic) ?? false),
    )
  }
  // TopicComparator: fewest potential consumers first, then topic name.
  const sortedTopics = [...topics].sort(
    (a, b) =>
      (subscribersByTopic.get(a)?.length ?? 0) - (subscribersByTopic.get(b)?.length ?? 0) ||
      compareStrings(a, b),
  )
  const sortedPartitions = sortedTopics.flatMap((t) => partitionsOfTopic(t, findPartitionCount(cluster, t) ?? 0))
  const potentialCount = new Map<string, number>()
  for (const memberId of members) {
    let count = 0
    for (const topic of topicsByMember.get(memberId) ?? []) {
      if (subscribersByTopic.has(topic)) count += findPartitionCount(cluster, topic) ?? 0
    }
    potentialCount.set(memberId, count)
  }
  const canTake = (memberId: string, tp: TopicPartition): boolean =>
    topicsByMember.get(memberId)?.has(tp.topic) ?? false
  const canMove = (tp: TopicPartition): boolean => (subscribersByTopic.get(tp.topic)?.length ?? 0) >= 2

  const current = new Map<string, TopicPartition[]>()
  const ownerOf = new Map<string, string>()
  let revocationRequired = false
  for (const memberId of members) {
    const kept: TopicPartition[] = []
    for (const tp of ownedByMember.get(memberId) ?? []) {
      if (canTake(memberId, tp)) {
        kept.push(tp)
        ownerOf.set(topicPartitionKey(tp), memberId)
      } else {
        revocationRequired = true
      }
    }
    current.set(memberId, kept)
  }
  const sizeOf = (memberId: string): number => current.get(memberId)?.length ?? 0
  const bySize = (a: string, b: string): number => sizeOf(a) - sizeOf(b) || compareStrings(a, b)
  let sortedMembers = [...members].sort(bySize)
  const initializing = sortedMembers.length === 0 || sizeOf(sortedMembers[sortedMembers.length - 1] ?? '') === 0

  const move = (tp: TopicPartition, to: string): void => {
    const key = topicPartitionKey(tp)
    const from = ownerOf.get(key)
    if (from !== undefined) {
      const list = current.get(from) ?? []
      const index = list.findIndex((p) => topicPartitionKey(p) === key)
      if (index >= 0) list.splice(index, 1)
    }
    current.get(to)?.push(tp)
    ownerOf.set(key, to)
    sortedMembers.sort(bySize)
  }
  const leastLoadedTaker = (tp: TopicPartition): string | undefined =>
    sortedMembers.find((memberId) => canTake(memberId, tp))

  const unassigned = sortedPartitions.filter((tp) => !ownerOf.has(topicPartitionKey(tp)))
  for (const tp of unassigned) {
    const memberId = leastLoadedTaker(tp)
    if (memberId !== undefined) move(tp, memberId)
  }

  // Members that hold everything they can and none of whose partitions could move are fixed.
  const canParticipate = (memberId: string): boolean =>
    sizeOf(memberId) < (potentialCount.get(memberId) ?? 0) || (current.get(memberId) ?? []).some(canMove)
  sortedMembers = sortedMembers.filter(canParticipate)
  const reassignable = sortedPartitions.filter(canMove)

  const isBalanced = (): boolean => {
    const first = sortedMembers[0]
    const last = sortedMembers[sortedMembers.length - 1]
    if (first === undefined || last === undefined || sizeOf(first) >= sizeOf(last) - 1) return true
    for (const memberId of sortedMembers) {
      const size = sizeOf(memberId)
      if (size === (potentialCount.get(memberId) ?? 0)) continue
      for (const topic of topicsByMember.get(memberId) ?? []) {
        for (const tp of partitionsOfTopic(topic, subscribersByTopic.has(topic) ? (findPartitionCount(cluster, topic) ?? 0) : 0)) {
          const other = ownerOf.get(topicPartitionKey(tp))
          if (other !== undefined && other !== memberId && size < sizeOf(other)) return false
        }
      }
    }
    return true
  }

  const performReassignments = (partitions: readonly TopicPartition[]): boolean => {
    let performed = false
    let modified: boolean
    do {
      modified = false
      for (const tp of partitions) {
        if (isBalanced()) break
        const owner = ownerOf.get(topicPartitionKey(tp))
        if (owner === undefined) continue
        const better = (subscribersByTopic.get(tp.topic) ?? []).some(
          (other) => sortedMembers.includes(other) && sizeOf(owner) > sizeOf(other) + 1,
        )
        if (!better) continue
        const target = leastLoadedTaker(tp)
        if (target === undefined || target === owner) continue
        move(tp, target)
        performed = true
        modified = true
      }
    } while (modified)
    return performed
  }

  const snapshot = (): Map<string, TopicPartition[]> => new Map([...current].map(([m, l]) => [m, [...l]]))
  const preBalance = snapshot()
  const participants = [...sortedMembers]
  if (!revocationRequired) performReassignments(unassigned)
  const reassigned = performReassignments(reassignable)
  if (
    !initializing &&
    reassigned &&
    balanceScore(current, participants) >= balanceScore(preBalance, participants)
  ) {
    return preBalance
  }
  return current
}

/** Sum over member pairs of |count difference|: lower is better balanced (`getBalanceScore`). */
function balanceScore(
  assignment: ReadonlyMap<string, readonly TopicPartition[]>,
  members: readonly string[],
): number {
  const sizes = members.map((m) => assignment.get(m)?.length ?? 0)
  let score = 0
  for (let i = 0; i < sizes.length; i++) {
    for (let j = i + 1; j < sizes.length; j++) score += Math.abs((sizes[i] ?? 0) - (sizes[j] ?? 0))
  }
  return score
}
