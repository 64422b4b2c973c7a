import fc from 'fast-check'
import { expect, it } from 'vitest'
import type {
  AssignmentCluster,
  MemberAssignment,
  MemberSubscription,
  PartitionAssignor,
} from '../../../../src/log/client/assignors/index.js'
import { topicPartitionKey } from '../../../../src/log/topic-partition.js'
import {
  conflictingGroupArb,
  countsOf,
  expectInsertionOrderIndependent,
  expectValidAssignment,
  groupArb,
  nextGeneration,
  subscription,
} from './assignor-fixtures.js'

/** Rounds the cooperative assignor may need before it hands out everything (general path). */
const MAX_COOPERATIVE_ROUNDS = 3

/** Properties shared by both sticky assignors (the cooperative one after its second phase). */
export function describeStickyProperties(assignor: PartitionAssignor): void {
  // The cooperative assignor withholds moving partitions for a round; the properties speak of
  // the assignment it settles on (round 2 with identical subscriptions, at most round 3 with
  // differing ones; see cooperative-sticky-assignor.test.ts).
  const settle = (cluster: AssignmentCluster, subs: Map<string, MemberSubscription>) => {
    let result = assignor.assign(cluster, subs)
    if (!assignor.supportedProtocols.includes('cooperative')) return result
    for (let round = 2; round <= MAX_COOPERATIVE_ROUNDS; round++) {
      result = assignor.assign(cluster, nextGeneration(subs, result, round))
    }
    return result
  }

  it('assigns every subscribed partition exactly once, only to subscribers', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expectValidAssignment(cluster, subscriptions, settle(cluster, subscriptions), { complete: true })
      }),
    )
  })

  it('assigns every partition exactly once despite stale, duplicate and invalid ownership claims', () => {
    fc.assert(
      fc.property(conflictingGroupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expectValidAssignment(cluster, subscriptions, settle(cluster, subscriptions), { complete: true })
      }),
    )
  })

  it('keeps member counts within one when subscriptions are identical', () => {
    fc.assert(
      fc.property(groupArb({ identical: true }), ({ cluster, subscriptions }) => {
        const counts = countsOf(settle(cluster, subscriptions))
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
      }),
    )
  })

  it('leaves no partition with an owner two more loaded than another subscriber of its topic', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        const result = settle(cluster, subscriptions)
        const size = (m: string): number => result.get(m)?.partitions.length ?? 0
        for (const [owner, assignment] of result) {
          for (const partition of assignment.partitions) {
            for (const [other, s] of subscriptions) {
              if (s.topics.includes(partition.topic)) expect(size(owner)).toBeLessThanOrEqual(size(other) + 1)
            }
          }
        }
      }),
    )
  })

  it('keeps at least min(owned, fair share) partitions with each member when subscriptions are identical', () => {
    fc.assert(
      fc.property(groupArb({ identical: true }), ({ cluster, subscriptions }) => {
        expectSticky(subscriptions, assignor.assign(cluster, subscriptions), cluster)
      }),
    )
  })

  it('keeps survivors’ partitions when one member joins or leaves a group it had assigned', () => {
    fc.assert(
      fc.property(
        groupArb({ identical: true }),
        fc.boolean(),
        fc.nat(),
        ({ cluster, subscriptions }, join, pick) => {
          const fresh = new Map([...subscriptions].map(([m, s]) => [m, { ...s, ownedPartitions: [] }]))
          const previous = nextGeneration(fresh, settle(cluster, fresh), 3)
          const members = [...previous.keys()]
          const changed = new Map(previous)
          if (join) {
            const topics = previous.values().next().value?.topics ?? []
            changed.set('newcomer', subscription(topics))
          } else if (members.length > 1) {
            changed.delete(members[pick % members.length] ?? '')
          }
          expectSticky(changed, assignor.assign(cluster, changed), cluster)
        },
      ),
    )
  })

  it('returns the same assignment whatever the insertion order of members and topics', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expectInsertionOrderIndependent(assignor, cluster, subscriptions)
      }),
    )
  })
}

function expectSticky(
  subscriptions: ReadonlyMap<string, MemberSubscription>,
  result: ReadonlyMap<string, MemberAssignment>,
  cluster: AssignmentCluster,
): void {
  const topics = new Set([...subscriptions.values()].flatMap((s) => [...s.topics]))
  const total = [...cluster.partitionsPerTopic].filter(([t]) => topics.has(t)).reduce((n, [, c]) => n + c, 0)
  const fairShare = Math.floor(total / subscriptions.size)
  for (const [memberId, s] of subscriptions) {
    const assigned = new Set(result.get(memberId)?.partitions.map(topicPartitionKey))
    const kept = s.ownedPartitions.filter((p) => assigned.has(topicPartitionKey(p))).length
    expect(kept).toBeGreaterThanOrEqual(Math.min(s.ownedPartitions.length, fairShare))
  }
}
