import fc from 'fast-check'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes, type Windowed } from '../../../src/serdes/index.js'
import { BufferConfig, SlidingWindows, StreamsBuilder, Suppressed, TimeWindows, type EmitStrategy, type Materialized, type Topology } from '../../../src/streams/index.js'
import { StreamsHarness, TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()
const LIST = Serdes.json<string[]>()

type Input = readonly [timestampMs: number, key: string | null, value: string | null]

interface Run {
  readonly driver: TopologyTestDriver
  /** `key@[start,end]=[values] (ts …)` of each record downstream (the table's updates through toStream). */
  readonly out: () => string[]
  /** `key@[start,end]=[values] (ts …)` of every window in the store, by key then start. */
  readonly windows: () => string[]
}

/** `in` → groupByKey → windowedBy(sliding) → the list of values per window → `out`. */
function slidingLists(windows: SlidingWindows, options: { emit?: EmitStrategy; materialized?: Partial<Materialized<string, string[]>> } = {}): Run & { pipe: (inputs: readonly Input[]) => void } {
  const builder = new StreamsBuilder()
  builder
    .stream('in', { key: S, value: S })
    .groupByKey()
    .windowedBy(windows)
    .emitStrategy(options.emit ?? 'on-window-update')
    .aggregate(() => [] as string[], (_key, value, list) => [...list, value], { name: 'lists', value: LIST, caching: false, ...options.materialized })
    .toStream()
    .to('out')
  return runOf(builder.build(), windows)
}

function runOf(topology: Topology, windows: SlidingWindows): Run & { pipe: (inputs: readonly Input[]) => void } {
  const driver = new TopologyTestDriver(topology)
  onTestFinished(() => driver.close())
  const input = driver.createInputTopic('in', S, S)
  const output = driver.createOutputTopic('out', Serdes.windowed(S, windows.timeDifferenceMs), LIST)
  return {
    driver,
    pipe: (inputs) => {
      for (const [ts, key, value] of inputs) input.pipeInput(key, value, ts)
    },
    out: () => output.readRecordsToList().map((r) => `${at(r.key)}=${show(r.value)} (ts ${r.timestampMs})`),
    windows: () => storeLines(driver),
  }
}

function at(key: Windowed<string | null> | null): string {
  return `${key?.key}@[${key?.window.startMs},${key?.window.endMs}]`
}

function show(list: readonly string[] | null): string {
  return list === null ? 'null' : `[${list.join(',')}]`
}

function storeLines(driver: TopologyTestDriver): string[] {
  const store = driver.getTimestampedWindowStore<string, string[]>('lists')
  return [...(store?.all() ?? [])].map((e) => `${at(e.key)}=${show(e.value.value)} (ts ${e.value.timestampMs})`)
}

/** Anchor §2.6: the sliding-windows javadoc's records, difference 5000 ms. */
const JAVADOC: readonly Input[] = [
  [8000, 'A', '1'],
  [9200, 'A', '2'],
  [12400, 'A', '3'],
]

describe('sliding windows: the javadoc example (streams anchor §2.6)', () => {
  it('makes exactly the five windows [3000;8000] [4200;9200] [7400;12400] [8001;13001] [9201;14201], with their records', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceWithNoGrace(5000))
    run.pipe(JAVADOC)
    expect(run.windows()).toEqual([
      'A@[3000,8000]=[1] (ts 8000)',
      'A@[4200,9200]=[1,2] (ts 9200)',
      'A@[7400,12400]=[1,2,3] (ts 12400)',
      'A@[8001,13001]=[2,3] (ts 12400)',
      'A@[9201,14201]=[3] (ts 12400)',
    ])
  })

  it('sends each window change downstream as it happens (caching off), in the order Kafka makes them', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceWithNoGrace(5000))
    run.pipe(JAVADOC)
    expect(run.out()).toEqual([
      // 1@8000 enters: its left window.
      'A@[3000,8000]=[1] (ts 8000)',
      // 2@9200: the right window of 1 (the first window 1 has left), then 2's left window, from 1's.
      'A@[8001,13001]=[2] (ts 9200)',
      'A@[4200,9200]=[1,2] (ts 9200)',
      // 3@12400: the window already holding it, then 2's right window, then 3's left window.
      'A@[8001,13001]=[2,3] (ts 12400)',
      'A@[9201,14201]=[3] (ts 12400)',
      'A@[7400,12400]=[1,2,3] (ts 12400)',
    ])
  })
})

