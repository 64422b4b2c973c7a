import fc from 'fast-check'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes, type Windowed } from '../../../src/serdes/index.js'
import { BufferConfig, SessionWindows, StreamsBuilder, Suppressed, type EmitStrategy, type Materialized, type SessionWindowedKStream, type Topology } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()
const LONG = Serdes.int64()
const SESSION_KEYS = Serdes.sessionWindowed(S)

/** `[timestamp, key]` of a record; its value is `'v'`. */
type Input = readonly [number, string]

interface Options {
  readonly emit?: EmitStrategy
  readonly materialized?: Materialized<string, number>
}

function driver(topology: Topology): TopologyTestDriver {
  const d = new TopologyTestDriver(topology)
  onTestFinished(() => d.close())
  return d
}

/** A session count of `in` written to `out`, caching off unless `materialized` says otherwise. */
function countTopology(windows: SessionWindows, options: Options = {}): Topology {
  const builder = new StreamsBuilder()
  builder
    .stream('in', { key: S, value: S })
    .groupByKey()
    .windowedBy(windows)
    .emitStrategy(options.emit ?? 'on-window-update')
    .count({ name: 'sessions', caching: false, ...options.materialized })
    .toStream()
    .to('out')
  return builder.build()
}

const session = (w: Windowed<string> | null): string => `${w?.key}@[${w?.window.startMs},${w?.window.endMs}]`

/** `key@[start,end]=count (ts …)` of what reached `out`; `null` for a merged-away session. */
function readOut(d: TopologyTestDriver): string[] {
  return d
    .createOutputTopic('out', SESSION_KEYS, LONG)
    .readRecordsToList()
    .map((r) => `${session(r.key)}=${r.value} (ts ${r.timestampMs})`)
}

/** Pipes `inputs` into `in` (times scaled by `unitMs`). */
function pipe(d: TopologyTestDriver, inputs: readonly Input[], unitMs = 1): void {
  const input = d.createInputTopic('in', S, S)
  for (const [t, key] of inputs) input.pipeInput(key, 'v', t * unitMs)
}

function sessionCounts(windows: SessionWindows, inputs: readonly Input[], options: Options = {}): string[] {
  const d = driver(countTopology(windows, options))
  pipe(d, inputs)
  return readOut(d)
}

const withoutTs = (lines: string[]): string[] => lines.map((line) => line.replace(/ \(ts \d+\)$/, ''))

/**
 * The javadoc's records (gap 5, key A): two sessions, then a record that merges them. The javadoc
 * predates grace (24 h by default then): with a grace of 5 the first session is still open (and
 * kept by the store) when A@16 arrives at stream time 20.
 */
const JAVADOC_WINDOWS = SessionWindows.ofInactivityGapAndGrace(5, 5)
const JAVADOC: readonly Input[] = [
  [10, 'A'],
  [12, 'A'],
  [20, 'A'],
  [16, 'A'],
]

