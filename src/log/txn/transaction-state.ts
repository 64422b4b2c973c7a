/**
 * The transaction coordinator's state machine (Kafka `TransactionState`, log anchor §4.1) as an
 * explicit transition table. The ids are what `__transaction_state` stores.
 */
import { logError } from '../errors.js'

export type TxnState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence'

export const TXN_STATE_IDS: Readonly<Record<TxnState, number>> = Object.freeze({
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
})

const BY_ID: readonly TxnState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']

/** To-state → the states it may be entered from. */
export const VALID_PREVIOUS_STATES: Readonly<Record<TxnState, readonly TxnState[]>> = Object.freeze({
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
})

/** @throws `LOG_CORRUPT_BATCH` for an id that names no state. */
export function txnStateOf(id: number): TxnState {
  const state = BY_ID[id]
  if (state === undefined) throw logError('LOG_CORRUPT_BATCH', `unknown transaction state id ${id}`, { state: id })
  return state
}

export function canTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from)
}

/** @throws `LOG_INVALID_TXN_STATE` when the table does not allow `from` → `to`. */
export function checkTransition(transactionalId: string, from: TxnState, to: TxnState): void {
  if (!canTransition(from, to)) {
    throw logError('LOG_INVALID_TXN_STATE', `transaction ${transactionalId} cannot go from ${from} to ${to}`, { transactionalId, from, to })
  }
}

/** States in which the id may expire, and a new transaction may begin. */
export function isComplete(state: TxnState): boolean {
  return state === 'Empty' || state === 'CompleteCommit' || state === 'CompleteAbort'
}
