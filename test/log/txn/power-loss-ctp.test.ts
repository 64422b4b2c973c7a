/**
 * Exactly-once under power loss (issue 4): the consume–transform–produce loop of the kill -9 test
 * runs in-process on a FaultFileIO and the power is cut again and again — after a random number
 * of file operations, and at the phases of a commit (before PrepareCommit, between markers,
 * before CompleteCommit). Each cut keeps only what was fsynced (the deterministic worst case, or
 * a seeded random mix of kept/dropped/torn unsynced writes). The next run starts on that image.
 * Every commit that was acknowledged must survive; the end state must hold every input exactly
 * once, and the history must check clean.
 */
import { describe, expect, it } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO, type PowerLossOptions } from '../../../src/log/storage/fault-file-io.js'
import { crashPointIO, type CrashPoint } from '../../support/crash-point-io.js'
import { eventually } from '../../support/eventually.js'
import type { HistoryEvent } from '../../support/txn-history.js'
import { DATA_DIR, NIGHTLY } from '../crash/crash-support.js'
import { runCtp, setUpCtp } from './ctp-loop.js'
import { expectExactlyOnce } from './ctp-check.js'

const PER_PARTITION = 2000
const CUTS = 36
const PHASE_POINTS: CrashPoint[] = [
  { at: 'state', state: 'PrepareCommit', when: 'before', occurrence: 2 },
  { at: 'marker', when: 'after', occurrence: 1 },
  { at: 'marker', when: 'after', occurrence: 4 },
  { at: 'state', state: 'CompleteCommit', when: 'before', occurrence: 2 },
  { at: 'state', state: 'CompleteCommit', when: 'after', occurrence: 3 },
  { at: 'state', state: 'Ongoing', when: 'after', occurrence: 3 },
]

/** Workloads differ in where the random cuts fall and in the images' seeds; more at nightly scale. */
const WORKLOADS = NIGHTLY ? 40 : 3

function imageOptions(workload: number, cut: number): PowerLossOptions {
  return cut % 2 === 0 ? { mode: 'drop-all-unsynced' } : { seed: workload * 1_000 + cut, sectorBytes: cut % 4 === 1 ? 4096 : 512 }
}

describe('exactly-once consume–transform–produce under power loss', () => {
  it.each(Array.from({ length: WORKLOADS }, (_, i) => i + 1))(`workload %i: keeps every acknowledged commit and processes every input exactly once over ${CUTS} power cuts`, async (workload) => {
    let io = new FaultFileIO({ seed: workload })
    {
      const broker = await Broker.open({ dataDir: DATA_DIR, io, clock: new ManualClock() })
      await setUpCtp(broker, PER_PARTITION)
      await broker.close()
    }
    const events: HistoryEvent[] = []
    let phaseCuts = 0
    for (let cut = 0; cut < CUTS; cut++) {
      const running = io
      const point = cut % 3 === 1 ? PHASE_POINTS[((cut - 1) / 3) % PHASE_POINTS.length] : undefined
      let image: FaultFileIO | undefined
      const options = imageOptions(workload, cut)
      const brokerIO =
        point === undefined
          ? running
          : crashPointIO(running, point, () => {
              image = running.powerLoss(options)
              phaseCuts++
              throw new Error('power cut')
            })
      const life = async (): Promise<'done' | 'stopped'> => {
        // A cut can land in the recovery at open (completing the previous life's prepared commit).
        const broker = await Broker.open({ dataDir: DATA_DIR, io: brokerIO, clock: new ManualClock() })
        // Random cuts: a deterministic spread of operation counts after the broker opened.
        if (point === undefined) running.crashAtOperation(running.operationCount + 20 + ((cut * 97 + workload * 211) % 600))
        return runCtp(broker, {
          runId: `w${workload}c${cut}`,
          // The power is out: nothing after the cut happened (an ack resolving now came too late).
          emit: (event) => {
            if (!running.isCrashed) events.push(event)
          },
          maxRecordsPerTxn: 9,
          abortEvery: 4,
        })
      }
      const work = life()
      // A dead process's promises may never settle: wait for the death, not for the loop.
      work.catch(() => undefined)
      const finished = await Promise.race([work.then(() => true, () => false), eventually(() => running.isCrashed, 30_000, `cut ${cut}`).then(() => false)])
      expect(finished && !running.isCrashed, `cut ${cut} finished the job before its power cut`).toBe(false)
      if (point !== undefined) expect(image, `cut ${cut}: the process died elsewhere than at its crash point`).toBeDefined()
      io = image ?? running.powerLoss(options)
    }
    expect(phaseCuts).toBeGreaterThanOrEqual(10)

    const broker = await Broker.open({ dataDir: DATA_DIR, io, clock: new ManualClock() })
    try {
      expect(await runCtp(broker, { runId: 'final', emit: (e) => events.push(e), maxRecordsPerTxn: 9, abortEvery: 4 })).toBe('done')
      await expectExactlyOnce(broker, events, PER_PARTITION)
      // Not vacuous: acknowledged commits were made before cuts, and commits were cut in doubt.
      const acked = events.filter((e) => e.type === 'committed' && !e.txn.startsWith('final')).length
      const requested = new Set(events.filter((e) => e.type === 'commit-requested').map((e) => e.txn))
      for (const e of events) if (e.type === 'committed') requested.delete(e.txn)
      expect(acked).toBeGreaterThan(CUTS)
      expect(requested.size).toBeGreaterThanOrEqual(5)
    } finally {
      await broker.close()
    }
  }, 120_000)
})
