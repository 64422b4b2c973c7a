import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { existsSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { ManualClock } from '../../../src/log/clock.js'
import { NodeFileIO } from '../../../src/log/storage/node-file-io.js'
import { PartitionLog, type PartitionLogConfig } from '../../../src/log/storage/partition-log.js'
import type { FileIO } from '../../../src/log/storage/file-io.js'
import { SyncCountingIO } from '../../support/sync-counting-io.js'
import { iterateBatches } from '../../../src/log/record/record-batch.js'
import { batchOf, batchOfValues, decodeAll, type DecodedRecord } from '../../support/batches.js'
import { tempDir } from '../../support/temp-dir.js'
import { eventually } from '../../support/eventually.js'

const BASE_CONFIG: PartitionLogConfig = {
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1024 * 1024,
  messageTimestampType: 'CreateTime',
  flushMessages: Number.MAX_SAFE_INTEGER,
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
    config: { ...BASE_CONFIG, ...overrides },
    clock: extra.clock ?? new ManualClock(),
    recoveryPoint: extra.recoveryPoint ?? 0,
    cleanShutdown: extra.cleanShutdown ?? false,
  })
}

function readAll(log: PartitionLog, from = log.logStartOffset): DecodedRecord[] {
  const out: DecodedRecord[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const bytes = log.read(offset, 64 * 1024)
    if (bytes.length === 0) break
    for (const r of decodeAll(bytes)) if (r.offset >= offset) out.push(r)
    const last = out[out.length - 1]
    offset = last ? last.offset + 1 : log.logEndOffset
  }
  return out
}

async function expectCode(fn: () => unknown, code: string): Promise<void> {
  try {
    await fn()
  } catch (err) {
    expect((err as { code?: string }).code).toBe(code)
    return
  }
  throw new Error(`expected ${code}`)
}

