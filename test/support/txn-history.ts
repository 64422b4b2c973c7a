/**
 * A history checker in the Jepsen style (jepsen-io/jepsen `tests/kafka.clj`, reliability-anchor.md
 * §1.2) for transactional writers and read_committed readers.
 *
 * A history is the ordered list of what clients did and saw: transactional writes, the moment a
 * commit (or abort) was requested and when it was acknowledged, and every poll of a reader with
 * the (partition, offset, value) records it returned. The order of the list is real time as one
 * observer saw it (a child process prints its events in the order they happened). After the run,
 * one complete read_committed scan of the log (`final`) is the version order of each partition.
 *
 * Anomalies, with Jepsen's names where it has one:
 * - `lost-write`: a write of an acknowledged commit (or a `required` value, or a value a reader
 *   saw) is not in the log.
 * - `duplicate`: one value at two positions of the log.
 * - `G1a` (aborted read): a value of a transaction that aborted (or never asked to commit) was read.
 * - `open-read`: a read returned a value before its transaction's commit was even requested.
 * - `torn-transaction`: a transaction whose outcome is unknown (crash during commit) is partly visible.
 * - `inconsistent-offsets`: two reads disagree on the value at one (partition, offset).
 * - `phantom`: a value that nobody wrote.
 * - `nonmonotonic-poll` / `int-nonmonotonic-poll`: a reader's offsets in a partition went
 *   backwards (or repeated) between two polls / within one poll.
 * - `poll-skip` / `int-poll-skip`: a reader jumped over committed records of a partition between two
 *   polls / within one poll.
 */

export type HistoryEvent =
  /** A record sent inside transaction `txn` (unique per transaction, e.g. `run3-t17`). */
  | { type: 'write'; txn: string; value: string }
  /** Logged before commitTransaction() is called. */
  | { type: 'commit-requested'; txn: string }
  | { type: 'committed'; txn: string }
  | { type: 'aborted'; txn: string }
  /** One poll of a read_committed reader (readers are named; a restarted reader gets a new name). */
  | { type: 'poll'; reader: string; records: readonly ReadRecord[] }

export interface ReadRecord {
  partition: string
  offset: number
  value: string
}

export type AnomalyKind =
  | 'lost-write'
  | 'duplicate'
  | 'G1a'
  | 'open-read'
  | 'torn-transaction'
  | 'inconsistent-offsets'
  | 'phantom'
  | 'nonmonotonic-poll'
  | 'int-nonmonotonic-poll'
  | 'poll-skip'
  | 'int-poll-skip'

export interface Anomaly {
  kind: AnomalyKind
  detail: string
}

export interface HistoryToCheck {
  events: readonly HistoryEvent[]
  /** A complete read_committed scan of every partition after the run, in offset order. */
  final: readonly ReadRecord[]
  /** Values that must be in the log exactly once whatever crashed (e.g. one output per input). */
  required?: Iterable<string>
  /**
   * What a value stands for, when several writes carry one logical record (a consume–transform–
   * produce loop that retries an input after an abort tags each attempt with its transaction):
   * two values of one identity in the log are a duplicate, and `required` lists identities.
   * Default: the value itself.
   */
  identity?: (value: string) => string
}

type Outcome = 'committed' | 'aborted' | 'unknown'

interface TxnInfo {
  /** Index in `events` of the commit request; Infinity when never requested. */
  requestedAt: number
  outcome: Outcome
  values: string[]
}

