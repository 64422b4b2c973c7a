import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RangeAssignor } from '../../../../src/log/client/assignors/index.js'
import type { MemberSubscription } from '../../../../src/log/client/assignors/index.js'
import {
  clusterOf,
  expectInsertionOrderIndependent,
  expectValidAssignment,
  groupArb,
  keysOf,
  subscription,
} from './assignor-fixtures.js'

const assignor = new RangeAssignor()
const assign = (cluster: Record<string, number>, subs: Record<string, MemberSubscription>) =>
  keysOf(assignor.assign(clusterOf(cluster), new Map(Object.entries(subs))))

describe('RangeAssignor', () => {
  it('names the range protocol and supports only eager rebalancing', () => {
    expect(assignor.name).toBe('range')
    expect(assignor.supportedProtocols).toEqual(['eager'])
  })

  it('gives the first two of three partitions to the first of two consumers', () => {
    expect(assign({ t: 3 }, { c0: subscription(['t']), c1: subscription(['t']) })).toEqual({
      c0: ['t-0', 't-1'],
      c1: ['t-2'],
    })
  })

  it('assigns nothing to a consumer without topics or whose topic has no metadata', () => {
    expect(assign({ t: 3 }, { c: subscription([]) })).toEqual({ c: [] })
    expect(assign({}, { c: subscription(['missing']) })).toEqual({ c: [] })
  })

  it('assigns only partitions of subscribed topics', () => {
    expect(assign({ topic: 3, otherTopic: 3 }, { c: subscription(['topic']) })).toEqual({
      c: ['topic-0', 'topic-1', 'topic-2'],
    })
  })

  it('leaves the second consumer empty when a topic has one partition', () => {
    expect(assign({ t: 1 }, { c1: subscription(['t']), c2: subscription(['t']) })).toEqual({
      c1: ['t-0'],
      c2: [],
    })
  })

  it('splits two topics of three partitions the same way, keeping them co-partitioned', () => {
    expect(
      assign({ t0: 3, t1: 3 }, { c0: subscription(['t0', 't1']), c1: subscription(['t0', 't1']) }),
    ).toEqual({ c0: ['t0-0', 't0-1', 't1-0', 't1-1'], c1: ['t0-2', 't1-2'] })
  })

  it('ranges each topic over its own subscribers only (Kafka testMultipleConsumersMixedTopics)', () => {
    expect(
      assign(
        { topic1: 3, topic2: 2 },
        {
          consumer1: subscription(['topic1']),
          consumer2: subscription(['topic1', 'topic2']),
          consumer3: subscription(['topic1']),
        },
      ),
    ).toEqual({
      consumer1: ['topic1-0'],
      consumer2: ['topic1-1', 'topic2-0', 'topic2-1'],
      consumer3: ['topic1-2'],
    })
  })

  it('orders static members by group.instance.id before dynamic members by memberId', () => {
    expect(
      assign(
        { t: 4 },
        {
          a: subscription(['t']),
          b: subscription(['t'], { groupInstanceId: 'instance-2' }),
          c: subscription(['t'], { groupInstanceId: 'instance-1' }),
          '0': subscription(['t']),
        },
      ),
    ).toEqual({ '0': ['t-2'], a: ['t-3'], b: ['t-1'], c: ['t-0'] })
  })

  it('keeps a static member on the same partitions when its memberId changes after a restart', () => {
    const before = assign({ t: 3 }, {
      m1: subscription(['t'], { groupInstanceId: 'i1' }),
      m2: subscription(['t'], { groupInstanceId: 'i2' }),
    })
    const after = assign({ t: 3 }, {
      zz: subscription(['t'], { groupInstanceId: 'i1' }),
      m2: subscription(['t'], { groupInstanceId: 'i2' }),
    })
    expect(after.zz).toEqual(before.m1)
    expect(after.m2).toEqual(before.m2)
  })

  it('assigns every subscribed partition exactly once, only to subscribers', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expectValidAssignment(cluster, subscriptions, assignor.assign(cluster, subscriptions), { complete: true })
      }),
    )
  })

  it('gives each topic contiguous ranges, the first P % C subscribers one extra, in member order', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        const result = assignor.assign(cluster, subscriptions)
        for (const [topic, count] of cluster.partitionsPerTopic) {
          const subscribers = [...subscriptions]
            .filter(([, s]) => s.topics.includes(topic))
            .sort(([idA, a], [idB, b]) => memberOrder(idA, a, idB, b))
            .map(([id]) => id)
          if (subscribers.length === 0) continue
          const expected = subscribers.flatMap((memberId, i) => {
            const size = Math.floor(count / subscribers.length) + (i < count % subscribers.length ? 1 : 0)
            return Array.from({ length: size }, () => memberId)
          })
          const actual = Array.from({ length: count }, (_, p) =>
            [...result].find(([, a]) => a.partitions.some((x) => x.topic === topic && x.partition === p))?.[0],
          )
          expect(actual).toEqual(expected)
        }
      }),
    )
  })

  it('returns the same assignment whatever the insertion order of members and topics', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expectInsertionOrderIndependent(assignor, cluster, subscriptions)
      }),
    )
  })
})

/** The oracle's own statement of Kafka's MemberInfo order. */
function memberOrder(idA: string, a: MemberSubscription, idB: string, b: MemberSubscription): number {
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0)
  if (a.groupInstanceId !== undefined && b.groupInstanceId !== undefined) return cmp(a.groupInstanceId, b.groupInstanceId)
  if (a.groupInstanceId !== undefined) return -1
  if (b.groupInstanceId !== undefined) return 1
  return cmp(idA, idB)
}
