import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CooperativeStickyAssignor,
  type AssignmentCluster,
  type MemberAssignment,
  type MemberSubscription,
} from '../../../../src/log/client/assignors/index.js'
import { topicPartitionKey } from '../../../../src/log/topic-partition.js'
import {
  clusterOf,
  conflictingGroupArb,
  expectValidAssignment,
  groupArb,
  keysOf,
  nextGeneration,
  subscription,
  tp,
} from './assignor-fixtures.js'
import { describeStickyProperties } from './sticky-properties.js'

const assignor = new CooperativeStickyAssignor()

/**
 * Fails if a round hands a member a partition that another member owned going into the round:
 * that member has not revoked it yet, so both would own it at once.
 */
function expectNoDoubleOwnership(
  input: ReadonlyMap<string, MemberSubscription>,
  result: ReadonlyMap<string, MemberAssignment>,
): void {
  for (const [memberId, assignment] of result) {
    for (const partition of assignment.partitions) {
      for (const [other, s] of input) {
        if (other === memberId) continue
        expect(s.ownedPartitions.map(topicPartitionKey)).not.toContain(topicPartitionKey(partition))
      }
    }
  }
}

/** Runs rebalances (each member then owns exactly what it was given) until nothing is withheld. */
function rebalanceUntilComplete(
  cluster: AssignmentCluster,
  initial: Map<string, MemberSubscription>,
  maxRounds: number,
): number {
  let subscriptions = initial
  for (let round = 1; round <= maxRounds; round++) {
    const result = assignor.assign(cluster, subscriptions)
    expectValidAssignment(cluster, subscriptions, result, { complete: false })
    expectNoDoubleOwnership(subscriptions, result)
    const assigned = [...result.values()].reduce((n, a) => n + a.partitions.length, 0)
    const expected = [...cluster.partitionsPerTopic]
      .filter(([t]) => [...subscriptions.values()].some((s) => s.topics.includes(t)))
      .reduce((n, [, c]) => n + c, 0)
    if (assigned === expected) return round
    subscriptions = nextGeneration(subscriptions, result, 10 + round)
  }
  return Number.POSITIVE_INFINITY
}

