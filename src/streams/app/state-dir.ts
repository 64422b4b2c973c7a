/**
 * An app's local state directory (Kafka `StateDirectory`): `<stateDir>/<applicationId>/`, with
 * one directory per stateful task, `<subtopology>_<partition>/`, holding its stores (RocksDB in
 * `<task>/<store>/`) and whatever else a task keeps on disk.
 *
 * **Task locks.** A task's directory belongs to one app instance at a time, whatever its stores
 * are: RocksDB's own `LOCK` guards only RocksDB stores, and only against other processes. The
 * owner holds `<task>/.lock`, one line of JSON:
 * ```
 *   {"pid":1234,"host":"vm-1","owner":"<the instance's processId>"}
 * ```
 * written to a temp file of its own and hard-linked into place: `link` fails when the name exists
 * (the atomic create of `O_EXCL`), and a reader never sees a half-written lock — so a lock file is
 * never ambiguous, also after a crash. A lock is **stale** when its host is this host and its
 * pid is dead, or is this process's own pid while no instance here holds the lock (a process that
 * got its dead predecessor's pid); a stale lock is taken over: renamed aside (atomic, so of two
 * processes taking it over only one moves it), checked to still be the stale one (else it goes
 * back), removed. Locks of other hosts (a shared file system) are never judged stale.
 *
 * Within the process a registry keyed by the lock file's real path knows what the file cannot
 * say: which instance holds it, and whether it is being released — released locks are removed
 * only after the task's stores have closed natively, and a new owner waits for that (as reopening
 * a closing RocksDB store does) instead of failing. A lock held and in use by another owner, in
 * this process or another, is `STREAMS_STATE_DIR_LOCKED` at once, like RocksDB's own lock.
 *
 * **Cleanup** (Kafka `state.cleanup.delay.ms`): a task directory this instance has not held for
 * `cleanupDelayMs` of the app's clock — since it released it, or since it found it unheld on its
 * first look or a later rescan of the app directory — is deleted, never while another owner holds
 * it (it is then forgotten until the next rescan: it is that owner's to clean). A deletion takes
 * the lock, renames the directory to `.deleting-<task>-<uuid>` (atomic: whoever locks the task next
 * starts on a fresh directory), drops the lock — its file went with the directory — and removes
 * the renamed tree in the background. Leftovers of an interrupted deletion go on the next rescan.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, linkSync, readFileSync, readdirSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import type { Clock } from '../../log/index.js'
import { streamsError } from '../errors.js'
import type { WarningListener } from '../runtime/error-handlers.js'

/** The lock file in each task directory. */
export const TASK_LOCK_FILE = '.lock'
/** Task directories are named by Kafka's task id format. */
const TASK_DIR_NAME = /^\d+_\d+$/
const DELETING_PREFIX = '.deleting-'
/** Tries to create a lock whose file keeps vanishing or being taken over under us, before giving up. */
const LOCK_ATTEMPTS = 5
/** Least time between rescans of the app directory: a cleanup delay of 0 must not list it every loop. */
const MIN_RESCAN_INTERVAL_MS = 1000

/** One task lock this process holds. */
interface Holder {
  readonly owner: string
  /** False once the owner has released it and only the stores' native close holds it. */
  open: boolean
  /** Resolves (never rejects) when the lock file is gone. */
  settled: Promise<void>
}

/** This process's task locks, by the lock file's real path. */
const holders = new Map<string, Holder>()

/** A held task directory. */
export interface TaskDirLock {
  readonly taskId: string
  /** The task's directory (absolute). */
  readonly dir: string
  /**
   * Gives the directory up once `after` has settled (the task's stores closed natively): then the
   * lock file is removed and the cleanup delay starts. Idempotent.
   */
  release(after?: Promise<unknown>): void
}

export interface StateDirectoryOptions {
  readonly stateDir: string
  readonly applicationId: string
  /** The instance whose locks these are (its `processId`), written into each lock. */
  readonly owner: string
  /** Measures the cleanup delay (`monotonicMs`). */
  readonly clock: Clock
  /** How long a task directory stays after this instance last held it (`stateCleanupDelayMs`). */
  readonly cleanupDelayMs: number
  /** Told about directories that could not be deleted (retried on a later rescan). */
  readonly onWarning: WarningListener
}

