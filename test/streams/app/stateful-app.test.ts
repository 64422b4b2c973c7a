import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { Stores, StreamsBuilder, type RestoreReport, type StoreBackendKind, type Topology } from '../../../src/streams/index.js'
import { StreamsHarness } from '../../../src/testing/index.js'

const S = Serdes.string()
const LONG = Serdes.int64()

async function harness(): Promise<StreamsHarness> {
  const h = await StreamsHarness.open({ topics: { clicks: 3, 'clicks-per-user': 3 } })
  onTestFinished(() => h.close())
  return h
}

/** clicks (user → page) → count per user → clicks-per-user. */
function counting(backend: StoreBackendKind): Topology {
  const builder = new StreamsBuilder()
  builder.stream('clicks', { key: S, value: S }).groupByKey().count({ name: 'clicks', backend }).toStream().to('clicks-per-user')
  return builder.build()
}

const users = (n: number): string[] => Array.from({ length: n }, (_, i) => `user-${i % 13}`)

async function produceClicks(h: StreamsHarness, from: number, to: number): Promise<void> {
  await h.produce(
    'clicks',
    S,
    S,
    users(to).slice(from).map((user, i) => ({ key: user, value: `page-${from + i}` })),
  )
}

/** The latest count per user written to the output topic. */
async function latestCounts(h: StreamsHarness): Promise<Map<string, bigint>> {
  const latest = new Map<string, bigint>()
  for (const r of await h.readAll('clicks-per-user', S, LONG)) if (r.key !== null && r.value !== null) latest.set(r.key, r.value)
  return latest
}

function trueCounts(n: number): Map<string, bigint> {
  const counts = new Map<string, bigint>()
  for (const u of users(n)) counts.set(u, (counts.get(u) ?? 0n) + 1n)
  return counts
}

describe.each<StoreBackendKind>(['memory', 'rocksdb'])('a counting app with %s stores', (backend) => {
  it('counts per key, and after a restart continues from its state (restored from the changelog or kept on disk)', async () => {
    const h = await harness()
    await produceClicks(h, 0, 260)
    const first = await h.startApp(counting(backend), { applicationId: `counts-${backend}`, commitIntervalMs: 20 })
    await h.waitForCommitted(`counts-${backend}`, 'clicks')
    // Interactive query over the instance's three tasks.
    const counts = first.keyValueStore<string, number>('clicks')
    expect(counts.get('user-3')).toBe(Number(trueCounts(260).get('user-3')))
    expect([...counts.all()].length).toBe(13)
    expect(() => first.keyValueStore('nope')).toThrow(expect.objectContaining({ code: 'STREAMS_UNKNOWN_STORE' }))
    await first.close()
    expect(() => counts.get('user-3')).toThrow(expect.objectContaining({ code: 'STREAMS_ILLEGAL_STATE' }))
    expect(await latestCounts(h)).toEqual(trueCounts(260))
    const changelog = h.broker.describeTopic(`counts-${backend}-clicks-changelog`)
    expect(changelog.partitions).toHaveLength(3)

    await produceClicks(h, 260, 400)
    const second = h.app(counting(backend), { applicationId: `counts-${backend}`, commitIntervalMs: 20 })
    const restores: RestoreReport[] = []
    second.restore$.subscribe((r) => restores.push(r))
    await second.start()
    await h.waitForCommitted(`counts-${backend}`, 'clicks')
    await second.close()
    expect(await latestCounts(h)).toEqual(trueCounts(400))
    // One restore per task; memory replays the whole changelog, RocksDB only what it had not recorded (nothing).
    expect(restores.map((r) => r.taskId).sort()).toEqual(['0_0', '0_1', '0_2'])
    const replayed = restores.reduce((n, r) => n + r.records, 0)
    if (backend === 'memory') expect(replayed).toBe(changelog.partitions.reduce((n, p) => n + p.logEndOffset, 0))
    else expect(replayed).toBe(0)
  })

  it('moves state with its tasks when one of two instances leaves', async () => {
    const h = await harness()
    await produceClicks(h, 0, 200)
    const a = await h.startApp(counting(backend), { applicationId: `moving-${backend}`, commitIntervalMs: 20, stateDir: `${h.dataDir}/state-a` })
    const b = await h.startApp(counting(backend), { applicationId: `moving-${backend}`, commitIntervalMs: 20, stateDir: `${h.dataDir}/state-b` })
    await h.waitForCommitted(`moving-${backend}`, 'clicks')
    await a.close()
    await produceClicks(h, 200, 330)
    await h.waitForCommitted(`moving-${backend}`, 'clicks')
    await b.close()
    expect(await latestCounts(h)).toEqual(trueCounts(330))
  })
})

describe('a task whose processor fails in init()', () => {
  it('releases its RocksDB store, so the next attempt can open it', async () => {
    const h = await harness()
    await produceClicks(h, 0, 20)
    let failing = true
    const builder = new StreamsBuilder()
    builder.addStateStore(Stores.keyValue({ name: 'seen', key: S, value: S, backend: 'rocksdb' }))
    builder.stream('clicks', { key: S, value: S }).process<string, string>(
      () => ({
        init: () => {
          if (failing) throw new Error('not ready yet')
        },
        process: () => undefined,
      }),
      { stores: ['seen'] },
    )
    const app = h.app(builder.build(), { applicationId: 'init-fails', commitIntervalMs: 20, onWarning: () => undefined })
    const failed = new Promise<unknown>((resolve) => app.state$.subscribe({ error: resolve }))
    await app.start()
    expect(await failed).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED' })
    // A new instance on the same state dir opens the stores the failed one released.
    failing = false
    const again = await h.startApp(builder.build(), { applicationId: 'init-fails', commitIntervalMs: 20 })
    await h.waitForCommitted('init-fails', 'clicks')
    await again.close()
  })
})
