import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { BufferConfig, SessionWindows, SlidingWindows, StreamsBuilder, Suppressed, TimeWindows, type KTable, type Windowed } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()
const I = Serdes.int32()

interface Activity {
  readonly clicks: number
  readonly views: number
}
const ACTIVITY = Serdes.json<Activity>()

function driver(builder: StreamsBuilder): TopologyTestDriver {
  const d = new TopologyTestDriver(builder.build())
  onTestFinished(() => d.close())
  return d
}

/** clicks and views (user → how many) cogrouped into one activity record per user. */
function activity(caching: boolean): StreamsBuilder {
  const builder = new StreamsBuilder()
  const clicks = builder.stream('clicks', { key: S, value: I }).groupByKey()
  const views = builder.stream('views', { key: S, value: I }).groupByKey()
  clicks
    .cogroup<Activity>((user, n, a) => ({ ...a, clicks: a.clicks + n }))
    .cogroup(views, (user, n, a) => ({ ...a, views: a.views + n }))
    .aggregate(() => ({ clicks: 0, views: 0 }), { name: 'activity', value: ACTIVITY, caching })
    .toStream()
    .to('activity-out')
  return builder
}

/** clicks + 10 × views per user and window (caching off). */
function windowedTotals(windows: TimeWindows): { builder: StreamsBuilder; totals: KTable<Windowed<string>, number> } {
  const builder = new StreamsBuilder()
  const clicks = builder.stream('clicks', { key: S, value: I }).groupByKey()
  const views = builder.stream('views', { key: S, value: I }).groupByKey()
  const totals = clicks
    .cogroup<number>((user, n, total) => total + n)
    .cogroup(views, (user, n, total) => total + 10 * n)
    .windowedBy(windows)
    .aggregate(() => 0, { name: 'per-window', value: I, caching: false })
  return { builder, totals }
}