describe('session windows (streams anchor §2.6)', () => {
  it('counts the javadoc example: [10,12] and [20,20], then A@16 merges both into [10,20] — the change stream of the anchor table, caching off', () => {
    expect(sessionCounts(JAVADOC_WINDOWS, JAVADOC)).toEqual([
      'A@[10,10]=1 (ts 10)',
      'A@[10,10]=null (ts 10)',
      'A@[10,12]=2 (ts 12)',
      'A@[20,20]=1 (ts 20)',
      'A@[10,12]=null (ts 12)',
      'A@[20,20]=null (ts 20)',
      'A@[10,20]=4 (ts 20)',
    ])
  })

  it("without grace too, A@16 merges the closed [10,12] into the open [10,20], as with Kafka's RocksDB store (its segment still holds [10,12])", () => {
    expect(withoutTs(sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(5), JAVADOC)).slice(4)).toEqual(['A@[10,12]=null', 'A@[20,20]=null', 'A@[10,20]=4'])
  })

  it("sends each merged-away session's aggregate as the tombstone's old value, and no old value for the merged session", () => {
    const builder = new StreamsBuilder()
    builder.stream('in', { key: S, value: S }).groupByKey().windowedBy(JAVADOC_WINDOWS).count({ name: 'sessions', caching: false })
    const topology = builder.build()
    const changes: string[] = []
    // The aggregation's processor (Kafka's name, after the source): its Changes as forwarded.
    topology.addProcessor<Windowed<string>, { readonly newValue: number | null; readonly oldValue: number | null }>({
      name: 'changes',
      parents: ['KSTREAM-AGGREGATE-0000000001'],
      processor: () => ({ process: (r) => changes.push(`${session(r.key)} ${r.value.oldValue} → ${r.value.newValue}`) }),
    })
    const d = driver(topology)
    pipe(d, [...JAVADOC, [11, 'A']])
    expect(changes).toEqual([
      'A@[10,10] null → 1',
      'A@[10,10] 1 → null',
      'A@[10,12] null → 2',
      'A@[20,20] null → 1',
      'A@[10,12] 2 → null',
      'A@[20,20] 1 → null',
      'A@[10,20] null → 4',
      // A record inside a session replaces it, as Kafka does: a tombstone, then the session again.
      'A@[10,20] 4 → null',
      'A@[10,20] null → 5',
    ])
  })

  it('reduces and aggregates the javadoc example: a merge folds the sessions in end order, then the record', () => {
    const builder = new StreamsBuilder()
    const grouped = builder.stream('in', { key: S, value: S }).groupByKey()
    const windows = JAVADOC_WINDOWS
    grouped
      .windowedBy(windows)
      .reduce((a, v) => `${a}+${v}`, { name: 'joined', caching: false })
      .toStream()
      .to('joined')
    grouped
      .windowedBy(windows)
      .aggregate(
        () => [] as string[],
        (_key, v, list) => [...list, v],
        (_key, a, b) => [...a, ...b],
        { name: 'lists', caching: false, value: Serdes.json<string[]>() },
      )
      .toStream()
      .to('lists')
    const d = driver(builder.build())
    const input = d.createInputTopic('in', S, S)
    JAVADOC.forEach(([ts, key], i) => input.pipeInput(key, String(i + 1), ts))
    const last = <V>(records: Array<{ key: Windowed<string> | null; value: V | null }>): string => `${session(records.at(-1)?.key ?? null)}=${JSON.stringify(records.at(-1)?.value)}`
    expect(last(d.createOutputTopic('joined', SESSION_KEYS, S).readRecordsToList())).toBe('A@[10,20]="1+2+3+4"')
    expect(last(d.createOutputTopic('lists', SESSION_KEYS, Serdes.json<string[]>()).readRecordsToList())).toBe('A@[10,20]=["1","2","3","4"]')
    expect(d.getSessionStore<string, string>('joined')?.fetchSession('A', 10, 20)).toBe('1+2+3+4')
  })

  it('follows the docs narrative (5-minute gap, grace enough for its late records): green and blue sessions merge, extend, and start anew', () => {
    const minute = 60_000
    const d = driver(countTopology(SessionWindows.ofInactivityGapAndGrace(5 * minute, 10 * minute)))
    pipe(
      d,
      [
        [0, 'green'],
        [6, 'green'],
        [2, 'blue'],
      ],
      minute,
    )
    const store = d.getSessionStore<string, number>('sessions')
    const minutes = (entries: Iterable<{ key: Windowed<string>; value: number }>): string[] =>
      [...entries].map((e) => `${e.key.key}@[${e.key.window.startMs / minute},${e.key.window.endMs / minute}]=${e.value}`)
    expect(minutes(store?.all() ?? [])).toEqual(['blue@[2,2]=1', 'green@[0,0]=1', 'green@[6,6]=1'])
    pipe(
      d,
      [
        [4, 'green'],
        [5, 'blue'],
        [11, 'blue'],
      ],
      minute,
    )
    expect(minutes(store?.all() ?? [])).toEqual(['blue@[2,5]=2', 'blue@[11,11]=1', 'green@[0,6]=3'])
    expect(minutes(store?.findSessions('blue', 4 * minute, 20 * minute) ?? [])).toEqual(['blue@[2,5]=2', 'blue@[11,11]=1'])
    expect(minutes(store?.findSessions('blue', 6 * minute, 20 * minute) ?? [])).toEqual(['blue@[11,11]=1'])
    expect(minutes(store?.backwardFetch('blue') ?? [])).toEqual(['blue@[11,11]=1', 'blue@[2,5]=2'])
    expect(store?.fetchSession('green', 0, 6 * minute)).toBe(3)
    expect(store?.fetchSession('green', 0, 0)).toBeUndefined()
  })

  it('merges a record exactly one gap after a session ends or before it starts (the gap is inclusive)', () => {
    const out = withoutTs(
      sessionCounts(SessionWindows.ofInactivityGapAndGrace(5, 100), [
        [10, 'A'],
        [15, 'A'],
        [21, 'A'],
        [30, 'B'],
        [25, 'B'],
        [19, 'B'],
      ]),
    )
    expect(out.filter((line) => !line.endsWith('null'))).toEqual(['A@[10,10]=1', 'A@[10,15]=2', 'A@[21,21]=1', 'B@[30,30]=1', 'B@[25,30]=2', 'B@[19,19]=1'])
  })

  it('stamps results with their session end and, caching on, forwards one change per session per commit (sessions merged within a commit never appear)', () => {
    const builder = new StreamsBuilder()
    builder
      .stream('in', { key: S, value: S })
      // One input record becomes records at the listed times, processed within one commit.
      .processValues<string>(() => {
        let context: { forward(record: unknown): void }
        return {
          init: (c) => {
            context = c as unknown as typeof context
          },
          process: (record) => {
            for (const t of record.value.split(',')) context.forward(record.withValue('v').withTimestamp(Number(t)))
          },
        }
      })
      .groupByKey()
      .windowedBy(JAVADOC_WINDOWS)
      .count({ name: 'sessions' })
      .toStream()
      .to('out')
    const d = driver(builder.build())
    const input = d.createInputTopic('in', S, S)
    input.pipeInput('A', '10,12,20,16', 20)
    expect(readOut(d)).toEqual(['A@[10,20]=4 (ts 20)'])
    input.pipeInput('A', '22', 22)
    expect(readOut(d)).toEqual(['A@[10,20]=null (ts 20)', 'A@[10,22]=5 (ts 22)'])
    // A record inside the session: removed and put again within the commit, one update.
    input.pipeInput('A', '21', 22)
    expect(readOut(d)).toEqual(['A@[10,22]=6 (ts 22)'])
    // [30,30] is made and merged away within the commit: nothing of it goes downstream. A@40
    // moves the retention past [10,30] (30 ≤ 40 − 10) before the commit: its update still goes.
    input.pipeInput('A', '30,27,40', 40)
    expect(readOut(d)).toEqual(['A@[10,22]=null (ts 22)', 'A@[10,30]=8 (ts 30)', 'A@[40,40]=1 (ts 40)'])
  })
})

