import fc from 'fast-check'
import { expect } from 'vitest'
import type {
  AssignmentCluster,
  MemberAssignment,
  MemberSubscription,
  PartitionAssignor,
} from '../../../../src/log/client/assignors/index.js'
import { topicPartitionKey, type TopicPartition } from '../../../../src/log/topic-partition.js'

/** `{ t: 3 }` → cluster metadata. */
export function clusterOf(partitionsPerTopic: Record<string, number>): AssignmentCluster {
  return { partitionsPerTopic: new Map(Object.entries(partitionsPerTopic)) }
}

export function tp(topic: string, partition: number): TopicPartition {
  return { topic, partition }
}

export function subscription(
  topics: readonly string[],
  options: Partial<Omit<MemberSubscription, 'topics'>> = {},
): MemberSubscription {
  return { topics, ownedPartitions: [], userData: null, ...options }
}

/** memberId → partitions as `topic-partition` keys, for compact known-answer assertions. */
export function keysOf(result: ReadonlyMap<string, MemberAssignment>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [memberId, assignment] of result) out[memberId] = assignment.partitions.map(topicPartitionKey)
  return out
}

export function countsOf(result: ReadonlyMap<string, MemberAssignment>): number[] {
  return [...result.values()].map((a) => a.partitions.length)
}

/** Every partition of every subscribed topic with metadata, in (topic, partition) order. */
export function subscribedPartitions(
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): TopicPartition[] {
  const topics = new Set([...subscriptions.values()].flatMap((s) => [...s.topics]))
  return [...cluster.partitionsPerTopic]
    .filter(([topic]) => topics.has(topic))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([topic, count]) => Array.from({ length: count }, (_, p) => tp(topic, p)))
}

/**
 * The invariants of every assignor: one entry per member, only partitions that exist and that
 * the member subscribes to, none twice, and (when `complete`) every subscribed partition.
 */
export function expectValidAssignment(
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  result: ReadonlyMap<string, MemberAssignment>,
  { complete }: { complete: boolean },
): void {
  expect([...result.keys()].sort()).toEqual([...subscriptions.keys()].sort())
  const seen = new Set<string>()
  for (const [memberId, assignment] of result) {
    const topics = subscriptions.get(memberId)?.topics ?? []
    for (const partition of assignment.partitions) {
      expect(topics).toContain(partition.topic)
      expect(partition.partition).toBeLessThan(cluster.partitionsPerTopic.get(partition.topic) ?? 0)
      const key = topicPartitionKey(partition)
      expect(seen.has(key)).toBe(false)
      seen.add(key)
    }
  }
  if (complete) {
    expect([...seen].sort()).toEqual(subscribedPartitions(cluster, subscriptions).map(topicPartitionKey).sort())
  }
}

/** Same input in a different map insertion order must give the same output, in the same order. */
export function expectInsertionOrderIndependent(
  assignor: PartitionAssignor,
  cluster: AssignmentCluster,
  subscriptions: ReadonlyMap<string, MemberSubscription>,
): void {
  const reversed = new Map([...subscriptions].reverse())
  const reversedCluster: AssignmentCluster = {
    partitionsPerTopic: new Map([...cluster.partitionsPerTopic].reverse()),
  }
  const first = assignor.assign(cluster, subscriptions)
  expect([...assignor.assign(reversedCluster, reversed)]).toEqual([...first])
  expect([...assignor.assign(cluster, subscriptions)]).toEqual([...first])
}

const TOPICS = ['a', 'b', 'c', 'd'] as const

/** Cluster metadata for 1–4 topics of 0–7 partitions each. */
export const clusterArb: fc.Arbitrary<AssignmentCluster> = fc
  .subarray([...TOPICS], { minLength: 1 })
  .chain((topics) => fc.tuple(...topics.map((t) => fc.tuple(fc.constant(t), fc.integer({ min: 0, max: 7 })))))
  .map((entries) => ({ partitionsPerTopic: new Map(entries) }))

