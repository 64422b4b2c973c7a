/**
 * Tumbling and hopping time windows (Kafka `TimeWindows`): `[start, start + size)`, aligned to the
 * epoch, starting every `advance` ms (tumbling: advance = size). A record belongs to every window
 * whose interval holds its timestamp; no window starts below 0. A window accepts records until
 * stream time passes `end + grace` (Kafka: a window is open while `end > streamTime − grace`).
 */
import { streamsError } from '../errors.js'

export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  /** Tumbling windows of `sizeMs` with no grace: a record later than its window's end is dropped. */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.of(sizeMs, sizeMs, 0)
  }

  /** Tumbling windows of `sizeMs` that accept records up to `graceMs` after they end. */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    return TimeWindows.of(sizeMs, sizeMs, graceMs)
  }

  /** Hopping windows: a new window every `advanceMs` (`0 < advanceMs ≤ sizeMs`). */
  advanceBy(advanceMs: number): TimeWindows {
    return TimeWindows.of(this.sizeMs, advanceMs, this.graceMs)
  }

  /** Starts of the windows holding `timestampMs`, ascending (Kafka `TimeWindows#windowsFor`). */
  windowStartsFor(timestampMs: number): number[] {
    const starts: number[] = []
    let start = Math.floor(Math.max(0, timestampMs - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs
    for (; start <= timestampMs; start += this.advanceMs) starts.push(start)
    return starts
  }

  /** @throws `STREAMS_TOPOLOGY_INVALID`: size ≤ 0, advance outside (0, size], grace < 0, or not integers. */
  private static of(sizeMs: number, advanceMs: number, graceMs: number): TimeWindows {
    const problems: string[] = []
    if (!(Number.isSafeInteger(sizeMs) && sizeMs > 0)) problems.push('the window size must be a positive integer of ms')
    if (!(Number.isSafeInteger(advanceMs) && advanceMs > 0 && advanceMs <= sizeMs)) problems.push('the advance must be an integer in (0, size]')
    if (!(Number.isSafeInteger(graceMs) && graceMs >= 0)) problems.push('the grace period must be an integer ≥ 0')
    if (problems.length > 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', `invalid time windows: ${problems.join('; ')}`, { sizeMs, advanceMs, graceMs })
    return new TimeWindows(sizeMs, advanceMs, graceMs)
  }
}
