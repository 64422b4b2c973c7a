import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { existsSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs'
import fc from 'fast-check'
import { ManualClock } from '../../../src/log/clock.js'
import { NodeFileIO } from '../../../src/log/storage/node-file-io.js'
import { PartitionLog, type PartitionLogConfig } from '../../../src/log/storage/partition-log.js'
import type { FileIO } from '../../../src/log/storage/file-io.js'
import { cleanLog, type CleanLogResult, type LogCleanerConfig } from '../../../src/log/cleaner/log-cleaner.js'
import { KeyOffsetMap } from '../../../src/log/cleaner/key-offset-map.js'
import { encodeControlBatch, readControlRecord } from '../../../src/log/record/control-record.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { RecordBatch } from '../../../src/log/record/record-batch.js'
import { encodeEmptyBatch } from '../../../src/log/cleaner/retained-batch.js'
import type { DecodedRecord } from '../../support/batches.js'
import { tempDir } from '../../support/temp-dir.js'
import { keyedBatch, readAllBatches, readAllRecords, turns, type KeyValue } from '../../support/compacted-log.js'

const T0 = 1_700_000_000_000
const DAY_MS = 86_400_000

const LOG_CONFIG: PartitionLogConfig = {
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 256,
  maxMessageBytes: 1024 * 1024,
  messageTimestampType: 'CreateTime',
  flushMessages: Number.MAX_SAFE_INTEGER,
}

const CLEANER_CONFIG: LogCleanerConfig = {
  segmentBytes: 1024 * 1024,
  segmentIndexBytes: 10 * 1024 * 1024,
  minCompactionLagMs: 0,
  deleteRetentionMs: DAY_MS,
}

function openLog(
  dir: string,
  overrides: Partial<PartitionLogConfig> = {},
  extra: { clock?: ManualClock; io?: FileIO; cleanShutdown?: boolean; recoveryPoint?: number } = {},
): PartitionLog {
  return PartitionLog.open({
    io: extra.io ?? new NodeFileIO(),
    dir,
    topic: 't',
    partition: 0,
    config: { ...LOG_CONFIG, ...overrides },
    clock: extra.clock ?? new ManualClock(T0),
    recoveryPoint: extra.recoveryPoint ?? 0,
    cleanShutdown: extra.cleanShutdown ?? false,
  })
}

interface CleanArgs {
  nowMs?: number
  checkpointOffset?: number
  maxCleanableOffset?: number
  config?: Partial<LogCleanerConfig>
  offsetMap?: KeyOffsetMap
  signal?: AbortSignal
  ioBufferBytes?: number
}

function clean(log: PartitionLog, args: CleanArgs = {}): Promise<CleanLogResult> {
  return cleanLog(log, {
    config: { ...CLEANER_CONFIG, ...args.config },
    checkpointOffset: args.checkpointOffset,
    maxCleanableOffset: args.maxCleanableOffset,
    nowMs: args.nowMs ?? T0,
    offsetMap: args.offsetMap ?? new KeyOffsetMap(1 << 20),
    signal: args.signal,
    ioBufferBytes: args.ioBufferBytes,
  })
}

/** Appends one batch per entry list and rolls after each, so every batch is its own segment. */
function appendSegments(log: PartitionLog, segments: readonly (readonly KeyValue[])[], timestampMs = T0): void {
  for (const entries of segments) {
    log.append(keyedBatch(entries, timestampMs))
    log.roll()
  }
}

const pairs = (records: readonly DecodedRecord[]): [number, string | null, string | null][] =>
  records.map((r) => [r.offset, r.key, r.value])

describe('log cleaner', () => {
  it('keeps the latest record per key at its original offset', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    appendSegments(log, [
      [['a', 'a1'], ['b', 'b1'], ['c', 'c1']], // 0-2
      [['a', 'a2'], ['d', 'd1']], // 3-4
      [['b', 'b2'], ['a', 'a3']], // 5-6
    ])
    log.append(keyedBatch([['a', 'a4'], ['c', 'c2']])) // 7-8: active, never cleaned
    const before = readAllRecords(log)
    const result = await clean(log)
    expect(result.outcome).toBe('cleaned')
    expect(result.firstDirtyOffset).toBe(7)
    expect(pairs(readAllRecords(log))).toEqual([
      [2, 'c', 'c1'],
      [4, 'd', 'd1'],
      [5, 'b', 'b2'],
      [6, 'a', 'a3'],
      [7, 'a', 'a4'],
      [8, 'c', 'c2'],
    ])
    // Survivors are byte-identical records at unchanged offsets, timestamps included.
    const byOffset = new Map(before.map((r) => [r.offset, r]))
    for (const r of readAllRecords(log)) expect(r).toEqual(byOffset.get(r.offset))
    expect(log.logEndOffset).toBe(9)
    expect(log.append(keyedBatch([['e', 'e1']])).baseOffset).toBe(9)
    log.close()
  })

  it('merges the cleaned segments into one and reads the same after a reopen', async () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir)
    appendSegments(log, [[['a', '1']], [['a', '2']], [['b', '1']], [['a', '3']]])
    expect(log.segmentCount).toBe(5)
    await clean(log)
    expect(log.segmentCount).toBe(2)
    const after = readAllRecords(log)
    expect(pairs(after)).toEqual([
      [2, 'b', '1'],
      [3, 'a', '3'],
    ])
    log.close()
    const names = readdirSync(dir).sort()
    expect(names.filter((n) => n.endsWith('.log'))).toEqual(['00000000000000000000.log', '00000000000000000004.log'])
    expect(names.some((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toBe(false)
    const again = openLog(dir, {}, { cleanShutdown: true, recoveryPoint: 4 })
    expect(readAllRecords(again)).toEqual(after)
    expect(again.recoveryReport.rebuiltIndexes).toEqual([])
    again.close()
  })

  it('lets consumers read from removed offsets: read() returns the next surviving batch', async () => {
    const log = openLog(join(tempDir(), 't-0'), { indexIntervalBytes: 0 })
    for (let i = 0; i < 20; i++) log.append(keyedBatch([[`k${i % 4}`, `v${i}`]]))
    log.roll()
    await clean(log)
    const survivors = readAllRecords(log).map((r) => r.offset)
    expect(survivors).toEqual([16, 17, 18, 19])
    for (let offset = 0; offset < 20; offset++) {
      const first = readAllRecords(log, offset)[0]
      expect(first?.offset).toBe(survivors.find((o) => o >= offset))
    }
    log.close()
  })

  it('keeps tombstones until delete.retention.ms after the first cleaning that kept them, then removes them', async () => {
    const clock = new ManualClock(T0)
    const log = openLog(join(tempDir(), 't-0'), {}, { clock })
    appendSegments(log, [[['a', 'a1'], ['b', 'b1']], [['a', null]], [['c', 'c1']]])
    const first = await clean(log, { nowMs: T0 })
    expect(pairs(readAllRecords(log))).toEqual([
      [1, 'b', 'b1'],
      [2, 'a', null],
      [3, 'c', 'c1'],
    ])
    const tombstoneBatch = readAllBatches(log).find((b) => b.baseOffset === 2)
    expect(tombstoneBatch?.hasDeleteHorizon).toBe(true)
    expect(tombstoneBatch?.deleteHorizonMs).toBe(T0 + DAY_MS)
    expect(first.earliestDeleteHorizonMs).toBe(T0 + DAY_MS)
    // Records keep their timestamps although baseTimestamp now holds the horizon.
    expect(readAllRecords(log).find((r) => r.offset === 2)?.timestampMs).toBe(T0)

    const early = await clean(log, { nowMs: T0 + DAY_MS - 1, checkpointOffset: first.firstDirtyOffset })
    expect(early.outcome).toBe('cleaned')
    expect(readAllRecords(log).map((r) => r.offset)).toEqual([1, 2, 3])
    expect(readAllBatches(log).find((b) => b.baseOffset === 2)?.deleteHorizonMs).toBe(T0 + DAY_MS) // never moved

    const late = await clean(log, { nowMs: T0 + DAY_MS, checkpointOffset: early.firstDirtyOffset })
    expect(pairs(readAllRecords(log))).toEqual([
      [1, 'b', 'b1'],
      [3, 'c', 'c1'],
    ])
    expect(late.earliestDeleteHorizonMs).toBeUndefined()
    log.close()
  })

  it('removes a tombstone on the first cleaning that sees it when delete.retention.ms already passed since it was stamped', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    appendSegments(log, [[['a', 'a1']], [['a', null]]])
    await clean(log, { nowMs: T0, config: { deleteRetentionMs: 0 } })
    expect(pairs(readAllRecords(log))).toEqual([[1, 'a', null]]) // stamped now, kept this round
    await clean(log, { nowMs: T0, config: { deleteRetentionMs: 0 } })
    expect(readAllRecords(log)).toEqual([])
    log.close()
  })

  it('protects records younger than min.compaction.lag.ms', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    const hourMs = 3_600_000
    log.append(keyedBatch([['a', 'old']], T0))
    log.roll()
    log.append(keyedBatch([['a', 'young']], T0 + 2 * hourMs))
    log.roll()
    log.append(keyedBatch([['a', 'active']], T0 + 2 * hourMs))
    const result = await clean(log, { nowMs: T0 + 2 * hourMs + 1, config: { minCompactionLagMs: hourMs } })
    // The young segment bounds the round: nothing after it was mapped, so nothing is removed yet.
    expect(result.range.firstUncleanableOffset).toBe(1)
    expect(readAllRecords(log).map((r) => r.value)).toEqual(['old', 'young', 'active'])
    const later = await clean(log, {
      nowMs: T0 + 3 * hourMs + 1,
      config: { minCompactionLagMs: hourMs },
      checkpointOffset: result.firstDirtyOffset,
    })
    expect(later.range.firstUncleanableOffset).toBe(2)
    expect(readAllRecords(log).map((r) => r.value)).toEqual(['young', 'active'])
    log.close()
  })

  it('never cleans the active segment', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    for (let i = 0; i < 10; i++) log.append(keyedBatch([['a', `v${i}`]]))
    const result = await clean(log)
    expect(result.outcome).toBe('nothing-to-clean')
    expect(readAllRecords(log)).toHaveLength(10)
    log.close()
  })

  it('never cleans at or beyond maxCleanableOffset', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    appendSegments(log, [[['a', '1']], [['a', '2']], [['a', '3']], [['a', '4']]])
    // Offset 2 lies in the third segment: the round stops at that segment's base.
    const result = await clean(log, { maxCleanableOffset: 2 })
    expect(result.range.firstUncleanableOffset).toBe(2)
    expect(result.firstDirtyOffset).toBe(2)
    expect(readAllRecords(log).map((r) => r.value)).toEqual(['2', '3', '4'])
    log.close()
  })

  it('drops records without keys', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    appendSegments(log, [
      [
        [null, 'x'],
        ['a', '1'],
        [null, 'y'],
      ],
    ])
    await clean(log)
    expect(pairs(readAllRecords(log))).toEqual([[1, 'a', '1']])
    log.close()
  })

  it('keeps control batches untouched', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    log.append(keyedBatch([['a', '1']]))
    const marker = encodeControlBatch({ type: 'COMMIT', producerId: 7n, producerEpoch: 1, coordinatorEpoch: 3, timestampMs: T0 })
    log.append(marker)
    log.append(keyedBatch([['a', '2']]))
    log.roll()
    await clean(log)
    const batches = readAllBatches(log)
    const control = batches.find((b) => b.isControl)
    expect(control?.baseOffset).toBe(1)
    expect(control && readControlRecord(control)).toEqual({ type: 'COMMIT', coordinatorEpoch: 3 })
    expect(readAllRecords(log).map((r) => r.offset)).toEqual([1, 2])
    log.close()
  })

  it.each(['none', 'gzip', 'lz4', 'snappy'] as const)(
    'preserves offsets, lastOffsetDelta, producer fields, headers and the %s codec of a re-encoded batch',
    async (compression) => {
      const log = openLog(join(tempDir(), 't-0'))
      const batch = encodeRecordBatch(
        [
          { key: Buffer.from('a'), value: Buffer.from('a1'), timestampMs: T0 + 5 },
          { key: Buffer.from('b'), value: Buffer.from('b1'), timestampMs: T0 + 1, headers: [{ key: 'h', value: Buffer.from('x') }] },
          { key: Buffer.from('c'), value: null, timestampMs: T0 + 9, headers: [{ key: 'n', value: null }] },
          { key: Buffer.from('a'), value: Buffer.from('a2'), timestampMs: T0 + 3 },
          { key: Buffer.from('d'), value: Buffer.from('d1'), timestampMs: T0 + 2 },
        ],
        { compression, producerId: 42n, producerEpoch: 3, baseSequence: 100 },
      )
      log.append(batch)
      log.append(keyedBatch([['d', 'd2']]))
      log.roll()
      await clean(log, { nowMs: T0 + 50 })
      const [cleaned] = readAllBatches(log)
      expect(cleaned).toMatchObject({
        baseOffset: 0,
        lastOffsetDelta: 4,
        recordsCount: 3,
        producerId: 42n,
        producerEpoch: 3,
        baseSequence: 100,
        compression,
        hasDeleteHorizon: true,
        deleteHorizonMs: T0 + 50 + DAY_MS,
        maxTimestamp: T0 + 9,
      })
      cleaned?.validate()
      const records = cleaned?.records() ?? []
      expect(records.map((r) => [r.offset, r.timestampMs])).toEqual([
        [1, T0 + 1],
        [2, T0 + 9],
        [3, T0 + 3],
      ])
      expect(records[0]?.headers.map((h) => [h.key, Buffer.from(h.value ?? []).toString()])).toEqual([['h', 'x']])
      expect(records[1]?.headers).toEqual([{ key: 'n', value: null }])
      expect(records[1]?.value).toBeNull()
      log.close()
    },
  )

  it('keeps the last batch of the round as a header without records when compaction empties it', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    appendSegments(log, [
      [['a', '1']],
      [
        [null, 'x'],
        [null, 'y'],
      ],
    ])
    log.append(keyedBatch([['b', '1']]))
    await clean(log)
    expect(readAllBatches(log).map((b) => [b.baseOffset, b.lastOffset, b.recordsCount])).toEqual([
      [0, 0, 1],
      [1, 2, 0],
      [3, 3, 1],
    ])
    expect(readAllRecords(log).map((r) => r.offset)).toEqual([0, 3])
    log.close()
  })

  it('keeps the emptied last batch of every output segment, so the output ends where its inputs ended', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    appendSegments(log, [[['a', '1']], [['a', '2'], ['b', '1']], [['a', '3'], ['b', '2']]])
    log.append(keyedBatch([['x', 'y']]))
    // Small segment.bytes: one output segment per input segment.
    await clean(log, { config: { segmentBytes: 100 } })
    expect(log.segmentInfos().map((s) => [s.baseOffset, s.nextOffset])).toEqual([
      [0, 1],
      [1, 3],
      [3, 5],
      [5, 6],
    ])
    const empty = readAllBatches(log).filter((b) => b.recordsCount === 0)
    expect(empty.map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [0, 0],
      [1, 2],
    ])
    expect(pairs(readAllRecords(log))).toEqual([
      [3, 'a', '3'],
      [4, 'b', '2'],
      [5, 'x', 'y'],
    ])
    log.close()
  })

  it('merges segments that cleaning shrank into outputs bounded by segment.bytes', async () => {
    const log = openLog(join(tempDir(), 't-0'), { segmentBytes: 300 })
    for (let i = 0; i < 60; i++) log.append(keyedBatch([[`k${i % 6}`, `value-${i}`]]))
    log.roll()
    const before = log.segmentCount
    // Groups are sized by their inputs, as in Kafka: full segments shrink in the first round and
    // are merged in the next.
    const first = await clean(log, { config: { segmentBytes: 300 } })
    expect(log.segmentCount).toBe(before)
    await clean(log, { config: { segmentBytes: 300 }, checkpointOffset: first.firstDirtyOffset })
    expect(log.segmentCount).toBeLessThan(before / 2)
    for (const s of log.segmentInfos()) expect(s.sizeBytes).toBeLessThanOrEqual(300)
    expect(pairs(readAllRecords(log)).map(([offset]) => offset)).toEqual([54, 55, 56, 57, 58, 59])
    log.close()
  })

  it('stops the round where the offset map is full and cleans the rest in the next round', async () => {
    const log = openLog(join(tempDir(), 't-0'), { segmentBytes: 64 * 1024 })
    const keys = 6000
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < keys; i += 100) {
        const entries: KeyValue[] = []
        for (let j = i; j < i + 100; j++) entries.push([`key-${String(j).padStart(6, '0')}`, `v${round}`])
        log.append(keyedBatch(entries))
      }
    }
    log.roll()
    const map = new KeyOffsetMap(64 * 1024)
    const first = await clean(log, { offsetMap: map })
    expect(first.outcome).toBe('cleaned')
    expect(first.firstDirtyOffset).toBeLessThan(2 * keys)
    const second = await clean(log, { offsetMap: map, checkpointOffset: first.firstDirtyOffset })
    let checkpoint = second.firstDirtyOffset
    while (checkpoint < 2 * keys) checkpoint = (await clean(log, { offsetMap: map, checkpointOffset: checkpoint })).firstDirtyOffset
    await clean(log, { offsetMap: map, checkpointOffset: checkpoint })
    const records = readAllRecords(log)
    expect(records).toHaveLength(keys)
    expect(records.every((r) => r.value === 'v1')).toBe(true)
    log.close()
  })

  it('is idempotent: cleaning a clean log again keeps the same records', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    appendSegments(log, [[['a', '1'], ['b', null]], [['a', '2'], ['c', '1']]])
    const first = await clean(log)
    const after = readAllRecords(log)
    await clean(log, { checkpointOffset: first.firstDirtyOffset })
    await clean(log)
    expect(readAllRecords(log)).toEqual(after)
    log.close()
  })

  it('lets appends and reads continue while a large clean runs, yielding between chunks', async () => {
    const log = openLog(join(tempDir(), 't-0'), { segmentBytes: 256 * 1024 })
    const value = 'x'.repeat(200)
    for (let i = 0; i < 4000; i++) log.append(keyedBatch([[`k${i % 500}`, `${i}:${value}`]]))
    log.roll()
    const cleaning = clean(log, { ioBufferBytes: 16 * 1024 })
    let done = false
    void cleaning.then(() => (done = true))
    let appended = 0
    while (!done) {
      log.append(keyedBatch([[`k${appended % 500}`, `late-${appended}`]]))
      appended++
      expect(readAllRecords(log, log.logEndOffset - 1).at(-1)?.value).toBe(`late-${appended - 1}`)
      await turns()
    }
    const result = await cleaning
    expect(result.outcome).toBe('cleaned')
    expect(result.stats.yields).toBeGreaterThan(20)
    expect(appended).toBeGreaterThan(20)
    const records = readAllRecords(log)
    // Below the round's bound: the last value per key of the first 4000; above: every late append.
    expect(records.filter((r) => r.offset < 4000).map((r) => r.offset)).toEqual(Array.from({ length: 500 }, (_, i) => 3500 + i))
    expect(records.filter((r) => r.offset >= 4000).map((r) => r.value)).toEqual(
      Array.from({ length: appended }, (_, i) => `late-${i}`),
    )
    log.close()
  })

  it('aborts, leaving the log unchanged, when retention deletes a segment it is reading', async () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir, { segmentBytes: 64 * 1024 })
    for (let i = 0; i < 3000; i++) log.append(keyedBatch([[`k${i % 50}`, 'v'.repeat(100)]]))
    log.roll()
    const cleaning = clean(log, { ioBufferBytes: 8 * 1024, config: { segmentBytes: 64 * 1024 } })
    await turns(3)
    log.deleteOldestSegments(1)
    const before = readAllRecords(log)
    const result = await cleaning
    expect(result.outcome).toBe('aborted')
    expect(readAllRecords(log)).toEqual(before)
    expect(readdirSync(dir).some((n) => n.includes('.cleaned') || n.includes('.swap'))).toBe(false)
    log.close()
  })

  it('stops when its signal is aborted and removes its output', async () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir)
    for (let i = 0; i < 2000; i++) log.append(keyedBatch([[`k${i % 10}`, 'v'.repeat(100)]]))
    log.roll()
    const before = readAllRecords(log)
    const abort = new AbortController()
    const cleaning = clean(log, { ioBufferBytes: 8 * 1024, signal: abort.signal })
    await turns(3)
    abort.abort()
    expect((await cleaning).outcome).toBe('aborted')
    expect(readAllRecords(log)).toEqual(before)
    expect(readdirSync(dir).some((n) => n.includes('.cleaned'))).toBe(false)
    log.close()
  })

  it('compacts like a last-value-per-key oracle below the cleanable bound and leaves the rest untouched', async () => {
    const keyArb = fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { freq: 12 })
    const valueArb = fc.option(fc.string({ maxLength: 6 }), { freq: 4 })
    const opArb = fc.oneof(
      { weight: 6, arbitrary: fc.array(fc.tuple(keyArb, valueArb), { minLength: 1, maxLength: 4 }).map((r) => ({ batch: r })) },
      { weight: 1, arbitrary: fc.constant({ roll: true as const }) },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 40 }),
        fc.array(opArb, { maxLength: 20 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        async (ops1, ops2, daysLater, smallSegments) => {
          const log = openLog(join(tempDir(), 't-0'), { segmentBytes: smallSegments ? 300 : 1024 * 1024 })
          const config = { segmentBytes: smallSegments ? 300 : 1024 * 1024 }
          const appended: DecodedRecord[] = []
          const apply = (ops: typeof ops1, timestampMs: number): void => {
            for (const op of ops) {
              if ('roll' in op) {
                log.roll()
                continue
              }
              const { baseOffset } = log.append(keyedBatch(op.batch, timestampMs))
              op.batch.forEach(([key, value], i) => appended.push({ offset: baseOffset + i, timestampMs: timestampMs + i, key, value }))
            }
          }
          apply(ops1, T0)
          const bound1 = log.segmentInfos().at(-1)?.baseOffset ?? 0
          const first = await clean(log, { nowMs: T0, config })
          const afterFirst = oracle(appended, bound1, () => false)
          expect(readAllRecords(log)).toEqual(afterFirst)

          const t1 = T0 + daysLater * DAY_MS
          apply(ops2, t1)
          const bound2 = log.segmentInfos().at(-1)?.baseOffset ?? 0
          await clean(log, { nowMs: t1, config, checkpointOffset: first.firstDirtyOffset })
          // Tombstones kept by the first round were stamped T0 + 1 day; they expire at t1 ≥ that.
          const expired = (r: DecodedRecord): boolean => r.offset < bound1 && t1 >= T0 + DAY_MS
          expect(readAllRecords(log)).toEqual(oracle(appended, bound2, expired))
          log.close()
        },
      ),
      { numRuns: 60 },
    )
  })

  describe('crash safety', () => {
    it('removes a leftover .cleaned output and uncommitted .swap files on open', async () => {
      const dir = join(tempDir(), 't-0')
      const log = openLog(dir)
      appendSegments(log, [[['a', '1']], [['a', '2']]])
      const before = readAllRecords(log)
      log.close()
      // An interrupted clean: output written, indexes renamed to .swap, the log not yet.
      copyFileSync(join(dir, '00000000000000000001.log'), join(dir, '00000000000000000000.log.cleaned'))
      writeFileSync(join(dir, '00000000000000000000.index.swap'), Buffer.alloc(0))
      writeFileSync(join(dir, '00000000000000000000.timeindex.cleaned'), Buffer.alloc(0))
      const again = openLog(dir, {}, { recoveryPoint: 2 })
      expect(readAllRecords(again)).toEqual(before)
      expect(again.recoveryReport.cleanedUpFiles.sort()).toEqual([
        '00000000000000000000.index.swap',
        '00000000000000000000.log.cleaned',
        '00000000000000000000.timeindex.cleaned',
      ])
      expect(readdirSync(dir).some((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toBe(false)
      again.close()
    })

    it('completes a committed swap on open: the .log.swap replaces every segment inside its range', async () => {
      const dir = join(tempDir(), 't-0')
      const log = openLog(dir)
      appendSegments(log, [[['a', '1']], [['a', '2']], [['b', '1']]])
      log.append(keyedBatch([['c', '1']]))
      log.close()
      // A swap interrupted after its commit point: segments 0-2 merged into 0 (records 1 and 2 kept).
      const merged = Buffer.concat([
        encodeEmptyBatch(new RecordBatch(keyedBatch([['a', '1']], T0, { partitionLeaderEpoch: 0 }))),
        keyedBatch([['a', '2']], T0, { baseOffset: 1, partitionLeaderEpoch: 0 }),
        keyedBatch([['b', '1']], T0, { baseOffset: 2, partitionLeaderEpoch: 0 }),
      ])
      writeFileSync(join(dir, '00000000000000000000.log.swap'), merged)
      writeFileSync(join(dir, '00000000000000000000.index.swap'), Buffer.alloc(8, 0xff)) // garbage: rebuilt
      const again = openLog(dir, {}, { cleanShutdown: true, recoveryPoint: 4 })
      expect(pairs(readAllRecords(again))).toEqual([
        [1, 'a', '2'],
        [2, 'b', '1'],
        [3, 'c', '1'],
      ])
      expect(again.segmentInfos().map((s) => s.baseOffset)).toEqual([0, 3])
      expect(again.recoveryReport.rebuiltIndexes).toContain('00000000000000000000.log')
      expect(existsSync(join(dir, '00000000000000000001.log'))).toBe(false)
      expect(existsSync(join(dir, '00000000000000000002.index'))).toBe(false)
      again.close()
    })
  })
})

/**
 * The records a consumer sees after cleaning rounds whose last bound is `bound`: below it, the
 * last record of each key among the records below it (tombstones too, unless `expired`), nothing
 * without a key; at and above it, every record.
 */
function oracle(records: readonly DecodedRecord[], bound: number, expired: (r: DecodedRecord) => boolean): DecodedRecord[] {
  const last = new Map<string, number>()
  for (const r of records) if (r.offset < bound && r.key !== null) last.set(r.key, r.offset)
  return records.filter((r) => {
    if (r.offset >= bound) return true
    if (r.key === null || last.get(r.key) !== r.offset) return false
    return r.value !== null || !expired(r)
  })
}

