import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { PartitionLog, type PartitionLogConfig } from '../../../src/log/storage/partition-log.js'
import { cleanLog } from '../../../src/log/cleaner/log-cleaner.js'
import { KeyOffsetMap } from '../../../src/log/cleaner/key-offset-map.js'
import { encodeControlBatch } from '../../../src/log/record/control-record.js'
import type { DecodedRecord } from '../../support/batches.js'
import { expectCode, keyedBatch, lastValues, readAllRecords, type KeyValue } from '../../support/compacted-log.js'

const T0 = 1_700_000_000_000
const DIR = '/data/t-0'

const LOG_CONFIG: PartitionLogConfig = {
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 86_400_000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 100,
  maxMessageBytes: 1024 * 1024,
  messageTimestampType: 'CreateTime',
  flushMessages: Number.MAX_SAFE_INTEGER,
}

function openLog(io: FaultFileIO, recovery: { cleanShutdown: boolean; recoveryPoint: number }): PartitionLog {
  return PartitionLog.open({
    io,
    dir: DIR,
    topic: 't',
    partition: 0,
    config: LOG_CONFIG,
    clock: new ManualClock(T0),
    ...recovery,
  })
}

const SEGMENTS: readonly (readonly KeyValue[])[] = [
  [
    ['a', 'a1'],
    ['b', 'b1'],
    ['c', 'c1'],
  ],
  [
    ['a', 'a2'],
    [null, 'no-key'],
    ['d', 'd1'],
  ],
  [
    ['b', null],
    ['a', 'a3'],
  ],
  [
    ['e', 'e1'],
    ['c', 'c2'],
    ['d', null],
  ],
]

interface Fixture {
  io: FaultFileIO
  log: PartitionLog
}

/**
 * A compacted log whose data is all durable (closed cleanly, reopened): four inactive segments
 * with overwrites, tombstones, a null key and a transaction marker, then an active segment.
 */
function fixture(): Fixture {
  const io = new FaultFileIO()
  const log = openLog(io, { cleanShutdown: false, recoveryPoint: 0 })
  // The partition directory itself must survive a power loss (the broker syncs the data dir).
  io.syncDir('/data')
  io.syncDir('/')
  SEGMENTS.forEach((entries, i) => {
    log.append(keyedBatch(entries, T0 + i * 10))
    if (i === 1) log.append(encodeControlBatch({ type: 'COMMIT', producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestampMs: T0 }))
    log.roll()
  })
  log.append(keyedBatch([['a', 'active']], T0 + 100))
  const logEnd = log.logEndOffset
  log.close()
  return { io, log: openLog(io, { cleanShutdown: true, recoveryPoint: logEnd }) }
}

/** One cleaning round; `segmentBytes` small enough splits it into one group per segment. */
function clean(log: PartitionLog, segmentBytes: number): ReturnType<typeof cleanLog> {
  return cleanLog(log, {
    config: { segmentBytes, segmentIndexBytes: 10 * 1024 * 1024, minCompactionLagMs: 0, deleteRetentionMs: 86_400_000 },
    checkpointOffset: undefined,
    nowMs: T0 + 1000,
    offsetMap: new KeyOffsetMap(1 << 20),
  })
}

interface Reference {
  pre: DecodedRecord[]
  post: DecodedRecord[]
  logEnd: number
  operations: number
}

async function reference(segmentBytes: number): Promise<Reference> {
  const { io, log } = fixture()
  const pre = readAllRecords(log)
  const start = io.operationCount
  const result = await clean(log, segmentBytes)
  expect(result.outcome).toBe('cleaned')
  const post = readAllRecords(log)
  expect(post.length).toBeLessThan(pre.length)
  return { pre, post, logEnd: log.logEndOffset, operations: io.operationCount - start }
}

