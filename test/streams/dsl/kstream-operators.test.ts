import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { Record, StreamsBuilder, type KStream, type Processor, type ProcessorContext, type FixedKeyProcessor, type FixedKeyProcessorContext, type FixedKeyRecord } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'

const S = Serdes.string()
const I = Serdes.int32()

interface Order {
  id: string
  qty: number
  price: number
}

/** A driver over what `define` builds from a `string → string` stream of topic `in`. */
function driverOf(define: (input: KStream<string, string>) => void): TopologyTestDriver {
  const builder = new StreamsBuilder()
  define(builder.stream('in', { key: S, value: S }))
  const driver = new TopologyTestDriver(builder.build())
  onTestFinished(() => driver.close())
  return driver
}

function pipe(driver: TopologyTestDriver, records: readonly [string | null, string, number?][]): void {
  const input = driver.createInputTopic('in', S, S)
  for (const [key, value, ts] of records) input.pipeInput(key, value, ts ?? 0)
}

describe('KStream operators through the test driver', () => {
  it('filter keeps the records whose predicate holds; filterNot the others', () => {
    const driver = driverOf((s) => {
      s.filter((k, v) => v.length > 2).to('long')
      s.filterNot((k, v) => v.length > 2).to('short')
    })
    pipe(driver, [['a', 'xyz'], ['b', 'x'], ['c', 'wxyz']])
    expect(driver.createOutputTopic('long', S, S).readKeyValuesToList()).toEqual([
      { key: 'a', value: 'xyz' },
      { key: 'c', value: 'wxyz' },
    ])
    expect(driver.createOutputTopic('short', S, S).readKeyValuesToList()).toEqual([{ key: 'b', value: 'x' }])
  })

  it('map gives every record a new key and value, keeping its timestamp and headers', () => {
    const driver = driverOf((s) => s.map((k, v) => ({ key: v, value: v.length })).to('out', { key: S, value: I }))
    driver.createInputTopic('in', S, S).pipeRecord({ key: 'k', value: 'hello', timestampMs: 42, headers: [{ key: 'h', value: new Uint8Array([1]) }] })
    const out = driver.createOutputTopic('out', S, I).readRecord()
    expect(out).toEqual({ key: 'hello', value: 5, timestampMs: 42, headers: [{ key: 'h', value: new Uint8Array([1]) }] })
  })

  it('mapValues passes (value, key) and keeps the key', () => {
    const driver = driverOf((s) => s.mapValues((v, k) => `${k}:${v.toUpperCase()}`).to('out', { value: S }))
    pipe(driver, [['a', 'x']])
    expect(driver.createOutputTopic('out', S, S).readKeyValue()).toEqual({ key: 'a', value: 'a:X' })
  })

  it('flatMap and flatMapValues emit zero or more records, each with the input timestamp', () => {
    const driver = driverOf((s) => {
      s.flatMap((k, v) => [...v].map((c, i) => ({ key: `${k}${i}`, value: c }))).to('chars', { key: S, value: S })
      s.flatMapValues((v) => v.split(' ')).to('words', { value: S })
    })
    pipe(driver, [['a', 'hi there', 7], ['b', '', 8]])
    expect(driver.createOutputTopic('chars', S, S).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['a0', 'h', 7],
      ['a1', 'i', 7],
      ['a2', ' ', 7],
      ['a3', 't', 7],
      ['a4', 'h', 7],
      ['a5', 'e', 7],
      ['a6', 'r', 7],
      ['a7', 'e', 7],
    ])
    expect(driver.createOutputTopic('words', S, S).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['a', 'hi', 7],
      ['a', 'there', 7],
      ['b', '', 8],
    ])
  })

  it('selectKey replaces the key and keeps the value', () => {
    const driver = driverOf((s) => s.selectKey((k, v) => v.slice(0, 1)).to('out', { key: S }))
    pipe(driver, [[null, 'apple'], ['x', 'banana']])
    expect(driver.createOutputTopic('out', S, S).readKeyValuesToList()).toEqual([
      { key: 'a', value: 'apple' },
      { key: 'b', value: 'banana' },
    ])
  })

  it('peek sees every record and passes it on; foreach sees every record and ends the stream', () => {
    const peeked: string[] = []
    const each: string[] = []
    const driver = driverOf((s) => {
      s.peek((k, v) => peeked.push(`${k}=${v}`)).to('out')
      s.foreach((k, v) => each.push(`${k}=${v}`))
    })
    pipe(driver, [['a', '1'], ['b', '2']])
    expect(peeked).toEqual(['a=1', 'b=2'])
    expect(each).toEqual(['a=1', 'b=2'])
    expect(driver.createOutputTopic('out', S, S).getQueueSize()).toBe(2)
  })

  it('split routes each record to the first branch that takes it, the rest to the default branch', () => {
    const driver = driverOf((s) => {
      const branches = s
        .split({ name: 'len-' })
        .branch((k, v) => v.length >= 5, { name: 'long' })
        .branch((k, v) => v.length >= 3, { name: 'mid' })
        .defaultBranch({ name: 'short' })
      branches['len-long'].to('long')
      branches['len-mid'].to('mid')
      branches['len-short'].to('short')
    })
    pipe(driver, [['a', 'abcdef'], ['b', 'abc'], ['c', 'ab'], ['d', 'abcde']])
    expect(driver.createOutputTopic('long', S, S).readValuesToList()).toEqual(['abcdef', 'abcde'])
    expect(driver.createOutputTopic('mid', S, S).readValuesToList()).toEqual(['abc'])
    expect(driver.createOutputTopic('short', S, S).readValuesToList()).toEqual(['ab'])
  })

  it('split without a default branch drops what no predicate takes; unnamed branches are numbered from 1', () => {
    let keys: string[] = []
    const driver = driverOf((s) => {
      const branches = s
        .split({ name: 'b-' })
        .branch((k, v) => v === 'x')
        .branch((k, v) => v === 'y')
        .noDefaultBranch()
      keys = Object.keys(branches)
      branches['b-1']?.to('xs')
      branches['b-2']?.to('ys')
    })
    expect(keys).toEqual(['b-1', 'b-2'])
    pipe(driver, [['a', 'x'], ['b', 'z'], ['c', 'y']])
    expect(driver.createOutputTopic('xs', S, S).readValuesToList()).toEqual(['x'])
    expect(driver.createOutputTopic('ys', S, S).readValuesToList()).toEqual(['y'])
  })

  it('merge passes the records of both streams', () => {
    const builder = new StreamsBuilder()
    const a = builder.stream('a', { key: S, value: S })
    const b = builder.stream('b', { key: S, value: S })
    a.merge(b).to('both')
    const driver = new TopologyTestDriver(builder.build())
    onTestFinished(() => driver.close())
    driver.createInputTopic('a', S, S).pipeInput('1', 'from-a', 1)
    driver.createInputTopic('b', S, S).pipeInput('2', 'from-b', 2)
    driver.createInputTopic('a', S, S).pipeInput('3', 'again-a', 3)
    expect(driver.createOutputTopic('both', S, S).readValuesToList()).toEqual(['from-a', 'from-b', 'again-a'])
  })

  it('repartition writes through <applicationId>-<name>-repartition and drops null keys', () => {
    const driver = driverOf((s) =>
      s
        .selectKey((k, v) => (v === 'none' ? (null as unknown as string) : v))
        .repartition({ name: 'by-value', key: S })
        .to('out'),
    )
    pipe(driver, [['a', 'v1'], ['b', 'none'], ['c', 'v2']])
    expect(driver.createOutputTopic('out', S, S).readKeyValuesToList()).toEqual([
      { key: 'v1', value: 'v1' },
      { key: 'v2', value: 'v2' },
    ])
    expect(driver.createOutputTopic('topology-test-driver-by-value-repartition', S, S).readKeyValuesToList()).toEqual([
      { key: 'v1', value: 'v1' },
      { key: 'v2', value: 'v2' },
    ])
  })

  it('to() with a topic extractor and a partitioner writes each record where they say', () => {
    const builder = new StreamsBuilder()
    builder.stream('in', { key: S, value: S }).to((k, v) => `topic-${v}`, { partitioner: () => 0 })
    const driver = new TopologyTestDriver(builder.build())
    onTestFinished(() => driver.close())
    pipe(driver, [['a', 'x'], ['b', 'y'], ['c', 'x']])
    expect(driver.createOutputTopic('topic-x', S, S).readKeyValuesToList().map((r) => r.key)).toEqual(['a', 'c'])
    expect(driver.createOutputTopic('topic-y', S, S).readKeyValuesToList().map((r) => r.key)).toEqual(['b'])
  })

  it('process() runs a Processor API processor with forward, record metadata and the task id', () => {
    const seen: string[] = []
    class Tagger implements Processor<string, string, string, string> {
      private context!: ProcessorContext<string, string>
      init(context: ProcessorContext<string, string>): void {
        this.context = context
      }
      process(record: Record<string, string>): void {
        const m = this.context.recordMetadata()
        seen.push(`${this.context.applicationId}/${this.context.taskId.subtopology}_${this.context.taskId.partition}:${m?.topic}@${m?.offset}`)
        this.context.forward(record.withValue(`${record.value}!`).withKey(`${record.key}?`))
      }
    }
    const driver = driverOf((s) => s.process(() => new Tagger()).to('out', { key: S, value: S }))
    pipe(driver, [['a', '1'], ['b', '2']])
    expect(seen).toEqual(['topology-test-driver/0_0:in@0', 'topology-test-driver/0_0:in@1'])
    expect(driver.createOutputTopic('out', S, S).readKeyValuesToList()).toEqual([
      { key: 'a?', value: '1!' },
      { key: 'b?', value: '2!' },
    ])
  })

  it('processValues() runs a fixed-key processor', () => {
    class Length implements FixedKeyProcessor<string, string, number> {
      private context!: FixedKeyProcessorContext<string, number>
      init(context: FixedKeyProcessorContext<string, number>): void {
        this.context = context
      }
      process(record: FixedKeyRecord<string, string>): void {
        this.context.forward(record.withValue(record.value.length))
      }
    }
    const driver = driverOf((s) => s.processValues(() => new Length()).to('out', { value: I }))
    pipe(driver, [['a', 'four']])
    expect(driver.createOutputTopic('out', S, I).readKeyValue()).toEqual({ key: 'a', value: 4 })
  })

  it('reads several topics and topics matching a RegExp', () => {
    const builder = new StreamsBuilder()
    builder.stream(['t1', 't2'], { key: S, value: S }).to('listed')
    builder.stream(/metrics-.*/, { key: S, value: S }).to('matched')
    const driver = new TopologyTestDriver(builder.build())
    onTestFinished(() => driver.close())
    driver.createInputTopic('t2', S, S).pipeInput('k', 'from-t2', 1)
    driver.createInputTopic('metrics-cpu', S, S).pipeInput('k', 'cpu', 2)
    expect(driver.createOutputTopic('listed', S, S).readValuesToList()).toEqual(['from-t2'])
    expect(driver.createOutputTopic('matched', S, S).readValuesToList()).toEqual(['cpu'])
    expect(() => driver.createInputTopic('metrics', S, S)).toThrow(expect.objectContaining({ code: 'STREAMS_UNKNOWN_TOPIC' }))
  })

  it('prices orders as in the README: filter, mapValues with a computed field, JSON in and out', () => {
    interface PricedOrder extends Order {
      total: number
    }
    const builder = new StreamsBuilder()
    builder
      .stream('orders', { key: Serdes.string(), value: Serdes.json<Order>() })
      .filter((key, order) => order.qty > 0)
      .mapValues((order): PricedOrder => ({ ...order, total: order.qty * order.price }))
      .to('priced-orders', { key: Serdes.string(), value: Serdes.json<PricedOrder>() })
    const driver = new TopologyTestDriver(builder.build(), { startTimeMs: 0 })
    onTestFinished(() => driver.close())
    const input = driver.createInputTopic('orders', Serdes.string(), Serdes.json<Order>())
    input.pipeInput('o-1', { id: 'o-1', qty: 2, price: 5 }, 1_000)
    input.pipeInput('o-2', { id: 'o-2', qty: 0, price: 5 }, 2_000)
    const output = driver.createOutputTopic('priced-orders', Serdes.string(), Serdes.json<PricedOrder>())
    expect(output.readRecord()).toEqual({ key: 'o-1', value: { id: 'o-1', qty: 2, price: 5, total: 10 }, timestampMs: 1_000, headers: [] })
    expect(output.isEmpty()).toBe(true)
  })
})
