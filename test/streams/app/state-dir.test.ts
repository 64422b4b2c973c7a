import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { StateDirectory, TASK_LOCK_FILE, type StateDirectoryOptions } from '../../../src/streams/app/state-dir.js'
import { STREAMS_APP_DEFAULTS, StreamsBuilder, resolveStreamsAppConfig, type StoreBackendKind, type Topology } from '../../../src/streams/index.js'
import { ManualClock, StreamsHarness } from '../../../src/testing/index.js'
import { codeOf } from '../../support/error-code.js'
import { tempDir } from '../../support/temp-dir.js'

const S = Serdes.string()
const DELAY_MS = 5_000

function directory(stateDir: string, owner: string, clock = new ManualClock(), overrides: Partial<StateDirectoryOptions> = {}): StateDirectory {
  const warnings: string[] = []
  const dir = new StateDirectory({ stateDir, applicationId: 'app', owner, clock, cleanupDelayMs: DELAY_MS, onWarning: (m) => warnings.push(m), ...overrides })
  onTestFinished(async () => {
    await dir.settled()
    expect(warnings).toEqual([])
  })
  return dir
}

const lockFile = (stateDir: string, task: string): string => join(stateDir, 'app', task, TASK_LOCK_FILE)
const lockOf = (stateDir: string, task: string): { pid: number; host: string; owner: string } => JSON.parse(readFileSync(lockFile(stateDir, task), 'utf8')) as { pid: number; host: string; owner: string }

/** Writes a lock file as another holder would have. */
function plantLock(stateDir: string, task: string, content: string): void {
  mkdirSync(join(stateDir, 'app', task), { recursive: true })
  writeFileSync(lockFile(stateDir, task), content)
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  if (child.pid === undefined) throw new Error('could not spawn a child process')
  return child.pid
}

describe('StateDirectory task locks', () => {
  it('locks a task directory with a lock file naming this process and instance, once at a time', async () => {
    const stateDir = tempDir()
    const a = directory(stateDir, 'instance-a')
    const b = directory(stateDir, 'instance-b')
    const lock = await a.lock('0_1')
    expect(lock.dir).toBe(join(stateDir, 'app', '0_1'))
    expect(lockOf(stateDir, '0_1')).toEqual({ pid: process.pid, host: hostname(), owner: 'instance-a' })
    expect(await codeOf(() => b.lock('0_1'))).toBe('STREAMS_STATE_DIR_LOCKED')
    expect(await codeOf(() => a.lock('0_1'))).toBe('STREAMS_STATE_DIR_LOCKED')
    // Another task is another lock.
    await b.lock('0_2')

    lock.release()
    await a.settled()
    expect(existsSync(lockFile(stateDir, '0_1'))).toBe(false)
    await b.lock('0_1')
    expect(lockOf(stateDir, '0_1').owner).toBe('instance-b')
  })

  it('lets a new owner in this process wait for a release that waits for the stores to close, instead of failing', async () => {
    const stateDir = tempDir()
    const a = directory(stateDir, 'instance-a')
    const b = directory(stateDir, 'instance-b')
    const lock = await a.lock('0_0')
    let storesClosed = (): void => undefined
    lock.release(new Promise<void>((resolve) => (storesClosed = resolve)))
    let taken = false
    const next = b.lock('0_0').then((l) => {
      taken = true
      return l
    })
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(taken).toBe(false)
    expect(lockOf(stateDir, '0_0').owner).toBe('instance-a')
    storesClosed()
    expect((await next).taskId).toBe('0_0')
    expect(lockOf(stateDir, '0_0').owner).toBe('instance-b')
  })

  it('takes over the stale lock of a process that died', async () => {
    const stateDir = tempDir()
    plantLock(stateDir, '0_0', `${JSON.stringify({ pid: deadPid(), host: hostname(), owner: 'killed' })}\n`)
    await directory(stateDir, 'instance-a').lock('0_0')
    expect(lockOf(stateDir, '0_0')).toEqual({ pid: process.pid, host: hostname(), owner: 'instance-a' })
    // Nothing is left of the takeover but the new lock.
    expect(readdirSync(join(stateDir, 'app', '0_0'))).toEqual([TASK_LOCK_FILE])
  })

  it("takes over a lock with this process's pid that no instance of this process holds (a predecessor with the same pid)", async () => {
    const stateDir = tempDir()
    plantLock(stateDir, '0_0', `${JSON.stringify({ pid: process.pid, host: hostname(), owner: 'predecessor' })}\n`)
    await directory(stateDir, 'instance-a').lock('0_0')
    expect(lockOf(stateDir, '0_0').owner).toBe('instance-a')
  })

  it.each([
    ['a live process', () => `${JSON.stringify({ pid: process.ppid, host: hostname(), owner: 'parent' })}\n`],
    ['a process on another host', () => `${JSON.stringify({ pid: deadPid(), host: `not-${hostname()}`, owner: 'remote' })}\n`],
    ['nobody it can tell (a file Millrace did not write)', () => 'locked by hand'],
  ])('refuses a lock held by %s, and leaves that lock alone', async (_, content) => {
    const stateDir = tempDir()
    const planted = content()
    plantLock(stateDir, '0_0', planted)
    expect(await codeOf(() => directory(stateDir, 'instance-a').lock('0_0'))).toBe('STREAMS_STATE_DIR_LOCKED')
    expect(readFileSync(lockFile(stateDir, '0_0'), 'utf8')).toBe(planted)
    expect(readdirSync(join(stateDir, 'app', '0_0'))).toEqual([TASK_LOCK_FILE])
  })
})

