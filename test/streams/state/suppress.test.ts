import fc from 'fast-check'
import { describe, expect, expectTypeOf, it, onTestFinished } from 'vitest'
import { Serdes, type Windowed } from '../../../src/serdes/index.js'
import {
  BufferConfig,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  type EagerBufferConfig,
  type KGroupedStream,
  type KTable,
  type StoreBackendKind,
  type StrictBufferConfig,
  type Topology,
} from '../../../src/streams/index.js'
import { StreamsHarness, TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()
const LONG = Serdes.int64()

/** key=value (ts …) of a plain table's output records. */
function plain(records: ReadonlyArray<{ key: string | null; value: unknown; timestampMs: number }>): string[] {
  return records.map((r) => `${r.key}=${r.value} (ts ${r.timestampMs})`)
}

/** key@[start,end)=value (ts …) of a windowed table's output records. */
function windowed(records: ReadonlyArray<{ key: Windowed<string> | null; value: unknown; timestampMs: number }>): string[] {
  return records.map((r) => `${r.key?.key}@[${r.key?.window.startMs},${r.key?.window.endMs})=${r.value} (ts ${r.timestampMs})`)
}

/** Records of `in` (string keys and values) grouped by key. */
function grouped(builder: StreamsBuilder): KGroupedStream<string, string> {
  return builder.stream('in', { key: S, value: S }).groupByKey()
}

function driverFor(topology: Topology, options: ConstructorParameters<typeof TopologyTestDriver>[1] = {}): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, options)
  onTestFinished(() => driver.close())
  return driver
}

/** Pipes `(ts, key)` records one at a time into `in`; returns what `read()` finds after each. */
function stepwise<T>(driver: TopologyTestDriver, inputs: ReadonlyArray<readonly [number, string]>, read: () => T[]): T[][] {
  const input = driver.createInputTopic('in', S, S)
  return inputs.map(([ts, key]) => {
    input.pipeInput(key, 'v', ts)
    return read()
  })
}

/** `in` → windowed count (caching off, as the anchor's tables) → suppress(untilWindowCloses) → `out`. */
function finalWindowCounts(windows: TimeWindows, inputs: ReadonlyArray<readonly [number, string]>): string[][] {
  const builder = new StreamsBuilder()
  grouped(builder)
    .windowedBy(windows)
    .count({ name: 'counts', caching: false })
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to('out')
  const driver = driverFor(builder.build())
  const out = driver.createOutputTopic('out', Serdes.windowed(S, windows.sizeMs), LONG)
  return stepwise(driver, inputs, () => windowed(out.readRecordsToList()))
}