describe('PartitionLog', () => {
  it('assigns contiguous offsets from the log end and writes them into the stored batches', () => {
    const log = openLog(join(tempDir(), 't-0'))
    const a = log.append(batchOf(3, 'a'))
    const b = log.append(batchOf(2, 'b'))
    expect(a).toMatchObject({ baseOffset: 0, lastOffset: 2, recordCount: 3 })
    expect(b).toMatchObject({ baseOffset: 3, lastOffset: 4, recordCount: 2 })
    expect(log.logEndOffset).toBe(5)
    const records = readAll(log)
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4])
    expect(records.map((r) => r.value)).toEqual(['a:0', 'a:1', 'a:2', 'b:0', 'b:1'])
    log.close()
  })

  it('starts a read at the batch that contains the fetch offset', () => {
    const log = openLog(join(tempDir(), 't-0'))
    log.append(batchOf(10, 'a'))
    log.append(batchOf(10, 'b'))
    const first = [...iterateBatches(log.read(15, 1024 * 1024))]
    expect(first[0]?.baseOffset).toBe(10)
    log.close()
  })

  it('returns at least one whole batch even when it is larger than maxBytes, and never a partial one', () => {
    const log = openLog(join(tempDir(), 't-0'))
    log.append(batchOf(50, 'big'))
    log.append(batchOf(50, 'big2'))
    const bytes = log.read(0, 10)
    const batches = [...iterateBatches(bytes)]
    expect(batches).toHaveLength(1)
    expect(batches[0]?.recordsCount).toBe(50)
    const two = [...iterateBatches(log.read(0, bytes.length + 20))]
    expect(two).toHaveLength(1)
    log.close()
  })

  it('stops before maxOffset and returns nothing at the log end', () => {
    const log = openLog(join(tempDir(), 't-0'))
    log.append(batchOf(5, 'a'))
    log.append(batchOf(5, 'b'))
    expect(decodeAll(log.read(0, 1 << 20, 5)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4])
    expect(log.read(10, 1 << 20)).toHaveLength(0)
    log.close()
  })

  it('rejects reads outside [logStartOffset, logEndOffset] with LOG_OFFSET_OUT_OF_RANGE', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    log.append(batchOf(5, 'a'))
    await expectCode(() => log.read(6, 100), 'LOG_OFFSET_OUT_OF_RANGE')
    await expectCode(() => log.read(-1, 100), 'LOG_OFFSET_OUT_OF_RANGE')
    log.close()
  })

  it('rolls segments by segment.bytes and reads across them', () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir, { segmentBytes: 2048, indexIntervalBytes: 256 })
    for (let i = 0; i < 100; i++) log.append(batchOf(4, `b${i}`))
    expect(log.segmentCount).toBeGreaterThan(5)
    const logs = readdirSync(dir).filter((n) => n.endsWith('.log'))
    expect(logs.length).toBe(log.segmentCount)
    expect(logs.every((n) => /^\d{20}\.log$/.test(n))).toBe(true)
    const records = readAll(log)
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 400 }, (_, i) => i))
    for (const info of log.segmentInfos()) expect(info.sizeBytes).toBeLessThanOrEqual(2048)
    log.close()
  })

  it('rolls by segment.ms measured from the first batch timestamp', () => {
    const clock = new ManualClock(1_000_000)
    const log = openLog(join(tempDir(), 't-0'), { segmentMs: 1000 }, { clock })
    log.append(batchOf(1, 'a', 1_000_000))
    log.append(batchOf(1, 'b', 1_000_500))
    expect(log.segmentCount).toBe(1)
    log.append(batchOf(1, 'c', 1_001_001))
    expect(log.segmentCount).toBe(2)
    log.close()
  })

  it('rejects a batch over max.message.bytes with LOG_RECORD_TOO_LARGE and appends nothing', async () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir, { maxMessageBytes: 200 })
    log.append(batchOfValues(['small']))
    const size = log.sizeBytes
    const big = Buffer.concat([batchOfValues(['x']), batchOfValues(['y'.repeat(500)])])
    await expectCode(() => log.append(big), 'LOG_RECORD_TOO_LARGE')
    expect(log.sizeBytes).toBe(size)
    expect(log.logEndOffset).toBe(1)
    log.close()
  })

  it('rejects a batch whose CRC does not match with LOG_CORRUPT_BATCH and appends nothing', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    const bad = batchOf(3, 'a')
    bad.writeUInt8((bad.at(-1) as number) ^ 0xff, bad.length - 1)
    await expectCode(() => log.append(bad), 'LOG_CORRUPT_BATCH')
    expect(log.logEndOffset).toBe(0)
    expect(log.sizeBytes).toBe(0)
    log.close()
  })

  it('stamps LogAppendTime batches with the broker clock', () => {
    const clock = new ManualClock(5_000_000)
    const log = openLog(join(tempDir(), 't-0'), { messageTimestampType: 'LogAppendTime' }, { clock })
    const r = log.append(batchOf(2, 'a', 42))
    expect(r.logAppendTimeMs).toBe(5_000_000)
    expect(readAll(log).map((x) => x.timestampMs)).toEqual([5_000_000, 5_000_000])
    log.close()
  })

  it('reopens after a clean close with the same offsets and records', () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir, { segmentBytes: 4096, indexIntervalBytes: 128 })
    for (let i = 0; i < 50; i++) log.append(batchOf(3, `b${i}`))
    const before = readAll(log)
    log.close()
    const again = openLog(dir, { segmentBytes: 4096, indexIntervalBytes: 128 }, { cleanShutdown: true, recoveryPoint: 150 })
    expect(again.recoveryReport.scannedSegments).toBe(0)
    expect(again.logEndOffset).toBe(150)
    expect(readAll(again)).toEqual(before)
    again.append(batchOf(1, 'after'))
    expect(again.logEndOffset).toBe(151)
    again.close()
  })

  it('rebuilds deleted or garbled index files and reads identically', () => {
    const dir = join(tempDir(), 't-0')
    const cfg = { segmentBytes: 4096, indexIntervalBytes: 100 }
    const log = openLog(dir, cfg)
    for (let i = 0; i < 200; i++) log.append(batchOf(2, `b${i}`))
    const before = readAll(log)
    log.close()
    const names = readdirSync(dir)
    const indexes = names.filter((n) => n.endsWith('.index')).sort()
    const timeIndexes = names.filter((n) => n.endsWith('.timeindex')).sort()
    rmSync(join(dir, indexes[0] as string))
    rmSync(join(dir, timeIndexes[1] as string))
    // Garble one index with plausible but wrong entries (increasing, inside the segment).
    const garbled = Buffer.alloc(16)
    garbled.writeInt32BE(1, 0)
    garbled.writeInt32BE(7, 4)
    garbled.writeInt32BE(2, 8)
    garbled.writeInt32BE(13, 12)
    writeFileSync(join(dir, indexes[2] as string), garbled)
    const again = openLog(dir, cfg, { cleanShutdown: true, recoveryPoint: 400 })
    expect(readAll(again)).toEqual(before)
    for (let o = 0; o < 400; o += 7) expect(decodeAll(again.read(o, 1)).some((r) => r.offset === o)).toBe(true)
    again.close()
    expect(existsSync(join(dir, indexes[0] as string))).toBe(true)
  })

  it('truncates to the start of the batch containing the target offset', () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir, { segmentBytes: 1024 })
    for (let i = 0; i < 30; i++) log.append(batchOf(3, `b${i}`))
    expect(log.truncateTo(40)).toBe(39)
    expect(readAll(log).map((r) => r.offset)).toEqual(Array.from({ length: 39 }, (_, i) => i))
    expect(log.append(batchOf(1, 'n')).baseOffset).toBe(39)
    expect(log.truncateTo(0)).toBe(0)
    expect(readAll(log)).toEqual([])
    log.close()
  })

  it('deletes the oldest segments and advances the log start offset', async () => {
    const log = openLog(join(tempDir(), 't-0'), { segmentBytes: 1024 })
    for (let i = 0; i < 30; i++) log.append(batchOf(3, `b${i}`))
    const infos = log.segmentInfos()
    expect(log.deleteOldestSegments(2)).toBe(2)
    expect(log.logStartOffset).toBe(infos[2]?.baseOffset)
    await expectCode(() => log.read(0, 100), 'LOG_OFFSET_OUT_OF_RANGE')
    expect(readAll(log)[0]?.offset).toBe(infos[2]?.baseOffset)
    log.advanceLogStartOffset(70)
    expect(log.logStartOffset).toBe(70)
    expect(readAll(log, 70)[0]?.offset).toBe(70)
    log.close()
  })

  it('finds the first batch at or after a timestamp', () => {
    const log = openLog(join(tempDir(), 't-0'), { segmentBytes: 2048, indexIntervalBytes: 64 })
    for (let i = 0; i < 40; i++) log.append(batchOf(2, `b${i}`, 10_000 + i * 100))
    const bytes = log.readFirstBatchAtOrAfterTimestamp(10_000 + 17 * 100 + 50)
    const batch = [...iterateBatches(bytes as Uint8Array)][0]
    expect(batch?.baseOffset).toBe(36)
    expect(log.readFirstBatchAtOrAfterTimestamp(99_999_999)).toBeUndefined()
    log.close()
  })

  it('shares one fsync among concurrent durable appends (group commit)', async () => {
    const counting = new SyncCountingIO()
    const log = openLog(join(tempDir(), 't-0'), {}, { io: counting })
    const waits: Promise<number>[] = []
    for (let i = 0; i < 50; i++) {
      log.append(batchOf(2, `b${i}`))
      waits.push(log.flush())
    }
    const durable = await Promise.all(waits)
    expect(durable.every((d) => d >= 2)).toBe(true)
    expect(log.recoveryPoint).toBe(100)
    // One in flight for the first caller, one more covering everyone who came while it ran.
    expect(counting.logSyncs).toBeLessThanOrEqual(2)
    log.close()
  })

  it('lets retention delete a segment whose group-commit fsync is still in flight', async () => {
    for (let round = 0; round < 20; round++) {
      const log = openLog(join(tempDir(), 't-0'), { segmentBytes: 1024 })
      const pending: Promise<number>[] = []
      for (let i = 0; i < 12; i++) {
        log.append(batchOf(3, `b${i}`))
        pending.push(log.flush())
        log.roll()
        log.deleteOldestSegments(1)
      }
      await Promise.all(pending)
      expect(log.failedWith).toBeUndefined()
      expect(log.recoveryPoint).toBe(36)
      log.close()
    }
  })

  it('recovers after an unclean shutdown by truncating a torn tail and reports it', () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir)
    log.append(batchOf(3, 'a'))
    const firstBatchBytes = log.sizeBytes
    log.append(batchOf(3, 'b'))
    const file = join(dir, '00000000000000000000.log')
    // Simulate a crash: no clean close; tear the last batch by cutting 10 bytes.
    const full = readFileSync(file)
    writeFileSync(file, full.subarray(0, full.length - 10))
    const again = openLog(dir, {}, { recoveryPoint: 0 })
    expect(again.logEndOffset).toBe(3)
    expect(again.recoveryReport.truncatedBytes).toBeGreaterThan(0)
    expect(again.recoveryReport.truncatedAt?.position).toBe(firstBatchBytes)
    expect(readFileSync(file).length).toBe(firstBatchBytes)
    expect(readAll(again).map((r) => r.value)).toEqual(['a:0', 'a:1', 'a:2'])
    again.close()
  })

  it('keeps the log start at or below the log end when truncation drops the batch holding it', () => {
    // Regression (fast-check counterexample [append(2), advanceStart(0.50), truncate(0.00)]).
    const log = openLog(join(tempDir(), 't-0'))
    log.append(batchOf(2, 'a'))
    log.advanceLogStartOffset(1)
    expect(log.truncateTo(1)).toBe(0)
    expect(log.logStartOffset).toBe(0)
    expect(log.append(batchOf(1, 'b')).baseOffset).toBe(0)
    log.close()
  })

  it('reports corruption below the recovery point as LOG_CORRUPT_SEGMENT with file and position', async () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir)
    log.append(batchOf(3, 'a'))
    const secondAt = log.sizeBytes
    log.append(batchOf(3, 'b'))
    log.append(batchOf(3, 'c'))
    const file = join(dir, '00000000000000000000.log')
    const bytes = readFileSync(file)
    bytes.writeUInt8((bytes[secondAt + 70] as number) ^ 0x10, secondAt + 70)
    writeFileSync(file, bytes)
    try {
      openLog(dir, {}, { recoveryPoint: 9 })
      throw new Error('expected LOG_CORRUPT_SEGMENT')
    } catch (err) {
      const e = err as { code: string; details: Record<string, unknown> }
      expect(e.code).toBe('LOG_CORRUPT_SEGMENT')
      expect(e.details.file).toBe(file)
      expect(e.details.position).toBe(secondAt)
      expect(e.details.offset).toBe(3)
    }
  })
})

