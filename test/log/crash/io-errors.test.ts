/**
 * Disk full and I/O errors (reliability-anchor.md §3(f), "Disk full" and "fsync / fdatasync EIO";
 * §1.7 fsyncgate). A failed append is all-or-nothing: it throws `LOG_IO_ERROR` with the errno,
 * nothing of it is readable, and once space is back appends continue at the same offset. A failed
 * fsync is fatal for the partition: the durable append rejects, nothing more is accepted or
 * retried in place, and a reopen recovers a consistent log.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import type { PartitionLog } from '../../../src/log/storage/partition-log.js'
import { batchOf, batchOfValues, decodeAll } from '../../support/batches.js'
import {
  DATA_DIR,
  describeError,
  expectCode,
  Failures,
  newPartitionIO,
  openCrashLog,
  PARTITION_DIR,
  rejection,
  thrown,
} from './crash-support.js'

const LOG_PATH = join(PARTITION_DIR, '00000000000000000000.log')
const CONFIG = { segmentBytes: 1500, indexIntervalBytes: 64 }

async function logWithData(): Promise<{ io: FaultFileIO; log: PartitionLog }> {
  const io = newPartitionIO()
  const log = openCrashLog(io, { recoveryPoint: 0, cleanShutdown: false, config: CONFIG })
  for (let i = 0; i < 4; i++) log.append(batchOf(3, `pre${i}`))
  await log.flush()
  return { io, log }
}

/** Everything a reader sees, as bytes: must not change when an append fails. */
function visible(log: PartitionLog): Buffer {
  return Buffer.from(log.read(log.logStartOffset, 64 * 1024 * 1024))
}

/**
 * Reopens the kill -9 and the power-loss image unclean from `recoveryPoint`: each must open, with
 * contiguous offsets, starting with exactly the `durable` records.
 */
function reopenConsistent(io: FaultFileIO, recoveryPoint: number, durable: string[]): string | undefined {
  for (const [name, image] of [
    ['processCrash', io.processCrash()],
    ['drop-all-unsynced', io.powerLoss({ mode: 'drop-all-unsynced' })],
  ] as const) {
    const log = openCrashLog(image, { recoveryPoint, cleanShutdown: false, config: CONFIG })
    const records = decodeAll(log.read(0, 64 * 1024 * 1024))
    const values = records.map((r) => r.value)
    const offsets = records.map((r) => r.offset)
    log.close()
    if (offsets.some((o, i) => o !== i)) return `${name}: offsets not contiguous`
    if (JSON.stringify(values.slice(0, durable.length)) !== JSON.stringify(durable)) return `${name}: durable records changed or lost`
  }
  return undefined
}

describe('ENOSPC on append', () => {
  it('throws LOG_IO_ERROR with errno ENOSPC, shows nothing partial, and continues at the same offset once space is back', async () => {
    for (const partial of [false, true]) {
      const { io, log } = await logWithData()
      const end = log.logEndOffset
      const before = visible(log)
      const fileBefore = io.readFile(LOG_PATH).length
      const fault = io.failOn({ op: 'append', pathIncludes: '.log', code: 'ENOSPC', partial })
      const err = expectCode(thrown(() => log.append(batchOf(5, 'full'))), 'LOG_IO_ERROR', `partial ${partial}`)
      expect(err.details.errno).toBe('ENOSPC')
      expect(err.retriable).toBe(true)
      expect(fault.failureCount).toBe(1)
      expect(log.logEndOffset).toBe(end)
      expect(visible(log).equals(before)).toBe(true)
      expect(io.readFile(LOG_PATH).length).toBe(fileBefore)
      fault.cancel()
      expect(log.append(batchOf(2, 'after')).baseOffset).toBe(end)
      expect(decodeAll(log.read(end, 1 << 20)).map((r) => r.value)).toEqual(['after:0', 'after:1'])
      log.close()
    }
  })

  it('is all-or-nothing for every space limit across the bytes of an append (log data and index entries)', async () => {
    const failures = new Failures()
    let hits = 0
    // Sweep the free space from 0 to past what the append needs: the cut falls in the .log
    // write, then in the index entries written after it, then nowhere.
    const probe = await logWithData()
    const need = batchOf(12, 'big').length + 64
    probe.log.close()
    for (let free = 0; free <= need; free++) {
      await failures.checkAsync(`free space ${free} bytes`, async () => {
        const { io, log } = await logWithData()
        const end = log.logEndOffset
        const before = visible(log)
        const durable = decodeAll(before).map((r) => String(r.value))
        io.setSpaceLimitBytes(io.usedBytes + free)
        const err = thrown(() => log.append(batchOf(12, 'big')))
        if (err !== undefined) {
          hits++
          expectCode(err, 'LOG_IO_ERROR')
          if ((err as { details: { errno?: string } }).details.errno !== 'ENOSPC') return `errno ${String((err as { details: { errno?: string } }).details.errno)}`
          if (log.logEndOffset !== end) return `log end moved to ${log.logEndOffset}`
          if (!visible(log).equals(before)) return 'a partial append is visible'
          io.setSpaceLimitBytes(undefined)
          const next = log.append(batchOf(1, 'next')).baseOffset
          if (next !== end) return `next append got ${next}, expected ${end}`
        } else {
          io.setSpaceLimitBytes(undefined)
        }
        await log.flush()
        log.close()
        return reopenConsistent(io, 0, durable)
      })
    }
    failures.expectNone()
    expect(hits).toBeGreaterThan(need - 70)
  })

  it('fails the partition when even the rollback of a failed append fails, and recovery then cuts the partial batch', async () => {
    const { io, log } = await logWithData()
    const end = log.logEndOffset
    const durable = decodeAll(visible(log)).map((r) => String(r.value))
    io.failOn({ op: 'append', pathIncludes: '.log', code: 'ENOSPC', partial: true })
    io.failOn({ op: 'truncate', pathIncludes: '.log', code: 'EIO' })
    expectCode(thrown(() => log.append(batchOf(9, 'torn'))), 'LOG_IO_ERROR')
    expect(log.failedWith?.code).toBe('LOG_IO_ERROR')
    expectCode(thrown(() => log.append(batchOf(1, 'refused'))), 'LOG_IO_ERROR')
    const image = io.processCrash()
    const again = openCrashLog(image, { recoveryPoint: end, cleanShutdown: false, config: CONFIG })
    expect(again.logEndOffset).toBe(end)
    expect(decodeAll(visible(again)).map((r) => String(r.value))).toEqual(durable)
    again.close()
  })
})