/** Every anomaly of the history (empty when it is clean). */
export function checkHistory(history: HistoryToCheck): Anomaly[] {
  const anomalies: Anomaly[] = []
  const report = (kind: AnomalyKind, detail: string): void => {
    anomalies.push({ kind, detail })
  }

  // Transactions and who wrote what.
  const txns = new Map<string, TxnInfo>()
  const writerOf = new Map<string, string>()
  const txn = (id: string): TxnInfo => {
    let t = txns.get(id)
    if (t === undefined) txns.set(id, (t = { requestedAt: Infinity, outcome: 'unknown', values: [] }))
    return t
  }
  history.events.forEach((e, i) => {
    if (e.type === 'write') {
      txn(e.txn).values.push(e.value)
      if (writerOf.has(e.value)) throw new Error(`value ${e.value} was written twice: the checker needs unique values`)
      writerOf.set(e.value, e.txn)
    } else if (e.type === 'commit-requested') {
      txn(e.txn).requestedAt = Math.min(txn(e.txn).requestedAt, i)
    } else if (e.type === 'committed') {
      txn(e.txn).outcome = 'committed'
    } else if (e.type === 'aborted') {
      txn(e.txn).outcome = 'aborted'
    }
  })
  // A transaction that never asked to commit can only have aborted (or still be open: invisible).
  for (const t of txns.values()) if (t.outcome === 'unknown' && t.requestedAt === Infinity) t.outcome = 'aborted'

  // The version order: each partition's committed records as the final scan saw them.
  const versionIndex = new Map<string, Map<number, number>>()
  const atOffset = new Map<string, string>()
  const identity = history.identity ?? ((v: string): string => v)
  /** Identity → where in the log; and the exact values in the log. */
  const inLog = new Map<string, string>()
  const valuesInLog = new Set<string>()
  for (const r of history.final) {
    let order = versionIndex.get(r.partition)
    if (order === undefined) versionIndex.set(r.partition, (order = new Map()))
    order.set(r.offset, order.size)
    atOffset.set(`${r.partition}@${r.offset}`, r.value)
    const where = `${r.partition}@${r.offset}`
    valuesInLog.add(r.value)
    const before = inLog.get(identity(r.value))
    if (before !== undefined && before !== where) report('duplicate', `value ${r.value} is in the log at ${before} and at ${where}`)
    else inLog.set(identity(r.value), where)
  }

  // What a read may return, wherever it was read (a reader or the final scan).
  const checkRead = (r: ReadRecord, at: number, reader: string, final = false): void => {
    const where = `${r.partition}@${r.offset}`
    const known = atOffset.get(where)
    if (known !== undefined && known !== r.value) {
      report('inconsistent-offsets', `${reader} read ${r.value} at ${where}, the log holds ${known}`)
    } else if (known === undefined) {
      atOffset.set(where, r.value)
    }
    const writer = writerOf.get(r.value)
    if (writer === undefined) {
      report('phantom', `${reader} read ${r.value} at ${where}, which nobody wrote`)
      return
    }
    const t = txns.get(writer) as TxnInfo
    if (t.outcome === 'aborted') {
      report('G1a', `${reader} read ${r.value} at ${where} of transaction ${writer}, which aborted`)
      return
    }
    if (at < t.requestedAt) report('open-read', `${reader} read ${r.value} at ${where} before transaction ${writer} asked to commit`)
    if (final) return
    const seenAt = inLog.get(identity(r.value))
    if (!valuesInLog.has(r.value)) report('lost-write', `${reader} read ${r.value} at ${where}, which is no longer in the log`)
    else if (seenAt !== undefined && seenAt !== where) report('duplicate', `${reader} read ${r.value} at ${where}, it is also at ${seenAt}`)
  }
  for (const r of history.final) checkRead(r, Infinity, 'the final scan', true)

  // Readers: every record checked, offsets monotonic and contiguous in the version order.
  const lastRead = new Map<string, { offset: number; index: number | undefined }>()
  history.events.forEach((e, i) => {
    if (e.type !== 'poll') return
    const inPoll = new Set<string>()
    for (const r of e.records) {
      checkRead(r, i, e.reader)
      const key = `${e.reader}/${r.partition}`
      const index = versionIndex.get(r.partition)?.get(r.offset)
      const previous = lastRead.get(key)
      const internal = inPoll.has(r.partition)
      inPoll.add(r.partition)
      if (previous === undefined || r.offset > previous.offset) lastRead.set(key, { offset: r.offset, index })
      if (previous === undefined) continue
      // A reader that went backwards keeps its furthest position: what follows is judged from there.
      if (r.offset <= previous.offset) {
        report(internal ? 'int-nonmonotonic-poll' : 'nonmonotonic-poll', `${e.reader} read ${r.partition}@${r.offset} after ${r.partition}@${previous.offset}`)
      } else if (index !== undefined && previous.index !== undefined && index > previous.index + 1) {
        report(
          internal ? 'int-poll-skip' : 'poll-skip',
          `${e.reader} went from ${r.partition}@${previous.offset} to ${r.partition}@${r.offset}, skipping ${index - previous.index - 1} committed record(s)`,
        )
      }
    }
  })

  // Writes that must be there, and transactions that must be whole.
  for (const [id, t] of txns) {
    const present = t.values.filter((v) => valuesInLog.has(v))
    if (t.outcome === 'committed') {
      for (const v of t.values) if (!valuesInLog.has(v)) report('lost-write', `${v} of committed transaction ${id} is not in the log`)
    } else if (t.outcome === 'unknown' && present.length > 0 && present.length < t.values.length) {
      report('torn-transaction', `transaction ${id} (outcome unknown) shows ${present.length} of its ${t.values.length} records`)
    }
  }
  for (const v of history.required ?? []) if (!inLog.has(v)) report('lost-write', `required ${v} is not in the log`)
  return anomalies
}

/** Counts of anomalies by kind, for a readable assertion message. */
export function summarise(anomalies: readonly Anomaly[]): string {
  const counts = new Map<string, number>()
  for (const a of anomalies) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1)
  return [...counts].map(([k, n]) => `${k}×${n}`).join(', ') + (anomalies.length > 0 ? `; first: ${anomalies[0]?.detail}` : '')
}

/**
 * Events as lines (`H {json}`) so a child process can print its history to stdout and the parent
 * can parse it back, in order.
 */
export const HISTORY_LINE_PREFIX = 'H '

export function historyLine(event: HistoryEvent): string {
  return HISTORY_LINE_PREFIX + JSON.stringify(event) + '\n'
}

export function parseHistoryLine(line: string): HistoryEvent | undefined {
  if (!line.startsWith(HISTORY_LINE_PREFIX)) return undefined
  return JSON.parse(line.slice(HISTORY_LINE_PREFIX.length)) as HistoryEvent
}
