import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsBuilder } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'

const S = Serdes.string()
const I = Serdes.int32()

function run(define: (b: StreamsBuilder) => void): TopologyTestDriver {
  const builder = new StreamsBuilder()
  define(builder)
  const d = new TopologyTestDriver(builder.build())
  onTestFinished(() => d.close())
  return d
}

describe('tables through the test driver', () => {
  it('builder.table() upserts per key, deletes on null, and shows the latest value in its store', () => {
    const d = run((b) => b.table('users', { key: S, value: S }, { name: 'users-store' }).toStream().to('users-out', { value: S }))
    const input = d.createInputTopic('users', S, S)
    input.pipeInput('alice', 'Europe', 1)
    input.pipeInput('bob', 'Asia', 2)
    input.pipeInput('alice', 'Asia', 3)
    input.pipeInput('bob', null, 4)
    input.pipeInput(null, 'nobody', 5)
    expect(d.createOutputTopic('users-out', S, S).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['alice', 'Europe', 1],
      ['bob', 'Asia', 2],
      ['alice', 'Asia', 3],
      ['bob', null, 4],
    ])
    const store = d.getKeyValueStore<string, string>('users-store')
    expect(store?.get('alice')).toBe('Asia')
    expect(store?.get('bob')).toBeUndefined()
  })

  it('filter turns rows that stop passing into deletions and drops changes that never passed', () => {
    const d = run((b) =>
      b
        .table('scores', { key: S, value: I })
        .filter((k, v) => v >= 10)
        .toStream()
        .to('high', { value: I }),
    )
    const input = d.createInputTopic('scores', S, I)
    input.pipeInput('a', 5, 1) // never passed: nothing
    input.pipeInput('a', 12, 2) // passes
    input.pipeInput('a', 7, 3) // stops passing: deletion
    input.pipeInput('b', 3, 4) // never passed: nothing
    expect(d.createOutputTopic('high', S, I).readKeyValuesToList()).toEqual([
      { key: 'a', value: 12 },
      { key: 'a', value: null },
    ])
  })

  it('mapValues maps rows and keeps deletions; stream.toTable() materializes a stream', () => {
    const d = run((b) =>
      b
        .stream('names', { key: S, value: S })
        .toTable({ name: 'names-table' })
        .mapValues((v) => v.length)
        .toStream()
        .to('lengths', { value: I }),
    )
    const input = d.createInputTopic('names', S, S)
    input.pipeInput('k', 'four', 1)
    input.pipeInput('k', null, 2)
    expect(d.createOutputTopic('lengths', S, I).readKeyValuesToList()).toEqual([
      { key: 'k', value: 4 },
      { key: 'k', value: null },
    ])
    expect(d.getKeyValueStore<string, string>('names-table')?.approximateNumEntries()).toBe(0)
  })

  it("names a table's store, source and processor as Kafka does", () => {
    const builder = new StreamsBuilder()
    builder.table('input', { key: S, value: S }).toStream().to('output', { value: S })
    const text = builder.build().describe().toString()
    expect(text).toContain('Source: KSTREAM-SOURCE-0000000001 (topics: [input])')
    expect(text).toContain('Processor: KTABLE-SOURCE-0000000002 (stores: [input-STATE-STORE-0000000000])')
    expect(text).toContain('Processor: KTABLE-TOSTREAM-0000000003 (stores: [])')
  })
})
