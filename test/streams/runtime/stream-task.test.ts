import { describe, expect, it } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { Topology } from '../../../src/streams/index.js'
import { defaultWarningListener, type ErrorHandlers } from '../../../src/streams/runtime/error-handlers.js'
import type { OutputRecord } from '../../../src/streams/runtime/record-collector.js'
import type { InputRecord } from '../../../src/streams/runtime/record-queue.js'
import { StreamTask } from '../../../src/streams/runtime/stream-task.js'
import { definitionOf } from '../../../src/streams/topology/topology.js'

const S = Serdes.string()
const utf8 = new TextEncoder()
const HANDLERS: ErrorHandlers = { deserialization: 'fail', processing: 'fail', production: 'fail', deadLetterQueueTopic: undefined, onWarning: defaultWarningListener }

/** A task reading `a` and `b` (both partition 0) into `out`, and what it wrote. */
function task(options: { maxTaskIdleMs?: number; nowMs?: () => number } = {}): { task: StreamTask; out: OutputRecord[] } {
  const topology = new Topology()
    .addSource({ name: 'src', topics: ['a', 'b'], key: S, value: S })
    .addSink({ name: 'sink', topic: 'out', parents: ['src'], key: S, value: S })
  const out: OutputRecord[] = []
  const t = new StreamTask({
    id: { subtopology: 0, partition: 0 },
    applicationId: 'app',
    nodes: [...definitionOf(topology).nodes.values()],
    resolveTopic: (x) => x,
    collector: { send: (r) => void out.push(r), partitionCount: () => 1 },
    handlers: HANDLERS,
    nowMs: options.nowMs ?? (() => 0),
    maxTaskIdleMs: options.maxTaskIdleMs,
  })
  t.init()
  return { task: t, out }
}

const record = (topic: string, offset: number, timestampMs: number): InputRecord => ({
  topic,
  partition: 0,
  offset,
  timestampMs,
  key: utf8.encode(`${topic}${offset}`),
  value: utf8.encode(`${topic}@${timestampMs}`),
  headers: [],
})

const values = (out: readonly OutputRecord[]): string[] => out.map((r) => new TextDecoder().decode(r.value ?? new Uint8Array()))

describe('StreamTask', () => {
  it('processes the buffered record with the lowest timestamp first, across its partitions', () => {
    const { task: t, out } = task()
    t.addRecords([record('a', 0, 10), record('a', 1, 30), record('a', 2, 50)])
    t.addRecords([record('b', 0, 20), record('b', 1, 40)])
    expect(t.process(100)).toBe(5)
    expect(values(out)).toEqual(['a@10', 'b@20', 'a@30', 'b@40', 'a@50'])
    expect(t.context.currentStreamTimeMs()).toBe(50)
    expect(t.consumedOffsets()).toEqual([
      { topic: 'a', partition: 0, offset: 3 },
      { topic: 'b', partition: 0, offset: 2 },
    ])
  })

  it('keeps offset order within a partition even when timestamps go back, and stream time never decreases', () => {
    const { task: t, out } = task()
    t.addRecords([record('a', 0, 50), record('a', 1, 5)])
    t.process(100)
    expect(values(out)).toEqual(['a@50', 'a@5'])
    expect(t.context.currentStreamTimeMs()).toBe(50)
  })

  it('with maxTaskIdleMs waits for an empty partition, then processes out of order once the time is up', () => {
    let now = 0
    const { task: t, out } = task({ maxTaskIdleMs: 100, nowMs: () => now })
    t.registerPartition('a', 0)
    t.registerPartition('b', 0)
    t.addRecords([record('a', 0, 10)])
    expect(t.process(100)).toBe(0)
    now = 99
    expect(t.process(100)).toBe(0)
    now = 100
    expect(t.process(100)).toBe(1)
    expect(values(out)).toEqual(['a@10'])
  })

  it('processes at most the number of records asked for', () => {
    const { task: t } = task()
    t.addRecords([record('a', 0, 1), record('a', 1, 2), record('a', 2, 3)])
    expect(t.process(2)).toBe(2)
    expect(t.bufferedCount).toBe(1)
    expect(t.process(2)).toBe(1)
  })
})
