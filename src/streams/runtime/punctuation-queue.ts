/**
 * Scheduled punctuations of one task and one time type (Kafka `PunctuationQueue` and
 * `PunctuationSchedule#next`): due schedules fire in time order, each once per call however many
 * intervals were missed; the next time is the first multiple of the interval (from the
 * schedule's start) after now. A punctuator may cancel its own or other schedules while running.
 */
import type { Cancellable, Punctuator } from '../processor/processor.js'
import type { ProcessorNode } from './processor-node.js'

export interface PunctuationSchedule extends Cancellable {
  readonly node: ProcessorNode
  readonly intervalMs: number
  readonly punctuator: Punctuator
  nextMs: number
  cancelled: boolean
}

export class PunctuationQueue {
  private schedules: PunctuationSchedule[] = []

  add(node: ProcessorNode, startMs: number, intervalMs: number, punctuator: Punctuator): PunctuationSchedule {
    const schedule: PunctuationSchedule = {
      node,
      intervalMs,
      punctuator,
      nextMs: startMs,
      cancelled: false,
      cancel() {
        this.cancelled = true
      },
    }
    this.schedules.push(schedule)
    return schedule
  }

  get isEmpty(): boolean {
    return this.schedules.length === 0
  }

  /** Fires every schedule due at `nowMs` through `run`; returns whether any fired. */
  punctuate(nowMs: number, run: (schedule: PunctuationSchedule, nowMs: number) => void): boolean {
    let fired = false
    for (;;) {
      this.schedules = this.schedules.filter((s) => !s.cancelled)
      let due: PunctuationSchedule | undefined
      for (const s of this.schedules) if (s.nextMs <= nowMs && (due === undefined || s.nextMs < due.nextMs)) due = s
      if (due === undefined) return fired
      const missed = Math.floor((nowMs - due.nextMs) / due.intervalMs)
      due.nextMs += (missed + 1) * due.intervalMs
      run(due, nowMs)
      fired = true
    }
  }

  cancelAll(): void {
    for (const s of this.schedules) s.cancelled = true
    this.schedules = []
  }
}
