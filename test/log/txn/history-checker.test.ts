/**
 * The Jepsen-style history checker finds each anomaly it names, and finds nothing in histories
 * of a correct log (generated: interleaved transactions that commit, abort or crash mid-commit,
 * readers polling the committed view as it grows).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { checkHistory, parseHistoryLine, historyLine, type AnomalyKind, type HistoryEvent, type ReadRecord } from '../../support/txn-history.js'

const kinds = (events: HistoryEvent[], final: ReadRecord[], required?: string[]): AnomalyKind[] =>
  [...new Set(checkHistory({ events, final, required }).map((a) => a.kind))].sort()

const rec = (partition: string, offset: number, value: string): ReadRecord => ({ partition, offset, value })

/** t1 commits a@0 b@1 on p; t2 aborts c@2 (marker-free toy offsets); t3 commits d@4. */
function base(): { events: HistoryEvent[]; final: ReadRecord[] } {
  const events: HistoryEvent[] = [
    { type: 'write', txn: 't1', value: 'a' },
    { type: 'write', txn: 't1', value: 'b' },
    { type: 'commit-requested', txn: 't1' },
    { type: 'committed', txn: 't1' },
    { type: 'write', txn: 't2', value: 'c' },
    { type: 'aborted', txn: 't2' },
    { type: 'poll', reader: 'r', records: [rec('p', 0, 'a'), rec('p', 1, 'b')] },
    { type: 'write', txn: 't3', value: 'd' },
    { type: 'commit-requested', txn: 't3' },
    { type: 'committed', txn: 't3' },
    { type: 'poll', reader: 'r', records: [rec('p', 4, 'd')] },
  ]
  return { events, final: [rec('p', 0, 'a'), rec('p', 1, 'b'), rec('p', 4, 'd')] }
}