describe('suppress(untilTimeLimit) (streams anchor §2.8)', () => {
  it('emits a key once stream time reaches its first buffered update plus the limit, with the latest value and its timestamp', () => {
    const builder = new StreamsBuilder()
    grouped(builder)
      .count({ name: 'counts', caching: false })
      .suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded()), { name: 'limited' })
      .toStream()
      .to('out')
    const driver = driverFor(builder.build())
    const out = driver.createOutputTopic('out', S, LONG)
    const buffered = (): string[] => [...(driver.getKeyValueStore<Uint8Array, Uint8Array>('limited-store')?.all() ?? [])].map((e) => Buffer.from(e.key).toString()).sort()
    const steps = stepwise(
      driver,
      [
        [0, 'a'],
        [1, 'a'],
        [5, 'b'],
        [10, 'c'],
        [12, 'a'],
        [15, 'd'],
      ],
      () => [...plain(out.readRecordsToList()), `buffer: ${buffered().join(',')}`],
    )
    expect(steps).toEqual([
      ['buffer: a'],
      ['buffer: a'],
      ['buffer: a,b'],
      ['a=2 (ts 1)', 'buffer: b,c'],
      ['buffer: a,b,c'],
      ['b=1 (ts 5)', 'buffer: a,c,d'],
    ])
  })

  it('lets one count feed both a suppressed and an unsuppressed branch', () => {
    const builder = new StreamsBuilder()
    const counts = grouped(builder).count({ caching: false })
    counts.toStream().to('every-update')
    counts.suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded())).toStream().to('rate-limited')
    const driver = driverFor(builder.build())
    const input = driver.createInputTopic('in', S, S)
    for (const [ts, key] of [
      [0, 'a'],
      [1, 'a'],
      [5, 'b'],
      [10, 'c'],
    ] as const)
      input.pipeInput(key, 'v', ts)
    expect(plain(driver.createOutputTopic('every-update', S, LONG).readRecordsToList())).toEqual(['a=1 (ts 0)', 'a=2 (ts 1)', 'b=1 (ts 5)', 'c=1 (ts 10)'])
    expect(plain(driver.createOutputTopic('rate-limited', S, LONG).readRecordsToList())).toEqual(['a=2 (ts 1)'])
  })

  it('forwards the headers of the latest update, and as old value the value downstream last saw', () => {
    const builder = new StreamsBuilder()
    const changes: string[] = []
    const limitedCounts = grouped(builder)
      .count({ caching: false })
      .suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded()))
    limitedCounts.toStream().process<string, number | null>(() => ({ process: (r) => void changes.push(`${r.key}=${r.value}`) }))
    limitedCounts
      .filter((key, count) => count > 2)
      .toStream()
      .to('over-two')
    const driver = driverFor(builder.build())
    const input = driver.createInputTopic('in', S, S)
    const h = (value: string): { key: string; value: Uint8Array } => ({ key: 'h', value: Buffer.from(value) })
    input.pipeRecord({ key: 'a', value: 'v', timestampMs: 0, headers: [h('first')] })
    input.pipeRecord({ key: 'a', value: 'v', timestampMs: 1, headers: [h('second')] })
    input.pipeRecord({ key: 'b', value: 'v', timestampMs: 20, headers: [] })
    const out = driver.createOutputTopic('over-two', S, LONG)
    // a=2 passes no filter downstream and was never seen there: no deletion is forwarded for it.
    expect(out.readRecordsToList()).toEqual([])
    expect(changes).toEqual(['a=2'])
    input.pipeRecord({ key: 'a', value: 'v', timestampMs: 21, headers: [h('third')] })
    input.pipeRecord({ key: 'c', value: 'v', timestampMs: 40, headers: [] })
    const [record] = out.readRecordsToList()
    expect(record?.value).toBe(3n)
    expect(record?.timestampMs).toBe(21)
    expect(record?.headers.map((x) => `${x.key}:${Buffer.from(x.value ?? []).toString()}`)).toEqual(['h:third'])
  })
})

