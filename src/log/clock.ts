/**
 * Time is injected: nothing outside this module reads the wall clock or schedules timers, so
 * tests drive retention, segment rolling and timeouts with a {@link ManualClock}.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (record timestamps, retention). */
  nowMs(): number
  /** Monotonic milliseconds (timeouts, intervals); never goes backwards. */
  monotonicMs(): number
  /** Runs `callback` after `delayMs` of this clock's time. */
  setTimeout(callback: () => void, delayMs: number): ClockTimer
}

export interface ClockTimer {
  cancel(): void
  /** Lets the process exit while this timer is pending (no-op on manual clocks). */
  unref(): void
}

class SystemClock implements Clock {
  nowMs(): number {
    return Date.now()
  }

  monotonicMs(): number {
    return performance.now()
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    const handle = setTimeout(callback, delayMs)
    return {
      cancel: () => clearTimeout(handle),
      unref: () => {
        handle.unref()
      },
    }
  }
}

/** The process's real clock. */
export const systemClock: Clock = new SystemClock()

interface ManualTimer {
  dueMs: number
  seq: number
  callback: () => void
  cancelled: boolean
}

/**
 * A clock that moves only when told to. `advance()` fires due timers in due order, each seeing
 * `nowMs()` equal to its due time.
 */
export class ManualClock implements Clock {
  private wallMs: number
  private monoMs = 0
  private seq = 0
  private timers: ManualTimer[] = []

  constructor(startMs = 1_700_000_000_000) {
    this.wallMs = startMs
  }

  nowMs(): number {
    return this.wallMs
  }

  monotonicMs(): number {
    return this.monoMs
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    const timer: ManualTimer = {
      dueMs: this.monoMs + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    }
    this.timers.push(timer)
    return {
      cancel: () => {
        timer.cancelled = true
      },
      unref: () => undefined,
    }
  }

  /** Moves both clocks forward by `deltaMs`, firing every timer that falls due on the way. */
  advance(deltaMs: number): void {
    const targetMono = this.monoMs + deltaMs
    for (;;) {
      const next = this.nextDue(targetMono)
      if (next === undefined) break
      this.wallMs += next.dueMs - this.monoMs
      this.monoMs = next.dueMs
      next.cancelled = true
      next.callback()
    }
    this.wallMs += targetMono - this.monoMs
    this.monoMs = targetMono
    this.timers = this.timers.filter((t) => !t.cancelled)
  }

  /** Sets the wall clock without moving monotonic time (simulates a clock jump). */
  setWallMs(wallMs: number): void {
    this.wallMs = wallMs
  }

  /** Number of timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length
  }

  private nextDue(limitMs: number): ManualTimer | undefined {
    let best: ManualTimer | undefined
    for (const t of this.timers) {
      if (t.cancelled || t.dueMs > limitMs) continue
      if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t
    }
    return best
  }
}
