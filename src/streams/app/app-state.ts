/**
 * The states of a `StreamsApp` and their legal transitions, as an explicit table (Kafka Streams'
 * `KafkaStreams.State`):
 *
 * ```
 * CREATED ──start──▶ REBALANCING ◀──▶ RUNNING
 *    │                   │               │
 *    └──────┬────────────┴───────────────┤
 *           ▼ close()                    ▼ a task failed (policy 'shutdown-app')
 *   PENDING_SHUTDOWN ──▶ NOT_RUNNING   PENDING_ERROR ──▶ ERROR
 * ```
 */
import { streamsError } from '../errors.js'

export type StreamsAppState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'PENDING_ERROR' | 'ERROR'

const TRANSITIONS: Readonly<Record<StreamsAppState, readonly StreamsAppState[]>> = Object.freeze({
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  REBALANCING: ['RUNNING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'PENDING_ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  PENDING_ERROR: ['ERROR'],
  ERROR: [],
})

export function canTransition(from: StreamsAppState, to: StreamsAppState): boolean {
  return TRANSITIONS[from].includes(to)
}

/** @throws `STREAMS_ILLEGAL_STATE` for a transition the table does not allow. */
export function checkTransition(from: StreamsAppState, to: StreamsAppState): void {
  if (!canTransition(from, to)) throw streamsError('STREAMS_ILLEGAL_STATE', `a streams app cannot go from ${from} to ${to}`, { from, to })
}

export function isTerminal(state: StreamsAppState): boolean {
  return TRANSITIONS[state].length === 0
}
