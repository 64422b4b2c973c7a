import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { SlidingWindows, StreamsBuilder, TimeWindows } from '../../../src/streams/index.js'
import { TopologyTestDriver } from '../../../src/testing/index.js'

const S = Serdes.string()

function driver(builder: StreamsBuilder): TopologyTestDriver {
  const d = new TopologyTestDriver(builder.build())
  onTestFinished(() => d.close())
  return d
}

describe("records dropped on purpose (Kafka's dropped-records-total)", () => {
  it('counts null keys and null values an aggregation skips, and leaves its state alone', () => {
    const builder = new StreamsBuilder()
    builder.stream('in', { key: S, value: S }).groupByKey().count({ name: 'counts', caching: false })
    const d = driver(builder)
    const input = d.createInputTopic('in', S, S)
    input.pipeInput('a', 'x', 1)
    input.pipeInput(null, 'x', 2)
    input.pipeInput('a', null, 3)
    input.pipeInput('a', 'x', 4)
    expect(d.getKeyValueStore<string, number>('counts')?.get('a')).toBe(2)
    expect(d.metrics().droppedRecordsTotal).toBe(2)
    expect(d.metrics().tasks['0_0']?.droppedRecordsTotal).toBe(2)
  })

  it('counts a late record once per window it is too late for (hopping windows)', () => {
    const builder = new StreamsBuilder()
    builder
      .stream('in', { key: S, value: S })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 2).advanceBy(5))
      .count({ name: 'counts', caching: false })
    const d = driver(builder)
    const input = d.createInputTopic('in', S, S)
    input.pipeInput('a', 'x', 30)
    // ts 9 belongs to [0,10) and [5,15): both closed (end <= 30 - 2).
    input.pipeInput('a', 'x', 9)
    // ts 27 belongs to [20,30) (closed: 30 <= 28 is false → open) and [25,35) (open): nothing dropped.
    input.pipeInput('a', 'x', 27)
    // ts 24 belongs to [15,25) (closed) and [20,30) (open): one drop.
    input.pipeInput('a', 'x', 24)
    expect(d.metrics().droppedRecordsTotal).toBe(3)
    const windows = d.getWindowStore<string, number>('counts')
    expect([...(windows?.fetch('a', 0, 100) ?? [])].map((e) => `${e.key}=${e.value}`)).toEqual(['20=2', '25=2', '30=1'])
  })

  it('counts records with a null key a table skips', () => {
    const builder = new StreamsBuilder()
    builder.table('users', { key: S, value: S }, { name: 'users' })
    const d = driver(builder)
    const input = d.createInputTopic('users', S, S)
    input.pipeInput(null, 'ghost', 1)
    input.pipeInput('ann', 'Ann', 2)
    expect(d.metrics().droppedRecordsTotal).toBe(1)
    expect(d.getKeyValueStore<string, string>('users')?.approximateNumEntries()).toBe(1)
  })

  it("counts each store's gets, puts, backend reads, range reads, flushed changes and commits (the metered layer)", () => {
    const builder = new StreamsBuilder()
    const grouped = builder.stream('in', { key: S, value: S }).groupByKey()
    grouped.count({ name: 'counts' })
    grouped.windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10)).count({ name: 'sliding', caching: false })
    const d = driver(builder)
    const input = d.createInputTopic('in', S, S)
    input.pipeInput('a', 'x', 1)
    input.pipeInput('a', 'x', 2)
    input.pipeInput('b', 'x', 3)
    const counts = d.metrics().stores['counts']
    // One read and one write per record; the driver commits after each record, so each change is flushed and committed.
    expect(counts).toMatchObject({ gets: 3, puts: 3, rangeReads: 0, flushedRecords: 3, commits: 3 })
    // The driver's in-memory backend has no cache in front of it (it is its own): the read for the
    // aggregate and the table's read of the old value both reach it — at most two per update.
    expect(counts?.backendReads).toBeGreaterThanOrEqual(3)
    expect(counts?.backendReads).toBeLessThanOrEqual(6)
    // Sliding windows read a key's windows as a range per record, and flush nothing (no caching).
    const sliding = d.metrics().stores['sliding']
    expect(sliding?.rangeReads).toBeGreaterThanOrEqual(3)
    expect(sliding?.flushedRecords).toBe(0)
    expect(sliding?.puts).toBeGreaterThanOrEqual(3)
  })
})
