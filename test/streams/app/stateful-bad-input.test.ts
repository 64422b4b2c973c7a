import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes, type Serde } from '../../../src/serdes/index.js'
import { StreamsBuilder, type StoreBackendKind, type Topology } from '../../../src/streams/index.js'
import { StreamsHarness } from '../../../src/testing/index.js'

const S = Serdes.string()

/** Sums the lengths of the values per key into the store `totals`, whose values use `serde`. */
function summing<T>(serde: Serde<T>, wrap: (n: number) => T, unwrap: (t: T) => number): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream('events', { key: S, value: S })
    .groupByKey()
    .aggregate(
      () => wrap(0),
      (_key, value, total) => wrap(unwrap(total) + value.length),
      { name: 'totals', value: serde, backend: 'rocksdb' as StoreBackendKind },
    )
  return builder.build()
}

describe('a store reopened with a value serde that cannot read its data', () => {
  it('fails the app with a typed error naming the store topic, and commits nothing past the last good commit', async () => {
    const h = await StreamsHarness.open({ topics: { events: 1 } })
    onTestFinished(() => h.close())
    await h.produce('events', S, S, [
      { key: 'a', value: 'xx' },
      { key: 'b', value: 'yyy' },
    ])
    const first = await h.startApp(
      summing(Serdes.json<{ total: number }>(), (total) => ({ total }), (t) => t.total),
      { applicationId: 'sums', commitIntervalMs: 20 },
    )
    await h.waitForCommitted('sums', 'events')
    await first.close()
    const committedBefore = await h.broker.admin().listGroupOffsets('sums')

    // Same store, now read as int32: the JSON bytes in it do not decode.
    await h.produce('events', S, S, [{ key: 'a', value: 'zzzz' }])
    const second = h.app(summing(Serdes.int32(), (n) => n, (n) => n), { applicationId: 'sums', commitIntervalMs: 20 })
    const failed = new Promise<unknown>((resolve) => second.state$.subscribe({ error: resolve }))
    await second.start()
    const err = (await failed) as { code?: string; cause?: { code?: string; details?: Record<string, unknown> } }
    expect(err.code).toBe('STREAMS_PROCESSING_FAILED')
    expect(err.cause?.code).toMatch(/^SERDES_/)
    expect(err.cause?.details?.['topic']).toBe('sums-totals-changelog')
    expect(second.state).toBe('ERROR')
    // Nothing was lost: the record that hit the bad state is not committed, so a fixed app reprocesses it.
    expect(await h.broker.admin().listGroupOffsets('sums')).toEqual(committedBefore)
  })
})