/** Pipes `inputs` one at a time; returns what went downstream after each. */
function stepwise(run: Run & { pipe: (inputs: readonly Input[]) => void }, inputs: readonly Input[]): string[][] {
  return inputs.map((input) => {
    run.pipe([input])
    return run.out()
  })
}

const byTimestamp = (key: string, ...times: number[]): Input[] => times.map((ts): Input => [ts, key, String(ts)])

describe('sliding windows: records earlier than the time difference (Kafka processEarly)', () => {
  it('folds every record up to the difference into the window [0, difference], and gives early records their right windows', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(10, 10))
    const steps = stepwise(run, byTimestamp('A', 2, 5, 14, 8))
    expect(steps[3]).toEqual([
      // 8 arrives out of order: the windows holding it (by start), its right window (a copy of the
      // latest of them, which holds 14), then the window of early records.
      'A@[3,13]=[5,8] (ts 8)',
      'A@[4,14]=[5,14,8] (ts 14)',
      'A@[6,16]=[14,8] (ts 14)',
      'A@[9,19]=[14] (ts 14)',
      'A@[0,10]=[2,5,8] (ts 8)',
    ])
    expect(run.windows()).toEqual([
      'A@[0,10]=[2,5,8] (ts 8)',
      'A@[3,13]=[5,8] (ts 8)',
      'A@[4,14]=[5,14,8] (ts 14)',
      'A@[6,16]=[14,8] (ts 14)',
      'A@[9,19]=[14] (ts 14)',
    ])
  })

  it('adds an early record to the left window of a record at exactly the difference, and copies that one into its right window', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(10, 10))
    run.pipe(byTimestamp('A', 10, 3))
    expect(run.windows()).toEqual(['A@[0,10]=[10,3] (ts 10)', 'A@[4,14]=[10] (ts 10)'])
  })
})

