import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import type { RestoreReport, StoreBackendKind, StreamsApp, Topology } from '../../../src/streams/index.js'
import { StreamsHarness } from '../../../src/testing/index.js'
import { codeOf } from '../../support/error-code.js'
import { pricing as pricingWith, type PricingProbe } from '../global-pricing.js'

const S = Serdes.string()
const I = Serdes.int32()

async function harness(topics: Record<string, number> = { prices: 3, orders: 3, priced: 3 }): Promise<StreamsHarness> {
  const h = await StreamsHarness.open({ topics })
  onTestFinished(() => h.close())
  return h
}

const pricing = (backend: StoreBackendKind, probe?: PricingProbe): Topology => pricingWith({ backend, probe })

const product = (i: number): string => `product-${i}`

/** Prices of products `from` until `to` (the price of product i is `i + bump`), spread over the partitions by key. */
async function producePrices(h: StreamsHarness, from: number, to: number, bump = 0): Promise<void> {
  await h.produce(
    'prices',
    S,
    I,
    Array.from({ length: to - from }, (_, i) => ({ key: product(from + i), value: from + i + bump })),
  )
}

async function produceOrders(h: StreamsHarness, products: readonly number[]): Promise<void> {
  await h.produce(
    'orders',
    S,
    S,
    products.map((p, i) => ({ key: `order-${i}`, value: product(p) })),
  )
}

const entries = (app: StreamsApp): number => [...app.keyValueStore<string, number>('prices').all()].length

/** The sum of the records global restore reports replayed, and each report's partition. */
function globalRestores(reports: readonly RestoreReport[]): { readonly records: number; readonly partitions: number[] } {
  const global = reports.filter((r) => r.taskId === 'global')
  return { records: global.reduce((n, r) => n + r.records, 0), partitions: global.map((r) => r.partition ?? -1).sort() }
}