/** What trying a lock without waiting found. */
type Attempt = { readonly held: { readonly lockPath: string; readonly content: string } } | { readonly locked: string } | { readonly releasing: Promise<void> }

export class StateDirectory {
  /** `<stateDir>/<applicationId>` (absolute). */
  readonly appDir: string
  /** Task directories this instance does not hold, with when it last held them or first saw them unheld. */
  private readonly unheldSince = new Map<string, number>()
  /** Tasks this instance holds (their releases not yet settled included). */
  private readonly held = new Set<string>()
  /** Releases and deletions still running. */
  private readonly pending = new Set<Promise<void>>()
  private nextRescanMs: number | undefined

  constructor(private readonly options: StateDirectoryOptions) {
    this.appDir = resolve(options.stateDir, options.applicationId)
  }

  /**
   * Locks task `taskId`'s directory (created when missing) for this instance; waits while an
   * instance of this process is still releasing it.
   * @throws `STREAMS_STATE_DIR_LOCKED` when another owner holds it (the reason names the pid or
   *   instance); `STREAMS_STATE_STORE_FAILED` when the directory or lock file cannot be written.
   */
  async lock(taskId: string): Promise<TaskDirLock> {
    const dir = join(this.appDir, taskId)
    for (;;) {
      try {
        await mkdir(dir, { recursive: true })
      } catch (err) {
        throw lockFailure(taskId, dir, err)
      }
      const attempt = this.attempt(taskId, dir)
      if ('locked' in attempt) throw dirLocked(taskId, dir, attempt.locked)
      if ('releasing' in attempt) {
        await attempt.releasing
        continue
      }
      return this.lockOf(taskId, dir, attempt.held.lockPath, attempt.held.content)
    }
  }

  /**
   * Deletes the task directories this instance has not held for `cleanupDelayMs` (and, at most
   * every `max(cleanupDelayMs, 1 s)`, lists the app directory for ones it does not know of). Cheap
   * when nothing is due: call it from the processing loop. The deletions finish in the background.
   */
  deleteUnheldTaskDirs(): void {
    const now = this.options.clock.monotonicMs()
    if (this.nextRescanMs === undefined || now >= this.nextRescanMs) {
      this.rescan(now)
      this.nextRescanMs = now + Math.max(this.options.cleanupDelayMs, MIN_RESCAN_INTERVAL_MS)
    }
    for (const [taskId, since] of this.unheldSince) if (now - since >= this.options.cleanupDelayMs) this.deleteIfUnheld(taskId)
  }

  /**
   * Deletes the whole app directory (`KafkaStreams#cleanUp`), waiting for releases in progress in
   * this process. Task directories another owner holds stay (with the app directory).
   * @throws `STREAMS_STATE_DIR_LOCKED` when another owner holds a task directory (every other one
   *   is deleted); `STREAMS_STATE_STORE_FAILED` when a directory cannot be removed.
   */
  async deleteAll(): Promise<void> {
    const refused: string[] = []
    for (const name of listDir(this.appDir)) {
      const dir = join(this.appDir, name)
      if (!TASK_DIR_NAME.test(name)) continue
      // A directory deleted while its release was awaited is done with.
      while (existsSync(dir)) {
        const attempt = this.attempt(name, dir)
        if ('releasing' in attempt) {
          await attempt.releasing
          continue
        }
        if ('locked' in attempt) refused.push(`${name}: ${attempt.locked}`)
        else this.moveAside(name, dir, attempt.held.lockPath)
        break
      }
    }
    await this.settled()
    if (refused.length > 0) {
      throw streamsError('STREAMS_STATE_DIR_LOCKED', `${refused.length} task director${refused.length === 1 ? 'y' : 'ies'} of ${this.appDir} in use (${refused.join('; ')})`, {
        dir: this.appDir,
        tasks: refused.length,
      })
    }
    try {
      await rm(this.appDir, { recursive: true, force: true })
    } catch (err) {
      throw streamsError('STREAMS_STATE_STORE_FAILED', `could not delete state directory ${this.appDir}`, { dir: this.appDir, operation: 'cleanUp' }, err)
    }
  }