describe('PartitionLog segment deletion', () => {
  it('renames deleted segments out of the log at once and unlinks them in the background', async () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir, { segmentBytes: 1024 })
    for (let i = 0; i < 30; i++) log.append(batchOf(3, `b${i}`))
    const before = readdirSync(dir).filter((n) => n.endsWith('.log')).length
    log.deleteOldestSegments(2)
    const logsNow = readdirSync(dir).filter((n) => n.endsWith('.log'))
    expect(logsNow).toHaveLength(before - 2)
    await eventually(() => !readdirSync(dir).some((n) => n.endsWith('.deleted')), 5000, 'background unlink')
    log.close()
  })

  it('removes .deleted leftovers of a crash when it opens', () => {
    const dir = join(tempDir(), 't-0')
    const log = openLog(dir, { segmentBytes: 1024 })
    for (let i = 0; i < 10; i++) log.append(batchOf(3, `b${i}`))
    log.close()
    writeFileSync(join(dir, '00000000000000000000.log.deleted'), Buffer.alloc(100))
    writeFileSync(join(dir, '00000000000000000000.index.deleted'), Buffer.alloc(8))
    const again = openLog(dir, { segmentBytes: 1024 }, { cleanShutdown: true, recoveryPoint: 30 })
    expect(readdirSync(dir).some((n) => n.endsWith('.deleted'))).toBe(false)
    expect(again.recoveryReport.cleanedUpFiles).toEqual(
      expect.arrayContaining(['00000000000000000000.log.deleted', '00000000000000000000.index.deleted']),
    )
    again.close()
  })
})

