import fc from 'fast-check'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsBuilder, TimeWindows, type EmitStrategy } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'
import { codeOfSync } from '../../support/error-code.js'

const S = Serdes.string()
const LONG = Serdes.int64()

/** key@[start,end)=count (record ts) of a windowed count's output. */
function windowedCounts(windows: TimeWindows, inputs: ReadonlyArray<readonly [number, string]>, emit: EmitStrategy = 'on-window-update'): string[] {
  const builder = new StreamsBuilder()
  builder
    .stream('in', { key: S, value: S })
    .groupByKey()
    .windowedBy(windows)
    .emitStrategy(emit)
    .count({ name: 'counts', caching: false })
    .toStream()
    .to('out')
  const d = new TopologyTestDriver(builder.build())
  onTestFinished(() => d.close())
  const input = d.createInputTopic('in', S, S)
  for (const [ts, key] of inputs) input.pipeInput(key, 'v', ts)
  return d
    .createOutputTopic('out', Serdes.windowed(S, windows.sizeMs), LONG)
    .readRecordsToList()
    .map((r) => `${r.key?.key}@[${r.key?.window.startMs},${r.key?.window.endMs})=${r.value} (ts ${r.timestampMs})`)
}

describe('time windows', () => {
  it("assigns windows by Kafka's TimeWindows#windowsFor table", () => {
    const tumbling = TimeWindows.ofSizeWithNoGrace(5000)
    const hopping = TimeWindows.ofSizeWithNoGrace(5000).advanceBy(3000)
    const rows: Array<[number, number[], number[]]> = [
      [0, [0], [0]],
      [2999, [0], [0]],
      [3000, [0], [0, 3000]],
      [4999, [0], [0, 3000]],
      [5000, [5000], [3000]],
      [6000, [5000], [3000, 6000]],
      [8000, [5000], [6000]],
      [10000, [10000], [6000, 9000]],
    ]
    for (const [ts, t, h] of rows) {
      expect(tumbling.windowStartsFor(ts)).toEqual(t)
      expect(hopping.windowStartsFor(ts)).toEqual(h)
    }
  })

  it('agrees with a naive oracle on every window holding a timestamp', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 500 }), (size, advanceRaw, ts) => {
        const advance = Math.min(size, advanceRaw)
        const naive: number[] = []
        for (let start = 0; start <= ts; start += advance) if (ts < start + size) naive.push(start)
        expect(TimeWindows.ofSizeWithNoGrace(size).advanceBy(advance).windowStartsFor(ts)).toEqual(naive)
      }),
    )
  })

  it('refuses size ≤ 0, advance outside (0, size] and grace < 0 with STREAMS_TOPOLOGY_INVALID', () => {
    expect(codeOfSync(() => TimeWindows.ofSizeWithNoGrace(0))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => TimeWindows.ofSizeAndGrace(10, -1))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(11))).toBe('STREAMS_TOPOLOGY_INVALID')
    expect(codeOfSync(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(0))).toBe('STREAMS_TOPOLOGY_INVALID')
  })
})