describe('cogroup (KIP-150) through the test driver', () => {
  it.each([false, true])('folds clicks and views per user into one aggregate, each stream with its own aggregator (caching %s)', (caching) => {
    const d = driver(activity(caching))
    const clicks = d.createInputTopic('clicks', S, I)
    const views = d.createInputTopic('views', S, I)
    clicks.pipeInput('alice', 1, 1)
    views.pipeInput('alice', 3, 2)
    clicks.pipeInput('bob', 2, 3)
    views.pipeInput('alice', 1, 4)
    // Null values and null keys are skipped, as by any stream aggregation.
    clicks.pipeInput('alice', null, 5)
    views.pipeInput(null, 1, 6)
    expect(d.createOutputTopic('activity-out', S, ACTIVITY).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['alice', { clicks: 1, views: 0 }, 1],
      ['alice', { clicks: 1, views: 3 }, 2],
      ['bob', { clicks: 2, views: 0 }, 3],
      ['alice', { clicks: 1, views: 4 }, 4],
    ])
    expect([...(d.getKeyValueStore<string, Activity>('activity')?.all() ?? [])]).toEqual([
      { key: 'alice', value: { clicks: 1, views: 4 } },
      { key: 'bob', value: { clicks: 2, views: 0 } },
    ])
  })

  it('keeps one store for three streams: one aggregate processor per stream, merged into one table node', () => {
    const builder = new StreamsBuilder()
    const grouped = ['purchases', 'wishlist', 'cart'].map((topic) => builder.stream(topic, { key: S, value: I }).groupByKey())
    const [purchases, wishlist, cart] = grouped as [(typeof grouped)[0], (typeof grouped)[0], (typeof grouped)[0]]
    purchases
      .cogroup<number>((customer, n, score) => score + 100 * n)
      .cogroup(wishlist, (customer, n, score) => score + 10 * n)
      .cogroup(cart, (customer, n, score) => score + n)
      .aggregate(() => 0, { value: I, caching: false })
      .toStream()
      .to('scores', { value: I })
    const text = builder.build().describe().toString()
    for (const [n, source] of [[4, 0], [5, 1], [6, 2]] as const) {
      expect(text).toContain(`Processor: COGROUPKSTREAM-AGGREGATE-000000000${n} (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n      --> COGROUPKSTREAM-MERGE-0000000007\n      <-- KSTREAM-SOURCE-000000000${source}`)
    }
    expect(text).toContain('Processor: COGROUPKSTREAM-MERGE-0000000007 (stores: [])\n      --> KTABLE-TOSTREAM-0000000008\n      <-- COGROUPKSTREAM-AGGREGATE-0000000004, COGROUPKSTREAM-AGGREGATE-0000000005, COGROUPKSTREAM-AGGREGATE-0000000006')
    const d = driver(builder)
    d.createInputTopic('cart', S, I).pipeInput('c1', 3, 1)
    d.createInputTopic('wishlist', S, I).pipeInput('c1', 2, 2)
    d.createInputTopic('purchases', S, I).pipeInput('c1', 1, 3)
    d.createInputTopic('cart', S, I).pipeInput('c2', 5, 4)
    expect(d.createOutputTopic('scores', S, I).readKeyValuesToList()).toEqual([
      { key: 'c1', value: 3 },
      { key: 'c1', value: 23 },
      { key: 'c1', value: 123 },
      { key: 'c2', value: 5 },
    ])
  })

  it('windowed by TimeWindows: one aggregate per key and window across the streams; records for windows their stream closed dropped', () => {
    const { builder, totals } = windowedTotals(TimeWindows.ofSizeWithNoGrace(10))
    totals.toStream().to('per-window-out', { key: Serdes.windowed(S, 10), value: I })
    const d = driver(builder)
    const clicksIn = d.createInputTopic('clicks', S, I)
    const viewsIn = d.createInputTopic('views', S, I)
    clicksIn.pipeInput('a', 1, 1)
    viewsIn.pipeInput('a', 2, 5)
    clicksIn.pipeInput('a', 4, 12)
    // Each input's aggregate processor keeps its own stream time, as Kafka's do (views count 10x): the views'
    // is 5, so [0, 10) is still open for a view at 3 ...
    viewsIn.pipeInput('a', 8, 3)
    // ... and closed (12 ≥ 10, no grace) for a click at 3: dropped.
    clicksIn.pipeInput('a', 16, 3)
    clicksIn.pipeInput('b', 7, 19)
    expect(
      d
        .createOutputTopic('per-window-out', Serdes.windowed(S, 10), I)
        .readRecordsToList()
        .map((r) => `${r.key?.key}@[${r.key?.window.startMs},${r.key?.window.endMs})=${r.value} (ts ${r.timestampMs})`),
    ).toEqual(['a@[0,10)=1 (ts 1)', 'a@[0,10)=21 (ts 5)', 'a@[10,20)=4 (ts 12)', 'a@[0,10)=101 (ts 5)', 'b@[10,20)=7 (ts 19)'])
    expect(d.metrics().droppedRecordsTotal).toBe(1)
  })

  it('windowed by SlidingWindows: the javadoc windows over clicks and views together', () => {
    const builder = new StreamsBuilder()
    const clicks = builder.stream('clicks', { key: S, value: I }).groupByKey()
    const views = builder.stream('views', { key: S, value: I }).groupByKey()
    clicks
      .cogroup<number>((user, n, total) => total + n)
      .cogroup(views, (user, n, total) => total + 10 * n)
      .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5000))
      .aggregate(() => 0, { name: 'sliding', value: I, caching: false })
    const d = driver(builder)
    d.createInputTopic('clicks', S, I).pipeInput('A', 1, 8000)
    d.createInputTopic('views', S, I).pipeInput('A', 2, 9200)
    d.createInputTopic('clicks', S, I).pipeInput('A', 3, 12400)
    // The five windows of Kafka's SlidingWindows javadoc, summed: [1], [1,2], [1,2,3], [2,3], [3].
    const windows = [...(d.getWindowStore<string, number>('sliding')?.fetch('A', 0, 20_000) ?? [])].map((e) => `${e.key}-${e.key + 5000}=${e.value}`)
    expect(windows).toEqual(['3000-8000=1', '4200-9200=21', '7400-12400=24', '8001-13001=23', '9201-14201=3'])
  })

  it('windowed by SessionWindows: sessions merged across the streams with the merger', () => {
    const builder = new StreamsBuilder()
    const clicks = builder.stream('clicks', { key: S, value: I }).groupByKey()
    const views = builder.stream('views', { key: S, value: I }).groupByKey()
    clicks
      .cogroup<number>((user, n, total) => total + n)
      .cogroup(views, (user, n, total) => total + 10 * n)
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5))
      .aggregate(
        () => 0,
        (user, a, b) => a + b,
        { name: 'sessions', value: I, caching: false },
      )
      .toStream()
      .to('sessions-out', { key: Serdes.sessionWindowed(S), value: I })
    const d = driver(builder)
    d.createInputTopic('clicks', S, I).pipeInput('A', 1, 10)
    d.createInputTopic('views', S, I).pipeInput('A', 2, 12)
    d.createInputTopic('clicks', S, I).pipeInput('A', 3, 20)
    d.createInputTopic('views', S, I).pipeInput('A', 4, 16) // bridges [10,12] and [20,20]
    const out = d
      .createOutputTopic('sessions-out', Serdes.sessionWindowed(S), I)
      .readRecordsToList()
      .map((r) => `${r.key?.key}@[${r.key?.window.startMs},${r.key?.window.endMs}]=${r.value}`)
    expect(out).toEqual(['A@[10,10]=1', 'A@[10,10]=null', 'A@[10,12]=21', 'A@[20,20]=3', 'A@[10,12]=null', 'A@[20,20]=null', 'A@[10,20]=64'])
    expect([...(d.getSessionStore<string, number>('sessions')?.fetch('A') ?? [])].map((e) => `${e.key.window.startMs}-${e.key.window.endMs}=${e.value}`)).toEqual(['10-20=64'])
    expect(codeOfSync(() => clicks.cogroup<number>((u, n, t) => t + n).windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5)).aggregate(() => 0, undefined as unknown as (k: string, a: number, b: number) => number, { value: I }))).toBe(
      'STREAMS_TOPOLOGY_INVALID',
    )
  })

  it('gives suppress(untilWindowCloses) a windowed cogroup: one final result per window', () => {
    const { builder, totals } = windowedTotals(TimeWindows.ofSizeAndGrace(10, 2))
    totals
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('finals', { key: Serdes.windowed(S, 10), value: I })
    const d = driver(builder)
    d.createInputTopic('clicks', S, I).pipeInput('a', 1, 1)
    d.createInputTopic('views', S, I).pipeInput('a', 2, 9)
    d.createInputTopic('clicks', S, I).pipeInput('a', 4, 11)
    // Stream time 12 = end 10 + grace 2 closes [0, 10).
    d.createInputTopic('clicks', S, I).pipeInput('b', 1, 12)
    expect(d.createOutputTopic('finals', Serdes.windowed(S, 10), I).readRecordsToList().map((r) => `${r.key?.key}@${r.key?.window.startMs}=${r.value}`)).toEqual(['a@0=21'])
  })

  it("repartitions a stream whose key changed upstream, naming its nodes after the topic (Kafka's shouldNameRepartitionTopic topology)", () => {
    const builder = new StreamsBuilder()
    const one = builder.stream('one', { key: S, value: S })
    const two = builder.stream('two', { key: S, value: S })
    const groupedOne = one.map((k, v) => ({ key: v, value: k })).groupByKey({ name: 'repartition-test', key: S, value: S })
    const groupedTwo = two.groupByKey()
    groupedOne
      .cogroup<string>((key, value, agg) => agg + value)
      .cogroup(groupedTwo, (key, value, agg) => agg + value)
      .aggregate(() => '', { value: S })
      .toStream()
      .to('output')
    expect(builder.build().describe().toString()).toBe(
      'Topologies:\n' +
        '   Sub-topology: 0\n' +
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n' +
        '      --> KSTREAM-MAP-0000000002\n' +
        '    Processor: KSTREAM-MAP-0000000002 (stores: [])\n' +
        '      --> repartition-test-repartition-filter\n' +
        '      <-- KSTREAM-SOURCE-0000000000\n' +
        '    Processor: repartition-test-repartition-filter (stores: [])\n' +
        '      --> repartition-test-repartition-sink\n' +
        '      <-- KSTREAM-MAP-0000000002\n' +
        '    Sink: repartition-test-repartition-sink (topic: repartition-test-repartition)\n' +
        '      <-- repartition-test-repartition-filter\n\n' +
        '  Sub-topology: 1\n' +
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n' +
        '      --> COGROUPKSTREAM-AGGREGATE-0000000008\n' +
        '    Source: repartition-test-repartition-source (topics: [repartition-test-repartition])\n' +
        '      --> COGROUPKSTREAM-AGGREGATE-0000000007\n' +
        '    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n' +
        '      --> COGROUPKSTREAM-MERGE-0000000009\n' +
        '      <-- repartition-test-repartition-source\n' +
        '    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n' +
        '      --> COGROUPKSTREAM-MERGE-0000000009\n' +
        '      <-- KSTREAM-SOURCE-0000000001\n' +
        '    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n' +
        '      --> KTABLE-TOSTREAM-0000000010\n' +
        '      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n' +
        '    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])\n' +
        '      --> KSTREAM-SINK-0000000011\n' +
        '      <-- COGROUPKSTREAM-MERGE-0000000009\n' +
        '    Sink: KSTREAM-SINK-0000000011 (topic: output)\n' +
        '      <-- KTABLE-TOSTREAM-0000000010\n\n',
    )
    const d = driver(builder)
    d.createInputTopic('one', S, S).pipeInput('x', 'k', 1)
    d.createInputTopic('two', S, S).pipeInput('k', 'y', 2)
    d.createInputTopic('one', S, S).pipeInput('z', 'k', 3)
    expect(d.createOutputTopic('output', S, S).readValuesToList()).toEqual(['x', 'xy', 'xyz'])
    expect(d.producedTopicNames()).toContain('topology-test-driver-repartition-test-repartition')
  })

  it("names an unnamed grouping's repartition after the store, nodes included (Kafka: the base is no generated KSTREAM- name)", () => {
    const builder = new StreamsBuilder()
    const groupedOne = builder
      .stream('one', { key: S, value: S })
      .selectKey((k, v) => v)
      .groupByKey()
    groupedOne
      .cogroup<string>((key, value, agg) => agg + value)
      .cogroup(builder.stream('two', { key: S, value: S }).groupByKey(), (key, value, agg) => agg + value)
      .aggregate(() => '', { name: 'store', key: S, value: S })
    const text = builder.build().describe().toString()
    expect(text).toContain('Sink: store-repartition-sink (topic: store-repartition)\n      <-- store-repartition-filter')
    expect(text).toContain('Source: store-repartition-source (topics: [store-repartition])')
  })

  it('refuses bad input with STREAMS_TOPOLOGY_INVALID', () => {
    const builder = new StreamsBuilder()
    const clicks = builder.stream('clicks', { key: S, value: I }).groupByKey()
    const add = (user: string, n: number, total: number): number => total + n
    // A grouped stream of another builder, or one already in the cogroup.
    expect(codeOfSync(() => clicks.cogroup(add).cogroup(new StreamsBuilder().stream('x', { key: S, value: I }).groupByKey(), add))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => clicks.cogroup(add).cogroup(clicks, add))).toBe('STREAMS_TOPOLOGY_INVALID')
    // Only time windows for now.
    expect(codeOfSync(() => clicks.cogroup(add).windowedBy({ sizeMs: 10 } as unknown as TimeWindows))).toBe('STREAMS_TOPOLOGY_INVALID')
    // No key serde (map() dropped it, none given), and no value serde for a repartition.
    const mapped = (): ReturnType<typeof clicks.cogroup<number>> =>
      builder
        .stream('views', { key: S, value: I })
        .map((k, v) => ({ key: k, value: v }))
        .groupByKey({ value: I })
        .cogroup(add)
    expect(codeOfSync(() => mapped().aggregate(() => 0, { value: I }))).toBe('STREAMS_TOPOLOGY_INVALID')
    const noValueSerde = builder
      .stream('orders', { key: S, value: I })
      .map((k, v) => ({ key: k, value: v }))
      .groupByKey({ key: S })
    expect(codeOfSync(() => noValueSerde.cogroup(add).aggregate(() => 0, { name: 'no-value', value: I }))).toBe('STREAMS_TOPOLOGY_INVALID')
    // A window retention below size + grace.
    expect(codeOfSync(() => clicks.cogroup(add).windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).aggregate(() => 0, { name: 'short', value: I, retentionMs: 12 }))).toBe(
      'STREAMS_TOPOLOGY_INVALID',
    )
  })
})
