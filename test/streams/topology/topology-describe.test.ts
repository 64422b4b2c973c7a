import { describe, expect, it } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { Stores, StreamsBuilder, Topology } from '../../../src/streams/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()

describe('Topology.describe()', () => {
  it("prints Kafka's documented example byte for byte", () => {
    const builder = new StreamsBuilder()
    builder
      .stream('input', { key: S, value: S })
      .filter((k, v) => v.length > 0)
      .mapValues((v) => v.toUpperCase())
      .to('output', { value: S })
    expect(builder.build().describe().toString()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input])',
        '      --> KSTREAM-FILTER-0000000001',
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])',
        '      --> KSTREAM-MAPVALUES-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])',
        '      --> KSTREAM-SINK-0000000003',
        '      <-- KSTREAM-FILTER-0000000001',
        '    Sink: KSTREAM-SINK-0000000003 (topic: output)',
        '      <-- KSTREAM-MAPVALUES-0000000002',
        '',
        '',
      ].join('\n'),
    )
  })

  it('splits a repartitioned topology into two sub-topologies, burning the counter as Kafka does', () => {
    const builder = new StreamsBuilder()
    builder
      .stream('input', { key: S, value: S })
      .filter((k, v) => v.length > 0)
      .selectKey((k, v) => v)
      .repartition({ key: S })
      .mapValues((v) => v.length, { name: 'length' })
      .to('output', { value: Serdes.int32() })
    expect(builder.build().describe().toString()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input])',
        '      --> KSTREAM-FILTER-0000000001',
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])',
        '      --> KSTREAM-KEY-SELECT-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
        '      --> KSTREAM-FILTER-0000000005',
        '      <-- KSTREAM-FILTER-0000000001',
        '    Processor: KSTREAM-FILTER-0000000005 (stores: [])',
        '      --> KSTREAM-SINK-0000000004',
        '      <-- KSTREAM-KEY-SELECT-0000000002',
        '    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-REPARTITION-0000000003-repartition)',
        '      <-- KSTREAM-FILTER-0000000005',
        '',
        '  Sub-topology: 1',
        '    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-REPARTITION-0000000003-repartition])',
        '      --> length',
        '    Processor: length (stores: [])',
        '      --> KSTREAM-SINK-0000000007',
        '      <-- KSTREAM-SOURCE-0000000006',
        '    Sink: KSTREAM-SINK-0000000007 (topic: output)',
        '      <-- length',
        '',
        '',
      ].join('\n'),
    )
  })

  it('orders branches by sub-tree size then name, and names split branches after the split', () => {
    const builder = new StreamsBuilder()
    const branches = builder
      .stream(/logs-.*/, { key: S, value: S })
      .split({ name: 'level-' })
      .branch((k, v) => v.startsWith('E'), { name: 'error' })
      .defaultBranch({ name: 'other' })
    branches['level-error'].peek(() => undefined).to('errors')
    branches['level-other'].to((k) => `other-${k}`)
    const text = builder.build().describe().toString()
    expect(text).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: logs-.*)',
        '      --> level-',
        '    Processor: level- (stores: [])',
        '      --> level-error, level-other',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: level-error (stores: [])',
        '      --> KSTREAM-PEEK-0000000001',
        '      <-- level-',
        '    Processor: KSTREAM-PEEK-0000000001 (stores: [])',
        '      --> KSTREAM-SINK-0000000002',
        '      <-- level-error',
        '    Processor: level-other (stores: [])',
        '      --> KSTREAM-SINK-0000000003',
        '      <-- level-',
        '    Sink: KSTREAM-SINK-0000000002 (topic: errors)',
        '      <-- KSTREAM-PEEK-0000000001',
        '    Sink: KSTREAM-SINK-0000000003 (extractor class: anonymous)',
        '      <-- level-other',
        '',
        '',
      ].join('\n'),
    )
  })

  it('numbers sub-topologies by their source names and lists stores of processors', () => {
    const topology = new Topology()
      .addStateStore(Stores.keyValue({ name: 'counts', key: S, value: S, backend: 'memory' }))
      .addStateStore(Stores.keyValue({ name: 'other', key: S, value: S, backend: 'memory' }))
      .addSource({ name: 'b-source', topics: ['b'] })
      .addSource({ name: 'a-source', topics: ['a1', 'a2'] })
      .addProcessor({ name: 'counter', parents: ['b-source'], processor: () => ({ process: () => undefined }), stores: ['counts', 'other'] })
      .addProcessor({ name: 'copy', parents: ['a-source'], processor: () => ({ process: () => undefined }) })
    const description = topology.describe()
    expect(description.subtopologies.map((s) => s.nodes.map((n) => n.name))).toEqual([
      ['a-source', 'copy'],
      ['b-source', 'counter'],
    ])
    expect(description.toString()).toContain('Source: a-source (topics: [a1, a2])')
    expect(description.toString()).toContain('Processor: counter (stores: [counts, other])\n      --> none\n      <-- b-source')
  })

  it('refuses a repeated name, an unknown parent, a sink as parent and a topic read twice', () => {
    const t = new Topology().addSource({ name: 's', topics: ['a'] }).addSink({ name: 'k', topic: 'o', parents: ['s'], key: Serdes.bytes(), value: Serdes.bytes() })
    expect(codeOfSync(() => t.addSource({ name: 's', topics: ['b'] }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => t.addProcessor({ name: 'p', parents: ['nope'], processor: () => ({ process: () => undefined }) }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => t.addProcessor({ name: 'p', parents: ['k'], processor: () => ({ process: () => undefined }) }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => t.addSource({ name: 's2', topics: ['a'] }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => t.addSource({ name: 's3' }))).toBe('STREAMS_TOPOLOGY_INVALID')
    const builder = new StreamsBuilder()
    const s = builder.stream('x', { key: S, value: S })
    s.filter(() => true, { name: 'f' })
    expect(codeOfSync(() => s.filter(() => true, { name: 'f' }))).toBe('STREAMS_TOPOLOGY_INVALID')
    // mapValues changed the value type: to() cannot guess a serde for it.
    expect(codeOfSync(() => s.mapValues((v) => v.length).to('out'))).toBe('STREAMS_TOPOLOGY_INVALID')
  })
})