describe('sliding windows: out-of-order records and grace (streams anchor §2.7, sliding row)', () => {
  it('an out-of-order record within grace updates the windows holding it and creates its windows and its predecessor’s right window', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(10, 10))
    const steps = stepwise(run, byTimestamp('A', 100, 112, 105))
    expect(steps[2]).toEqual(['A@[102,112]=[112,105] (ts 112)', 'A@[101,111]=[105] (ts 105)', 'A@[95,105]=[100,105] (ts 105)', 'A@[106,116]=[112] (ts 112)'])
    expect(run.windows()).toEqual([
      'A@[90,100]=[100] (ts 100)',
      'A@[95,105]=[100,105] (ts 105)',
      'A@[101,111]=[105] (ts 105)',
      'A@[102,112]=[112,105] (ts 112)',
      'A@[106,116]=[112] (ts 112)',
    ])
  })

  it('leaves out the windows already closed (end < stream time − grace): here the record’s own left window', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(10, 5))
    const steps = stepwise(run, byTimestamp('A', 100, 112, 105))
    expect(steps[2]).toEqual(['A@[102,112]=[112,105] (ts 112)', 'A@[101,111]=[105] (ts 105)', 'A@[106,116]=[112] (ts 112)'])
  })

  it('takes a record while t + difference ≥ stream time − grace and drops it after, whatever its key; null keys and values are dropped and move no time', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(10, 5))
    const steps = stepwise(run, [...byTimestamp('A', 95, 100, 85, 84), ...byTimestamp('B', 84), [200, null, 'x'], [200, 'A', null], ...byTimestamp('A', 86)])
    expect(steps.slice(2)).toEqual([
      // 85 + 10 = 100 − 5: taken; [85,95] still open (95 ≥ 95), its left window [75,85] is not.
      ['A@[85,95]=[95,85] (ts 95)', 'A@[86,96]=[95] (ts 95)'],
      [],
      [],
      [],
      [],
      // Stream time is still 100.
      ['A@[86,96]=[95,86] (ts 95)', 'A@[85,95]=[95,85,86] (ts 95)', 'A@[87,97]=[95] (ts 95)'],
    ])
    // Kafka's count: 85 and 86 once each for their closed left windows, 84 (A and B) once each, the two nulls.
    expect(run.driver.metrics().droppedRecordsTotal).toBe(6)
  })

  it('makes the left window of a record exactly difference + 1 after the previous one twice, as Kafka does (it is that record’s right window), but emits it on close once', () => {
    const updates = slidingLists(SlidingWindows.ofTimeDifferenceWithNoGrace(10))
    // 31 finds 20 through 15's right window [16,26]; 20's right window [21,31] is 31's left window.
    expect(stepwise(updates, byTimestamp('A', 15, 20, 31))[2]).toEqual(['A@[21,31]=[31] (ts 31)', 'A@[21,31]=[31] (ts 31)'])
    const finals = slidingLists(SlidingWindows.ofTimeDifferenceWithNoGrace(10), { emit: 'on-window-close' })
    finals.pipe(byTimestamp('A', 15, 20, 31, 50))
    expect(finals.out()).toEqual(['A@[5,15]=[15] (ts 15)', 'A@[10,20]=[15,20] (ts 20)', 'A@[16,26]=[20] (ts 20)', 'A@[21,31]=[31] (ts 31)'])
  })

  it('like Kafka, can copy a record taken after its left window closed into a later right window that does not span it', () => {
    // 31 and 33 come when stream time − grace is 34: their left windows are closed, so 33 does not
    // see 31 as its predecessor and 31's right window [32,35] is never made; 32 then copies its
    // right window from [31,34], which holds 31 (Kafka relies on every record having a left window).
    const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(3, 3))
    run.pipe(byTimestamp('A', 30, 37, 31, 33, 32))
    expect(run.windows()).toEqual(['A@[27,30]=[30] (ts 30)', 'A@[31,34]=[31,33,32] (ts 33)', 'A@[33,36]=[31,33] (ts 33)', 'A@[34,37]=[37] (ts 37)'])
  })
})

