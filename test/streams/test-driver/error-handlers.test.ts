import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { DLQ_HEADERS, StreamsBuilder, type Topology } from '../../../src/streams/index.js'
import { TopologyTestDriver, type TopologyTestDriverOptions } from '../../../src/testing/index.js'

const S = Serdes.string()
const I = Serdes.int32()
const utf8 = new TextDecoder()

/** `in` (string → int32, the poison pill is a value that is not 4 bytes) doubled into `out`. */
function doubling(): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream('in', { key: S, value: I })
    .mapValues((v) => {
      if (v === 13) throw new Error('unlucky')
      return v * 2
    })
    .to('out', { value: I })
  return builder.build()
}

function driverWith(options: TopologyTestDriverOptions, warnings: string[] = []): TopologyTestDriver {
  const driver = new TopologyTestDriver(doubling(), { onWarning: (m) => warnings.push(m), ...options })
  onTestFinished(() => driver.close())
  return driver
}

/** Pipes 1, a poison pill (3 bytes), 2. */
function pipePoison(driver: TopologyTestDriver): unknown {
  const good = driver.createInputTopic('in', S, I)
  const raw = driver.createInputTopic('in', S, Serdes.bytes())
  good.pipeInput('a', 1, 1)
  let err: unknown
  try {
    raw.pipeInput('bad', new Uint8Array([1, 2, 3]), 2)
  } catch (e) {
    err = e
  }
  good.pipeInput('b', 2, 3)
  return err
}

describe('error handlers in the test driver', () => {
  it("deserialization 'fail' (the default) raises STREAMS_DESERIALIZATION_FAILED with the serde's error as cause", () => {
    const driver = driverWith({})
    const err = pipePoison(driver)
    expect(err).toMatchObject({ code: 'STREAMS_DESERIALIZATION_FAILED', details: { topic: 'in', partition: 0, offset: 1 } })
    expect((err as Error).cause).toMatchObject({ code: expect.stringMatching(/^SERDES_/) })
  })

  it("deserialization 'continue' skips the poison pill with a warning and goes on", () => {
    const warnings: string[] = []
    const driver = driverWith({ deserializationExceptionHandler: 'continue' }, warnings)
    expect(pipePoison(driver)).toBeUndefined()
    expect(driver.createOutputTopic('out', S, I).readValuesToList()).toEqual([2, 4])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('in-0@1')
  })

  it("deserialization 'dead-letter' sends the original bytes to the DLQ with the error in headers", () => {
    const driver = driverWith({ deserializationExceptionHandler: 'dead-letter', deadLetterQueueTopic: 'in-dlq' })
    expect(pipePoison(driver)).toBeUndefined()
    expect(driver.createOutputTopic('out', S, I).readValuesToList()).toEqual([2, 4])
    const dead = driver.createOutputTopic('in-dlq', S, Serdes.bytes()).readRecordsToList()
    expect(dead).toHaveLength(1)
    const [record] = dead
    expect(record?.key).toBe('bad')
    expect([...(record?.value ?? [])]).toEqual([1, 2, 3])
    expect(record?.timestampMs).toBe(2)
    const header = (key: string): string | undefined => {
      const value = record?.headers.find((h) => h.key === key)?.value
      return value === undefined || value === null ? undefined : utf8.decode(value)
    }
    expect(header(DLQ_HEADERS.topic)).toBe('in')
    expect(header(DLQ_HEADERS.partition)).toBe('0')
    expect(header(DLQ_HEADERS.offset)).toBe('1')
    expect(header(DLQ_HEADERS.exception)).toMatch(/^MillraceError:SERDES_/)
    expect(header(DLQ_HEADERS.message)).toBeTruthy()
  })

  it('a handler function decides per record', () => {
    const seen: Array<{ topic: string | undefined; offset: number | undefined; node: string }> = []
    const driver = driverWith({
      deserializationExceptionHandler: (context) => {
        seen.push({ topic: context.topic, offset: context.offset, node: context.node })
        return 'continue'
      },
    })
    expect(pipePoison(driver)).toBeUndefined()
    expect(seen).toEqual([{ topic: 'in', offset: 1, node: 'KSTREAM-SOURCE-0000000000' }])
  })

  it("processing 'fail' raises STREAMS_PROCESSING_FAILED naming the node and the record; 'continue' drops the record", () => {
    const failing = driverWith({})
    const input = failing.createInputTopic('in', S, I)
    let err: unknown
    try {
      input.pipeInput('x', 13, 1)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED', details: { node: 'KSTREAM-MAPVALUES-0000000001', topic: 'in', offset: 0 } })
    expect((err as Error).cause).toMatchObject({ message: 'unlucky' })

    const warnings: string[] = []
    const continuing = driverWith({ processingExceptionHandler: 'continue' }, warnings)
    const input2 = continuing.createInputTopic('in', S, I)
    input2.pipeInput('x', 13, 1)
    input2.pipeInput('y', 4, 2)
    expect(continuing.createOutputTopic('out', S, I).readKeyValuesToList()).toEqual([{ key: 'y', value: 8 }])
    expect(warnings).toHaveLength(1)
  })

  it("production 'fail' raises STREAMS_PRODUCTION_FAILED when a sink cannot serialize; 'continue' drops the record", () => {
    const builder = new StreamsBuilder()
    builder
      .stream('in', { key: S, value: S })
      .mapValues((v) => Number(v))
      .to('out', { value: I })
    const failing = new TopologyTestDriver(builder.build())
    onTestFinished(() => failing.close())
    let err: unknown
    try {
      failing.createInputTopic('in', S, S).pipeInput('k', 'not a number')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'STREAMS_PRODUCTION_FAILED', details: { node: 'KSTREAM-SINK-0000000002', topic: 'out' } })

    const continuing = new TopologyTestDriver(builder.build(), { productionExceptionHandler: 'continue', onWarning: () => undefined })
    onTestFinished(() => continuing.close())
    const input = continuing.createInputTopic('in', S, S)
    input.pipeInput('k', 'not a number')
    input.pipeInput('k', '21')
    expect(continuing.createOutputTopic('out', S, I).readValuesToList()).toEqual([21])
  })
})
