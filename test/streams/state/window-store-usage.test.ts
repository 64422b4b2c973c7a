import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { Record, Stores, StreamsBuilder, TimeWindows, type StoreBackendKind } from '../../../src/streams/index.js'
import type { WindowStore } from '../../../src/streams/state/window-store.js'
import { StreamsHarness, TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()
const INT = Serdes.int32()
const MINUTE = 60_000

describe('a window store of the Processor API', () => {
  it('is reached through getStateStore in process() and through the test driver', () => {
    const builder = new StreamsBuilder()
    builder.addStateStore(Stores.window({ name: 'per-minute', key: S, value: INT, windowSizeMs: MINUTE, retentionMs: 60 * MINUTE, backend: 'memory' }))
    builder
      .stream('events', { key: S, value: S })
      .process<string, number>(
        () => {
          let store: WindowStore<string, number>
          let forward: (record: Record<string, number>) => void
          return {
            init: (context) => {
              store = context.getStateStore<WindowStore<string, number>>('per-minute')
              forward = (record) => context.forward(record)
            },
            process: (record) => {
              const start = Math.floor(record.timestampMs / MINUTE) * MINUTE
              const count = (store.fetch(record.key as string, start) ?? 0) + 1
              store.put(record.key as string, count, start)
              forward(new Record(record.key as string, count, record.timestampMs))
            },
          }
        },
        { stores: ['per-minute'] },
      )
      .to('counts', { key: S, value: INT })
    const d = new TopologyTestDriver(builder.build())
    onTestFinished(() => d.close())
    const input = d.createInputTopic('events', S, S)
    for (const [key, ts] of [
      ['a', 1_000],
      ['a', 59_999],
      ['a', 60_000],
      ['b', 61_000],
      ['a', 180_000],
    ] as const)
      input.pipeInput(key, 'x', ts)
    expect(d.createOutputTopic('counts', S, INT).readValuesToList()).toEqual([1, 2, 1, 1, 1])
    const store = d.getWindowStore<string, number>('per-minute')
    expect([...(store?.fetch('a', 0, 10 * MINUTE) ?? [])].map((e) => `${e.key}=${e.value}`)).toEqual(['0=2', '60000=1', '180000=1'])
    expect([...(store?.backwardFetch('a', 0, MINUTE) ?? [])].map((e) => e.key)).toEqual([60_000, 0])
    expect([...(store?.fetchAll(MINUTE, MINUTE) ?? [])].map((e) => `${e.key.key}@${e.key.window.startMs}-${e.key.window.endMs}`)).toEqual(['a@60000-120000', 'b@60000-120000'])
    expect(d.getKeyValueStore('per-minute')).toBeUndefined()
    expect(d.getSessionStore('per-minute')).toBeUndefined()
  })

  it('rejects bad definitions with typed errors', () => {
    const base = { name: 'w', key: S, value: INT }
    expect(codeOfSync(() => Stores.window({ ...base, windowSizeMs: 0, retentionMs: 10 }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => Stores.window({ ...base, windowSizeMs: 10, retentionMs: 9 }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => Stores.window({ ...base, name: 'bad name', windowSizeMs: 10, retentionMs: 10 }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => Stores.session({ ...base, retentionMs: -1 }))).toBe('STREAMS_TOPOLOGY_INVALID')
    const builder = new StreamsBuilder()
    builder.addStateStore(Stores.window({ ...base, windowSizeMs: 10, retentionMs: 10 }))
    expect(codeOfSync(() => builder.addStateStore(Stores.keyValue(base)))).toBe('STREAMS_TOPOLOGY_INVALID')
    // A windowed count named like an existing store collides too.
    expect(codeOfSync(() => builder.stream('in', { key: S, value: S }).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count({ name: 'w' }))).toBe('STREAMS_TOPOLOGY_INVALID')
  })

  it('declares a compact,delete changelog kept a day beyond the retention, as Kafka does', () => {
    const spec = Stores.window({ name: 'w', key: S, value: INT, windowSizeMs: 10, retentionMs: 1000 })
    expect(spec.changelogConfigs).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(1000 + 86_400_000) })
    const custom = Stores.session({ name: 's', key: S, value: INT, retentionMs: 1000, changelogConfigs: { 'retention.ms': '5000' } })
    expect(custom.changelogConfigs['retention.ms']).toBe('5000')
  })
})

describe.each<StoreBackendKind>(['memory', 'rocksdb'])('windowed counts on a running app with %s stores', (backend) => {
  it('answer window-store queries, and continue after a restart', async () => {
    // One partition: `waitForCommitted` waits for every partition's end, and a partition without records is never committed.
    const h = await StreamsHarness.open({ topics: { clicks: 1 } })
    onTestFinished(() => h.close())
    const topology = (): ReturnType<StreamsBuilder['build']> => {
      const builder = new StreamsBuilder()
      builder.stream('clicks', { key: S, value: S }).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(MINUTE)).count({ name: 'per-minute', backend })
      return builder.build()
    }
    const clicks = (users: readonly string[], minute: number) => users.map((user, i) => ({ key: user, value: 'page', timestampMs: minute * MINUTE + i }))
    // The record without a key is dropped by the aggregation and counted.
    await h.produce('clicks', S, S, [...clicks(['ann', 'bob', 'ann'], 0), { key: null, value: 'page', timestampMs: 7 }, ...clicks(['ann'], 1)])
    const appId = `windowed-${backend}`
    const first = await h.startApp(topology(), { applicationId: appId, commitIntervalMs: 20 })
    await h.waitForCommitted(appId, 'clicks')
    const counts = first.windowStore<string, number>('per-minute')
    expect([...counts.fetch('ann', 0, 10 * MINUTE)].map((e) => `${e.key}=${e.value}`)).toEqual(['0=2', '60000=1'])
    expect(counts.fetch('bob', 0)).toBe(1)
    expect([...counts.all()].length).toBe(3)
    expect(first.metrics().droppedRecordsTotal).toBe(1)
    expect(Object.values(first.metrics().tasks).map((t) => t.droppedRecordsTotal)).toEqual([1])
    // Four windowed updates (the null-key record never reached the store), each a read and a
    // write, plus the point query above (queries read the same stores); at least one commit.
    expect(first.metrics().stores['per-minute']).toMatchObject({ puts: 4, gets: 5 })
    expect(first.metrics().stores['per-minute']?.commits).toBeGreaterThan(0)
    expect(() => first.windowStore('nope')).toThrow(expect.objectContaining({ code: 'STREAMS_UNKNOWN_STORE' }))
    expect(() => first.sessionStore('per-minute')).toThrow(expect.objectContaining({ code: 'STREAMS_UNKNOWN_STORE' }))
    expect(() => first.keyValueStore('per-minute')).toThrow(expect.objectContaining({ code: 'STREAMS_UNKNOWN_STORE' }))
    await first.close()
    expect(first.metrics().droppedRecordsTotal).toBe(1)
    expect(() => counts.fetch('bob', 0)).toThrow(expect.objectContaining({ code: 'STREAMS_ILLEGAL_STATE' }))

    await h.produce('clicks', S, S, clicks(['ann', 'bob'], 1))
    const second = await h.startApp(topology(), { applicationId: appId, commitIntervalMs: 20 })
    await h.waitForCommitted(appId, 'clicks')
    const after = second.windowStore<string, number>('per-minute')
    expect([...after.fetch('ann', 0, 10 * MINUTE)].map((e) => `${e.key}=${e.value}`)).toEqual(['0=2', '60000=2'])
    expect([...after.fetchAll(MINUTE, MINUTE)].map((e) => `${e.key.key}=${e.value}`).sort()).toEqual(['ann=2', 'bob=1'])
    await second.close()
  })
})
