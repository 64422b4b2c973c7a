/**
 * Exactly-once under kill -9 (issue 4): a consume–transform–produce loop in a child process is
 * SIGKILLed again and again — at random moments, and at the phases of a commit (before and after
 * PrepareCommit, between markers, before CompleteCommit). Each restart re-initialises the
 * transactional id (completing or aborting what the dead instance left) and carries on from the
 * committed offsets. At the end a read_committed scan must hold every input transformed exactly
 * once, in input order per partition, the group's committed offsets at the input's end, and the
 * whole history (the children's writes, commits and verifier polls) must check clean.
 */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Broker } from '../../../src/log/broker.js'
import { describeCrashPoint, type CrashPoint } from '../../support/crash-point-io.js'
import { tempDir } from '../../support/temp-dir.js'
import { parseHistoryLine, type HistoryEvent } from '../../support/txn-history.js'
import { CTP, setUpCtp } from './ctp-loop.js'
import { expectExactlyOnce } from './ctp-check.js'

const CHILD = fileURLToPath(new URL('./kill9-ctp-child.ts', import.meta.url))
const PER_PARTITION = 1500
const RANDOM_KILLS = 22
const PHASE_POINTS: CrashPoint[] = [1, 2, 3].flatMap((occurrence): CrashPoint[] => [
  { at: 'state', state: 'PrepareCommit', when: 'before', occurrence },
  { at: 'state', state: 'PrepareCommit', when: 'after', occurrence },
  { at: 'marker', when: 'after', occurrence },
  { at: 'state', state: 'CompleteCommit', when: 'before', occurrence },
])

interface RunResult {
  events: HistoryEvent[]
  killed: boolean
  done: boolean
}

/**
 * Runs the child; SIGKILLs it after `killAfterEvents` history events (undefined: never). A child
 * with a crash point kills itself.
 */
function run(dataDir: string, runId: string, options: { killAfterEvents?: number; point?: CrashPoint }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', CHILD, dataDir, runId, options.point === undefined ? '-' : JSON.stringify(options.point)]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const events: HistoryEvent[] = []
    let done = false
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      if (line === 'done') done = true
      const event = parseHistoryLine(line)
      if (event === undefined) return
      events.push(event)
      if (events.length === options.killAfterEvents) child.kill('SIGKILL')
    })
    // Judged once the child exited and readline delivered every line it read ('close').
    const closed = new Promise<void>((r) => lines.once('close', r))
    child.on('exit', (code, signal) => {
      void closed.then(() => {
        if (signal === 'SIGKILL') resolve({ events, killed: true, done })
        else if (code === 0) resolve({ events, killed: false, done })
        else reject(new Error(`child ${runId} exited with ${code}: ${stderr}`))
      })
    })
  })
}

describe('exactly-once consume–transform–produce under kill -9', () => {
  it(`processes every input exactly once over ${RANDOM_KILLS + PHASE_POINTS.length} kills, ${PHASE_POINTS.length} of them inside commits`, async () => {
    const dataDir = join(tempDir(), 'data')
    {
      const broker = await Broker.open({ dataDir })
      await setUpCtp(broker, PER_PARTITION)
      await broker.close()
    }
    const events: HistoryEvent[] = []
    let kills = 0
    const schedule: Array<{ killAfterEvents?: number; point?: CrashPoint }> = []
    // Interleaved: random kills (early, mid and late in a run — a deterministic spread) and
    // phase points.
    for (let i = 0; i < RANDOM_KILLS + PHASE_POINTS.length; i++) {
      const point = i % 3 === 2 ? PHASE_POINTS[(i - 2) / 3] : undefined
      schedule.push(point !== undefined ? { point } : { killAfterEvents: 3 + ((i * 53) % 140) })
    }
    for (const [i, s] of schedule.entries()) {
      const result = await run(dataDir, `r${i}`, s)
      events.push(...result.events)
      expect(result.done, `run ${i} finished the job before its kill`).toBe(false)
      expect(result.killed, `run ${i} (${s.point ? describeCrashPoint(s.point) : 'random'}) was not killed`).toBe(true)
      kills++
    }
    const last = await run(dataDir, 'final', {})
    events.push(...last.events)
    expect(last.done).toBe(true)

    const broker = await Broker.open({ dataDir })
    try {
      await expectExactlyOnce(broker, events, PER_PARTITION)
      for (let partition = 0; partition < CTP.partitions; partition++) {
        const tp = { topic: CTP.output, partition }
        expect(broker.lastStableOffset(tp)).toBe(broker.offsets(tp).logEndOffset)
      }
      expect(broker.transactionCoordinator().describe(CTP.transactionalId)?.state).toMatch(/^Complete(Commit|Abort)$/)
      // Not vacuous: kills landed inside commits, and aborts happened.
      const requested = new Set(events.filter((e) => e.type === 'commit-requested').map((e) => e.txn))
      const acked = new Set(events.filter((e) => e.type === 'committed').map((e) => e.txn))
      const inDoubt = [...requested].filter((t) => !acked.has(t))
      expect(kills).toBeGreaterThanOrEqual(30)
      expect(inDoubt.length).toBeGreaterThanOrEqual(PHASE_POINTS.length)
      expect(events.filter((e) => e.type === 'aborted').length).toBeGreaterThan(10)
      expect(events.filter((e) => e.type === 'poll').length).toBeGreaterThan(50)
    } finally {
      await broker.close()
    }
  }, 240_000)
})