describe('sliding windows: emitting and stores', () => {
  it("'on-window-close' emits each window's final value once, when stream time passes its end plus grace, and keeps it in the store", () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(5000, 1000), { emit: 'on-window-close' })
    const steps = stepwise(run, [...JAVADOC, [14001, 'B', 'b1']])
    expect(steps).toEqual([
      [],
      ['A@[3000,8000]=[1] (ts 8000)'],
      ['A@[4200,9200]=[1,2] (ts 9200)'],
      // Stream time 14001 = 13001 + grace: [8001,13001] is not closed yet.
      ['A@[7400,12400]=[1,2,3] (ts 12400)'],
    ])
    // Emitted windows stay (until retention): later records of A could still read them.
    expect(run.windows().filter((line) => line.startsWith('A'))).toEqual([
      'A@[3000,8000]=[1] (ts 8000)',
      'A@[4200,9200]=[1,2] (ts 9200)',
      'A@[7400,12400]=[1,2,3] (ts 12400)',
      'A@[8001,13001]=[2,3] (ts 12400)',
      'A@[9201,14201]=[3] (ts 12400)',
    ])
    expect(stepwise(run, [[14002, 'B', 'b2']])).toEqual([['A@[8001,13001]=[2,3] (ts 12400)']])
    // A jump of stream time past the retention still emits every window it closes, in end order.
    expect(stepwise(run, [[30000, 'B', 'b3'], [12000, 'A', 'late']])).toEqual([
      ['B@[9001,14001]=[b1] (ts 14001)', 'B@[9002,14002]=[b1,b2] (ts 14002)', 'A@[9201,14201]=[3] (ts 12400)', 'B@[14002,19002]=[b2] (ts 14002)'],
      [],
    ])
  })

  it('with caching, sends each changed window once per commit (the test driver commits after every record) with its latest value', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceWithNoGrace(5000), { materialized: { caching: true } })
    const steps = stepwise(run, JAVADOC)
    expect(steps.map((lines) => [...lines].sort())).toEqual([
      ['A@[3000,8000]=[1] (ts 8000)'],
      ['A@[4200,9200]=[1,2] (ts 9200)', 'A@[8001,13001]=[2] (ts 9200)'],
      ['A@[7400,12400]=[1,2,3] (ts 12400)', 'A@[8001,13001]=[2,3] (ts 12400)', 'A@[9201,14201]=[3] (ts 12400)'],
    ])
  })

  it('keeps the results in a window store the test driver reads: windows by start, both ends inclusive, the size the difference', () => {
    const run = slidingLists(SlidingWindows.ofTimeDifferenceWithNoGrace(5000))
    run.pipe(JAVADOC)
    const store = run.driver.getWindowStore<string, string[]>('lists')
    expect(store?.windowSizeMs).toBe(5000)
    expect(store?.retentionMs).toBe(2 * 5000)
    expect(store?.fetch('A', 4200)).toEqual(['1', '2'])
    expect(store?.fetch('A', 4201)).toBeUndefined()
    expect([...(store?.fetch('A', 4000, 8001) ?? [])].map((e) => `${e.key}=${show(e.value)}`)).toEqual(['4200=[1,2]', '7400=[1,2,3]', '8001=[2,3]'])
    expect([...(store?.backwardFetch('A', 4000, 8001) ?? [])].map((e) => e.key)).toEqual([8001, 7400, 4200])
    expect(run.driver.getTimestampedWindowStore<string, string[]>('lists')?.fetch('A', 8001)).toEqual({ value: ['2', '3'], timestampMs: 12400 })
  })

  it('counts and reduces per sliding window', () => {
    const builder = new StreamsBuilder()
    const grouped = builder.stream('in', { key: S, value: S }).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(5000))
    grouped.count({ name: 'counts' }).toStream().to('counts')
    grouped.reduce((a, b) => `${a}+${b}`, { name: 'sums' }).toStream().to('sums')
    const driver = new TopologyTestDriver(builder.build())
    onTestFinished(() => driver.close())
    const input = driver.createInputTopic('in', S, S)
    for (const [ts, key, value] of JAVADOC) input.pipeInput(key, value, ts)
    const lines = (name: string): string[] => [...(driver.getWindowStore<string, unknown>(name)?.all() ?? [])].map((e) => `${at(e.key)}=${String(e.value)}`)
    expect(lines('counts')).toEqual(['A@[3000,8000]=1', 'A@[4200,9200]=2', 'A@[7400,12400]=3', 'A@[8001,13001]=2', 'A@[9201,14201]=1'])
    expect(lines('sums')).toEqual(['A@[3000,8000]=1', 'A@[4200,9200]=1+2', 'A@[7400,12400]=1+2+3', 'A@[8001,13001]=2+3', 'A@[9201,14201]=3'])
  })

  it("suppress(untilWindowCloses) follows a sliding count with Kafka's rule: a window is final once stream time reaches its end plus grace", () => {
    const builder = new StreamsBuilder()
    builder
      .stream('in', { key: S, value: S })
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(5000, 100))
      .count({ name: 'counts', caching: false })
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('out')
    const driver = new TopologyTestDriver(builder.build())
    onTestFinished(() => driver.close())
    const input = driver.createInputTopic('in', S, S)
    const out = driver.createOutputTopic('out', Serdes.windowed(S, 5000), Serdes.int64())
    const steps = [...JAVADOC, [8100, 'B', 'x'] as const].map(([ts, key, value]) => {
      input.pipeInput(key, value, ts)
      return out.readRecordsToList().map((r) => `${at(r.key)}=${r.value}`)
    })
    expect(steps).toEqual([[], ['A@[3000,8000]=1'], ['A@[4200,9200]=2'], []])
  })

  it('refuses windows of another kind, and a retention below 2 × difference + grace, with STREAMS_TOPOLOGY_INVALID', () => {
    const grouped = new StreamsBuilder().stream('in', { key: S, value: S }).groupByKey()
    expect(codeOfSync(() => grouped.windowedBy({ timeDifferenceMs: 10, graceMs: 0 } as unknown as SlidingWindows))).toBe('STREAMS_TOPOLOGY_INVALID')
    const sliding = grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 5))
    expect(codeOfSync(() => sliding.count({ retentionMs: 24 }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => sliding.count({ retentionMs: 25 }))).toBeUndefined()
    expect(codeOfSync(() => SlidingWindows.ofTimeDifferenceWithNoGrace(0))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => SlidingWindows.ofTimeDifferenceAndGrace(10, -1))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(TimeWindows.ofSizeWithNoGrace(10)).toBeInstanceOf(TimeWindows)
  })

  it("keeps Kafka's default retention, 2 × difference + grace, and a record at stream time − grace still finds its predecessor exactly one difference before it", () => {
    // p@85's left window [75,85] starts 2 × 10 + 5 before the latest window start put (100, the
    // right window of 99): the store keeps whole segments (of at least a minute), as Kafka's
    // RocksDB store does, so it is still there when r@95 = 100 − 5 comes: r's left window [85,95]
    // holds p, and p's right window [86,96] is made.
    const inputs: Input[] = [
      [85, 'A', 'p'],
      [99, 'A', 'x'],
      [100, 'A', 'y'],
      [95, 'A', 'r'],
    ]
    const windows = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(10, 5))
    windows.pipe(inputs)
    expect(windows.windows().filter((line) => /@\[8[5-6],/.test(line))).toEqual(['A@[85,95]=[p,r] (ts 95)', 'A@[86,96]=[r] (ts 95)'])
  })
})