describe('grace and late records (streams anchor §2.7)', () => {
  it("drops a record whose merged session ends before streamTime − grace − gap, also for a new key; a late record merging into an open session is kept", () => {
    const d = driver(countTopology(SessionWindows.ofInactivityGapAndGrace(5, 3)))
    pipe(d, [
      [26, 'A'],
      [33, 'B'], // stream time 33: sessions ending before 25 are closed
      [22, 'A'], // alone it would end at 22 < 25; merged with [26,26] it ends at 26
      [20, 'A'],
      [14, 'A'], // [14,14]: closed
      [24, 'C'], // new key, [24,24]: closed
      [30, 'A'],
    ])
    expect(withoutTs(readOut(d))).toEqual([
      'A@[26,26]=1',
      'B@[33,33]=1',
      'A@[26,26]=null',
      'A@[22,26]=2',
      'A@[22,26]=null',
      'A@[20,26]=3',
      'A@[20,26]=null',
      'A@[20,30]=4',
    ])
    expect(d.metrics().droppedRecordsTotal).toBe(2)
  })

  it('drops records with a null key or value (counted as dropped) without moving stream time', () => {
    const d = driver(countTopology(SessionWindows.ofInactivityGapWithNoGrace(5)))
    const input = d.createInputTopic('in', S, S)
    input.pipeInput('A', 'v', 10)
    input.pipeInput(null, 'v', 100)
    input.pipeInput('A', null, 100)
    input.pipeInput('A', 'v', 12)
    expect(withoutTs(readOut(d))).toEqual(['A@[10,10]=1', 'A@[10,10]=null', 'A@[10,12]=2'])
    expect(d.metrics().droppedRecordsTotal).toBe(2)
  })
})