describe('suppress(untilWindowCloses) (streams anchor §2.7)', () => {
  it('tumbling 10 ms, grace 5 ms: each window once, when stream time reaches its end plus the grace', () => {
    expect(
      finalWindowCounts(TimeWindows.ofSizeAndGrace(10, 5), [
        [1, 'A'],
        [8, 'A'],
        [12, 'A'],
        [3, 'A'],
        [16, 'A'],
        [4, 'A'],
        [2, 'B'],
        [25, 'B'],
      ]),
    ).toEqual([[], [], [], [], ['A@[0,10)=3 (ts 8)'], [], [], ['A@[10,20)=2 (ts 16)']])
  })

  it('hopping size 10, advance 5, grace 2: [0,10) final at 16 with all four records', () => {
    expect(
      finalWindowCounts(TimeWindows.ofSizeAndGrace(10, 2).advanceBy(5), [
        [0, 'A'],
        [4, 'A'],
        [5, 'A'],
        [9, 'A'],
        [10, 'A'],
        [16, 'A'],
        [3, 'A'],
      ]),
    ).toEqual([[], [], [], [], [], ['A@[0,10)=4 (ts 9)'], []])
  })

  it('keeps working through filter and mapValues between the aggregation and the suppression', () => {
    const builder = new StreamsBuilder()
    grouped(builder)
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count({ caching: false })
      .mapValues((count) => `n=${count}`)
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()), { value: S })
      .toStream()
      .to('out')
    const driver = driverFor(builder.build())
    const out = driver.createOutputTopic('out', Serdes.windowed(S, 10), S)
    expect(stepwise(driver, [[1, 'A'], [2, 'A'], [10, 'B']], () => windowed(out.readRecordsToList()))).toEqual([[], [], ['A@[0,10)=n=2 (ts 2)']])
  })

  it('drops deletions (final results only), which untilTimeLimit forwards', () => {
    const run = (suppressed: Parameters<KTable<Windowed<string>, number>['suppress']>[0]): string[] => {
      const builder = new StreamsBuilder()
      grouped(builder)
        .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
        .count({ caching: false })
        .filter((key, count) => count < 2)
        .suppress(suppressed)
        .toStream()
        .to('out')
      const driver = driverFor(builder.build())
      const out = driver.createOutputTopic('out', Serdes.windowed(S, 10), LONG)
      return stepwise(driver, [[1, 'A'], [2, 'A'], [30, 'B']], () => windowed(out.readRecordsToList())).flat()
    }
    // A@[0,10) became 2, so the filter deleted it: the window's final result is that deletion.
    expect(run(Suppressed.untilWindowCloses(BufferConfig.unbounded()))).toEqual([])
    expect(run(Suppressed.untilTimeLimit(10, BufferConfig.unbounded()))).toEqual(['A@[0,10)=null (ts 2)'])
  })

  it('emits each window at most once, with the final count a naive recomputation gives, as soon as stream time closes it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.constantFrom('a', 'b', 'c')), { maxLength: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 20 }),
        (records, size, advanceRaw, grace) => {
          const windows = TimeWindows.ofSizeAndGrace(size, grace).advanceBy(Math.min(size, advanceRaw))
          const steps = finalWindowCounts(windows, records).map((step) => step.map((line) => line.replace(/ \(ts \d+\)$/, '')))
          // Oracle: counts of the records each window accepted; after each record, the windows stream time closed.
          const counts = new Map<string, { end: number; count: number }>()
          const emitted = new Set<string>()
          let streamTime = -1
          records.forEach(([ts, key], i) => {
            streamTime = Math.max(streamTime, ts)
            for (const start of windows.windowStartsFor(ts)) {
              if (start + size <= streamTime - grace) continue
              const id = `${key}@[${start},${start + size})`
              const w = counts.get(id) ?? { end: start + size, count: 0 }
              w.count++
              counts.set(id, w)
            }
            const due = [...counts].filter(([id, w]) => w.end <= streamTime - grace && !emitted.has(id))
            for (const [id] of due) emitted.add(id)
            const step = steps[i] ?? []
            expect([...step].sort()).toEqual(due.map(([id, w]) => `${id}=${w.count}`).sort())
            // Oldest window end first.
            const ends = step.map((line) => Number(/,(\d+)\)/.exec(line)?.[1]))
            expect(ends).toEqual([...ends].sort((x, y) => x - y))
          })
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('suppression buffer bounds', () => {
  /** `in` → count → (mapValues to a 30-character string) → suppress(untilTimeLimit(1000, buffer)) → `out`. */
  function limited(buffer: BufferConfig, inputs: ReadonlyArray<readonly [number, string]>, options: { wide?: boolean; driver?: ConstructorParameters<typeof TopologyTestDriver>[1] } = {}): string[][] {
    const builder = new StreamsBuilder()
    const counts = grouped(builder).count({ caching: false })
    const table = options.wide === true ? counts.mapValues((n) => String(n).padStart(30, '.')) : counts.mapValues((n) => String(n))
    table
      .suppress(Suppressed.untilTimeLimit(1000, buffer), { value: S })
      .toStream()
      .to('out', { value: S })
    const driver = driverFor(builder.build(), options.driver)
    const out = driver.createOutputTopic('out', S, S)
    return stepwise(driver, inputs, () => plain(out.readRecordsToList()).map((line) => line.replace(/\.+/, '')))
  }

  const abca: ReadonlyArray<readonly [number, string]> = [
    [0, 'a'],
    [1, 'b'],
    [2, 'c'],
    [3, 'a'],
  ]

  it('emit-early with maxRecords: a new key past the bound sends the oldest buffered key early', () => {
    expect(limited(BufferConfig.maxRecords(2), abca)).toEqual([[], [], ['a=1 (ts 0)'], ['b=1 (ts 1)']])
  })

  it('emit-early with maxBytes (alone and combined with maxRecords): the oldest go until the rest fits', () => {
    // An entry of a one-byte key and a 30-byte value takes about 60 bytes: two fit in 150, three do not.
    expect(limited(BufferConfig.maxBytes(150), abca, { wide: true })).toEqual([[], [], ['a=1 (ts 0)'], ['b=1 (ts 1)']])
    expect(limited(BufferConfig.maxRecords(10).withMaxBytes(150), abca, { wide: true })).toEqual([[], [], ['a=1 (ts 0)'], ['b=1 (ts 1)']])
    expect(limited(BufferConfig.maxBytes(100_000).withMaxRecords(1), abca, { wide: true })).toEqual([[], ['a=1 (ts 0)'], ['b=1 (ts 1)'], ['c=1 (ts 2)']])
    // An update to a buffered key replaces it in place: no new record, the bound still holds.
    expect(limited(BufferConfig.maxRecords(1), [[0, 'a'], [1, 'a'], [2, 'a']])).toEqual([[], [], []])
  })

  it('shut-down-when-full fails the record with STREAMS_SUPPRESSION_BUFFER_FULL', () => {
    let thrown: unknown
    try {
      limited(BufferConfig.maxRecords(1).shutDownWhenFull(), abca)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED', cause: { code: 'STREAMS_SUPPRESSION_BUFFER_FULL' } })
    expect(codeOfSync(() => limited(BufferConfig.maxBytes(150).shutDownWhenFull(), abca, { wide: true }))).toBe('STREAMS_PROCESSING_FAILED')
  })

  it('shut-down-when-full refuses an update untouched (a continuing handler skips it) after the keys already due left', () => {
    const warnings: string[] = []
    const steps = limited(
      BufferConfig.maxRecords(1).shutDownWhenFull(),
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'a'],
        [1000, 'c'],
        [1500, 'd'],
        [2000, 'e'],
      ],
      { driver: { processingExceptionHandler: 'continue', onWarning: (message) => void warnings.push(message) } },
    )
    // b does not fit next to a and is skipped; at 1000 a is due and leaves before c is checked,
    // d does not fit next to c (due only at 2000), e finds c due.
    expect(steps).toEqual([[], [], [], ['a=2 (ts 2)'], [], ['c=1 (ts 1000)']])
    expect(warnings).toHaveLength(2)
  })
})

