import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  ProducerStateManager,
  decrementSequence,
  incrementSequence,
  type ProducerBatchInfo,
} from '../../../src/log/storage/producer-state.js'
import { codeOfSync } from '../../support/error-code.js'

const IDS = { topic: 't', partition: 0 }
const INT32_MAX = 2 ** 31 - 1

function batch(producerId: bigint, epoch: number, firstSeq: number, count: number): ProducerBatchInfo {
  return { producerId, epoch, firstSeq, lastSeq: incrementSequence(firstSeq, count - 1), isTransactional: false }
}


/** Checks and applies like a partition's append path; returns the duplicate's first offset or the new one. */
function append(state: ProducerStateManager, info: ProducerBatchInfo, log: { end: number }): number {
  const duplicate = state.checkClientBatch(info)
  if (duplicate !== undefined) return duplicate.firstOffset
  const first = log.end
  const count = info.lastSeq >= info.firstSeq ? info.lastSeq - info.firstSeq + 1 : INT32_MAX - info.firstSeq + info.lastSeq + 2
  log.end += count
  state.applyBatch(info, first, log.end - 1, 1000 + first)
  return first
}

describe('producer state', () => {
  it('accepts in-order batches and answers a retry of any of the last 5 with its original offset', () => {
    const state = new ProducerStateManager(IDS)
    const log = { end: 0 }
    const firsts = [0, 3, 6, 9, 12, 15].map((seq) => append(state, batch(7n, 0, seq, 3), log))
    expect(firsts).toEqual([0, 3, 6, 9, 12, 15])
    for (const [i, seq] of [3, 6, 9, 12, 15].entries()) {
      expect(append(state, batch(7n, 0, seq, 3), log)).toBe(firsts[i + 1])
    }
    expect(log.end).toBe(18)
    // The sixth-newest batch has left the window: its retry is out of order, not a duplicate.
    expect(codeOfSync(() => state.checkClientBatch(batch(7n, 0, 0, 3)))).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
  })

  it('refuses gaps and reorders with LOG_OUT_OF_ORDER_SEQUENCE and changes nothing', () => {
    const state = new ProducerStateManager(IDS)
    const log = { end: 0 }
    append(state, batch(1n, 0, 0, 5), log)
    expect(codeOfSync(() => state.checkClientBatch(batch(1n, 0, 6, 1)))).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
    expect(codeOfSync(() => state.checkClientBatch(batch(1n, 0, 2, 3)))).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
    expect(state.findEntry(1n)?.lastSeq).toBe(4)
    expect(append(state, batch(1n, 0, 5, 1), log)).toBe(5)
  })

  it('fences an older epoch and makes a newer one start at sequence 0', () => {
    const state = new ProducerStateManager(IDS)
    const log = { end: 0 }
    append(state, batch(1n, 2, 0, 5), log)
    expect(codeOfSync(() => state.checkClientBatch(batch(1n, 1, 5, 1)))).toBe('LOG_INVALID_PRODUCER_EPOCH')
    expect(codeOfSync(() => state.checkClientBatch(batch(1n, 3, 5, 1)))).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
    expect(append(state, batch(1n, 3, 0, 1), log)).toBe(5)
    // The new epoch's window starts empty: the old epoch's batches are not duplicates any more.
    expect(codeOfSync(() => state.checkClientBatch(batch(1n, 2, 0, 5)))).toBe('LOG_INVALID_PRODUCER_EPOCH')
  })

  it('wraps sequences from 2^31 − 1 to 0', () => {
    expect(incrementSequence(INT32_MAX, 1)).toBe(0)
    expect(incrementSequence(INT32_MAX - 1, 3)).toBe(1)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: INT32_MAX }), fc.integer({ min: 0, max: 10_000 }), (seq, n) => {
        expect(decrementSequence(incrementSequence(seq, n), n)).toBe(seq)
      }),
    )
    const state = new ProducerStateManager(IDS)
    const log = { end: 0 }
    append(state, batch(1n, 0, INT32_MAX - 1, 2), log)
    expect(state.findEntry(1n)?.lastSeq).toBe(INT32_MAX)
    expect(append(state, batch(1n, 0, 0, 2), log)).toBe(2)
    expect(append(state, batch(1n, 0, INT32_MAX - 1, 2), log)).toBe(0)
  })

  it('accepts any sequence from a producer it has no state for', () => {
    const state = new ProducerStateManager(IDS)
    expect(state.checkClientBatch(batch(5n, 4, 1234, 2))).toBeUndefined()
  })

  it('expires idle producers without an open transaction, and evicts those with no data left', () => {
    const state = new ProducerStateManager(IDS)
    const log = { end: 0 }
    append(state, batch(1n, 0, 0, 10), log) // timestamp 1000, offsets 0–9
    append(state, batch(2n, 0, 0, 10), log) // timestamp 1010, offsets 10–19
    state.applyBatch({ ...batch(3n, 0, 0, 1), isTransactional: true }, 20, 20, 0)
    expect(state.evictBelow(10)).toBe(1)
    expect(state.findEntry(1n)).toBeUndefined()
    expect(state.expire(1009 + 500, 500)).toBe(0)
    expect(state.expire(1010 + 500, 500)).toBe(1)
    expect(state.findEntry(3n)?.currentTxnFirstOffset).toBe(20)
    expect(state.size).toBe(1)
  })

  it('keeps each producer’s last batch, epoch and open transaction through a snapshot', () => {
    const state = new ProducerStateManager(IDS)
    const log = { end: 0 }
    append(state, batch(1n, 4, 0, 3), log)
    append(state, batch(1n, 4, 3, 4), log)
    state.applyBatch({ ...batch(9n, 1, 0, 2), isTransactional: true }, 7, 8, 55)
    const restored = new ProducerStateManager(IDS)
    restored.loadSnapshot(state.toSnapshot())
    expect(restored.toSnapshot()).toEqual(state.toSnapshot())
    expect(restored.checkClientBatch(batch(1n, 4, 3, 4))?.firstOffset).toBe(3)
    expect(restored.checkClientBatch(batch(1n, 4, 7, 1))).toBeUndefined()
    expect(codeOfSync(() => restored.checkClientBatch(batch(1n, 4, 8, 1)))).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
    expect(restored.findEntry(9n)?.currentTxnFirstOffset).toBe(7)
  })
})
