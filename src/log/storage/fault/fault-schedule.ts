/**
 * When a FaultFileIO fails: the crash point, the operation counter and the injected-error rules.
 * The disk model (disk-image.ts) knows nothing of faults; every call passes through here first.
 */
import type { InjectableErrorCode } from './system-error.js'
import { systemError } from './system-error.js'
import { SeededRandom } from './seeded-random.js'

/** Names of the calls {@link FailOnRule} can target: the FileIO / FileHandle / FileLock methods. */
export type FaultOperation =
  | 'open'
  | 'size'
  | 'list'
  | 'mkdir'
  | 'rename'
  | 'remove'
  | 'removeDir'
  | 'syncDir'
  | 'lock'
  | 'release'
  | 'read'
  | 'append'
  | 'writeAt'
  | 'truncate'
  | 'sync'
  | 'syncNow'
  | 'close'

export interface FailOnRule {
  /** The operation(s) to fail; every operation when omitted. `sync` and `syncNow` are distinct. */
  op?: FaultOperation | readonly FaultOperation[]
  /** Only calls whose path (either path, for rename) contains this substring. */
  pathIncludes?: string
  /** The `code` of the thrown error. */
  code: InjectableErrorCode
  /** Let this many matching calls succeed before failing (default 0). */
  afterCount?: number
  /** Fail this many matching calls, then let them succeed again (default: all — a persistent fault). */
  times?: number
  /**
   * append / writeAt only: a seeded-random prefix (possibly empty, never all) of the data is
   * written before the error — a short write. Default false: a failed call writes nothing.
   */
  partial?: boolean
}

/** A rule registered by {@link FaultFileIO.failOn}. */
export interface InjectedFault {
  /** How many calls this rule has failed so far. */
  readonly failureCount: number
  /** Stops the rule from failing further calls. */
  cancel(): void
}

/** The error to raise for a call, and whether a write should first write a prefix. */
export interface InjectedFailure {
  readonly error: NodeJS.ErrnoException
  readonly partial: boolean
}

class ActiveRule implements InjectedFault {
  failureCount = 0
  private matchCount = 0
  private cancelled = false
  private readonly ops: ReadonlySet<FaultOperation> | undefined
  private readonly afterCount: number
  private readonly times: number

  constructor(private readonly rule: FailOnRule) {
    this.ops = rule.op === undefined ? undefined : new Set(typeof rule.op === 'string' ? [rule.op] : rule.op)
    this.afterCount = rule.afterCount ?? 0
    this.times = rule.times ?? Number.POSITIVE_INFINITY
    if (!Number.isInteger(this.afterCount) || this.afterCount < 0) {
      throw new RangeError(`failOn: afterCount must be a non-negative integer, got ${this.afterCount}`)
    }
    if (this.times !== Number.POSITIVE_INFINITY && (!Number.isInteger(this.times) || this.times < 0)) {
      throw new RangeError(`failOn: times must be a non-negative integer, got ${this.times}`)
    }
  }

  cancel(): void {
    this.cancelled = true
  }

  /**
   * Counts `op` if it matches; true when it falls in this rule's window (matching calls number
   * afterCount+1 … afterCount+times).
   */
  covers(op: FaultOperation, paths: readonly string[]): boolean {
    if (this.cancelled) return false
    if (this.ops !== undefined && !this.ops.has(op)) return false
    const needle = this.rule.pathIncludes
    if (needle !== undefined && !paths.some((path) => path.includes(needle))) return false
    this.matchCount++
    return this.matchCount > this.afterCount && this.matchCount <= this.afterCount + this.times
  }

  fail(op: FaultOperation, paths: readonly string[]): InjectedFailure {
    this.failureCount++
    return {
      error: systemError(this.rule.code, op, paths[0] ?? '', 'injected'),
      partial: this.rule.partial === true && (op === 'append' || op === 'writeAt'),
    }
  }
}

export class FaultSchedule {
  /** Drives short-write lengths; seeded so partial failures are reproducible. */
  readonly random: SeededRandom
  private crashed = false
  private crashAt: number | undefined
  private count = 0
  private readonly rules: ActiveRule[] = []
  private limitBytes: number | undefined

  constructor(seed: number) {
    this.random = new SeededRandom(seed)
  }

  get isCrashed(): boolean {
    return this.crashed
  }

  get operationCount(): number {
    return this.count
  }

  get spaceLimitBytes(): number | undefined {
    return this.limitBytes
  }

  set spaceLimitBytes(limitBytes: number | undefined) {
    if (limitBytes !== undefined && (!Number.isInteger(limitBytes) || limitBytes < 0)) {
      throw new RangeError(`setSpaceLimitBytes: expected a non-negative integer, got ${limitBytes}`)
    }
    this.limitBytes = limitBytes
  }

  crashAtOperation(n: number): void {
    if (!Number.isInteger(n) || n <= this.count) {
      throw new RangeError(`crashAtOperation: n must be an integer > operationCount (${this.count}), got ${n}`)
    }
    this.crashAt = n
  }

  crashNow(): void {
    this.crashed = true
  }

  failOn(rule: FailOnRule): InjectedFault {
    const active = new ActiveRule(rule)
    this.rules.push(active)
    return active
  }

  clearFaults(): void {
    for (const rule of this.rules) rule.cancel()
    this.rules.length = 0
  }

  /** Throws ECRASHED once the simulated process is dead. */
  assertAlive(syscall: string, path: string): void {
    if (this.crashed) throw systemError('ECRASHED', syscall, path)
  }

  /**
   * Gatekeeper for every call: ECRASHED when dead or when this counted call is the crash point;
   * then counts it and returns the injected failure, if a rule's window covers it. Every rule
   * counts every call it matches, so windows stay predictable; when several cover one call, the
   * first registered supplies the error.
   */
  enter(op: FaultOperation, paths: readonly string[], counted: boolean): InjectedFailure | undefined {
    const path = paths[0] ?? ''
    this.assertAlive(op, path)
    if (counted) {
      if (this.crashAt !== undefined && this.count + 1 >= this.crashAt) {
        this.crashed = true
        throw systemError('ECRASHED', op, path, `crash point at operation ${this.crashAt}`)
      }
      this.count++
    }
    let failure: InjectedFailure | undefined
    for (const rule of this.rules) {
      if (rule.covers(op, paths) && failure === undefined) failure = rule.fail(op, paths)
    }
    return failure
  }

  /** {@link enter}, throwing the injected failure if there is one. */
  enterOrThrow(op: FaultOperation, paths: readonly string[], counted: boolean): void {
    const failure = this.enter(op, paths, counted)
    if (failure !== undefined) throw failure.error
  }
}