describe('CooperativeStickyAssignor', () => {
  it('names the cooperative-sticky protocol and prefers cooperative rebalancing', () => {
    expect(assignor.name).toBe('cooperative-sticky')
    expect(assignor.supportedProtocols).toEqual(['cooperative', 'eager'])
  })

  it('only revokes a moving partition in the first round and hands it over in the second', () => {
    const cluster = clusterOf({ t: 3 })
    const round1Input = new Map([
      ['c1', subscription(['t'], { ownedPartitions: [tp('t', 0), tp('t', 1), tp('t', 2)], generationId: 1 })],
      ['c2', subscription(['t'], { generationId: -1 })],
    ])
    const round1 = assignor.assign(cluster, round1Input)
    expect(keysOf(round1)).toEqual({ c1: ['t-0', 't-1'], c2: [] })

    const round2 = assignor.assign(cluster, nextGeneration(round1Input, round1, 2))
    expect(keysOf(round2)).toEqual({ c1: ['t-0', 't-1'], c2: ['t-2'] })
  })

  it('assigns a fresh group completely in one round', () => {
    const cluster = clusterOf({ a: 2, b: 3 })
    const subs = new Map([
      ['x', subscription(['a', 'b'])],
      ['y', subscription(['a', 'b'])],
    ])
    expect(keysOf(assignor.assign(cluster, subs))).toEqual({ x: ['a-0', 'b-0', 'b-2'], y: ['a-1', 'b-1'] })
  })

  it('withholds a partition two members of one generation both claim until both have let it go', () => {
    const cluster = clusterOf({ t: 2 })
    const subs = new Map([
      ['c1', subscription(['t'], { ownedPartitions: [tp('t', 0), tp('t', 1)], generationId: 1 })],
      ['c2', subscription(['t'], { ownedPartitions: [tp('t', 0)], generationId: 1 })],
    ])
    const round1 = assignor.assign(cluster, subs)
    expect(keysOf(round1)).toEqual({ c1: ['t-1'], c2: [] })
    expect(keysOf(assignor.assign(cluster, nextGeneration(subs, round1, 2)))).toEqual({ c1: ['t-1'], c2: ['t-0'] })
  })

  it('never gives a partition to a new owner while another member owned it going into the round', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expectNoDoubleOwnership(subscriptions, assignor.assign(cluster, subscriptions))
      }),
    )
  })

  it('gives a contested partition only to its sole highest-generation claimant', () => {
    fc.assert(
      fc.property(conflictingGroupArb({ identical: false }), ({ cluster, subscriptions }) => {
        const generationOf = (m: string): number => subscriptions.get(m)?.generationId ?? -1
        const claims = (m: string, key: string): boolean =>
          (subscriptions.get(m)?.ownedPartitions ?? []).some((p) => topicPartitionKey(p) === key)
        for (const [memberId, assignment] of assignor.assign(cluster, subscriptions)) {
          for (const partition of assignment.partitions) {
            const key = topicPartitionKey(partition)
            const rivals = [...subscriptions.keys()].filter((m) => m !== memberId && claims(m, key))
            if (rivals.length === 0) continue
            expect(claims(memberId, key)).toBe(true)
            for (const rival of rivals) expect(generationOf(memberId)).toBeGreaterThan(generationOf(rival))
          }
        }
      }),
    )
  })

  it('completes within two rounds, with no double ownership across them, when subscriptions are identical', () => {
    fc.assert(
      fc.property(groupArb({ identical: true }), ({ cluster, subscriptions }) => {
        expect(rebalanceUntilComplete(cluster, subscriptions, 2)).toBeLessThanOrEqual(2)
      }),
    )
  })

  // With differing subscriptions (Kafka's general path) a withheld partition can land on a
  // different member in round 2 than round 1 planned, and the rebalancing that follows may move
  // one more owned partition: about 1 group in 1,000 needs a third round (0 of 20,000 sampled
  // needed a fourth). Whether Kafka's PartitionMovements swap, omitted here, avoids that is open.
  it('completes within three rounds, with no double ownership across them, for any subscriptions', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expect(rebalanceUntilComplete(cluster, subscriptions, 3)).toBeLessThanOrEqual(3)
      }),
    )
  })

  it('needs a third round when round 2 places a withheld partition differently (regression)', () => {
    const cluster = clusterOf({ a: 2, b: 0, c: 7, d: 4 })
    const subs = new Map([
      ['Zed', subscription(['a', 'b'], { generationId: 1 })],
      ['c10', subscription(['a', 'c'], { ownedPartitions: [tp('a', 0), tp('a', 1), tp('c', 3), tp('c', 4)], generationId: 1 })],
      ['a', subscription(['b'], { generationId: 1 })],
      ['z', subscription(['d'], { generationId: 1 })],
      ['c2', subscription(['a', 'c'], { generationId: 1 })],
      ['m-7', subscription(['a', 'c'], { generationId: 1 })],
    ])
    expect(rebalanceUntilComplete(cluster, subs, 3)).toBe(3)
  })

  it('completes within two rounds after a member joins or leaves a settled group of identical subscriptions', () => {
    fc.assert(
      fc.property(groupArb({ identical: true }), fc.boolean(), fc.nat(), ({ cluster, subscriptions }, join, pick) => {
        const fresh = new Map([...subscriptions].map(([m, s]) => [m, { ...s, ownedPartitions: [] }]))
        const settled = nextGeneration(fresh, assignor.assign(cluster, fresh), 5)
        const members = [...settled.keys()]
        const topics = settled.values().next().value?.topics ?? []
        if (join) settled.set('newcomer', subscription(topics))
        else if (members.length > 1) settled.delete(members[pick % members.length] ?? '')
        expect(rebalanceUntilComplete(cluster, settled, 2)).toBeLessThanOrEqual(2)
      }),
    )
  })

  describeStickyProperties(assignor)
})