describe('EIO on fsync (fsyncgate)', () => {
  it('rejects the durable append with LOG_IO_ERROR, refuses further appends without retrying the fsync, and reopens consistent', async () => {
    const { io, log } = await logWithData()
    const durableEnd = log.recoveryPoint
    const durable = decodeAll(visible(log)).map((r) => String(r.value))
    // A transient fault: a retried fsync would succeed — which is exactly what must not happen.
    const fault = io.failOn({ op: 'sync', code: 'EIO', times: 1 })
    log.append(batchOf(4, 'lost?'))
    const err = expectCode(await rejection(log.flush()), 'LOG_IO_ERROR')
    expect(err.details.errno).toBe('EIO')
    expect(log.recoveryPoint).toBe(durableEnd)
    const operations = io.operationCount
    expectCode(thrown(() => log.append(batchOf(1, 'refused'))), 'LOG_IO_ERROR')
    expectCode(await rejection(log.flush()), 'LOG_IO_ERROR')
    expectCode(thrown(() => log.roll()), 'LOG_IO_ERROR')
    expect(io.operationCount, 'no write and no fsync after a failed fsync').toBe(operations)
    expect(fault.failureCount).toBe(1)
    // Reads of what is there keep working; the partition is failed, not the process.
    expect(decodeAll(log.read(0, 1 << 20)).length).toBeGreaterThanOrEqual(durable.length)
    expect(reopenConsistent(io, durableEnd, durable)).toBeUndefined()
  })

  it('fails only the partition whose fsync failed on the broker, and the broker reopens with every acked record', async () => {
    const io = new FaultFileIO()
    const broker = await Broker.open({ dataDir: DATA_DIR, io: io, clock: new ManualClock() })
    broker.createTopic({ topic: 't', partitions: 2 })
    const bad = { topic: 't', partition: 0 }
    const good = { topic: 't', partition: 1 }
    await broker.appendDurable(bad, batchOfValues(['a0', 'a1']))
    await broker.appendDurable(good, batchOfValues(['g0']))
    io.failOn({ op: 'sync', pathIncludes: 't-0', code: 'EIO' })
    const err = expectCode(await rejection(broker.appendDurable(bad, batchOfValues(['a2']))), 'LOG_IO_ERROR')
    expect(err.details.errno).toBe('EIO')
    expectCode(thrown(() => broker.append(bad, batchOfValues(['a3']))), 'LOG_IO_ERROR')
    expect(broker.describeTopic('t').partitions[0]?.error?.code).toBe('LOG_IO_ERROR')
    expect((await broker.appendDurable(good, batchOfValues(['g1']))).baseOffset).toBe(1)
    for (const image of [io.processCrash(), io.powerLoss({ mode: 'drop-all-unsynced' })]) {
      const again = await Broker.open({ dataDir: DATA_DIR, io: image, clock: new ManualClock() })
      expect(describeError(thrown(() => again.partitionLog(bad)))).toBe('no error')
      const values = decodeAll(again.read(bad, 0, 1 << 20)).map((r) => r.value)
      expect(values.slice(0, 2)).toEqual(['a0', 'a1'])
      expect(values.length === 2 || (values.length === 3 && values[2] === 'a2')).toBe(true)
      expect(decodeAll(again.read(good, 0, 1 << 20)).map((r) => r.value)).toEqual(['g0', 'g1'])
      await again.close()
    }
  })
})
