import fc from 'fast-check'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsBuilder, type KTable } from '../../../src/streams/index.js'
import { StreamsHarness, TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()
const I = Serdes.int32()
const LONG = Serdes.int64()

function driver(define: (builder: StreamsBuilder) => void): TopologyTestDriver {
  const builder = new StreamsBuilder()
  define(builder)
  const d = new TopologyTestDriver(builder.build())
  onTestFinished(() => d.close())
  return d
}

/** The store's rows as `key=value`, in key order. */
function rowsOf<V>(d: TopologyTestDriver, store: string): string[] {
  return [...(d.getKeyValueStore<string, V>(store)?.all() ?? [])].map(({ key, value }) => `${key}=${JSON.stringify(value)}`)
}

describe('table aggregations through the test driver (streams anchor §2.5)', () => {
  it("follows Kafka's documented table-aggregation table row by row: update = subtract old then add new, delete = subtract only, null key ignored", () => {
    const d = driver((b) =>
      b
        .table('user-regions', { key: S, value: S })
        .groupBy((user, region) => ({ key: region, value: user.length }), { key: S, value: I })
        .aggregate(
          () => 0,
          (region, length, sum) => sum + length,
          (region, length, sum) => sum - length,
          { name: 'region-lengths', value: I, caching: false },
        )
        .toStream()
        .to('region-lengths-out', { value: I }),
    )
    const input = d.createInputTopic('user-regions', S, S)
    const output = d.createOutputTopic('region-lengths-out', S, I)
    // [timestamp, user, region] → [state after it, output (region, value, timestamp) it caused]
    const rows: Array<[number, string | null, string | null, string[], Array<[string, number, number]>]> = [
      [1, 'alice', 'E', ['E=5'], [['E', 5, 1]]],
      [2, 'bob', 'A', ['A=3', 'E=5'], [['A', 3, 2]]],
      [3, 'charlie', 'A', ['A=10', 'E=5'], [['A', 10, 3]]],
      // UPDATE alice: the subtractor runs for E (old group) before the adder for A (new group).
      [4, 'alice', 'A', ['A=15', 'E=0'], [['E', 0, 4], ['A', 15, 4]]],
      // DELETE charlie: subtractor only.
      [5, 'charlie', null, ['A=8', 'E=0'], [['A', 8, 5]]],
      // A null key: ignored.
      [6, null, 'E', ['A=8', 'E=0'], []],
      [7, 'bob', 'E', ['A=5', 'E=3'], [['A', 5, 7], ['E', 3, 7]]],
    ]
    for (const [ts, user, region, state, changes] of rows) {
      input.pipeInput(user, region, ts)
      expect(rowsOf(d, 'region-lengths'), `state after ts ${ts}`).toEqual(state)
      expect(output.readRecordsToList().map((r) => [r.key, r.value, r.timestampMs]), `output of ts ${ts}`).toEqual(changes)
    }
  })

  it('applies an update whose group did not change as one update with one result (KIP-904), and writes Kafka change bytes to the repartition topic', () => {
    const d = driver((b) =>
      b
        .table('scores', { key: S, value: Serdes.json<{ team: string; points: number }>() })
        .groupBy((player, score) => ({ key: score.team, value: score.points }), { key: S, value: I })
        .aggregate(() => 0, (team, points, sum) => sum + points, (team, points, sum) => sum - points, { name: 'team-points', value: I, caching: false })
        .toStream()
        .to('team-points-out', { value: I }),
    )
    const input = d.createInputTopic('scores', S, Serdes.json<{ team: string; points: number }>())
    const output = d.createOutputTopic('team-points-out', S, I)
    input.pipeInput('ann', { team: 'red', points: 5 }, 1)
    input.pipeInput('ann', { team: 'red', points: 7 }, 2)
    // One result for the same-team update: 7, never the intermediate 0.
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'red', value: 5 },
      { key: 'red', value: 7 },
    ])
    input.pipeInput('ann', { team: 'blue', points: 7 }, 3)
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'red', value: 0 },
      { key: 'blue', value: 7 },
    ])
    // The last byte is Kafka's ChangedSerializer flag: 1 new only, 2 new and old, 0 old only.
    const repartition = d.createOutputTopic('topology-test-driver-team-points-repartition', S, Serdes.bytes()).readRecordsToList()
    expect(repartition.map((r) => [r.key, r.value?.[r.value.length - 1]])).toEqual([
      ['red', 1],
      ['red', 2],
      ['red', 0],
      ['blue', 1],
    ])
  })

  it('ignores rows the selector maps to a null key or value: they belong to no group', () => {
    const d = driver((b) =>
      b
        .table('users', { key: S, value: S })
        .groupBy((user, region) => ({ key: region === 'none' ? (null as unknown as string) : region, value: user }), { key: S, value: S })
        .count({ name: 'users-per-region', caching: false })
        .toStream()
        .to('counts'),
    )
    const input = d.createInputTopic('users', S, S)
    const output = d.createOutputTopic('counts', S, LONG)
    input.pipeInput('alice', 'none', 1)
    expect(output.readKeyValuesToList()).toEqual([])
    // Leaving no group for E: only an addition.
    input.pipeInput('alice', 'E', 2)
    // Leaving E for no group: only a subtraction.
    input.pipeInput('alice', 'none', 3)
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'E', value: 1n },
      { key: 'E', value: 0n },
    ])
    expect(rowsOf(d, 'users-per-region')).toEqual(['E=0'])
  })

  it('count() counts the rows per group, keeps emptied groups at 0 (as Kafka), writes longs, and keeps the largest timestamp', () => {
    const d = driver((b) =>
      b
        .table('users', { key: S, value: S })
        .groupBy((user, region) => ({ key: region, value: user }), { key: S, value: S })
        .count({ name: 'users-per-region' })
        .toStream()
        .to('counts'),
    )
    const input = d.createInputTopic('users', S, S)
    input.pipeInput('alice', 'E', 10)
    input.pipeInput('bob', 'E', 20)
    input.pipeInput('carol', 'A', 5)
    input.pipeInput('alice', null, 15)
    input.pipeInput('bob', 'A', 12)
    expect(d.createOutputTopic('counts', S, LONG).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['E', 1n, 10],
      ['E', 2n, 20],
      ['A', 1n, 5],
      ['E', 1n, 20],
      ['E', 0n, 20],
      ['A', 2n, 12],
    ])
    expect(d.getTimestampedKeyValueStore<string, number>('users-per-region')?.get('E')).toEqual({ value: 0, timestampMs: 20 })
  })

  it('reduce() starts a group from its first value, and a subtractor returning null removes the group (a tombstone downstream)', () => {
    const d = driver((b) =>
      b
        .table('carts', { key: S, value: Serdes.json<{ shop: string; items: number }>() })
        .groupBy((cart, c) => ({ key: c.shop, value: c.items }), { key: S, value: I })
        .reduce(
          (total, items) => total + items,
          (total, items) => (total - items === 0 ? null : total - items),
          { name: 'items-per-shop', caching: false },
        )
        .toStream()
        .to('items', { value: I }),
    )
    const input = d.createInputTopic('carts', S, Serdes.json<{ shop: string; items: number }>())
    const output = d.createOutputTopic('items', S, I)
    input.pipeInput('c1', { shop: 'north', items: 2 }, 1)
    input.pipeInput('c2', { shop: 'north', items: 3 }, 2)
    input.pipeInput('c1', { shop: 'south', items: 2 }, 3)
    input.pipeInput('c2', null, 4)
    input.pipeInput('c3', { shop: 'north', items: 4 }, 5)
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'north', value: 2 },
      { key: 'north', value: 5 },
      { key: 'north', value: 3 },
      { key: 'south', value: 2 },
      { key: 'north', value: null },
      { key: 'north', value: 4 },
    ])
    expect(rowsOf(d, 'items-per-shop')).toEqual(['north=4', 'south=2'])
  })

  it('with caching (the default) gives the same results, from the store flush (the driver commits after each record)', () => {
    const sums = (caching: boolean): string[] => {
      const d = driver((b) =>
        b
          .table('users', { key: S, value: S }, { caching })
          .groupBy((user, region) => ({ key: region, value: user.length }), { key: S, value: I })
          .aggregate(() => 0, (r, n, sum) => sum + n, (r, n, sum) => sum - n, { name: 'sums', value: I, caching })
          .toStream()
          .to('sums-out', { value: I }),
      )
      const input = d.createInputTopic('users', S, S)
      for (const [ts, user, region] of [[1, 'alice', 'E'], [2, 'bob', 'A'], [3, 'alice', 'A'], [4, 'bob', null]] as const) input.pipeInput(user, region, ts)
      return d.createOutputTopic('sums-out', S, I).readRecordsToList().map((r) => `${r.key}=${r.value}@${r.timestampMs}`)
    }
    expect(sums(true)).toEqual(sums(false))
    expect(sums(true)).toEqual(['E=5@1', 'A=3@2', 'E=0@3', 'A=8@3', 'A=5@4'])
  })

  it('agrees with a naive recomputation from the final table over random upserts and deletes (fast-check)', () => {
    type Row = { region: string | null; amount: number }
    type Sum = { sum: number; rows: number }
    const op = fc.record({
      user: fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5'),
      row: fc.option(fc.record({ region: fc.constantFrom('E', 'A', 'B', null), amount: fc.integer({ min: -50, max: 50 }) }), { nil: null }),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, caching) => {
        const builder = new StreamsBuilder()
        builder
          .table('rows', { key: S, value: Serdes.json<Row>() })
          .groupBy((user, row) => ({ key: row.region as string, value: row.amount }), { key: S, value: I })
          .aggregate<Sum>(
            () => ({ sum: 0, rows: 0 }),
            (region, amount, agg) => ({ sum: agg.sum + amount, rows: agg.rows + 1 }),
            // An emptied group is removed, so the store can equal the recomputation exactly.
            (region, amount, agg) => (agg.rows === 1 ? null : { sum: agg.sum - amount, rows: agg.rows - 1 }),
            { name: 'sums', value: Serdes.json<Sum>(), caching },
          )
          .toStream()
          .to('sums-out', { value: Serdes.json<Sum>() })
        const d = new TopologyTestDriver(builder.build())
        try {
          const input = d.createInputTopic('rows', S, Serdes.json<Row>())
          const table = new Map<string, Row>()
          ops.forEach(({ user, row }, i) => {
            input.pipeInput(user, row, i)
            if (row === null) table.delete(user)
            else table.set(user, row)
          })
          const naive = new Map<string, Sum>()
          for (const { region, amount } of table.values()) {
            if (region === null) continue
            const agg = naive.get(region) ?? { sum: 0, rows: 0 }
            naive.set(region, { sum: agg.sum + amount, rows: agg.rows + 1 })
          }
          const expected = [...naive].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          expect(rowsOf(d, 'sums')).toEqual(expected)
          // The output's latest value per group (a tombstone removing it) is the store.
          const latest = new Map<string, Sum>()
          for (const { key, value } of d.createOutputTopic('sums-out', S, Serdes.json<Sum>()).readKeyValuesToList()) {
            if (value === null) latest.delete(key as string)
            else latest.set(key as string, value)
          }
          expect([...latest].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`)).toEqual(expected)
        } finally {
          d.close()
        }
      }),
      { numRuns: 150 },
    )
  })

  it("names the select node, repartition and aggregation as Kafka does (its tableZeroArgCount topology)", () => {
    const builder = new StreamsBuilder()
    builder
      .table('input-topic', { key: S, value: S })
      .groupBy((key, value) => ({ key: value, value: key }), { key: S, value: S })
      .count()
    expect(builder.build().describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n' +
        '      --> KTABLE-SOURCE-0000000002\n' +
        '    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n' +
        '      --> KTABLE-SELECT-0000000003\n' +
        '      <-- KSTREAM-SOURCE-0000000001\n' +
        '    Processor: KTABLE-SELECT-0000000003 (stores: [])\n' +
        '      --> KSTREAM-SINK-0000000005\n' +
        '      <-- KTABLE-SOURCE-0000000002\n' +
        '    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n' +
        '      <-- KTABLE-SELECT-0000000003\n' +
        '\n' +
        '  Sub-topology: 1\n' +
        '    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n' +
        '      --> KTABLE-AGGREGATE-0000000007\n' +
        '    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n' +
        '      --> none\n' +
        '      <-- KSTREAM-SOURCE-0000000006\n' +
        '\n',
    )
  })

  it('a named grouping names the select node and the repartition topic, shared by its aggregations; reduce has its own names', () => {
    const builder = new StreamsBuilder()
    const grouped = builder.table('input', { key: S, value: S }).groupBy((k, v) => ({ key: v, value: k }), { name: 'by-value', key: S, value: S })
    grouped.count({ name: 'counts' })
    grouped.reduce((a, v) => a + v, (a, v) => a.replace(v, ''), { name: 'joined' })
    const text = builder.build().describe().toString()
    expect(text).toContain('Processor: by-value (stores: [])')
    expect(text).toContain('Sink: KSTREAM-SINK-0000000003 (topic: by-value-repartition)')
    expect(text).toContain('Source: KSTREAM-SOURCE-0000000004 (topics: [by-value-repartition])\n      --> KTABLE-AGGREGATE-0000000005, KTABLE-REDUCE-0000000008')
    // The reduce's sink and source names are taken (Kafka's counter) but not used: it reads the shared topic.
    expect(text).not.toContain('KSTREAM-SINK-0000000006')
    const unnamed = new StreamsBuilder()
    unnamed.table('input', { key: S, value: S }).groupBy((k, v) => ({ key: v, value: k }), { key: S, value: S }).reduce((a, v) => a + v, (a) => a)
    expect(unnamed.build().describe().toString()).toContain('Processor: KTABLE-REDUCE-0000000007 (stores: [KTABLE-REDUCE-STATE-STORE-0000000004])')
  })

  it('refuses an aggregation without the serdes of the selected key and value (STREAMS_TOPOLOGY_INVALID)', () => {
    const table = (): KTable<string, string> => new StreamsBuilder().table('users', { key: S, value: S })
    expect(codeOfSync(() => table().groupBy((u, r) => ({ key: r, value: u })).count())).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => table().groupBy((u, r) => ({ key: r, value: u }), { key: S }).count())).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => table().groupBy((u, r) => ({ key: r, value: u }), { value: S }).count())).toBe('STREAMS_TOPOLOGY_INVALID')
    // A key serde from the materialization is enough for the key.
    expect(codeOfSync(() => table().groupBy((u, r) => ({ key: r, value: u }), { value: S }).count({ key: S }))).toBeUndefined()
  })
})

/**
 * Waits until `groupId` has committed every record of `topic` (as `waitForCommitted`, but a
 * partition that never got a record needs no commit: three regions may hash to two partitions).
 */
async function waitForCommittedRecords(h: StreamsHarness, groupId: string, topic: string): Promise<void> {
  const admin = h.broker.admin()
  try {
    await h.waitFor(async () => {
      const committed = (await admin.listGroupOffsets(groupId)).filter((c) => c.topic === topic)
      return h.broker
        .describeTopic(topic)
        .partitions.every((p) => p.logEndOffset === 0 || committed.some((c) => c.partition === p.partition && c.offset === p.logEndOffset))
    }, `${groupId} to commit every record of ${topic}`)
  } finally {
    await admin.close()
  }
}

describe('a table aggregation app on the embedded broker', () => {
  it('counts users per region across a restart, with moves and deletions between the runs, and caches updates per commit', async () => {
    const h = await StreamsHarness.open({ topics: { 'user-regions': 3, 'users-per-region': 3 } })
    onTestFinished(() => h.close())
    const topology = (): ReturnType<StreamsBuilder['build']> => {
      const builder = new StreamsBuilder()
      builder
        .table('user-regions', { key: S, value: S }, { name: 'users' })
        .groupBy((user, region) => ({ key: region, value: user }), { key: S, value: S })
        .count({ name: 'region-counts' })
        .toStream()
        .to('users-per-region')
      return builder.build()
    }
    const regions = ['north', 'south', 'east']
    const table = new Map<string, string>()
    const upserts = Array.from({ length: 90 }, (_, i) => ({ key: `user-${i % 30}`, value: regions[(i * 7) % 3] as string }))
    await h.produce('user-regions', S, S, upserts)
    for (const { key, value } of upserts) table.set(key, value)
    const truth = (): Map<string, bigint> => {
      const counts = new Map<string, bigint>(regions.map((r) => [r, 0n]))
      for (const region of table.values()) counts.set(region, (counts.get(region) ?? 0n) + 1n)
      return counts
    }
    const latest = async (): Promise<Map<string, bigint>> => {
      const out = new Map<string, bigint>()
      for (const r of await h.readAll('users-per-region', S, LONG)) if (r.key !== null && r.value !== null) out.set(r.key, r.value)
      return out
    }
    const run = async (): Promise<number> => {
      const app = h.app(topology(), { applicationId: 'regions', commitIntervalMs: 1_000 })
      let commits = 0
      app.commit$.subscribe(() => commits++)
      await app.start()
      await h.waitForCommitted('regions', 'user-regions')
      await waitForCommittedRecords(h, 'regions', 'regions-region-counts-repartition')
      await app.close()
      return commits
    }

    const commits = await run()
    expect(await latest()).toEqual(truth())
    // Caching: at most one update per region per commit, far fewer than the 90 row updates.
    expect((await h.readAll('users-per-region', S, LONG)).length).toBeLessThanOrEqual(regions.length * commits)

    const changes = [
      ...Array.from({ length: 10 }, (_, i) => ({ key: `user-${i}`, value: 'east' as string | null })),
      ...Array.from({ length: 5 }, (_, i) => ({ key: `user-${10 + i}`, value: null })),
    ]
    await h.produce('user-regions', S, S, changes)
    for (const { key, value } of changes) {
      if (value === null) table.delete(key)
      else table.set(key, value)
    }
    await run()
    expect(await latest()).toEqual(truth())
  })
})