/**
 * The windows Kafka's algorithm keeps for a key's records `times` (difference `d`): each
 * record's left window `[t − d, t]` (for `t < d`, the window `[0, d]` that holds every early
 * record), and a right window `[t + 1, t + 1 + d]` for each record with a later record within
 * `d + 1` of it. Returns window starts.
 */
function windowStartsOf(times: readonly number[], d: number): Set<number> {
  const starts = new Set<number>()
  for (const t of times) {
    starts.add(Math.max(0, t - d))
    if (times.some((q) => q > t && q <= t + 1 + d)) starts.add(t + 1)
  }
  return starts
}

/**
 * A naive oracle of the final store: records are taken as Kafka takes them (in arrival order,
 * dropped when `t + d < streamTime − grace`); after each taken record, every window of its key
 * that the definition above has and that is still open (`end ≥ streamTime − grace`) holds exactly
 * the taken records within it. Windows already closed keep what they had — or never exist.
 */
function oracle(records: readonly Input[], d: number, graceMs: number): string[] {
  const taken = new Map<string, Array<{ ts: number; value: string }>>()
  const windows = new Map<string, { key: string; startMs: number; values: string[]; ts: number }>()
  let streamTime = -1
  for (const [ts, key, value] of records) {
    if (key === null || value === null) continue
    streamTime = Math.max(streamTime, ts)
    const closeMs = streamTime - graceMs
    if (ts + d < closeMs) continue
    const mine = taken.get(key) ?? []
    taken.set(key, mine)
    mine.push({ ts, value })
    for (const startMs of windowStartsOf(mine.map((r) => r.ts), d)) {
      if (startMs + d < closeMs) continue
      const inside = mine.filter((r) => r.ts >= startMs && r.ts <= startMs + d)
      windows.set(`${key}@${startMs}`, { key, startMs, values: inside.map((r) => r.value).sort(), ts: Math.max(...inside.map((r) => r.ts)) })
    }
  }
  return [...windows.values()].sort((a, b) => (a.key === b.key ? a.startMs - b.startMs : a.key < b.key ? -1 : 1)).map((w) => `${w.key}@[${w.startMs},${w.startMs + d}]=[${w.values.join(',')}] (ts ${w.ts})`)
}