describe('StateDirectory cleanup', () => {
  it('deletes a released task directory once it has been unheld for cleanupDelayMs of the clock, not before', async () => {
    const stateDir = tempDir()
    const clock = new ManualClock()
    const a = directory(stateDir, 'instance-a', clock)
    const lock = await a.lock('0_0')
    await a.lock('0_1')
    writeFileSync(join(lock.dir, 'store-file'), 'state')
    lock.release()
    await a.settled()
    a.deleteUnheldTaskDirs()
    clock.advance(DELAY_MS - 1)
    a.deleteUnheldTaskDirs()
    expect(existsSync(join(lock.dir, 'store-file'))).toBe(true)
    clock.advance(1)
    a.deleteUnheldTaskDirs()
    await a.settled()
    // The held task stays; nothing else is left (the renamed tree was removed too).
    expect(readdirSync(join(stateDir, 'app'))).toEqual(['0_1'])
  })

  it('deletes directories it finds unheld (left by an earlier run) after the delay, and the leftovers of an interrupted deletion', async () => {
    const stateDir = tempDir()
    const clock = new ManualClock()
    mkdirSync(join(stateDir, 'app', '1_3', 'store'), { recursive: true })
    plantLock(stateDir, '1_4', `${JSON.stringify({ pid: deadPid(), host: hostname(), owner: 'killed' })}\n`)
    mkdirSync(join(stateDir, 'app', '.deleting-1_5-interrupted', 'store'), { recursive: true })
    const a = directory(stateDir, 'instance-a', clock)
    a.deleteUnheldTaskDirs()
    await a.settled()
    expect(readdirSync(join(stateDir, 'app')).sort()).toEqual(['1_3', '1_4'])
    clock.advance(DELAY_MS)
    a.deleteUnheldTaskDirs()
    await a.settled()
    expect(readdirSync(join(stateDir, 'app'))).toEqual([])
  })

  it('never deletes a directory another owner holds: in this process, or a live process', async () => {
    const stateDir = tempDir()
    const clock = new ManualClock()
    const a = directory(stateDir, 'instance-a', clock)
    const b = directory(stateDir, 'instance-b', clock)
    ;(await a.lock('0_0')).release()
    await a.settled()
    const moved = await b.lock('0_0')
    const live = `${JSON.stringify({ pid: process.ppid, host: hostname(), owner: 'parent' })}\n`
    plantLock(stateDir, '0_1', live)
    a.deleteUnheldTaskDirs()
    clock.advance(DELAY_MS * 3)
    a.deleteUnheldTaskDirs()
    await a.settled()
    expect(lockOf(stateDir, '0_0').owner).toBe('instance-b')
    expect(readFileSync(lockFile(stateDir, '0_1'), 'utf8')).toBe(live)
    // Released by its new owner, it is that owner's to delete after the delay.
    moved.release()
    await b.settled()
    clock.advance(DELAY_MS)
    b.deleteUnheldTaskDirs()
    await b.settled()
    expect(existsSync(moved.dir)).toBe(false)
  })

  it('deleteAll removes the app directory, except task directories another owner holds (STREAMS_STATE_DIR_LOCKED)', async () => {
    const stateDir = tempDir()
    const a = directory(stateDir, 'instance-a')
    const b = directory(stateDir, 'instance-b')
    ;(await a.lock('0_0')).release()
    const held = await a.lock('0_1')
    mkdirSync(join(stateDir, 'app', '0_2'))
    expect(await codeOf(() => b.deleteAll())).toBe('STREAMS_STATE_DIR_LOCKED')
    expect(readdirSync(join(stateDir, 'app'))).toEqual(['0_1'])
    expect(lockOf(stateDir, '0_1').owner).toBe('instance-a')
    held.release()
    await b.deleteAll()
    expect(existsSync(join(stateDir, 'app'))).toBe(false)
    // A missing app directory is nothing to delete.
    await a.deleteAll()
  })
})