describe('suppress in the topology', () => {
  it("gets Kafka's names: KTABLE-SUPPRESS-<n> with store KTABLE-SUPPRESS-STATE-STORE-<n+1>, or <name> with <name>-store", () => {
    const builder = new StreamsBuilder()
    grouped(builder)
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count()
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('out')
    expect(builder.build().describe().toString()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [in])',
        '      --> KSTREAM-AGGREGATE-0000000002',
        '    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])',
        '      --> KTABLE-SUPPRESS-0000000003',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])',
        '      --> KTABLE-TOSTREAM-0000000005',
        '      <-- KSTREAM-AGGREGATE-0000000002',
        '    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])',
        '      --> KSTREAM-SINK-0000000006',
        '      <-- KTABLE-SUPPRESS-0000000003',
        '    Sink: KSTREAM-SINK-0000000006 (topic: out)',
        '      <-- KTABLE-TOSTREAM-0000000005',
        '',
        '',
      ].join('\n'),
    )
    const named = new StreamsBuilder()
    grouped(named)
      .count()
      .suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded()), { name: 'rate-limit' })
    expect(named.build().describe().toString()).toContain('Processor: rate-limit (stores: [rate-limit-store])')
  })

  it('logs the buffer to its changelog (an entry per update, a tombstone per emission) unless logging is disabled', () => {
    const changelog = (buffer: BufferConfig): Array<string> => {
      const builder = new StreamsBuilder()
      grouped(builder)
        .count({ caching: false, logging: false })
        .suppress(Suppressed.untilTimeLimit(10, buffer), { name: 'limit' })
      const driver = driverFor(builder.build())
      stepwise(driver, [[0, 'a'], [1, 'a'], [10, 'b']], () => [])
      return driver
        .createOutputTopic('topology-test-driver-limit-store-changelog', S, Serdes.bytes())
        .readRecordsToList()
        .map((r) => `${r.key}:${r.value === null ? 'tombstone' : 'entry'}`)
    }
    expect(changelog(BufferConfig.unbounded())).toEqual(['a:entry', 'a:entry', 'b:entry', 'a:tombstone'])
    expect(changelog(BufferConfig.unbounded().withLoggingDisabled())).toEqual([])
  })

  it('pins the bytes of a buffered entry in the changelog (golden)', () => {
    const builder = new StreamsBuilder()
    grouped(builder)
      .count({ caching: false, logging: false })
      .suppress(Suppressed.untilTimeLimit(5, BufferConfig.unbounded()), { name: 'limit' })
    const driver = driverFor(builder.build())
    const input = driver.createInputTopic('in', S, S)
    input.pipeInput('a', 'v', 0)
    input.pipeInput('b', 'v', 5) // a (buffered at 0) goes: downstream has now seen a=1
    input.pipeRecord({ key: 'a', value: 'v', timestampMs: 6, headers: [{ key: 'h', value: Buffer.from('x') }] })
    const last = driver.createOutputTopic('topology-test-driver-limit-store-changelog', S, Serdes.bytes()).readRecordsToList().at(-1)
    expect(last?.key).toBe('a')
    expect(Buffer.from(last?.value ?? []).toString('hex')).toBe(
      [
        '00', // format version
        '0000000000000006', // buffer time
        '0000000000000006', // timestamp of the latest update
        '00000001', // one header
        '00000001' + '68', // key 'h'
        '00000001' + '78', // value 'x'
        '00000008' + '0000000000000001', // prior value: a=1, what downstream saw
        '00000008' + '0000000000000002', // new value: a=2
      ].join(''),
    )
  })

  it('refuses untilWindowCloses on a table no windowed aggregation made, early-emitting final results, bad limits and missing serdes with STREAMS_TOPOLOGY_INVALID', () => {
    const counts = (): KTable<string, number> => grouped(new StreamsBuilder()).count()
    // reason: a caller without the compiler's check (plain JavaScript) gets a topology error.
    const finalOnPlain = (): unknown => counts().suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()) as never)
    expect(codeOfSync(finalOnPlain)).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => Suppressed.untilWindowCloses(BufferConfig.maxRecords(5) as never))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => Suppressed.untilTimeLimit(-1, BufferConfig.unbounded()))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => BufferConfig.maxRecords(1.5))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => BufferConfig.unbounded().withMaxBytes(-1))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => counts().mapValues(String).suppress(Suppressed.untilTimeLimit(10, BufferConfig.unbounded())))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => counts().suppress({} as never))).toBe('STREAMS_TOPOLOGY_INVALID')
  })
})