  /** Resolves when every release and deletion started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending)
  }

  /** Tries to take the lock of `taskId` without waiting; registers it on success. */
  private attempt(taskId: string, dir: string): Attempt {
    let lockPath: string
    try {
      lockPath = join(realpathSync(dir), TASK_LOCK_FILE)
    } catch (err) {
      throw lockFailure(taskId, dir, err)
    }
    const holder = holders.get(lockPath)
    if (holder !== undefined) return holder.open ? { locked: `instance ${holder.owner} of this process holds it` } : { releasing: holder.settled }
    const content = `${JSON.stringify({ pid: process.pid, host: hostname(), owner: this.options.owner })}\n`
    let refusal: string | undefined
    try {
      refusal = createLockFile(lockPath, content)
    } catch (err) {
      throw lockFailure(taskId, dir, err)
    }
    if (refusal !== undefined) return { locked: refusal }
    holders.set(lockPath, { owner: this.options.owner, open: true, settled: Promise.resolve() })
    this.held.add(taskId)
    this.unheldSince.delete(taskId)
    return { held: { lockPath, content } }
  }

  private lockOf(taskId: string, dir: string, lockPath: string, content: string): TaskDirLock {
    let released = false
    return {
      taskId,
      dir,
      release: (after) => {
        if (released) return
        released = true
        const holder = holders.get(lockPath)
        if (holder === undefined) return
        holder.open = false
        // A failed native close was reported by the store itself; the directory is free either way.
        holder.settled = Promise.resolve(after)
          .catch(() => undefined)
          .then(() => {
            this.removeLockFile(taskId, lockPath, content)
            if (holders.get(lockPath) === holder) holders.delete(lockPath)
            this.held.delete(taskId)
            this.unheldSince.set(taskId, this.options.clock.monotonicMs())
          })
        this.track(holder.settled)
      },
    }
  }

  private removeLockFile(taskId: string, lockPath: string, content: string): void {
    try {
      if (readFileSync(lockPath, 'utf8') === content) unlinkSync(lockPath)
    } catch (err) {
      // ENOENT: the directory was deleted (cleanUp) — nothing left to release.
      if (errorCode(err) !== 'ENOENT') this.options.onWarning(`could not remove the lock of task ${taskId}: ${describe(err)}`, { task: taskId, path: lockPath })
    }
  }

  /** Notes task directories nobody here tracks (as unheld since now) and removes interrupted deletions. */
  private rescan(now: number): void {
    let names: string[]
    try {
      names = listDir(this.appDir)
    } catch (err) {
      this.options.onWarning(`could not look for unused task directories: ${describe(err)}`, { dir: this.appDir })
      return
    }
    for (const name of names) {
      if (name.startsWith(DELETING_PREFIX)) this.removeInBackground(join(this.appDir, name))
      else if (TASK_DIR_NAME.test(name) && !this.held.has(name) && !this.unheldSince.has(name)) this.unheldSince.set(name, now)
    }
  }

  private deleteIfUnheld(taskId: string): void {
    const dir = join(this.appDir, taskId)
    if (!existsSync(dir)) {
      this.unheldSince.delete(taskId)
      return
    }
    let attempt: Attempt
    try {
      attempt = this.attempt(taskId, dir)
    } catch (err) {
      this.unheldSince.delete(taskId)
      this.options.onWarning(`could not delete the state directory of task ${taskId}: ${describe(err)}`, { task: taskId, dir })
      return
    }
    // Being released by an instance of this process: that release starts its delay again.
    if ('releasing' in attempt) return
    // Another owner's now: it is theirs to clean.
    if ('locked' in attempt) {
      this.unheldSince.delete(taskId)
      return
    }
    try {
      this.moveAside(taskId, dir, attempt.held.lockPath)
    } catch (err) {
      // Forgotten until the next rescan finds it again.
      this.options.onWarning(`could not delete the state directory of task ${taskId}: ${describe(err)}`, { task: taskId, dir })
    }
  }