/** 1–6 distinct member ids, some of which sort oddly ("B" < "a"). */
export const memberIdsArb: fc.Arbitrary<string[]> = fc.uniqueArray(
  fc.constantFrom('a', 'b', 'B', 'c1', 'c10', 'c2', 'm-7', 'z', 'Zed'),
  { minLength: 1, maxLength: 6 },
)

export interface GroupCase {
  readonly cluster: AssignmentCluster
  readonly subscriptions: Map<string, MemberSubscription>
}

/**
 * A group whose members subscribe to the same topics (`identical`) or to random non-empty
 * subsets; some members are static. Previous ownership is a random partial assignment, each
 * partition owned by at most one member that subscribes to it, all in generation `generation`.
 */
export function groupArb({ identical }: { identical: boolean }, generation = 1): fc.Arbitrary<GroupCase> {
  return fc.tuple(clusterArb, memberIdsArb).chain(([cluster, memberIds]) => {
    const topics = [...cluster.partitionsPerTopic.keys()]
    const topicSets = identical
      ? fc.subarray(topics, { minLength: 1 }).map((set) => memberIds.map(() => set))
      : fc.tuple(...memberIds.map(() => fc.subarray(topics, { minLength: 1 })))
    const partitions = topics.flatMap((t) =>
      Array.from({ length: cluster.partitionsPerTopic.get(t) ?? 0 }, (_, p) => tp(t, p)),
    )
    return fc
      .record({
        topicSets,
        statics: fc.tuple(...memberIds.map(() => fc.boolean())),
        owners: fc.tuple(...partitions.map(() => fc.nat({ max: memberIds.length }))),
      })
      .map(({ topicSets, statics, owners }) => {
        const subscriptions = new Map<string, MemberSubscription>()
        memberIds.forEach((memberId, i) => {
          const memberTopics = topicSets[i] ?? []
          const ownedPartitions = partitions.filter(
            (partition, j) => owners[j] === i && memberTopics.includes(partition.topic),
          )
          subscriptions.set(
            memberId,
            subscription(memberTopics, {
              ownedPartitions,
              generationId: generation,
              ...(statics[i] === true ? { groupInstanceId: `instance-${memberIds.length - i}` } : {}),
            }),
          )
        })
        return { cluster, subscriptions }
      })
  })
}

/** The subscriptions of the next rebalance: each member now owns what `result` gave it. */
export function nextGeneration(
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  result: ReadonlyMap<string, MemberAssignment>,
  generationId: number,
): Map<string, MemberSubscription> {
  const next = new Map<string, MemberSubscription>()
  for (const [memberId, s] of subscriptions) {
    next.set(memberId, { ...s, ownedPartitions: result.get(memberId)?.partitions ?? [], generationId })
  }
  return next
}

/**
 * A group with identical or random subscriptions whose members claim random, possibly
 * overlapping partitions (including ones of topics they do not subscribe to) in generations
 * −1…3: stale members, same-generation duplicates and members without a generation.
 */
export function conflictingGroupArb({ identical }: { identical: boolean }): fc.Arbitrary<GroupCase> {
  return groupArb({ identical }).chain(({ cluster, subscriptions }) => {
    const partitions = [...cluster.partitionsPerTopic].flatMap(([t, count]) =>
      Array.from({ length: count + 1 }, (_, p) => tp(t, p)),
    )
    const members = [...subscriptions.keys()]
    return fc
      .tuple(
        ...members.map(() =>
          fc.record({ owned: fc.subarray(partitions), generationId: fc.integer({ min: -1, max: 3 }) }),
        ),
      )
      .map((claims) => {
        const next = new Map<string, MemberSubscription>()
        members.forEach((memberId, i) => {
          const s = subscriptions.get(memberId)
          const claim = claims[i]
          if (s !== undefined && claim !== undefined) {
            next.set(memberId, { ...s, ownedPartitions: claim.owned, generationId: claim.generationId })
          }
        })
        return { cluster, subscriptions: next }
      })
  })
}