describe('history checker', () => {
  it('finds nothing in a clean history (offset gaps of aborted data and markers are no skip)', () => {
    const { events, final } = base()
    expect(checkHistory({ events, final, required: ['a', 'd'] })).toEqual([])
  })

  it('reports a committed write missing from the log, a required value and a read value that vanished', () => {
    const { events } = base()
    expect(kinds(events, [rec('p', 0, 'a'), rec('p', 4, 'd')])).toContain('lost-write')
    expect(kinds(base().events, base().final, ['zz'])).toEqual(['lost-write'])
    // t4's commit was requested, never acknowledged (a crash): a reader saw it, the log lost it.
    const e = [...events, { type: 'write', txn: 't4', value: 'e' } as const, { type: 'commit-requested', txn: 't4' } as const, { type: 'poll', reader: 'q', records: [rec('p', 5, 'e')] } as const]
    expect(kinds(e, base().final)).toEqual(['lost-write'])
  })

  it('reports duplicates within the log and between a read and the log', () => {
    const { events, final } = base()
    expect(kinds(events, [...final, rec('p', 5, 'a')])).toContain('duplicate')
    const e = [...events, { type: 'poll', reader: 'q', records: [rec('p', 7, 'b')] } as const]
    expect(kinds(e, final)).toContain('duplicate')
  })

  it('reports aborted reads (G1a), including a transaction that never asked to commit', () => {
    const { events, final } = base()
    expect(kinds([...events, { type: 'poll', reader: 'q', records: [rec('p', 2, 'c')] }], final)).toEqual(['G1a'])
    const open = [...events, { type: 'write', txn: 't5', value: 'f' } as const]
    expect(kinds(open, [...final, rec('p', 6, 'f')])).toEqual(['G1a'])
  })

  it('reports a read of a transaction before its commit was requested', () => {
    const { events, final } = base()
    const early: HistoryEvent[] = [...events.slice(0, 8), { type: 'poll', reader: 'q', records: [rec('p', 4, 'd')] }, ...events.slice(8)]
    expect(kinds(early, final)).toEqual(['open-read'])
  })

  it('reports a transaction of unknown outcome that is partly visible (torn)', () => {
    const { events, final } = base()
    const e: HistoryEvent[] = [...events, { type: 'write', txn: 't6', value: 'g' }, { type: 'write', txn: 't6', value: 'h' }, { type: 'commit-requested', txn: 't6' }]
    expect(kinds(e, [...final, rec('p', 6, 'g')])).toEqual(['torn-transaction'])
    // All or nothing is fine either way.
    expect(kinds(e, [...final, rec('p', 6, 'g'), rec('p', 7, 'h')])).toEqual([])
    expect(kinds(e, final)).toEqual([])
  })

  it('reports inconsistent offsets and phantoms', () => {
    const { events, final } = base()
    expect(kinds([...events, { type: 'poll', reader: 'q', records: [rec('p', 0, 'b')] }], final)).toContain('inconsistent-offsets')
    expect(kinds(events, [...final, rec('p', 9, 'nobody')])).toEqual(['phantom'])
  })

  it('tells monotonicity and skips within a poll from those between polls', () => {
    const { events, final } = base()
    const swapped: HistoryEvent[] = events.map((e) => (e.type === 'poll' && e.records.length === 2 ? { ...e, records: [rec('p', 1, 'b'), rec('p', 0, 'a')] } : e))
    expect(kinds(swapped, final)).toEqual(['int-nonmonotonic-poll'])
    const again: HistoryEvent[] = [...events, { type: 'poll', reader: 'r', records: [rec('p', 1, 'b')] }]
    expect(kinds(again, final)).toEqual(['nonmonotonic-poll'])
    const skipWithin: HistoryEvent[] = [...events.slice(0, 10), { type: 'poll', reader: 's', records: [rec('p', 0, 'a'), rec('p', 4, 'd')] }]
    expect(kinds(skipWithin, final)).toEqual(['int-poll-skip'])
    const skipBetween: HistoryEvent[] = [...events, { type: 'poll', reader: 's', records: [rec('p', 0, 'a')] }, { type: 'poll', reader: 's', records: [rec('p', 4, 'd')] }]
    expect(kinds(skipBetween, final)).toEqual(['poll-skip'])
    // Another reader's position is its own: no skip across readers.
    const twoReaders: HistoryEvent[] = [...events, { type: 'poll', reader: 's', records: [rec('p', 0, 'a')] }, { type: 'poll', reader: 'u', records: [rec('p', 4, 'd')] }]
    expect(kinds(twoReaders, final)).toEqual([])
  })

  it('counts two attempts of one input in the log as a duplicate when values carry an identity', () => {
    const events: HistoryEvent[] = [
      { type: 'write', txn: 't1', value: 'in-1>t1' },
      { type: 'commit-requested', txn: 't1' },
      { type: 'write', txn: 't2', value: 'in-1>t2' },
      { type: 'commit-requested', txn: 't2' },
    ]
    const identity = (v: string): string => v.slice(0, v.indexOf('>'))
    const both = [rec('p', 0, 'in-1>t1'), rec('p', 2, 'in-1>t2')]
    expect(checkHistory({ events, final: both, identity }).map((a) => a.kind)).toEqual(['duplicate'])
    expect(checkHistory({ events, final: [rec('p', 2, 'in-1>t2')], identity, required: ['in-1'] })).toEqual([])
    expect(checkHistory({ events, final: [], identity, required: ['in-1'] }).map((a) => a.kind)).toEqual(['lost-write'])
  })

  it('round-trips events through the child-process line format', () => {
    for (const e of base().events) expect(parseHistoryLine(historyLine(e).trimEnd())).toEqual(e)
    expect(parseHistoryLine('ready')).toBeUndefined()
  })

  // Generated histories of a correct log, then one corruption each.
  interface Gen {
    events: HistoryEvent[]
    final: ReadRecord[]
    committedValues: string[]
    abortedValues: string[]
  }
  const genHistory = fc
    .array(
      fc.record({
        size: fc.integer({ min: 1, max: 4 }),
        partitions: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
        outcome: fc.constantFrom('commit', 'abort', 'crash-visible', 'crash-invisible', 'open'),
        pollAfter: fc.boolean(),
      }),
      { minLength: 1, maxLength: 12 },
    )
    .map((txns): Gen => {
      const events: HistoryEvent[] = []
      const next = new Map<number, number>()
      const take = (p: number): number => {
        const o = next.get(p) ?? 0
        next.set(p, o + 1)
        return o
      }
      const visible: ReadRecord[][] = [[], [], []]
      const read = [0, 0, 0]
      const committedValues: string[] = []
      const abortedValues: string[] = []
      txns.forEach((t, i) => {
        const recs: ReadRecord[] = []
        for (let j = 0; j < t.size; j++) {
          const p = t.partitions[j] as number
          const r = rec(`p${p}`, take(p), `t${i}v${j}`)
          recs.push(r)
          events.push({ type: 'write', txn: `t${i}`, value: r.value })
        }
        // Every touched partition gets a marker (an offset nobody reads), except open transactions.
        if (t.outcome !== 'open') for (const p of new Set(t.partitions.slice(0, t.size))) take(p)
        if (t.outcome === 'abort' || t.outcome === 'open') {
          if (t.outcome === 'abort') events.push({ type: 'aborted', txn: `t${i}` })
          abortedValues.push(...recs.map((r) => r.value))
          return
        }
        events.push({ type: 'commit-requested', txn: `t${i}` })
        if (t.outcome === 'commit') events.push({ type: 'committed', txn: `t${i}` })
        if (t.outcome !== 'crash-invisible') {
          for (const r of recs) (visible[Number(r.partition.slice(1))] as ReadRecord[]).push(r)
          if (t.outcome === 'commit') committedValues.push(...recs.map((r) => r.value))
        }
        if (t.pollAfter) {
          const records: ReadRecord[] = []
          for (let p = 0; p < 3; p++) {
            records.push(...(visible[p] as ReadRecord[]).slice(read[p]))
            read[p] = (visible[p] as ReadRecord[]).length
          }
          if (records.length > 0) events.push({ type: 'poll', reader: 'r', records })
        }
      })
      return { events, final: visible.flat(), committedValues, abortedValues }
    })

  it('finds nothing in generated histories of a correct log', () => {
    fc.assert(
      fc.property(genHistory, (h) => {
        expect(checkHistory(h)).toEqual([])
      }),
      { numRuns: 300 },
    )
  })

  it('finds a dropped committed record, a duplicated one and an aborted one made visible', () => {
    fc.assert(
      fc.property(genHistory, fc.nat(), (h, pick) => {
        if (h.committedValues.length > 0) {
          const victim = h.committedValues[pick % h.committedValues.length]
          const dropped = h.final.filter((r) => r.value !== victim)
          // Readers that saw it make it a lost write too; the final scan alone must suffice.
          const noPolls = h.events.filter((e) => e.type !== 'poll')
          expect(kinds(noPolls, dropped)).toContain('lost-write')
          const copy = h.final.find((r) => r.value === victim) as ReadRecord
          expect(kinds(h.events, [...h.final, { ...copy, offset: 10_000 }])).toContain('duplicate')
        }
        if (h.abortedValues.length > 0) {
          const ghost = h.abortedValues[pick % h.abortedValues.length] as string
          expect(kinds(h.events, [...h.final, rec('p9', 0, ghost)])).toContain('G1a')
        }
      }),
      { numRuns: 300 },
    )
  })
})