/** Runs the round on a fresh fixture, crashing at its n-th file operation; returns the dead instance. */
async function crashedRound(n: number, segmentBytes: number): Promise<FaultFileIO> {
  const { io, log } = fixture()
  io.crashAtOperation(io.operationCount + n)
  try {
    await clean(log, segmentBytes)
  } catch {
    // The simulated crash (ECRASHED, or LOG_IO_ERROR wrapping it): the process is dead now.
  }
  expect(io.isCrashed).toBe(true)
  return io
}

/** Reopens an image after a crash and checks the log is whole and readable at every offset. */
function recover(image: FaultFileIO, ref: Reference, recoveryPoint = ref.logEnd): DecodedRecord[] {
  const log = openLog(image, { cleanShutdown: false, recoveryPoint })
  try {
    expect(log.logEndOffset).toBe(ref.logEnd)
    const records = readAllRecords(log)
    const offsets = records.map((r) => r.offset)
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets)
    expect(new Set(offsets).size).toBe(offsets.length)
    // Segments follow each other without overlap (no orphaned or duplicated segment).
    const infos = log.segmentInfos()
    for (let i = 1; i < infos.length; i++) expect(infos[i]?.baseOffset).toBeGreaterThanOrEqual(infos[i - 1]?.nextOffset ?? 0)
    // Every offset, removed or not, reads from the next surviving record (indexes are right).
    for (let o = 0; o < ref.logEnd; o += 1) expect(readAllRecords(log, o)[0]).toEqual(records.find((r) => r.offset >= o))
    expect(image.listAll().some((p) => p.endsWith('.cleaned') || p.endsWith('.swap') || p.endsWith('.deleted'))).toBe(false)
    expect(log.append(keyedBatch([['z', 'after']])).baseOffset).toBe(ref.logEnd)
    return records
  } finally {
    log.close()
  }
}