/** Store lines with each window's values sorted (the oracle does not know the order they came in). */
function sortedValues(lines: readonly string[]): string[] {
  return lines.map((line) => line.replace(/=\[([^\]]*)\]/, (_m, list: string) => `=[${list === '' ? '' : list.split(',').sort().join(',')}]`))
}

const withValues = (rs: ReadonlyArray<readonly [number, string]>): Input[] => rs.map(([ts, key], i): Input => [ts, key, `v${String(i).padStart(2, '0')}`])
const outOfOrderRecords = fc.array(fc.tuple(fc.integer({ min: 0, max: 120 }), fc.constantFrom('a', 'b')), { maxLength: 30 }).map(withValues)

/** Only the records whose own left window is still open when they arrive: `t ≥ streamTime − grace`. */
function withinGrace(records: readonly Input[], graceMs: number): Input[] {
  let streamTime = -1
  return records.filter(([ts]) => {
    streamTime = Math.max(streamTime, ts)
    return ts >= streamTime - graceMs
  })
}

describe('sliding windows against a naive oracle', () => {
  it('keeps exactly the windows and aggregates of the oracle when every record arrives while its left window is open', () => {
    fc.assert(
      fc.property(outOfOrderRecords, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 30 }), (raw, d, grace) => {
        const records = withinGrace(raw, grace)
        const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(d, grace), { materialized: { retentionMs: 1_000_000 } })
        run.pipe(records)
        expect(sortedValues(run.windows())).toEqual(oracle(records, d, grace))
      }),
      { numRuns: 500 },
    )
  })

  it("'on-window-close' emits exactly the oracle's windows that stream time closed, once each, with their final aggregates", () => {
    fc.assert(
      fc.property(outOfOrderRecords, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 30 }), (raw, d, grace) => {
        const records = withinGrace(raw, grace)
        const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(d, grace), { emit: 'on-window-close' })
        run.pipe(records)
        const streamTime = Math.max(-1, ...records.map(([ts]) => ts))
        const closed = oracle(records, d, grace).filter((line) => Number(/,(\d+)\]=/.exec(line)?.[1]) < streamTime - grace)
        expect(sortedValues(run.out()).sort()).toEqual([...closed].sort())
      }),
      { numRuns: 300 },
    )
  })

  it('with records taken after their left window closed: keeps only windows of the definition, and the on-time records in the windows open when they came', () => {
    fc.assert(
      fc.property(outOfOrderRecords, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 30 }), (records, d, grace) => {
        const run = slidingLists(SlidingWindows.ofTimeDifferenceAndGrace(d, grace), { materialized: { retentionMs: 1_000_000 } })
        run.pipe(records)
        const stored = [...(run.driver.getWindowStore<string, string[]>('lists')?.all() ?? [])]
        // Kafka's acceptance, and what each taken record found closed.
        const taken: Array<{ key: string; ts: number; value: string; closeMs: number }> = []
        let streamTime = -1
        for (const [ts, key, value] of records) {
          if (key === null || value === null) continue
          streamTime = Math.max(streamTime, ts)
          if (ts + d >= streamTime - grace) taken.push({ key, ts, value, closeMs: streamTime - grace })
        }
        for (const { key, value } of stored) {
          expect(new Set(value).size).toBe(value.length)
          const times = taken.filter((r) => r.key === key.key).map((r) => r.ts)
          expect(windowStartsOf(times, d).has(key.window.startMs)).toBe(true)
          for (const v of value) expect(taken.some((r) => r.value === v)).toBe(true)
        }
        // A record taken while its own left window was open is in every stored window that holds it and was open then.
        for (const r of taken) {
          if (r.ts < r.closeMs) continue
          for (const { key, value } of stored) {
            const holds = key.key === r.key && key.window.startMs <= r.ts && r.ts <= key.window.endMs && key.window.endMs >= r.closeMs
            if (holds) expect(value).toContain(r.value)
          }
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('a sliding-window app on the embedded broker', () => {
  it('aggregates per sliding window in RocksDB and, restarted on its state dir, goes on from it: updates, and final results once each', async () => {
    const h = await StreamsHarness.open({ topics: { readings: 2, updates: 2, finals: 2 } })
    onTestFinished(() => h.close())
    const windows = SlidingWindows.ofTimeDifferenceAndGrace(1000, 500)
    const topology = (): Topology => {
      const builder = new StreamsBuilder()
      const grouped = builder.stream('readings', { key: S, value: S }).groupByKey().windowedBy(windows)
      const append = (_key: string, value: string, list: string[]): string[] => [...list, value]
      // Kept long enough that no window expires during the test: this one checks every update.
      grouped.aggregate(() => [], append, { name: 'lists', value: LIST, backend: 'rocksdb', retentionMs: 60_000 }).toStream().to('updates')
      grouped.emitStrategy('on-window-close').aggregate(() => [], append, { name: 'final-lists', value: LIST, backend: 'rocksdb' }).toStream().to('finals')
      return builder.build()
    }
    // Four keys on two partitions; every fifth record 400 ms late (within the grace of 500).
    const readings = Array.from({ length: 80 }, (_, i) => ({ key: `k${i % 4}`, value: `r${i}`, timestampMs: 1000 + i * 137 - (i % 5 === 3 ? 400 : 0), partition: i % 2 }))
    const config = { applicationId: 'sliding', commitIntervalMs: 20 }

    await h.produce('readings', S, S, readings.slice(0, 40))
    const first = await h.startApp(topology(), config)
    await h.waitForCommitted('sliding', 'readings')
    await first.close()
    await h.produce('readings', S, S, readings.slice(40))
    const second = await h.startApp(topology(), config)
    await h.waitForCommitted('sliding', 'readings')
    await second.close()

    // Stream time is per task, so per partition.
    const expected: string[] = []
    const closed: string[] = []
    for (const partition of [0, 1]) {
      const records = readings.filter((r) => r.partition === partition).map((r): Input => [r.timestampMs, r.key, r.value])
      const streamTime = Math.max(...records.map(([ts]) => ts))
      const windowsOfPartition = oracle(records, 1000, 500).map((line) => line.replace(/ \(ts \d+\)$/, ''))
      expect(withinGrace(records, 500)).toEqual(records)
      expected.push(...windowsOfPartition)
      closed.push(...windowsOfPartition.filter((line) => Number(/,(\d+)\]=/.exec(line)?.[1]) < streamTime - 500))
    }
    const windowedKey = Serdes.windowed(S, 1000)
    const latest = new Map<string, string>()
    for (const r of await h.readAll('updates', windowedKey, LIST)) latest.set(at(r.key), `${at(r.key)}=${show(r.value)}`)
    expect(sortedValues([...latest.values()]).sort()).toEqual([...expected].sort())
    const finals = (await h.readAll('finals', windowedKey, LIST)).map((r) => `${at(r.key)}=${show(r.value)}`)
    expect(sortedValues(finals).sort()).toEqual([...closed].sort())
    // Windows spanning the restart hold records of a key from both runs (k3: r39 before, r43 after).
    expect(closed.some((line) => line.includes('r39') && line.includes('r43'))).toBe(true)
  })
})
