import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import {
  Record,
  Stores,
  StreamsBuilder,
  Topology,
  type KeyValueStore,
  type ProcessorContext,
  type ValueAndTimestamp,
} from '../../../src/streams/index.js'
import { TopologyTestDriver, type TopologyTestDriverOptions } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'
import { pricing } from '../global-pricing.js'

const S = Serdes.string()
const I = Serdes.int32()

function drive(topology: Topology, options: TopologyTestDriverOptions = {}): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, options)
  onTestFinished(() => driver.close())
  return driver
}


describe('global tables in the test driver', () => {
  it('updates the global store as each record is piped: upserts, null values delete, null keys are skipped', () => {
    const driver = drive(pricing())
    const prices = driver.createInputTopic('prices', S, I)
    prices.pipeInput('apple', 30, 1)
    prices.pipeInput('pear', 45, 2)
    const store = driver.getKeyValueStore<string, number>('prices')
    expect(store?.get('apple')).toBe(30)
    prices.pipeInput('apple', 35, 3)
    prices.pipeInput('pear', null, 4)
    prices.pipeInput(null, 99, 5)
    expect([...(store?.all() ?? [])]).toEqual([{ key: 'apple', value: 35 }])
    expect(driver.getTimestampedKeyValueStore<string, number>('prices')?.get('apple')).toEqual({ value: 35, timestampMs: 3 })
  })

  it('lets a processor that names the global store read it through getStateStore, with every update so far', () => {
    const driver = drive(pricing())
    const prices = driver.createInputTopic('prices', S, I)
    const orders = driver.createInputTopic('orders', S, S)
    const priced = driver.createOutputTopic('priced', S, I)
    orders.pipeInput('o-1', 'apple', 10)
    prices.pipeInput('apple', 30, 11)
    orders.pipeInput('o-2', 'apple', 12)
    prices.pipeInput('apple', 35, 13)
    orders.pipeInput('o-3', 'apple', 14)
    prices.pipeInput('apple', null, 15)
    orders.pipeInput('o-4', 'apple', 16)
    expect(priced.readKeyValuesToList()).toEqual([
      { key: 'o-1', value: -1 },
      { key: 'o-2', value: 30 },
      { key: 'o-3', value: 35 },
      { key: 'o-4', value: -1 },
    ])
  })

  it('refuses a processor that does not name the global store, as any store it was not given', () => {
    let err: unknown
    try {
      drive(pricing({ stores: [] }))
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED', cause: { code: 'STREAMS_UNKNOWN_STORE' } })
  })

  it('keeps the global store read-only for processors: a write fails before it takes effect', () => {
    const builder = new StreamsBuilder()
    builder.globalTable('prices', { key: S, value: I }, { name: 'prices' })
    builder.stream('orders', { key: S, value: S }).process<never, never>(
      () => {
        let store: KeyValueStore<string, ValueAndTimestamp<number>>
        return {
          init: (c) => {
            store = c.getStateStore('prices')
          },
          process: (r) => store.put(r.value, { value: 0, timestampMs: r.timestampMs }),
        }
      },
      { stores: ['prices'] },
    )
    const driver = drive(builder.build())
    let err: unknown
    try {
      driver.createInputTopic('orders', S, S).pipeInput('o-1', 'apple', 1)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED', cause: { code: 'STREAMS_ILLEGAL_STATE' } })
    expect(driver.getKeyValueStore<string, number>('prices')?.get('apple')).toBeUndefined()
  })

  it('does not move stream time with global records', () => {
    const builder = new StreamsBuilder()
    builder.globalTable('prices', { key: S, value: I }, { name: 'prices' })
    builder
      .stream('orders', { key: S, value: S })
      .process<string, string>(() => {
        let context: ProcessorContext<string, string>
        return {
          init: (c) => {
            context = c
          },
          process: (r) => context.forward(new Record(r.key, String(context.currentStreamTimeMs()), r.timestampMs)),
        }
      })
      .to('stream-time', { key: S, value: S })
    const driver = drive(builder.build())
    driver.createInputTopic('prices', S, I).pipeInput('apple', 30, 1_000_000)
    driver.createInputTopic('orders', S, S).pipeInput('o-1', 'apple', 5)
    expect(driver.createOutputTopic('stream-time', S, S).readValuesToList()).toEqual(['5'])
  })

  it('sends a global record that cannot be deserialized through the deserialization handler', () => {
    const warnings: string[] = []
    const continuing = drive(pricing(), { deserializationExceptionHandler: 'continue', onWarning: (m) => warnings.push(m) })
    continuing.createInputTopic('prices', S, Serdes.bytes()).pipeInput('apple', new Uint8Array([1, 2, 3]), 1)
    continuing.createInputTopic('prices', S, I).pipeInput('pear', 45, 2)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('prices-0@0')
    expect([...(continuing.getKeyValueStore<string, number>('prices')?.all() ?? [])]).toEqual([{ key: 'pear', value: 45 }])

    const dead = drive(pricing(), { deserializationExceptionHandler: 'dead-letter', deadLetterQueueTopic: 'dlq', onWarning: () => undefined })
    dead.createInputTopic('prices', S, Serdes.bytes()).pipeInput('apple', new Uint8Array([1, 2, 3]), 1)
    expect(dead.createOutputTopic('dlq', S, Serdes.bytes()).readKeyValuesToList().map((r) => [r.key, [...(r.value ?? [])]])).toEqual([['apple', [1, 2, 3]]])

    const failing = drive(pricing())
    expect(codeOfSync(() => failing.createInputTopic('prices', S, Serdes.bytes()).pipeInput('apple', new Uint8Array([1, 2, 3]), 1))).toBe(
      'STREAMS_DESERIALIZATION_FAILED',
    )
  })

  it('runs a global store of the Processor API with its own state update processor', () => {
    const topology = new Topology()
      .addGlobalStore<string, string, string, string>({
        store: Stores.keyValue({ name: 'names', key: S, value: S, backend: 'memory', logging: false }),
        sourceName: 'names-source',
        topic: 'names',
        key: S,
        value: S,
        processorName: 'names-updater',
        processor: () => {
          let store: KeyValueStore<string, string>
          return {
            init: (c) => {
              store = c.getStateStore('names')
            },
            process: (r) => store.put(r.key, r.value === null ? null : r.value.toUpperCase()),
          }
        },
      })
      .addSource({ name: 'in', topics: ['in'], key: S, value: S })
    const driver = drive(topology)
    driver.createInputTopic('names', S, S).pipeInput('a', 'ada', 1)
    expect(driver.getKeyValueStore<string, string>('names')?.get('a')).toBe('ADA')
  })
})

describe('global stores in the topology', () => {
  it("names a global table's nodes and store as Kafka does, and gives the store's name to query it by", () => {
    const builder = new StreamsBuilder()
    expect(builder.globalTable('rates', { key: S, value: I }).queryableStoreName).toBe('rates-STATE-STORE-0000000000')
    expect(builder.globalTable('fees', { key: S, value: I, name: 'fees' }, { name: 'fee-store' }).queryableStoreName).toBe('fee-store')
    builder.stream('orders', { key: S, value: S }).to('out')
    const description = builder.build().describe()
    expect(description.globalStores.map((g) => [g.id, g.source.name, g.processor.name, g.processor.stores])).toEqual([
      [0, 'KSTREAM-SOURCE-0000000001', 'KTABLE-SOURCE-0000000002', ['rates-STATE-STORE-0000000000']],
      // Source names in name order take the ids: KSTREAM-SOURCE-0000000003 (orders) sorts before fees-source.
      [2, 'fees-source', 'fees', ['fee-store']],
    ])
  })

  it("describes a global store in Kafka's text, numbered with the sub-topologies (the next one's tasks are 1_<p>)", () => {
    const builder = new StreamsBuilder()
    builder.globalTable('rates', { key: S, value: I })
    builder.stream('orders', { key: S, value: S }).to('priced')
    expect(builder.build().describe().toString()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0 for global store (will not generate tasks)',
        '    Source: KSTREAM-SOURCE-0000000001 (topics: [rates])',
        '      --> KTABLE-SOURCE-0000000002',
        '    Processor: KTABLE-SOURCE-0000000002 (stores: [rates-STATE-STORE-0000000000])',
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000001',
        '  Sub-topology: 1',
        '    Source: KSTREAM-SOURCE-0000000003 (topics: [orders])',
        '      --> KSTREAM-SINK-0000000004',
        '    Sink: KSTREAM-SINK-0000000004 (topic: priced)',
        '      <-- KSTREAM-SOURCE-0000000003',
        '',
        '',
      ].join('\n'),
    )
  })

  it('does not join the sub-topologies of two processors that read the same global store', () => {
    const builder = new StreamsBuilder()
    const rates = builder.globalTable('rates', { key: S, value: I }, { name: 'rates' })
    const lookup = { stores: [rates.queryableStoreName] }
    builder.stream('a', { key: S, value: S }).process(() => ({ process: () => undefined }), lookup)
    builder.stream('b', { key: S, value: S }).process(() => ({ process: () => undefined }), lookup)
    const description = builder.build().describe()
    expect(description.subtopologies.map((s) => s.id)).toEqual([1, 2])
    expect(description.globalStores.map((g) => g.id)).toEqual([0])
  })

  it('refuses a logged global store, a topic read twice, a name used twice and a child of a global node', () => {
    const store = (logging: boolean) => Stores.keyValue({ name: `s-${String(logging)}`, key: S, value: S, logging })
    const global = (t: Topology, name: string, topic: string, logging = false): Topology =>
      t.addGlobalStore({ store: store(logging), sourceName: `${name}-source`, topic, processorName: name, processor: () => ({ process: () => undefined }) })
    expect(codeOfSync(() => global(new Topology(), 'g', 'g', true))).toBe('STREAMS_TOPOLOGY_INVALID')
    const t = global(new Topology(), 'g', 'g').addSource({ name: 'in', topics: ['in'] })
    expect(codeOfSync(() => t.addSource({ name: 'again', topics: ['g'] }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => t.addSource({ name: 'g-source', topics: ['other'] }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => t.addProcessor({ name: 'child', parents: ['g'], processor: () => ({ process: () => undefined }) }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => new Topology().addSource({ name: 'in', topics: ['in'] }).addGlobalStore({ store: store(false), sourceName: 's', topic: 'in', processorName: 'p', processor: () => ({ process: () => undefined }) }))).toBe(
      'STREAMS_TOPOLOGY_INVALID',
    )
    const builder = new StreamsBuilder()
    builder.stream('in', { key: S, value: S })
    builder.globalTable('in', { key: S, value: S })
    expect(codeOfSync(() => builder.build())).toBe('STREAMS_TOPOLOGY_INVALID')
  })
})
