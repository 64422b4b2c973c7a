import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsBuilder, type KTable } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'

const S = Serdes.string()
const I = Serdes.int32()

function driver(define: (builder: StreamsBuilder) => void): TopologyTestDriver {
  const builder = new StreamsBuilder()
  define(builder)
  const d = new TopologyTestDriver(builder.build())
  onTestFinished(() => d.close())
  return d
}

describe('stream aggregations through the test driver', () => {
  it("follows Kafka's documented aggregation table (groupByKey → aggregate → state per key)", () => {
    let table: KTable<string, number> | undefined
    const d = driver((b) => {
      table = b.stream('words', { key: S, value: I }).groupByKey().aggregate(() => 0, (k, v, agg) => agg + v, { name: 'sums', value: I, caching: false })
      table.toStream().to('sums-out', { value: I })
    })
    const input = d.createInputTopic('words', S, I)
    const rows: Array<[number, string]> = [
      [1, 'hello'],
      [2, 'kafka'],
      [3, 'streams'],
      [4, 'kafka'],
      [5, 'kafka'],
      [6, 'streams'],
    ]
    for (const [ts, word] of rows) input.pipeInput(word, 1, ts)
    expect(d.createOutputTopic('sums-out', S, I).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['hello', 1, 1],
      ['kafka', 1, 2],
      ['streams', 1, 3],
      ['kafka', 2, 4],
      ['kafka', 3, 5],
      ['streams', 2, 6],
    ])
    const store = d.getKeyValueStore<string, number>('sums')
    expect(store?.get('kafka')).toBe(3)
    expect([...(store?.all() ?? [])]).toEqual([
      { key: 'hello', value: 1 },
      { key: 'kafka', value: 3 },
      { key: 'streams', value: 2 },
    ])
  })

  it('count() counts per key, ignores null keys and values, and writes Kafka longs', () => {
    const d = driver((b) => b.stream('in', { key: S, value: S }).groupByKey().count({ name: 'counts' }).toStream().to('counts-out'))
    const input = d.createInputTopic('in', S, S)
    input.pipeInput('a', 'x', 1)
    input.pipeInput('b', 'x', 2)
    input.pipeInput(null, 'x', 3)
    input.pipeInput('a', null, 4)
    input.pipeInput('a', 'y', 5)
    const out = d.createOutputTopic('counts-out', S, Serdes.int64()).readKeyValuesToList()
    expect(out).toEqual([
      { key: 'a', value: 1n },
      { key: 'b', value: 1n },
      { key: 'a', value: 2n },
    ])
    expect(d.getTimestampedKeyValueStore<string, number>('counts')?.get('a')).toEqual({ value: 2, timestampMs: 5 })
  })

  it('reduce() starts from the first value and keeps the largest timestamp', () => {
    const d = driver((b) =>
      b
        .stream('in', { key: S, value: I })
        .groupByKey()
        .reduce((agg, v) => Math.max(agg, v))
        .toStream()
        .to('max'),
    )
    const input = d.createInputTopic('in', S, I)
    input.pipeInput('k', 5, 10)
    input.pipeInput('k', 3, 30)
    input.pipeInput('k', 9, 20)
    expect(d.createOutputTopic('max', S, I).readRecordsToList().map((r) => [r.value, r.timestampMs])).toEqual([
      [5, 10],
      [5, 30],
      [9, 30],
    ])
  })

  it('groupBy() repartitions by the new key through <store>-repartition and writes the changelog', () => {
    const d = driver((b) =>
      b
        .stream('orders', { key: S, value: S })
        .groupBy((k, customer) => customer, { key: S })
        .count({ name: 'orders-per-customer' })
        .toStream()
        .to('per-customer'),
    )
    const input = d.createInputTopic('orders', S, S)
    input.pipeInput('o1', 'alice')
    input.pipeInput('o2', 'bob')
    input.pipeInput('o3', 'alice')
    expect(d.createOutputTopic('per-customer', S, Serdes.int64()).readKeyValuesToMap()).toEqual(
      new Map([
        ['alice', 2n],
        ['bob', 1n],
      ]),
    )
    expect(d.producedTopicNames()).toContain('topology-test-driver-orders-per-customer-repartition')
    const changelog = d.createOutputTopic('topology-test-driver-orders-per-customer-changelog', S, Serdes.bytes()).readKeyValuesToList()
    expect(changelog.map((r) => r.key)).toEqual(['alice', 'bob', 'alice'])
    // Timestamped store format: 8-byte timestamp, then the 8-byte count.
    expect(changelog.every((r) => r.value?.length === 16)).toBe(true)
  })

  it("names the store and processor as Kafka does (groupByKey().count())", () => {
    const builder = new StreamsBuilder()
    builder.stream('input', { key: S, value: S }).groupByKey().count().toStream().to('output')
    const text = builder.build().describe().toString()
    expect(text).toContain('Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])')
    expect(text).toContain('Processor: KTABLE-TOSTREAM-0000000003 (stores: [])')
    expect(text).toContain('Sink: KSTREAM-SINK-0000000004 (topic: output)')
  })

  it('with caching (the default), the driver still shows every update: it commits after each record', () => {
    const d = driver((b) => b.stream('in', { key: S, value: S }).groupByKey().count().toStream().to('out'))
    const input = d.createInputTopic('in', S, S)
    for (const k of ['a', 'a', 'a']) input.pipeInput(k, 'v')
    expect(d.createOutputTopic('out', S, Serdes.int64()).readValuesToList()).toEqual([1n, 2n, 3n])
  })
})