describe('PartitionLog long poll', () => {
  it('wakes a waiter at the append that moves the log end past its offset, not before', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    log.append(batchOf(2, 'a'))
    await log.waitForAppend(1) // already past: resolves at once
    let woken = false
    const waiting = log.waitForAppend(4).then(() => {
      woken = true
    })
    log.append(batchOf(2, 'b')) // log end 4: offset 4 not there yet
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(woken).toBe(false)
    log.append(batchOf(1, 'c'))
    await waiting
    expect(woken).toBe(true)
    log.close()
  })

  it('rejects a waiting poll with LOG_ABORTED when its signal aborts and with LOG_CLOSED when the log closes', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    const controller = new AbortController()
    const aborted = log.waitForAppend(0, controller.signal)
    const closed = log.waitForAppend(0)
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'LOG_ABORTED' })
    log.close()
    await expect(closed).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    await expect(log.waitForAppend(0)).rejects.toMatchObject({ code: 'LOG_CLOSED' })
  })

  it('wakes every waiter whose offset an append passes, and only those', async () => {
    const log = openLog(join(tempDir(), 't-0'))
    const woken: number[] = []
    const polls = [0, 2, 5].map((o) => log.waitForAppend(o).then(() => woken.push(o)))
    log.append(batchOf(3, 'a'))
    await Promise.all(polls.slice(0, 2))
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(woken.sort()).toEqual([0, 2])
    log.append(batchOf(3, 'b'))
    await polls[2]
    expect(woken.sort()).toEqual([0, 2, 5])
    log.close()
  })
})
