import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { Record, StreamsBuilder, Topology, type Cancellable, type Processor, type ProcessorContext } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()

function run(topology: Topology, startTimeMs = 0): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, { startTimeMs })
  onTestFinished(() => driver.close())
  return driver
}

/** A topology of one processor made by `make` reading `in` and writing what it forwards to `out`. */
function withProcessor(make: () => Processor<string, string, string, string>): Topology {
  return new Topology()
    .addSource({ name: 'in', topics: ['in'], key: S, value: S })
    .addProcessor({ name: 'p', parents: ['in'], processor: make })
    .addSink({ name: 'out', topic: 'out', parents: ['p'], key: S, value: S })
}

describe('the Processor API in the test driver', () => {
  it('fires stream-time punctuations aligned to 0, once per due interval, with the stream time', () => {
    const fired: number[] = []
    const driver = run(
      withProcessor(() => ({
        init: (context) => {
          context.schedule(10_000, 'stream-time', (t) => fired.push(t))
        },
        process: () => undefined,
      })),
    )
    const input = driver.createInputTopic('in', S, S)
    for (let s = 1; s <= 60; s++) input.pipeInput('k', 'v', s * 1_000)
    // Kafka's code (not its docs' "6"): the first fires as soon as stream time is known.
    expect(fired).toEqual([1_000, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000])
  })

  it('collapses intervals a stream-time jump skipped into one call and keeps the aligned grid', () => {
    const fired: number[] = []
    const driver = run(withProcessor(() => ({ init: (c) => void c.schedule(100, 'stream-time', (t) => fired.push(t)), process: () => undefined })))
    const input = driver.createInputTopic('in', S, S)
    input.pipeInput('k', 'v', 50)
    input.pipeInput('k', 'v', 470)
    input.pipeInput('k', 'v', 480)
    input.pipeInput('k', 'v', 500)
    // An older record does not move stream time back.
    input.pipeInput('k', 'v', 10)
    expect(fired).toEqual([50, 470, 500])
  })

  it('fires wall-clock punctuations from now + interval on advanceWallClockTime', () => {
    const fired: number[] = []
    const driver = run(withProcessor(() => ({ init: (c) => void c.schedule(10_000, 'wall-clock-time', (t) => fired.push(t)), process: () => undefined })), 1_000)
    driver.advanceWallClockTime(9_000)
    expect(fired).toEqual([])
    driver.advanceWallClockTime(1_000)
    expect(fired).toEqual([11_000])
    driver.advanceWallClockTime(25_000)
    expect(fired).toEqual([11_000, 36_000])
    driver.advanceWallClockTime(5_000)
    expect(fired).toEqual([11_000, 36_000, 41_000])
  })

  it('stops a cancelled punctuation, also when it cancels itself', () => {
    const fired: number[] = []
    let handle: Cancellable | undefined
    const driver = run(
      withProcessor(() => ({
        init: (c) => {
          handle = c.schedule(10, 'wall-clock-time', (t) => {
            fired.push(t)
            if (fired.length === 2) handle?.cancel()
          })
        },
        process: () => undefined,
      })),
    )
    for (let i = 0; i < 5; i++) driver.advanceWallClockTime(10)
    expect(fired).toEqual([10, 20])
  })

  it('forwards from a punctuator with the timestamp the processor gives, without record metadata', () => {
    let metadataInPunctuator: unknown = 'unset'
    const driver = run(
      withProcessor(() => {
        let context: ProcessorContext<string, string>
        return {
          init: (c) => {
            context = c
            c.schedule(1_000, 'wall-clock-time', (t) => {
              metadataInPunctuator = c.recordMetadata()
              c.forward(new Record('tick', String(t), t))
            })
          },
          process: (record) => context.forward(record),
        }
      }),
    )
    driver.createInputTopic('in', S, S).pipeInput('a', 'b', 5)
    driver.advanceWallClockTime(1_000)
    expect(metadataInPunctuator).toBeUndefined()
    expect(driver.createOutputTopic('out', S, S).readRecordsToList().map((r) => [r.key, r.value, r.timestampMs])).toEqual([
      ['a', 'b', 5],
      ['tick', '1000', 1_000],
    ])
  })

  it('forwards to one named child, and refuses an unknown one', () => {
    const topology = new Topology()
      .addSource({ name: 'in', topics: ['in'], key: S, value: S })
      .addProcessor<string, string, string, string>({
        name: 'router',
        parents: ['in'],
        processor: () => {
          let context: ProcessorContext<string, string>
          return { init: (c) => void (context = c), process: (r) => context.forward(r, r.value === 'x' ? 'to-x' : r.value === 'y' ? 'to-y' : 'nobody') }
        },
      })
      .addSink({ name: 'to-x', topic: 'xs', parents: ['router'], key: S, value: S })
      .addSink({ name: 'to-y', topic: 'ys', parents: ['router'], key: S, value: S })
    const driver = run(topology)
    const input = driver.createInputTopic('in', S, S)
    input.pipeInput('1', 'x')
    input.pipeInput('2', 'y')
    expect(driver.createOutputTopic('xs', S, S).readValuesToList()).toEqual(['x'])
    expect(driver.createOutputTopic('ys', S, S).readValuesToList()).toEqual(['y'])
    let err: unknown
    try {
      input.pipeInput('3', 'z')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED', cause: { code: 'STREAMS_UNKNOWN_CHILD' } })
  })

  it('gives every task its own processor, calls init before records and close at the end', () => {
    const events: string[] = []
    let made = 0
    const driver = new TopologyTestDriver(
      withProcessor(() => {
        const id = ++made
        return {
          init: () => void events.push(`init ${id}`),
          process: (r) => void events.push(`process ${id} ${r.value}`),
          close: () => void events.push(`close ${id}`),
        }
      }),
    )
    driver.createInputTopic('in', S, S).pipeInput('k', 'v')
    driver.close()
    expect(events).toEqual(['init 1', 'process 1 v', 'close 1'])
    expect(codeOfSync(() => driver.createInputTopic('in', S, S))).toBe('STREAMS_ILLEGAL_STATE')
  })

  it('refuses a supplier that hands out the same processor twice', () => {
    const shared: Processor<string, string, string, string> = { process: () => undefined }
    const topology = withProcessor(() => shared)
    const first = new TopologyTestDriver(topology)
    onTestFinished(() => first.close())
    expect(codeOfSync(() => new TopologyTestDriver(topology))).toBe('STREAMS_TOPOLOGY_INVALID')
  })

  it('getStateStore names an unconnected store with STREAMS_UNKNOWN_STORE', () => {
    const builder = new StreamsBuilder()
    builder.stream('in', { key: S, value: S }).process<string, string>(() => {
      let context: ProcessorContext<string, string>
      return { init: (c) => void (context = c), process: () => void context.getStateStore('counts') }
    })
    const driver = run(builder.build())
    let err: unknown
    try {
      driver.createInputTopic('in', S, S).pipeInput('k', 'v')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED', cause: { code: 'STREAMS_UNKNOWN_STORE' } })
  })
})