/** clicks (user → page) → count per user → clicks-per-user. */
function counting(backend: StoreBackendKind): Topology {
  const builder = new StreamsBuilder()
  builder.stream('clicks', { key: S, value: S }).groupByKey().count({ name: 'clicks', backend }).toStream().to('clicks-per-user')
  return builder.build()
}

async function harness(): Promise<StreamsHarness> {
  const h = await StreamsHarness.open({ topics: { clicks: 3, 'clicks-per-user': 3 } })
  onTestFinished(() => h.close())
  await h.produce(
    'clicks',
    S,
    S,
    Array.from({ length: 60 }, (_, i) => ({ key: `user-${i % 13}`, value: `page-${i}` })),
  )
  return h
}

const taskDirs = (stateDir: string, applicationId: string): string[] => (existsSync(join(stateDir, applicationId)) ? readdirSync(join(stateDir, applicationId)).sort() : [])

describe.each<StoreBackendKind>(['memory', 'rocksdb'])('a StreamsApp with %s stores on a shared state dir', (backend) => {
  it('fails with STREAMS_STATE_DIR_LOCKED when another instance holds its task directories (two apps of one id on separate logs)', async () => {
    const first = await harness()
    const second = await harness()
    const stateDir = join(first.dataDir, 'shared-state')
    const a = await first.startApp(counting(backend), { applicationId: `locked-${backend}`, commitIntervalMs: 20, stateDir })
    await first.waitForCommitted(`locked-${backend}`, 'clicks')
    const b = second.app(counting(backend), { applicationId: `locked-${backend}`, commitIntervalMs: 20, stateDir })
    const failed = new Promise<unknown>((resolve) => b.state$.subscribe({ error: resolve }))
    await b.start()
    await second.waitFor(() => b.state === 'ERROR', 'the second app to fail')
    expect(await failed).toMatchObject({ code: 'STREAMS_STATE_DIR_LOCKED' })
    // The first one keeps its directories and goes on counting.
    expect(a.state).toBe('RUNNING')
    expect(taskDirs(stateDir, `locked-${backend}`)).toEqual(['0_0', '0_1', '0_2'])
    for (const task of ['0_0', '0_1', '0_2']) expect(JSON.parse(readFileSync(join(stateDir, `locked-${backend}`, task, TASK_LOCK_FILE), 'utf8'))).toMatchObject({ owner: a.processId })
    await first.produce('clicks', S, S, [{ key: 'user-1', value: 'page-60' }])
    await first.waitForCommitted(`locked-${backend}`, 'clicks')
    // close() returns with every store closed natively and every lock gone.
    await a.close()
    for (const task of ['0_0', '0_1', '0_2']) expect(existsSync(join(stateDir, `locked-${backend}`, task, TASK_LOCK_FILE))).toBe(false)
  })
})

