/**
 * Session windows (Kafka `SessionWindows`): per key, a session is a run of records each at most
 * `inactivityGapMs` after the previous one; its window is `[first, last]` (both inclusive). A
 * record within the gap of one or more sessions merges them (their aggregates combined with the
 * aggregation's merger); otherwise it opens a new session. A record is accepted while its merged
 * session's `end ≥ streamTime − grace − gap`.
 */
import { streamsError } from '../errors.js'

export class SessionWindows {
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {}

  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return SessionWindows.of(inactivityGapMs, 0)
  }

  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    return SessionWindows.of(inactivityGapMs, graceMs)
  }

  /** @throws `STREAMS_TOPOLOGY_INVALID`: gap ≤ 0, grace < 0, or not integers. */
  private static of(inactivityGapMs: number, graceMs: number): SessionWindows {
    const problems: string[] = []
    if (!(Number.isSafeInteger(inactivityGapMs) && inactivityGapMs > 0)) problems.push('the inactivity gap must be a positive integer of ms')
    if (!(Number.isSafeInteger(graceMs) && graceMs >= 0)) problems.push('the grace period must be an integer ≥ 0')
    if (problems.length > 0) throw streamsError('STREAMS_TOPOLOGY_INVALID', `invalid session windows: ${problems.join('; ')}`, { inactivityGapMs, graceMs })
    return new SessionWindows(inactivityGapMs, graceMs)
  }
}