describe("emitStrategy('on-window-close') (streams anchor §2.8)", () => {
  it('emits each final session once, when stream time closes it; sessions merged away are never emitted', () => {
    const out = sessionCounts(
      JAVADOC_WINDOWS,
      [
        ...JAVADOC,
        [30, 'B'], // closes nothing: 20 < 30 − 5 − 5 is false
        [31, 'B'], // closes [10,20]
        [45, 'C'], // closes [30,31]
        [46, 'C'],
      ],
      { emit: 'on-window-close' },
    )
    expect(out).toEqual(['A@[10,20]=4 (ts 20)', 'B@[30,31]=2 (ts 31)'])
  })

  it('emits sessions at the retention boundary: closed ones once, and one the store hides a millisecond before it closes', () => {
    // Gap 5, no grace, retention 5 (segments of a minute): A@[10,10] closes at stream time 16 (10 < 16 − 5).
    const inputs: Input[] = [
      [10, 'A'],
      [15, 'B'],
      [15, 'C'],
      [16, 'B'],
    ]
    expect(sessionCounts(SessionWindows.ofInactivityGapWithNoGrace(5), inputs, { emit: 'on-window-close' })).toEqual(['A@[10,10]=1 (ts 10)'])
    // A record exactly at the close time is accepted, and a later one still merges with it.
    expect(
      sessionCounts(
        SessionWindows.ofInactivityGapWithNoGrace(5),
        [
          [15, 'B'],
          [10, 'A'],
          [12, 'A'],
          [30, 'B'],
        ],
        { emit: 'on-window-close' },
      ),
    ).toEqual(['A@[10,12]=2 (ts 12)', 'B@[15,15]=1 (ts 15)'])
    // At a segment boundary the store hides A@[59999,59999] once stream time is 60 004 (segment of
    // 60 004 − 5 + 1 = 60 000 is the next), a millisecond before it closes (59 999 < 60 005 − 5):
    // its value was kept when it was hidden, and it is emitted when it closes.
    expect(
      sessionCounts(
        SessionWindows.ofInactivityGapWithNoGrace(5),
        [
          [59_999, 'A'],
          [60_004, 'B'],
          [60_005, 'B'],
        ],
        { emit: 'on-window-close' },
      ),
    ).toEqual(['A@[59999,59999]=1 (ts 59999)'])
  })

  it('gives the same final sessions as suppress(untilWindowCloses) on the updates', () => {
    const builder = new StreamsBuilder()
    builder
      .stream('in', { key: S, value: S })
      .groupByKey()
      .windowedBy(JAVADOC_WINDOWS)
      .count({ name: 'sessions', caching: false })
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
      .toStream()
      .to('out')
    const d = driver(builder.build())
    pipe(d, [...JAVADOC, [26, 'B'], [29, 'B'], [60, 'C']])
    expect(readOut(d)).toEqual(['A@[10,20]=4 (ts 20)', 'B@[26,29]=2 (ts 29)'])
  })
})

