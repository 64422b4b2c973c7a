import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CooperativeStickyAssignor, StickyAssignor } from '../../../../src/log/client/assignors/index.js'
import {
  clusterOf,
  countsOf,
  expectValidAssignment,
  groupArb,
  keysOf,
  nextGeneration,
  subscription,
  tp,
} from './assignor-fixtures.js'
import { describeStickyProperties } from './sticky-properties.js'

const sticky = new StickyAssignor()

describe('StickyAssignor', () => {
  it('names the sticky protocol and supports only eager rebalancing', () => {
    expect(sticky.name).toBe('sticky')
    expect(sticky.supportedProtocols).toEqual(['eager'])
  })

  // KIP-54 example 1: three consumers, four topics of two partitions each.
  const fourTopics = clusterOf({ t0: 2, t1: 2, t2: 2, t3: 2 })
  const allFour = ['t0', 't1', 't2', 't3']

  it('assigns a fresh group of identical subscriptions like the KIP-54 example', () => {
    const subs = new Map([
      ['C0', subscription(allFour)],
      ['C1', subscription(allFour)],
      ['C2', subscription(allFour)],
    ])
    expect(keysOf(sticky.assign(fourTopics, subs))).toEqual({
      C0: ['t0-0', 't1-1', 't3-0'],
      C1: ['t0-1', 't2-0', 't3-1'],
      C2: ['t1-0', 't2-1'],
    })
  })

  it('keeps every partition of the survivors in place when a consumer leaves (KIP-54 example 1)', () => {
    const subs = new Map([
      ['C0', subscription(allFour, { ownedPartitions: [tp('t0', 0), tp('t1', 1), tp('t3', 0)], generationId: 1 })],
      ['C2', subscription(allFour, { ownedPartitions: [tp('t1', 0), tp('t2', 1)], generationId: 1 })],
    ])
    const result = keysOf(sticky.assign(fourTopics, subs))
    expect(result.C0).toEqual(expect.arrayContaining(['t0-0', 't1-1', 't3-0']))
    expect(result.C2).toEqual(expect.arrayContaining(['t1-0', 't2-1']))
    expect(result.C0).toHaveLength(4)
    expect(result.C2).toHaveLength(4)
  })

  // KIP-54 example 2: C0 ⊂ C1 ⊂ C2 subscriptions over t0 (1), t1 (2), t2 (3 partitions).
  const nested = clusterOf({ t0: 1, t1: 2, t2: 3 })

  it('balances nested subscriptions like the KIP-54 example, unlike round robin', () => {
    const subs = new Map([
      ['C0', subscription(['t0'])],
      ['C1', subscription(['t0', 't1'])],
      ['C2', subscription(['t0', 't1', 't2'])],
    ])
    expect(keysOf(sticky.assign(nested, subs))).toEqual({
      C0: ['t0-0'],
      C1: ['t1-0', 't1-1'],
      C2: ['t2-0', 't2-1', 't2-2'],
    })
  })

  it('moves only the leaver’s partition when the narrowest subscriber leaves (KIP-54 example 2)', () => {
    const subs = new Map([
      ['C1', subscription(['t0', 't1'], { ownedPartitions: [tp('t1', 0), tp('t1', 1)], generationId: 1 })],
      ['C2', subscription(['t0', 't1', 't2'], { ownedPartitions: [tp('t2', 0), tp('t2', 1), tp('t2', 2)], generationId: 1 })],
    ])
    expect(keysOf(sticky.assign(nested, subs))).toEqual({
      C1: ['t0-0', 't1-0', 't1-1'],
      C2: ['t2-0', 't2-1', 't2-2'],
    })
  })

  it('lets the higher generation keep a partition a stale member still claims', () => {
    const subs = new Map([
      ['c1', subscription(['t'], { ownedPartitions: [tp('t', 0), tp('t', 1), tp('t', 2)], generationId: 2 })],
      ['c2', subscription(['t'], { ownedPartitions: [tp('t', 0), tp('t', 1), tp('t', 2)], generationId: 1 })],
      ['c3', subscription(['t'], { ownedPartitions: [tp('t', 3)], generationId: 2 })],
    ])
    const result = keysOf(sticky.assign(clusterOf({ t: 6 }), subs))
    expect(result.c1).toEqual(['t-0', 't-1'])
    expect(result.c3).toContain('t-3')
    expect(countsOf(sticky.assign(clusterOf({ t: 6 }), subs))).toEqual([2, 2, 2])
  })

  it('discards a partition claimed by two members of the same generation and reassigns it', () => {
    const subs = new Map([
      ['c1', subscription(['t'], { ownedPartitions: [tp('t', 0), tp('t', 1)], generationId: 1 })],
      ['c2', subscription(['t'], { ownedPartitions: [tp('t', 0), tp('t', 2)], generationId: 1 })],
    ])
    const result = sticky.assign(clusterOf({ t: 4 }), subs)
    expectValidAssignment(clusterOf({ t: 4 }), subs, result, { complete: true })
    expect(keysOf(result).c1).toContain('t-1')
    expect(keysOf(result).c2).toContain('t-2')
  })

  it('drops owned partitions of topics that no longer exist or are no longer subscribed', () => {
    const subs = new Map([
      ['c1', subscription(['a'], { ownedPartitions: [tp('gone', 0), tp('b', 0), tp('a', 9)], generationId: 1 })],
      ['c2', subscription(['a', 'b'], { generationId: 1 })],
    ])
    const cluster = clusterOf({ a: 2, b: 2 })
    const result = sticky.assign(cluster, subs)
    expectValidAssignment(cluster, subs, result, { complete: true })
  })

  describeStickyProperties(sticky)
})

describe('CooperativeStickyAssignor shares the sticky target', () => {
  it('gives the same complete assignment as StickyAssignor when nothing changes hands', () => {
    fc.assert(
      fc.property(groupArb({ identical: false }), ({ cluster, subscriptions }) => {
        const target = sticky.assign(cluster, subscriptions)
        const stable = nextGeneration(subscriptions, target, 2)
        expect([...new CooperativeStickyAssignor().assign(cluster, stable)]).toEqual([...sticky.assign(cluster, stable)])
      }),
    )
  })
})
