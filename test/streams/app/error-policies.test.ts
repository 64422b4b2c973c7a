import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { DLQ_HEADERS, StreamsBuilder, type StreamsAppConfigInput, type Topology } from '../../../src/streams/index.js'
import { StreamsHarness } from '../../../src/testing/index.js'

const S = Serdes.string()
const J = Serdes.json<{ n: number }>()
const utf8 = new TextEncoder()

async function harness(): Promise<StreamsHarness> {
  const h = await StreamsHarness.open({ topics: { in: 2, out: 2 } })
  onTestFinished(() => h.close())
  return h
}

/** in → n * 2 → out; `fail(n)` makes the processor throw for n. */
function doubling(fail: (n: number) => boolean = () => false): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream('in', { key: S, value: J })
    .mapValues((v) => {
      if (fail(v.n)) throw new Error(`cannot double ${v.n}`)
      return { n: v.n * 2 }
    })
    .to('out', { value: J })
  return builder.build()
}

/** Inputs 0..9 on partition 0 with a poison pill (not JSON) after 4; 10..19 on partition 1. */
async function produceWithPoison(h: StreamsHarness): Promise<void> {
  const good = (from: number, to: number, partition: number): Array<{ key: string; value: { n: number }; partition: number }> =>
    Array.from({ length: to - from }, (_, i) => ({ key: `k${from + i}`, value: { n: from + i }, partition }))
  await h.produce('in', S, J, good(0, 5, 0))
  await h.produce('in', S, Serdes.bytes(), [{ key: 'poison', value: utf8.encode('{not json'), partition: 0 }])
  await h.produce('in', S, J, [...good(5, 10, 0), ...good(10, 20, 1)])
}

const outputs = async (h: StreamsHarness): Promise<number[]> => (await h.readAll('out', S, J)).map((r) => r.value?.n ?? -1).sort((a, b) => a - b)
const doubled = (ns: readonly number[]): number[] => ns.map((n) => n * 2).sort((a, b) => a - b)
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

async function run(h: StreamsHarness, topology: Topology, config: Omit<StreamsAppConfigInput, 'client'>) {
  const app = h.app(topology, { commitIntervalMs: 10, ...config })
  const states = lastValueFrom(app.state$.pipe(toArray())).then(
    (s) => ({ states: s, error: undefined as unknown }),
    (error: unknown) => ({ states: [] as string[], error }),
  )
  await app.start()
  return { app, states }
}

describe('a poison pill in a running app', () => {
  it("'fail' stops the app: state ERROR, the error on state$, nothing after the pill committed", async () => {
    const h = await harness()
    await produceWithPoison(h)
    const { app, states } = await run(h, doubling(), { applicationId: 'poison-fail' })
    await h.waitFor(() => app.state === 'ERROR', 'the app to fail')
    const { error } = await states
    expect(error).toMatchObject({ code: 'STREAMS_DESERIALIZATION_FAILED', details: { topic: 'in', partition: 0, offset: 5 } })
    const committed = await h.broker.admin().listGroupOffsets('poison-fail')
    expect(committed.find((c) => c.partition === 0)?.offset ?? 0).toBeLessThanOrEqual(5)
  })

  it("'continue' skips the pill and processes everything else", async () => {
    const h = await harness()
    await produceWithPoison(h)
    const warnings: string[] = []
    const { app } = await run(h, doubling(), { applicationId: 'poison-continue', deserializationExceptionHandler: 'continue', onWarning: (m) => warnings.push(m) })
    await h.waitForCommitted('poison-continue', 'in')
    expect(await outputs(h)).toEqual(doubled(range(0, 20)))
    expect(warnings.some((w) => w.includes('in-0@5'))).toBe(true)
    await app.close()
  })

  it("'dead-letter' sends the pill to the dead-letter topic with the error and goes on", async () => {
    const h = await harness()
    h.broker.createTopic({ topic: 'in-dlq', partitions: 1 })
    await produceWithPoison(h)
    const { app } = await run(h, doubling(), {
      applicationId: 'poison-dlq',
      deserializationExceptionHandler: 'dead-letter',
      deadLetterQueueTopic: 'in-dlq',
      onWarning: () => undefined,
    })
    await h.waitForCommitted('poison-dlq', 'in')
    expect(await outputs(h)).toEqual(doubled(range(0, 20)))
    const dead = await h.readAll('in-dlq', S, Serdes.bytes())
    expect(dead).toHaveLength(1)
    expect(dead[0]?.key).toBe('poison')
    expect(Buffer.from(dead[0]?.value ?? []).toString()).toBe('{not json')
    const header = (key: string): string => Buffer.from(dead[0]?.headers.find((x) => x.key === key)?.value ?? []).toString()
    expect([header(DLQ_HEADERS.topic), header(DLQ_HEADERS.partition), header(DLQ_HEADERS.offset)]).toEqual(['in', '0', '5'])
    await app.close()
  })
})

describe('uncaught exception policies', () => {
  it("'replace-task' restarts the failed task from its committed offsets and the app keeps running", async () => {
    const h = await harness()
    await h.produce('in', S, J, range(0, 20).map((n) => ({ key: `k${n}`, value: { n }, partition: n % 2 })))
    let failures = 0
    const warnings: string[] = []
    // n = 7 fails twice, then works (a transient fault).
    const topology = doubling((n) => n === 7 && failures++ < 2)
    const { app } = await run(h, topology, { applicationId: 'replace', uncaughtExceptionPolicy: 'replace-task', onWarning: (m) => warnings.push(m) })
    await h.waitForCommitted('replace', 'in')
    expect(app.state).toBe('RUNNING')
    expect(failures).toBe(3)
    expect(warnings.filter((w) => w.startsWith('replacing task'))).toHaveLength(2)
    // At-least-once: every input has its output (some may repeat after a replacement).
    expect([...new Set(await outputs(h))]).toEqual(doubled(range(0, 20)))
    await app.close()
  })

  it("'replace-task' gives up after maxTaskReplacements without a commit", async () => {
    const h = await harness()
    await h.produce('in', S, J, [{ key: 'k', value: { n: 7 }, partition: 0 }])
    const { app, states } = await run(h, doubling((n) => n === 7), {
      applicationId: 'give-up',
      uncaughtExceptionPolicy: 'replace-task',
      maxTaskReplacements: 3,
      onWarning: () => undefined,
    })
    await h.waitFor(() => app.state === 'ERROR', 'the app to give up')
    expect((await states).error).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED' })
  })

  it('exactly-once: a replaced task aborts its transaction, so read_committed readers see each output once', async () => {
    const h = await harness()
    await h.produce('in', S, J, range(0, 40).map((n) => ({ key: `k${n}`, value: { n }, partition: n % 2 })))
    let failures = 0
    const { app } = await run(h, doubling((n) => n === 31 && failures++ < 1), {
      applicationId: 'eos',
      processingGuarantee: 'exactly-once',
      uncaughtExceptionPolicy: 'replace-task',
      onWarning: () => undefined,
    })
    await h.waitForCommitted('eos', 'in')
    await app.close()
    const committed = (await h.readAll('out', S, J, 'read_committed')).map((r) => r.value?.n ?? -1).sort((a, b) => a - b)
    expect(committed).toEqual(doubled(range(0, 40)))
    expect(failures).toBe(2)
  })
})