describe('session counts against a naive recomputation', () => {
  /** Sessions of sorted timestamps: runs of records at most `gap` apart. */
  function sessionsOf(timestamps: readonly number[], gapMs: number): Array<{ startMs: number; endMs: number; count: number }> {
    const sessions: Array<{ startMs: number; endMs: number; count: number }> = []
    for (const ts of [...timestamps].sort((a, b) => a - b)) {
      const last = sessions.at(-1)
      if (last !== undefined && ts - last.endMs <= gapMs) {
        last.endMs = ts
        last.count++
      } else sessions.push({ startMs: ts, endMs: ts, count: 1 })
    }
    return sessions
  }

  /**
   * Kafka's rule, record by record: a record is accepted iff the session it would make with the
   * accepted records ends at or after `streamTime − grace − gap`; the sessions it joins are
   * replaced (tombstones in end order, unless it lands on a one-instant session of its own time).
   */
  function oracle(records: readonly Input[], gapMs: number, graceMs: number): { updates: string[]; finals: string[]; dropped: number } {
    const accepted = new Map<string, number[]>()
    const emitted = new Set<string>()
    const updates: string[] = []
    const finals: string[] = []
    let streamTimeMs = -1
    let dropped = 0
    for (const [ts, key] of records) {
      streamTimeMs = Math.max(streamTimeMs, ts)
      const closeMs = streamTimeMs - graceMs - gapMs
      const before = accepted.get(key) ?? []
      const merged = sessionsOf([...before, ts], gapMs).find((s) => s.startMs <= ts && ts <= s.endMs)
      if (merged === undefined || merged.endMs < closeMs) dropped++
      else {
        if (merged.startMs !== ts || merged.endMs !== ts) {
          for (const s of sessionsOf(before, gapMs)) if (merged.startMs <= s.startMs && s.endMs <= merged.endMs) updates.push(`${key}@[${s.startMs},${s.endMs}]=null`)
        }
        updates.push(`${key}@[${merged.startMs},${merged.endMs}]=${merged.count}`)
        accepted.set(key, [...before, ts])
      }
      // On window close: every current session that stream time closes, once.
      for (const [k, timestamps] of accepted) {
        for (const s of sessionsOf(timestamps, gapMs)) {
          const id = `${k}@[${s.startMs},${s.endMs}]`
          if (s.endMs < closeMs && !emitted.has(id)) {
            emitted.add(id)
            finals.push(`${id}=${s.count}`)
          }
        }
      }
    }
    return { updates, finals, dropped }
  }

  /** Sorts `key@[start,end]=…` lines by end, then start, then key. */
  function byEndStartKey(lines: readonly string[]): string[] {
    const parse = (line: string): [number, number, string] => {
      const m = /^(.*)@\[(\d+),(\d+)\]/.exec(line)
      return [Number(m?.[3]), Number(m?.[2]), m?.[1] ?? '']
    }
    return [...lines].sort((a, b) => {
      const [ea, sa, ka] = parse(a)
      const [eb, sb, kb] = parse(b)
      return ea - eb || sa - sb || (ka < kb ? -1 : ka > kb ? 1 : 0)
    })
  }

  const records = fc.array(fc.tuple(fc.integer({ min: 0, max: 120 }), fc.constantFrom('a', 'b', 'c')), { maxLength: 40 })

  it('emits what the oracle does on every update and, emitting on close, every final session once (a retention longer than any input)', () => {
    fc.assert(
      fc.property(records, fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 20 }), (inputs, gapMs, graceMs) => {
        const windows = SessionWindows.ofInactivityGapAndGrace(gapMs, graceMs)
        const expected = oracle(inputs, gapMs, graceMs)
        const d = driver(countTopology(windows, { materialized: { retentionMs: 1_000_000 } }))
        pipe(d, inputs)
        expect(withoutTs(readOut(d))).toEqual(expected.updates)
        expect(d.metrics().droppedRecordsTotal).toBe(expected.dropped)

        const finals = withoutTs(sessionCounts(windows, inputs, { emit: 'on-window-close', materialized: { retentionMs: 1_000_000 } }))
        // Emitted in end then start order; sessions of the same times may come in any key order.
        const windowOf = (line: string): string => line.replace(/^[^@]*@/, '').replace(/=.*/, '')
        expect(finals.map(windowOf)).toEqual(byEndStartKey(finals).map(windowOf))
        expect(byEndStartKey(finals)).toEqual(byEndStartKey(expected.finals))
      }),
      { numRuns: 60 },
    )
  })

  it("agrees with the oracle with the default retention (gap + grace) too: the store's minute segments keep what a merge can still reach", () => {
    fc.assert(
      fc.property(records, fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 20 }), (inputs, gapMs, graceMs) => {
        const windows = SessionWindows.ofInactivityGapAndGrace(gapMs, graceMs)
        const expected = oracle(inputs, gapMs, graceMs)
        expect(withoutTs(sessionCounts(windows, inputs))).toEqual(expected.updates)
        // A session emitted as final can still be bridged into a later one (as in Kafka), which is emitted in turn.
        const finals = withoutTs(sessionCounts(windows, inputs, { emit: 'on-window-close' }))
        expect(byEndStartKey(finals)).toEqual(byEndStartKey(expected.finals))
      }),
      { numRuns: 60 },
    )
  })
})

