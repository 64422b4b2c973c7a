import { firstValueFrom, lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { murmur2, toPositive } from '../../../src/log/index.js'
import { Serdes } from '../../../src/serdes/index.js'
import { Record as StreamsRecord, StreamsBuilder, type ProcessorContext, type StreamsAppState, type Topology } from '../../../src/streams/index.js'
import { StreamsHarness } from '../../../src/testing/index.js'

const S = Serdes.string()

interface Order {
  id: string
  customer: string
  qty: number
}

const order = (i: number): Order => ({ id: `o-${i}`, customer: `c-${i % 7}`, qty: i % 5 })

async function harness(topics: Record<string, number>): Promise<StreamsHarness> {
  const h = await StreamsHarness.open({ topics })
  onTestFinished(() => h.close())
  return h
}

/** orders → keep qty > 0 → add total → priced. */
function pricing(): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream('orders', { key: S, value: Serdes.json<Order>() })
    .filter((k, o) => o.qty > 0)
    .mapValues((o) => ({ ...o, total: o.qty * 10 }))
    .to('priced', { value: Serdes.json<Order & { total: number }>() })
  return builder.build()
}

const produceOrders = (h: StreamsHarness, from: number, to: number): Promise<void> =>
  h.produce(
    'orders',
    S,
    Serdes.json<Order>(),
    Array.from({ length: to - from }, (_, i) => ({ key: `o-${from + i}`, value: order(from + i) })),
  )

const expectedIds = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => order(from + i))
    .filter((o) => o.qty > 0)
    .map((o) => o.id)
    .sort()