describe('log cleaner crash safety', () => {
  it('leaves exactly the pre-clean or the post-clean log after a crash at any file operation of a round (one group)', async () => {
    const ref = await reference(1024 * 1024)
    expect(ref.operations).toBeGreaterThan(15)
    let sawPre = false
    let sawPost = false
    for (let n = 1; n <= ref.operations; n++) {
      const crashed = await crashedRound(n, 1024 * 1024)
      const images = [crashed.processCrash(), crashed.powerLoss(), crashed.powerLoss({ seed: n }), crashed.powerLoss({ seed: n + 1000 })]
      // Also without a recovery-point checkpoint: every segment, the swapped one too, is scanned.
      images.push(crashed.powerLoss({ seed: n + 2000 }))
      for (const [i, image] of images.entries()) {
        const records = recover(image, ref, i === images.length - 1 ? 0 : ref.logEnd)
        const isPre = JSON.stringify(records) === JSON.stringify(ref.pre)
        const isPost = JSON.stringify(records) === JSON.stringify(ref.post)
        expect(isPre || isPost, `crash at operation ${n}`).toBe(true)
        sawPre ||= isPre
        sawPost ||= isPost
      }
    }
    expect(sawPre && sawPost).toBe(true)
  })

  it('recovers the same way when the recovery itself crashes at any file operation', async () => {
    const ref = await reference(1024 * 1024)
    // Crash points around the swap: the last operations of the round.
    for (let n = Math.max(1, ref.operations - 14); n <= ref.operations; n++) {
      const afterRound = (await crashedRound(n, 1024 * 1024)).powerLoss()
      for (let m = 1; ; m++) {
        const attempt = afterRound.powerLoss() // a fresh copy of the same image
        attempt.crashAtOperation(m)
        let finished = false
        try {
          openLog(attempt, { cleanShutdown: false, recoveryPoint: ref.logEnd }).close()
          finished = true
        } catch {
          // Recovery crashed at its m-th operation.
        }
        if (finished) break
        for (const image of [attempt.processCrash(), attempt.powerLoss({ seed: m })]) {
          const records = JSON.stringify(recover(image, ref))
          expect([JSON.stringify(ref.pre), JSON.stringify(ref.post)], `crash at ${n}, then at ${m}`).toContain(records)
        }
      }
    }
  })

  it('keeps every latest value and duplicates nothing after a crash in a round of several groups', async () => {
    const ref = await reference(120)
    const latest = lastValues(ref.pre)
    const preByOffset = new Map(ref.pre.map((r) => [r.offset, JSON.stringify(r)]))
    for (let n = 1; n <= ref.operations; n++) {
      const crashed = await crashedRound(n, 120)
      for (const image of [crashed.processCrash(), crashed.powerLoss({ seed: n })]) {
        const records = recover(image, ref)
        // A subset of the original records, unchanged, that still holds everything a full round keeps
        // and the latest value of every key.
        for (const r of records) expect(preByOffset.get(r.offset)).toBe(JSON.stringify(r))
        const offsets = new Set(records.map((r) => r.offset))
        for (const r of ref.post) expect(offsets.has(r.offset), `crash at ${n}: lost offset ${r.offset}`).toBe(true)
        expect(lastValues(records)).toEqual(latest)
      }
    }
  })

  describe('failures', () => {
    it('reports ENOSPC while writing its output as LOG_IO_ERROR (retriable), leaving the log unchanged and writable', async () => {
      const { io, log } = fixture()
      const pre = readAllRecords(log)
      io.setSpaceLimitBytes(io.usedBytes + 100)
      let caught: unknown
      await clean(log, 1024 * 1024).catch((err: unknown) => (caught = err))
      await expectCode(() => Promise.reject(caught), 'LOG_IO_ERROR')
      expect((caught as { retriable: boolean }).retriable).toBe(true)
      io.setSpaceLimitBytes(undefined)
      expect(log.failedWith).toBeUndefined()
      expect(readAllRecords(log)).toEqual(pre)
      expect(io.listAll().some((p) => p.endsWith('.cleaned'))).toBe(false)
      expect(log.append(keyedBatch([['z', '1']])).baseOffset).toBe(log.logEndOffset - 1)
      log.close()
    })

    it('fails the log with LOG_IO_ERROR when a swap step fails; reopening yields the pre- or post-clean log', async () => {
      const ref = await reference(1024 * 1024)
      for (const rule of [
        { op: 'rename', pathIncludes: '.log.swap' },
        { op: 'remove', pathIncludes: '00000000000000000007.log' },
        { op: 'syncDir' },
      ] as const) {
        const { io, log } = fixture()
        io.failOn({ ...rule, code: 'EIO', afterCount: rule.op === 'syncDir' ? 2 : 0, times: 1 })
        const outcome = await clean(log, 1024 * 1024).then((r) => r.outcome, (e: unknown) => (e as { code?: string }).code)
        expect(outcome, JSON.stringify(rule)).toBe('LOG_IO_ERROR')
        expect(log.failedWith?.code).toBe('LOG_IO_ERROR')
        await expectCode(() => log.append(keyedBatch([['z', '1']])), 'LOG_IO_ERROR')
        const records = JSON.stringify(recover(io.processCrash(), ref))
        expect([JSON.stringify(ref.pre), JSON.stringify(ref.post)]).toContain(records)
      }
    })

    it('rejects a round over a corrupt batch with LOG_CORRUPT_BATCH and swaps nothing', async () => {
      const { io, log } = fixture()
      log.close()
      // Damage the transaction marker batch (the last bytes of segment 3): the cleaner checks it too.
      const path = `${DIR}/00000000000000000003.log`
      io.flipBit(path, io.readFile(path).length - 3, 0)
      const again = openLog(io, { cleanShutdown: true, recoveryPoint: 13 })
      const files = io.listAll()
      await expectCode(() => clean(again, 1024 * 1024), 'LOG_CORRUPT_BATCH')
      expect(again.failedWith).toBeUndefined()
      expect(io.listAll()).toEqual(files)
      expect(again.segmentCount).toBe(5)
      again.close()
    })
  })
})