describe('suppress types', () => {
  it('allows untilWindowCloses only on tables keyed by Windowed, and only with a strict buffer', () => {
    const clicks = grouped(new StreamsBuilder())
    const perWindow = clicks.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count()
    const perKey = clicks.count()
    expectTypeOf(perWindow.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))).toEqualTypeOf<KTable<Windowed<string>, number>>()
    expectTypeOf(perWindow.suppress(Suppressed.untilTimeLimit(10, BufferConfig.maxRecords(5)))).toEqualTypeOf<KTable<Windowed<string>, number>>()
    expectTypeOf(perKey.suppress(Suppressed.untilTimeLimit(10, BufferConfig.maxBytes(5).shutDownWhenFull()))).toEqualTypeOf<KTable<string, number>>()
    expectTypeOf(BufferConfig.maxRecords(5)).toEqualTypeOf<EagerBufferConfig>()
    expectTypeOf(BufferConfig.maxRecords(5).withMaxBytes(100)).toEqualTypeOf<EagerBufferConfig>()
    expectTypeOf(BufferConfig.maxRecords(5).shutDownWhenFull()).toEqualTypeOf<StrictBufferConfig>()
    expectTypeOf(BufferConfig.unbounded().withMaxRecords(5)).toEqualTypeOf<StrictBufferConfig>()
    // Only compiled (these would throw STREAMS_TOPOLOGY_INVALID if run).
    const rejected = (): unknown[] => [
      // @ts-expect-error: final results per window need a table keyed by Windowed
      perKey.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())),
      // @ts-expect-error: final results cannot be emitted early
      Suppressed.untilWindowCloses(BufferConfig.maxRecords(5)),
      // @ts-expect-error: emitEarlyWhenFull() makes the buffer eager again
      Suppressed.untilWindowCloses(BufferConfig.unbounded().withMaxRecords(5).emitEarlyWhenFull()),
    ]
    void rejected
    expectTypeOf(Suppressed.untilWindowCloses(BufferConfig.maxRecords(5).withMaxBytes(1000).shutDownWhenFull())).toEqualTypeOf<Suppressed<Windowed<unknown>>>()
  })
})