describe('StreamsApp on the embedded broker', () => {
  it('runs a topology over 3 partitions and commits where it stopped', async () => {
    const h = await harness({ orders: 3, priced: 3 })
    await produceOrders(h, 0, 300)
    const app = h.app(pricing(), { applicationId: 'pricing', commitIntervalMs: 50 })
    const commits = lastValueFrom(app.commit$.pipe(toArray()))
    await app.start()
    await h.waitFor(() => app.state === 'RUNNING')
    const out = await h.readUntil('priced', S, Serdes.json<Order & { total: number }>(), expectedIds(0, 300).length)
    expect(out.map((r) => r.value?.id).sort()).toEqual(expectedIds(0, 300))
    expect(out.every((r) => r.value !== null && r.value.total === r.value.qty * 10)).toBe(true)
    // Keys (and so partitions) are kept: an output is in the partition its key hashes to.
    expect(out.every((r) => r.partition === toPositive(murmur2(Buffer.from(r.key ?? ''))) % 3)).toBe(true)
    await app.close()
    expect(app.state).toBe('NOT_RUNNING')
    const committed = await h.broker.admin().listGroupOffsets('pricing')
    const ends = h.broker.describeTopic('orders').partitions.map((p) => p.logEndOffset)
    expect(committed.map((c) => c.offset).sort()).toEqual([...ends].sort())
    // commit$ reported every offset the group holds, and completed when the app stopped.
    const reported = new Map<number, number>()
    for (const batch of await commits) for (const o of batch) reported.set(o.partition, o.offset)
    expect([...reported.values()].sort()).toEqual([...ends].sort())
  })

  it('goes CREATED → REBALANCING → RUNNING → PENDING_SHUTDOWN → NOT_RUNNING, and state$ completes', async () => {
    const h = await harness({ orders: 1, priced: 1 })
    const app = h.app(pricing(), { applicationId: 'states' })
    const states = lastValueFrom(app.state$.pipe(toArray()))
    await app.start()
    await h.waitFor(() => app.state === 'RUNNING')
    await app.close()
    expect(await states).toEqual<StreamsAppState[]>(['CREATED', 'REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
  })

  it('loses no input when one of two instances closes mid-stream: the other takes its tasks over', async () => {
    const h = await harness({ orders: 3, priced: 3 })
    await produceOrders(h, 0, 600)
    const a = await h.startApp(pricing(), { applicationId: 'shared', commitIntervalMs: 20 })
    const b = await h.startApp(pricing(), { applicationId: 'shared', commitIntervalMs: 20 })
    await h.waitFor(() => a.state === 'RUNNING' && b.state === 'RUNNING', 'both instances RUNNING')
    await h.readUntil('priced', S, Serdes.json<Order>(), 100)
    await a.close()
    await produceOrders(h, 600, 1200)
    // Everything is processed once the survivor has committed the end of the input.
    await h.waitForCommitted('shared', 'orders')
    const seen = new Set((await h.readAll('priced', S, Serdes.json<Order>())).map((r) => r.value?.id ?? ''))
    expect(expectedIds(0, 1200).filter((id) => !seen.has(id))).toEqual([])
    expect(b.state).toBe('RUNNING')
    await b.close()
  })

  it('repartitions by a new key: every output sits in the partition its new key hashes to', async () => {
    const h = await harness({ orders: 3, 'by-customer': 2 })
    const builder = new StreamsBuilder()
    builder
      .stream('orders', { key: S, value: Serdes.json<Order>() })
      .selectKey((k, o) => o.customer)
      .repartition({ name: 'customer', key: S, partitions: 4 })
      .to('by-customer')
    await produceOrders(h, 0, 200)
    const app = await h.startApp(builder.build(), { applicationId: 'rekey', commitIntervalMs: 20, repartitionPurgeIntervalMs: 3_600_000 })
    const out = await h.readUntil('by-customer', S, Serdes.json<Order>(), 200)
    expect(out.map((r) => r.value?.id).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `o-${i}`).sort())
    expect(out.every((r) => r.key === r.value?.customer)).toBe(true)
    expect(h.broker.describeTopic('rekey-customer-repartition').partitions).toHaveLength(4)
    const repartitioned = await h.readAll('rekey-customer-repartition', S, Serdes.json<Order>())
    expect(repartitioned).toHaveLength(200)
    expect(repartitioned.every((r) => r.partition === toPositive(murmur2(Buffer.from(r.key ?? ''))) % 4)).toBe(true)
    await app.close()
  })

  it('refuses to start without its source topics, or with inputs of different partition counts', async () => {
    const h = await harness({ a: 2, b: 3 })
    const missing = h.app(pricing(), { applicationId: 'missing' })
    const errored = firstValueFrom(missing.state$.pipe(toArray())).catch((err: unknown) => err)
    await expect(missing.start()).rejects.toMatchObject({ code: 'STREAMS_MISSING_SOURCE_TOPIC', details: { topics: 'orders' } })
    expect(missing.state).toBe('ERROR')
    expect(await errored).toMatchObject({ code: 'STREAMS_MISSING_SOURCE_TOPIC' })
    const builder = new StreamsBuilder()
    builder.stream(['a', 'b'], { key: S, value: S }).to('out')
    await expect(h.app(builder.build(), { applicationId: 'mismatch' }).start()).rejects.toMatchObject({ code: 'STREAMS_COPARTITION_MISMATCH' })
  })

  it('runs wall-clock punctuation on the app clock, one schedule per task', async () => {
    const h = await harness({ orders: 2, ticks: 1 })
    const builder = new StreamsBuilder()
    builder
      .stream('orders', { key: S, value: S })
      .process<string, string>(() => {
        let context: ProcessorContext<string, string>
        return {
          init: (c) => {
            context = c
            c.schedule(1_000, 'wall-clock-time', (t) => c.forward(new StreamsRecord(`task-${c.taskId.partition}`, String(t), t)))
          },
          process: (r) => context.forward(r),
        }
      })
      .to('ticks', { key: S, value: S })
    const app = await h.startApp(builder.build(), { applicationId: 'ticker', commitIntervalMs: 50 })
    const ticks = await h.readUntil('ticks', S, S, 6)
    expect(new Set(ticks.map((t) => t.key))).toEqual(new Set(['task-0', 'task-1']))
    // Each tick is stamped with the clock time it fired at, at least 1 s after the previous one of its task.
    for (const key of ['task-0', 'task-1']) {
      const times = ticks.filter((t) => t.key === key).map((t) => Number(t.value))
      for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1_000)
    }
    await app.close()
  })

  it('deletes what it has committed of its repartition topics', async () => {
    const h = await harness({ orders: 2, out: 2 })
    const builder = new StreamsBuilder()
    builder
      .stream('orders', { key: S, value: Serdes.json<Order>() })
      .selectKey((k, o) => o.customer)
      .repartition({ name: 'by-customer', key: S })
      .to('out')
    await produceOrders(h, 0, 100)
    const app = await h.startApp(builder.build(), { applicationId: 'purge', commitIntervalMs: 20, repartitionPurgeIntervalMs: 50 })
    await h.readUntil('out', S, Serdes.json<Order>(), 100)
    const repartition = (): Array<{ logStartOffset: number; logEndOffset: number }> => h.broker.describeTopic('purge-by-customer-repartition').partitions
    await h.waitFor(() => repartition().every((p) => p.logStartOffset === p.logEndOffset), 'the repartition topic to be purged', 5_000)
    expect(repartition().reduce((n, p) => n + p.logEndOffset, 0)).toBe(100)
    await app.close()
  })
})
