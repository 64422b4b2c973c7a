import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes, type Windowed } from '../../../src/serdes/index.js'
import { SessionWindows, StreamsBuilder, type Topology } from '../../../src/streams/index.js'
import { StreamsHarness } from '../../../src/testing/index.js'

const S = Serdes.string()
const GAP_MS = 10_000
const GRACE_MS = 10_000
const USERS = ['ann', 'bob', 'cat', 'dan', 'eve']

/** clicks (user → page) → clicks per user session (gap and grace 10 s, RocksDB) → clicks-per-session. */
function sessionCounting(): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream('clicks', { key: S, value: S })
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(GAP_MS, GRACE_MS))
    .count({ name: 'sessions', backend: 'rocksdb' })
    .toStream()
    .to('clicks-per-session')
  return builder.build()
}

async function produceClicks(h: StreamsHarness, timestampsMs: readonly number[]): Promise<void> {
  await h.produce(
    'clicks',
    S,
    S,
    // Every partition gets records (a partition never read is never committed).
    timestampsMs.flatMap((timestampMs) => USERS.map((user, i) => ({ key: user, value: 'page', timestampMs, partition: i % 3 }))),
  )
}

const id = (w: Windowed<string>): string => `${w.key}@[${w.window.startMs},${w.window.endMs}]`

describe('a session-counting app with RocksDB stores', () => {
  it('keeps its sessions across a restart (a later click extends a session of the first run) and answers queries', async () => {
    const h = await StreamsHarness.open({ topics: { clicks: 3, 'clicks-per-session': 3 } })
    onTestFinished(() => h.close())
    await produceClicks(h, [1000, 1001, 1002, 1003])
    const first = await h.startApp(sessionCounting(), { applicationId: 'user-sessions', commitIntervalMs: 20 })
    await h.waitForCommitted('user-sessions', 'clicks')
    const sessions = first.sessionStore<string, number>('sessions')
    expect([...sessions.fetch('bob')].map((e) => `${id(e.key)}=${e.value}`)).toEqual(['bob@[1000,1003]=4'])
    expect(sessions.fetchSession('eve', 1000, 1003)).toBe(4)
    expect([...sessions.all()]).toHaveLength(USERS.length)
    expect(sessions.retentionMs).toBe(GAP_MS + GRACE_MS)
    expect(() => first.sessionStore('nope')).toThrow(expect.objectContaining({ code: 'STREAMS_UNKNOWN_STORE' }))
    await first.close()

    // Within the gap of the first run's sessions, then a new session per user.
    await produceClicks(h, [1005, 20_000])
    const second = await h.startApp(sessionCounting(), { applicationId: 'user-sessions', commitIntervalMs: 20 })
    await h.waitForCommitted('user-sessions', 'clicks')
    const again = second.sessionStore<string, number>('sessions')
    expect([...again.fetch('ann')].map((e) => `${id(e.key)}=${e.value}`)).toEqual(['ann@[1000,1005]=5', 'ann@[20000,20000]=1'])
    expect([...again.findSessions('ann', 1005, 19_999)].map((e) => id(e.key))).toEqual(['ann@[1000,1005]'])
    await second.close()

    // Downstream, the first run's sessions were replaced: the latest value of each session key.
    const latest = new Map<string, bigint | null>()
    for (const r of await h.readAll('clicks-per-session', Serdes.sessionWindowed(S), Serdes.int64())) if (r.key !== null) latest.set(id(r.key), r.value)
    const standing = [...latest].filter(([, count]) => count !== null).map(([session, count]) => `${session}=${count}`)
    expect(standing.sort()).toEqual(USERS.flatMap((u) => [`${u}@[1000,1005]=5`, `${u}@[20000,20000]=1`]).sort())
    expect(latest.get('ann@[1000,1003]')).toBeNull()
  })
})