describe('StreamsApp state directory hygiene', () => {
  it("keeps unused task directories for Kafka's default 10 minutes; stateCleanupDelayMs is an integer ≥ 0", () => {
    const client = { producer: () => undefined, consumer: () => undefined, admin: () => undefined } as unknown as Parameters<typeof resolveStreamsAppConfig>[0]['client']
    expect(STREAMS_APP_DEFAULTS.stateCleanupDelayMs).toBe(600_000)
    expect(resolveStreamsAppConfig({ applicationId: 'app', client }).stateCleanupDelayMs).toBe(600_000)
    expect(resolveStreamsAppConfig({ applicationId: 'app', client, stateCleanupDelayMs: 0 }).stateCleanupDelayMs).toBe(0)
    for (const bad of [-1, 1.5, '10']) {
      expect(() => resolveStreamsAppConfig({ applicationId: 'app', client, stateCleanupDelayMs: bad as number })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', problems: [expect.objectContaining({ path: 'stateCleanupDelayMs', reason: 'out-of-range' })] }),
      )
    }
  })

  it('takes over the task locks a killed process left, and starts', async () => {
    const h = await harness()
    const stateDir = join(h.dataDir, 'state')
    const pid = deadPid()
    for (const task of ['0_0', '0_1', '0_2']) {
      mkdirSync(join(stateDir, 'stale', task), { recursive: true })
      writeFileSync(join(stateDir, 'stale', task, TASK_LOCK_FILE), `${JSON.stringify({ pid, host: hostname(), owner: 'killed' })}\n`)
    }
    const app = await h.startApp(counting('memory'), { applicationId: 'stale', commitIntervalMs: 20 })
    await h.waitForCommitted('stale', 'clicks')
    for (const task of ['0_0', '0_1', '0_2']) expect(JSON.parse(readFileSync(join(stateDir, 'stale', task, TASK_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, owner: app.processId })
  })

  it('deletes the directory of a task that moved to another instance after stateCleanupDelayMs of the app clock, not before', async () => {
    const h = await harness()
    const stateA = join(h.dataDir, 'state-a')
    const config = { applicationId: 'moving', commitIntervalMs: 20, stateCleanupDelayMs: DELAY_MS }
    const a = await h.startApp(counting('memory'), { ...config, stateDir: stateA })
    await h.waitForCommitted('moving', 'clicks')
    expect(taskDirs(stateA, 'moving')).toEqual(['0_0', '0_1', '0_2'])
    const b = h.app(counting('memory'), { ...config, stateDir: join(h.dataDir, 'state-b') })
    await b.start()
    const released = (): string[] => taskDirs(stateA, 'moving').filter((t) => !existsSync(join(stateA, 'moving', t, TASK_LOCK_FILE)))
    // The lock file goes when the delay starts: seen at most one clock tick later.
    await h.waitFor(() => released().length > 0, 'a task to move from a to b')
    const releasedAtMs = h.clock.monotonicMs()
    await h.waitFor(() => a.state === 'RUNNING' && b.state === 'RUNNING', 'both instances to run')
    const moved = released()
    await h.waitFor(() => h.clock.monotonicMs() >= releasedAtMs + DELAY_MS - 100, 'the clock to near the delay')
    for (const task of moved) expect(existsSync(join(stateA, 'moving', task))).toBe(true)
    await h.waitFor(() => moved.every((t) => !existsSync(join(stateA, 'moving', t))), 'the moved task directories to be deleted')
    expect(h.clock.monotonicMs()).toBeGreaterThanOrEqual(releasedAtMs + DELAY_MS - 20)
    // The tasks a still runs keep theirs.
    expect(taskDirs(stateA, 'moving').length).toBeGreaterThan(0)
  })

  it('cleanUp() deletes the local state only while the app is not running (STREAMS_ILLEGAL_STATE otherwise)', async () => {
    const h = await harness()
    const stateDir = join(h.dataDir, 'state')
    const app = h.app(counting('rocksdb'), { applicationId: 'cleaned', commitIntervalMs: 20 })
    await app.cleanUp()
    await app.start()
    await h.waitForCommitted('cleaned', 'clicks')
    expect(await codeOf(() => app.cleanUp())).toBe('STREAMS_ILLEGAL_STATE')
    expect(taskDirs(stateDir, 'cleaned')).toEqual(['0_0', '0_1', '0_2'])
    await app.close()
    await app.cleanUp()
    expect(existsSync(join(stateDir, 'cleaned'))).toBe(false)
  })
})