describe.each<StoreBackendKind>(['rocksdb', 'memory'])('a global table on %s', (backend) => {
  it('is loaded whole, from every partition, before the first order is processed', async () => {
    const h = await harness()
    await producePrices(h, 0, 300)
    await produceOrders(h, [5, 299, 1000])
    const probe: PricingProbe = { tasks: new Set() }
    const app = h.app(pricing(backend, probe), { applicationId: `bootstrap-${backend}`, commitIntervalMs: 20 })
    const restores: RestoreReport[] = []
    app.restore$.subscribe((r) => restores.push(r))
    await app.start()
    // start() returned after the bootstrap: the store is whole before any task exists.
    expect(globalRestores(restores)).toEqual({ records: 300, partitions: [0, 1, 2] })
    const priced = await h.readUntil('priced', S, I, 3)
    expect(probe.entriesAtFirstOrder).toBe(300)
    expect(new Map(priced.map((r) => [r.key, r.value]))).toEqual(
      new Map([
        ['order-0', 5],
        ['order-1', 299],
        ['order-2', -1],
      ]),
    )
    // The global store's sub-topology id comes first, as in Kafka: the orders' tasks are 1_<p>.
    expect([...probe.tasks].every((t) => t.startsWith('1_'))).toBe(true)
    expect(entries(app)).toBe(300)
    expect(app.keyValueStore<string, number>('prices').get(product(42))).toBe(42)
  })

  it('follows updates and deletions made after start, for queries and for processors', async () => {
    const h = await harness()
    await producePrices(h, 0, 50)
    const app = await h.startApp(pricing(backend), { applicationId: `follow-${backend}`, commitIntervalMs: 20 })
    const prices = app.keyValueStore<string, number>('prices')
    await producePrices(h, 10, 60, 1000)
    await h.produce('prices', S, I, [{ key: product(0), value: null }])
    await h.waitFor(() => prices.get(product(59)) === 1059 && prices.get(product(0)) === undefined, 'the updates in the global store')
    expect(prices.get(product(10))).toBe(1010)
    expect(prices.get(product(9))).toBe(9)
    expect(entries(app)).toBe(59)
    await produceOrders(h, [0, 9, 59])
    const priced = await h.readUntil('priced', S, I, 3)
    expect(priced.map((r) => r.value).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([-1, 9, 1059])
  })
})

describe('a global table across restarts and instances', () => {
  it('resumes from its checkpoint on RocksDB (reading only the new records), and replays everything in memory', async () => {
    const h = await harness()
    await producePrices(h, 0, 120)
    for (const backend of ['rocksdb', 'memory'] as const) {
      const first = await h.startApp(pricing(backend), { applicationId: `restart-${backend}`, commitIntervalMs: 20 })
      expect(entries(first)).toBe(120)
      await first.close()
    }
    await producePrices(h, 100, 140, 1000)
    const ends = new Map(h.broker.describeTopic('prices').partitions.map((p) => [p.partition, p.logEndOffset]))
    for (const backend of ['rocksdb', 'memory'] as const) {
      const second = h.app(pricing(backend), { applicationId: `restart-${backend}`, commitIntervalMs: 20 })
      const restores: RestoreReport[] = []
      second.restore$.subscribe((r) => restores.push(r))
      await second.start()
      await h.waitFor(() => second.state === 'RUNNING', 'the second instance to run')
      expect(globalRestores(restores)).toEqual({ records: backend === 'rocksdb' ? 40 : 160, partitions: [0, 1, 2] })
      expect(restores.filter((r) => r.taskId === 'global').every((r) => r.toOffset === ends.get(r.partition ?? -1))).toBe(true)
      expect(entries(second)).toBe(140)
      expect(second.keyValueStore<string, number>('prices').get(product(100))).toBe(1100)
      expect(second.keyValueStore<string, number>('prices').get(product(99))).toBe(99)
      await second.close()
    }
  })

  it('rebuilds a RocksDB global store from its topic when its positions file lacks the checkpoint the store recorded', async () => {
    const h = await harness()
    await producePrices(h, 0, 60)
    const first = await h.startApp(pricing('rocksdb'), { applicationId: 'lost-positions', commitIntervalMs: 20 })
    await first.close()
    const positions = join(h.dataDir, 'state', 'lost-positions', 'global', 'prices.positions')
    expect(existsSync(positions)).toBe(true)
    rmSync(positions)
    await h.produce('prices', S, I, [{ key: product(0), value: null }])
    const warnings: string[] = []
    const second = h.app(pricing('rocksdb'), { applicationId: 'lost-positions', commitIntervalMs: 20, onWarning: (m) => warnings.push(m) })
    const restores: RestoreReport[] = []
    second.restore$.subscribe((r) => restores.push(r))
    await second.start()
    await h.waitFor(() => second.state === 'RUNNING', 'the second instance to run')
    expect(warnings.filter((w) => w.includes('rebuilding global store prices'))).toHaveLength(1)
    expect(globalRestores(restores).records).toBe(61)
    expect(entries(second)).toBe(59)
  })

  it('is held whole by each of two instances of the app, and kept up to date in both', async () => {
    const h = await harness()
    await producePrices(h, 0, 90)
    const config = (dir: string) => ({ applicationId: 'two-instances', commitIntervalMs: 20, stateDir: `${h.dataDir}/${dir}` })
    const a = await h.startApp(pricing('rocksdb'), config('state-a'))
    const b = await h.startApp(pricing('rocksdb'), config('state-b'))
    // b's joining rebalanced a: stores are queryable once both run again.
    await h.waitFor(() => a.state === 'RUNNING' && b.state === 'RUNNING', 'both instances to run')
    expect(entries(a)).toBe(90)
    expect(entries(b)).toBe(90)
    await producePrices(h, 90, 100)
    await h.waitFor(() => entries(a) === 100 && entries(b) === 100, 'both instances to hold the new prices')
    await produceOrders(h, Array.from({ length: 30 }, (_, i) => i * 3))
    const priced = await h.readUntil('priced', S, I, 30)
    expect(priced.every((r) => r.value !== -1)).toBe(true)
  })
})

describe('a global table that cannot start or read', () => {
  it('fails start() with STREAMS_MISSING_SOURCE_TOPIC when its topic does not exist', async () => {
    const h = await harness({ orders: 3, priced: 3 })
    const app = h.app(pricing('memory'), { applicationId: 'no-prices' })
    expect(await codeOf(() => app.start())).toBe('STREAMS_MISSING_SOURCE_TOPIC')
    expect(app.state).toBe('ERROR')
  })

  it('skips records that cannot be deserialized when the handler says continue', async () => {
    const h = await harness()
    await producePrices(h, 0, 10)
    await h.produce('prices', S, Serdes.bytes(), [{ key: 'broken', value: new Uint8Array([1, 2, 3]) }])
    const warnings: string[] = []
    const app = await h.startApp(pricing('rocksdb'), { applicationId: 'continuing', deserializationExceptionHandler: 'continue', onWarning: (m) => warnings.push(m) })
    expect(entries(app)).toBe(10)
    expect(warnings.filter((w) => w.includes('could not be deserialized'))).toHaveLength(1)
  })

  it('fails start() when the handler says fail for a record already in the topic, and fails the app for a later one', async () => {
    const h = await harness()
    await h.produce('prices', S, Serdes.bytes(), [{ key: 'broken', value: new Uint8Array([1, 2, 3]) }])
    const early = h.app(pricing('memory'), { applicationId: 'failing-early' })
    expect(await codeOf(() => early.start())).toBe('STREAMS_DESERIALIZATION_FAILED')
    expect(early.state).toBe('ERROR')

    const h2 = await harness()
    await producePrices(h2, 0, 10)
    const late = await h2.startApp(pricing('memory'), { applicationId: 'failing-late', commitIntervalMs: 20 })
    const failed = new Promise<unknown>((resolve) => late.state$.subscribe({ error: resolve }))
    await h2.produce('prices', S, Serdes.bytes(), [{ key: 'broken', value: new Uint8Array([1, 2, 3]) }])
    await h2.waitFor(() => late.state === 'ERROR', 'the app to fail')
    expect(await failed).toMatchObject({ code: 'STREAMS_DESERIALIZATION_FAILED', details: { topic: 'prices' } })
  })
})
