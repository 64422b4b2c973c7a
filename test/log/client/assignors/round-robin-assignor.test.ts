import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RoundRobinAssignor } from '../../../../src/log/client/assignors/index.js'
import type { MemberSubscription } from '../../../../src/log/client/assignors/index.js'
import { topicPartitionKey } from '../../../../src/log/topic-partition.js'
import {
  clusterOf,
  countsOf,
  expectInsertionOrderIndependent,
  expectValidAssignment,
  groupArb,
  keysOf,
  subscribedPartitions,
  subscription,
} from './assignor-fixtures.js'

const assignor = new RoundRobinAssignor()
const assign = (cluster: Record<string, number>, subs: Record<string, MemberSubscription>) =>
  keysOf(assignor.assign(clusterOf(cluster), new Map(Object.entries(subs))))

describe('RoundRobinAssignor', () => {
  it('names the roundrobin protocol and supports only eager rebalancing', () => {
    expect(assignor.name).toBe('roundrobin')
    expect(assignor.supportedProtocols).toEqual(['eager'])
  })

  it('deals two topics of three partitions alternately to two consumers', () => {
    expect(
      assign({ t1: 3, t2: 3 }, { c1: subscription(['t1', 't2']), c2: subscription(['t1', 't2']) }),
    ).toEqual({ c1: ['t1-0', 't1-2', 't2-1'], c2: ['t1-1', 't2-0', 't2-2'] })
  })

  it('skips consumers not subscribed to a topic (Kafka testMultipleConsumersMixedTopics)', () => {
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

  it('assigns nothing to a consumer whose topic has no metadata', () => {
    expect(assign({}, { c: subscription(['missing']) })).toEqual({ c: [] })
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

  it('assigns every subscribed partition exactly once, only to subscribers', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        expectValidAssignment(cluster, subscriptions, assignor.assign(cluster, subscriptions), { complete: true })
      }),
    )
  })

  it('deals the i-th sorted partition to the (i mod C)-th member when subscriptions are identical', () => {
    fc.assert(
      fc.property(groupArb({ identical: true }), ({ cluster, subscriptions }) => {
        const result = assignor.assign(cluster, subscriptions)
        const members = [...subscriptions.keys()]
        const statics = members
          .filter((m) => subscriptions.get(m)?.groupInstanceId !== undefined)
          .sort((a, b) => cmp(subscriptions.get(a)?.groupInstanceId ?? '', subscriptions.get(b)?.groupInstanceId ?? ''))
        const dynamics = members.filter((m) => subscriptions.get(m)?.groupInstanceId === undefined).sort(cmp)
        const order = [...statics, ...dynamics]
        subscribedPartitions(cluster, subscriptions).forEach((partition, i) => {
          const owner = order[i % order.length] ?? ''
          expect(result.get(owner)?.partitions.map(topicPartitionKey)).toContain(topicPartitionKey(partition))
        })
        const counts = countsOf(result)
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
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

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
