/**
 * Periodic background work on an injected clock (retention, cleaner, flush deadlines,
 * checkpoints). With a ManualClock, advancing past several intervals fires each of them.
 */
import type { Clock, ClockTimer } from './clock.js'

export class BackgroundTasks {
  private readonly timers: ClockTimer[] = []
  private stopped = false

  constructor(
    private readonly clock: Clock,
    private readonly onError: (task: string, err: unknown) => void,
  ) {}

  /**
   * Runs `task` every `intervalMs`. The next tick is scheduled before the task runs; a tick that
   * finds the previous run of an async task still going is skipped, so runs never overlap.
   * Errors go to `onError`; the schedule goes on. Timers are unref'd: they never keep the
   * process alive.
   */
  every(name: string, intervalMs: number, task: () => void | Promise<void>): void {
    const slot = this.timers.length
    let running = false
    const schedule = (): void => {
      if (this.stopped) return
      const timer = this.clock.setTimeout(() => {
        schedule()
        if (running) return
        let result: void | Promise<void>
        try {
          result = task()
        } catch (err) {
          this.onError(name, err)
          return
        }
        if (result instanceof Promise) {
          running = true
          result.then(
            () => {
              running = false
            },
            (err: unknown) => {
              running = false
              this.onError(name, err)
            },
          )
        }
      }, intervalMs)
      timer.unref()
      this.timers[slot] = timer
    }
    schedule()
  }

  /** Cancels every pending tick; runs already started finish on their own. */
  stop(): void {
    this.stopped = true
    for (const t of this.timers) t.cancel()
  }
}