describe('windowed count through the test driver (streams anchor §2.7)', () => {
  it('tumbling 10 ms, grace 5 ms: updates per record, drops records for closed windows (also of new keys)', () => {
    expect(
      windowedCounts(TimeWindows.ofSizeAndGrace(10, 5), [
        [1, 'A'],
        [8, 'A'],
        [12, 'A'],
        [3, 'A'],
        [16, 'A'],
        [4, 'A'],
        [2, 'B'],
        [25, 'B'],
      ]),
    ).toEqual(['A@[0,10)=1 (ts 1)', 'A@[0,10)=2 (ts 8)', 'A@[10,20)=1 (ts 12)', 'A@[0,10)=3 (ts 8)', 'A@[10,20)=2 (ts 16)', 'B@[20,30)=1 (ts 25)'])
  })

  it("emitStrategy 'on-window-close' emits each window's final count once, when stream time closes it", () => {
    const inputs: Array<readonly [number, string]> = [
      [1, 'A'],
      [8, 'A'],
      [12, 'A'],
      [3, 'A'],
      [16, 'A'],
      [4, 'A'],
      [2, 'B'],
      [25, 'B'],
    ]
    expect(windowedCounts(TimeWindows.ofSizeAndGrace(10, 5), inputs, 'on-window-close')).toEqual(['A@[0,10)=3 (ts 8)', 'A@[10,20)=2 (ts 16)'])
  })

  it('hopping size 10, advance 5, grace 2', () => {
    const out = windowedCounts(TimeWindows.ofSizeAndGrace(10, 2).advanceBy(5), [
      [0, 'A'],
      [4, 'A'],
      [5, 'A'],
      [9, 'A'],
      [10, 'A'],
      [16, 'A'],
      [3, 'A'],
    ]).map((line) => line.replace(/ \(ts \d+\)$/, ''))
    expect(out).toEqual([
      'A@[0,10)=1',
      'A@[0,10)=2',
      'A@[0,10)=3',
      'A@[5,15)=1',
      'A@[0,10)=4',
      'A@[5,15)=2',
      'A@[5,15)=3',
      'A@[10,20)=1',
      'A@[10,20)=2',
      'A@[15,25)=1',
    ])
  })

  it('windowed results follow a naive recomputation from the records that were not late', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.constantFrom('a', 'b', 'c')), { maxLength: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 20 }),
        (records, size, advanceRaw, grace) => {
          const windows = TimeWindows.ofSizeAndGrace(size, grace).advanceBy(Math.min(size, advanceRaw))
          const expected: string[] = []
          const counts = new Map<string, number>()
          let streamTime = -1
          for (const [ts, key] of records) {
            streamTime = Math.max(streamTime, ts)
            for (const start of windows.windowStartsFor(ts)) {
              if (start + size <= streamTime - grace) continue
              const id = `${key}@[${start},${start + size})`
              const n = (counts.get(id) ?? 0) + 1
              counts.set(id, n)
              expected.push(`${id}=${n}`)
            }
          }
          expect(windowedCounts(windows, records).map((line) => line.replace(/ \(ts \d+\)$/, ''))).toEqual(expected)
          // On window close: after each record, every window closed by stream time, once, with its final count,
          // in end order (then creation order).
          const closed: string[] = []
          const open = new Map<string, { end: number; count: number }>()
          const emitted = new Set<string>()
          let time = -1
          for (const [ts, key] of records) {
            time = Math.max(time, ts)
            for (const start of windows.windowStartsFor(ts)) {
              const id = `${key}@[${start},${start + size})`
              if (start + size <= time - grace || emitted.has(id)) continue
              const w = open.get(id) ?? { end: start + size, count: 0 }
              w.count++
              open.set(id, w)
            }
            const due = [...open].filter(([, w]) => w.end <= time - grace).sort((a, b) => a[1].end - b[1].end)
            for (const [id, w] of due) {
              closed.push(`${id}=${w.count}`)
              open.delete(id)
              emitted.add(id)
            }
          }
          expect(windowedCounts(windows, records, 'on-window-close').map((line) => line.replace(/ \(ts \d+\)$/, ''))).toEqual(closed)
        },
      ),
      { numRuns: 50 },
    )
  })

  it("closes windows by the aggregation's own stream time: a record filtered out upstream closes nothing (Kafka's observedStreamTime)", () => {
    const builder = new StreamsBuilder()
    builder
      .stream('in', { key: S, value: S })
      .filter((key) => key !== 'skip')
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count({ name: 'counts', caching: false })
    const d = new TopologyTestDriver(builder.build())
    onTestFinished(() => d.close())
    const input = d.createInputTopic('in', S, S)
    input.pipeInput('A', 'v', 1)
    input.pipeInput('skip', 'v', 50) // the task's stream time is 50 now, the aggregation's still 1
    input.pipeInput('A', 'v', 3)
    input.pipeInput('A', 'v', 12)
    input.pipeInput('A', 'v', 4) // 10 <= 12: [0,10) closed by the aggregation's own time
    expect(d.getWindowStore<string, number>('counts')?.fetch('A', 0)).toBe(2)
    expect(d.getWindowStore<string, number>('counts')?.fetch('A', 10)).toBe(1)
    expect(d.metrics().droppedRecordsTotal).toBe(1)
  })

  it("deletes windows past the retention (by Kafka's 1-minute segments) as stream time passes, with tombstones in the changelog", () => {
    const MINUTE = 60_000
    const builder = new StreamsBuilder()
    builder
      .stream('in', { key: S, value: S })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(MINUTE))
      .count({ name: 'counts', retentionMs: 2 * MINUTE })
    const d = new TopologyTestDriver(builder.build())
    onTestFinished(() => d.close())
    const input = d.createInputTopic('in', S, S)
    for (const [ts, key] of [
      [0, 'A'],
      [30_000, 'B'],
      [90_000, 'A'],
      [4 * MINUTE, 'C'], // windows before minute 2 are past the retention now
    ] as const)
      input.pipeInput(key, 'v', ts)
    expect(d.getKeyValueStore('counts')).toBeUndefined()
    const store = d.getWindowStore<string, number>('counts')
    expect([...(store?.all() ?? [])].map((e) => `${e.key.key}@${e.key.window.startMs}=${e.value}`)).toEqual(['C@240000=1'])
    expect(store?.fetch('A', 0)).toBeUndefined()
    expect(store?.fetch('C', 4 * MINUTE)).toBe(1)
    const changelog = d.createOutputTopic('topology-test-driver-counts-changelog', Serdes.windowed(S, MINUTE), Serdes.bytes()).readRecordsToList()
    expect(changelog.filter((r) => r.value === null).map((r) => `${r.key?.key}@${r.key?.window.startMs}`).sort()).toEqual(['A@0', 'A@60000', 'B@0'])
    expect(codeOfSync(() => new StreamsBuilder().stream('x', { key: S, value: S }).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count({ retentionMs: 14 }))).toBe(
      'STREAMS_TOPOLOGY_INVALID',
    )
  })
})
