/**
 * Sliding windows (Kafka `SlidingWindows`, KIP-450): windows of a fixed time difference aligned to
 * the records' timestamps, **both ends inclusive** — `[t − difference, t]`. A windowed aggregation
 * keeps one window per distinct set of records that lie within `difference` of each other: a
 * window is created whenever a record enters it or leaves it (see streams-anchor §2.6 for the
 * javadoc's example). A record is accepted while `timestamp + difference ≥ streamTime − grace`;
 * a window is closed once `streamTime > end + grace`.
 */
import { streamsError } from '../errors.js'

export class SlidingWindows {
  private constructor(
    /** The largest time difference between two records of one window (the window's size). */
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {}

  /** Sliding windows with no grace: a record outside every open window is dropped. */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.of(timeDifferenceMs, 0)
  }

  /** Sliding windows that accept records up to `graceMs` after a window's end. */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return SlidingWindows.of(timeDifferenceMs, graceMs)
  }

  /** @throws `STREAMS_TOPOLOGY_INVALID`: difference ≤ 0, grace < 0, or not integers. */
  private static of(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    const problems: string[] = []
    if (!(Number.isSafeInteger(timeDifferenceMs) && timeDifferenceMs > 0)) problems.push('the time difference must be a positive integer of ms')
    if (!(Number.isSafeInteger(graceMs) && graceMs >= 0)) problems.push('the grace period must be an integer ≥ 0')
    if (problems.length > 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', `invalid sliding windows: ${problems.join('; ')}`, { timeDifferenceMs, graceMs })
    return new SlidingWindows(timeDifferenceMs, graceMs)
  }
}