describe('session stores of aggregations', () => {
  it('keeps sessions for gap + grace after their end unless told otherwise, and refuses a shorter retention', () => {
    const d = driver(countTopology(SessionWindows.ofInactivityGapAndGrace(5, 3)))
    expect(d.getSessionStore('sessions')?.retentionMs).toBe(8)
    expect(d.getKeyValueStore('sessions')).toBeUndefined()
    const long = driver(countTopology(SessionWindows.ofInactivityGapAndGrace(5, 3), { materialized: { retentionMs: 60_000 } }))
    expect(long.getSessionStore('sessions')?.retentionMs).toBe(60_000)
    expect(codeOfSync(() => countTopology(SessionWindows.ofInactivityGapAndGrace(5, 3), { materialized: { retentionMs: 7 } }))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => countTopology(SessionWindows.ofInactivityGapAndGrace(5, 3), { materialized: { retentionMs: 8.5 } }))).toBe('STREAMS_TOPOLOGY_INVALID')
  })

  it.each([false, true])('deletes sessions past the retention, with tombstones in the changelog but none downstream (caching %s)', (caching) => {
    // Retention 10 ms: segments of a minute; sessions of segment 0 go once stream time reaches minute 1.
    const d = driver(countTopology(SessionWindows.ofInactivityGapWithNoGrace(5), { materialized: { retentionMs: 10, caching } }))
    pipe(d, [
      [0, 'A'],
      [3, 'B'],
      [30_000, 'C'],
      [60_009, 'D'],
    ])
    const store = d.getSessionStore<string, number>('sessions')
    expect([...(store?.all() ?? [])].map((e) => session(e.key))).toEqual(['D@[60009,60009]'])
    const changelog = d.createOutputTopic('topology-test-driver-sessions-changelog', SESSION_KEYS, Serdes.bytes()).readRecordsToList()
    expect(changelog.filter((r) => r.value === null).map((r) => session(r.key))).toEqual(['A@[0,0]', 'B@[3,3]', 'C@[30000,30000]'])
    // Expiry is no update of the table (Kafka drops expired segments silently).
    expect(withoutTs(readOut(d))).toEqual(['A@[0,0]=1', 'B@[3,3]=1', 'C@[30000,30000]=1', 'D@[60009,60009]=1'])
  })

  it("names stores and processors as Kafka does: KSTREAM-AGGREGATE / KSTREAM-REDUCE, count(materialized) burning a store name", () => {
    const names = (build: (windowed: SessionWindowedKStream<string, string>) => void): string => {
      const builder = new StreamsBuilder()
      build(builder.stream('in', { key: S, value: S }).groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5)))
      return builder.build().describe().toString()
    }
    expect(names((g) => g.count())).toContain('KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])')
    expect(names((g) => g.count({ caching: false }))).toContain('KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])')
    expect(names((g) => g.reduce((a, b) => a + b))).toContain('KSTREAM-REDUCE-0000000002 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000001])')
    expect(names((g) => g.count({ name: 'sessions' }))).toContain('KSTREAM-AGGREGATE-0000000001 (stores: [sessions])')
  })

  it("refuses an emit strategy other than 'on-window-update' and 'on-window-close'", () => {
    const grouped = new StreamsBuilder().stream('in', { key: S, value: S }).groupByKey().windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5))
    expect(codeOfSync(() => grouped.emitStrategy('on-close' as EmitStrategy))).toBe('STREAMS_TOPOLOGY_INVALID')
  })
})