  /** Under the lock: renames the task directory aside (its lock file with it), drops the lock, removes the tree in the background. */
  private moveAside(taskId: string, dir: string, lockPath: string): void {
    const trash = join(this.appDir, `${DELETING_PREFIX}${taskId}-${randomUUID()}`)
    holders.delete(lockPath)
    this.held.delete(taskId)
    this.unheldSince.delete(taskId)
    try {
      renameSync(dir, trash)
    } catch (err) {
      try {
        unlinkSync(lockPath)
      } catch (unlockError) {
        throw lockFailure(taskId, dir, new AggregateError([err, unlockError], 'rename failed, then removing the lock failed'))
      }
      throw lockFailure(taskId, dir, err)
    }
    this.removeInBackground(trash)
  }

  private removeInBackground(path: string): void {
    this.track(
      rm(path, { recursive: true, force: true }).catch((err: unknown) => {
        this.options.onWarning(`could not delete state directory ${path}: ${describe(err)}`, { dir: path })
      }),
    )
  }

  private track(work: Promise<void>): void {
    this.pending.add(work)
    void work.finally(() => this.pending.delete(work))
  }
}

/**
 * Creates the lock file (see the file comment), taking stale locks over. Returns why it is
 * locked, or `undefined` when the lock is ours now.
 */
function createLockFile(lockPath: string, content: string): string | undefined {
  const temp = `${lockPath}.${randomUUID()}`
  writeFileSync(temp, content, { flag: 'wx' })
  try {
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
      try {
        linkSync(temp, lockPath)
        return undefined
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err
      }
      const found = readLockFile(lockPath)
      // Released between our link and our read: try again.
      if (found === undefined) continue
      const holder = liveHolder(found)
      if (holder !== undefined) return holder
      takeOver(lockPath, found)
    }
    return `its lock changed hands ${LOCK_ATTEMPTS} times while being taken`
  } finally {
    unlinkSync(temp)
  }
}

function readLockFile(lockPath: string): string | undefined {
  try {
    return readFileSync(lockPath, 'utf8')
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined
    throw err
  }
}

/** Who holds a lock with `content`, or `undefined` when the lock is stale. */
function liveHolder(content: string): string | undefined {
  let lock: { pid?: unknown; host?: unknown; owner?: unknown }
  try {
    lock = JSON.parse(content) as typeof lock
  } catch {
    return 'its lock file is not one Millrace wrote; remove it if no process uses the directory'
  }
  const { pid, host, owner } = lock
  if (typeof pid !== 'number' || typeof host !== 'string' || typeof owner !== 'string') return 'its lock file is not one Millrace wrote; remove it if no process uses the directory'
  if (host !== hostname()) return `process ${pid} on host ${host} holds it`
  // Our own pid, but no instance of this process holds it (the caller checked): a predecessor's.
  if (pid === process.pid) return undefined
  return isAlive(pid) ? `process ${pid} holds it (instance ${owner})` : undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, under another user.
    return errorCode(err) === 'EPERM'
  }
}

/** Removes the stale lock `stale` — unless another process took it over first. */
function takeOver(lockPath: string, stale: string): void {
  const aside = `${lockPath}.stale-${randomUUID()}`
  try {
    renameSync(lockPath, aside)
  } catch (err) {
    // Gone already: someone else removed it.
    if (errorCode(err) === 'ENOENT') return
    throw err
  }
  try {
    if (readFileSync(aside, 'utf8') !== stale) {
      // A new owner's lock, created between our read and our rename: it goes back. (If yet another
      // lock stands there already, that one is kept — a race of three processes within microseconds.)
      try {
        linkSync(aside, lockPath)
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err
      }
    }
  } finally {
    unlinkSync(aside)
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []
    throw streamsError('STREAMS_STATE_STORE_FAILED', `could not list state directory ${dir}`, { dir, operation: 'list' }, err)
  }
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function dirLocked(taskId: string, dir: string, reason: string): Error {
  return streamsError('STREAMS_STATE_DIR_LOCKED', `task ${taskId}: state directory ${dir} is in use (${reason})`, { task: taskId, dir, reason })
}

function lockFailure(taskId: string, dir: string, cause: unknown): Error {
  return streamsError('STREAMS_STATE_STORE_FAILED', `task ${taskId}: could not lock state directory ${dir}`, { task: taskId, dir, operation: 'lock' }, cause)
}