describe.each<StoreBackendKind>(['memory', 'rocksdb'])('a suppressed windowed count restarted (%s buffer)', (backend) => {
  it('restores its buffer from the changelog or disk, so no final result is lost', async () => {
    const h = await StreamsHarness.open({ topics: { clicks: 1, 'final-clicks': 1 } })
    onTestFinished(() => h.close())
    const topology = (): Topology => {
      const builder = new StreamsBuilder()
      builder
        .stream('clicks', { key: S, value: S })
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeAndGrace(100, 10))
        .count({ name: 'clicks-per-window', backend })
        .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()), { name: 'final', backend })
        .toStream()
        .to('final-clicks')
      return builder.build()
    }
    const applicationId = `final-clicks-${backend}`
    const clicks = (entries: ReadonlyArray<readonly [number, string]>): Promise<void> =>
      h.produce(
        'clicks',
        S,
        S,
        entries.map(([timestampMs, key]) => ({ key, value: 'click', timestampMs })),
      )
    const finals = async (): Promise<string[]> => windowed(await h.readAll('final-clicks', Serdes.windowed(S, 100), LONG))

    await clicks([
      [10, 'u1'],
      [20, 'u2'],
      [50, 'u1'],
      [120, 'u1'],
      [130, 'u2'],
    ])
    const first = await h.startApp(topology(), { applicationId, commitIntervalMs: 20 })
    await h.waitForCommitted(applicationId, 'clicks')
    await first.close()
    // Stream time 130 closed [0,100) (100 ≤ 130 − 10); [100,200) waits in the buffer.
    expect(await finals()).toEqual(['u1@[0,100)=2 (ts 50)', 'u2@[0,100)=1 (ts 20)'])

    // u2's [100,200) gets no more records: its final result exists only in the restored buffer.
    await clicks([
      [150, 'u1'],
      [160, 'u3'],
    ])
    const second = await h.startApp(topology(), { applicationId, commitIntervalMs: 20 })
    await h.waitForCommitted(applicationId, 'clicks')
    await clicks([[400, 'u4']])
    await h.readUntil('final-clicks', Serdes.windowed(S, 100), LONG, 5)
    await h.waitForCommitted(applicationId, 'clicks')
    await second.close()
    expect(await finals()).toEqual(['u1@[0,100)=2 (ts 50)', 'u2@[0,100)=1 (ts 20)', 'u1@[100,200)=2 (ts 150)', 'u2@[100,200)=1 (ts 130)', 'u3@[100,200)=1 (ts 160)'])
  })
})
