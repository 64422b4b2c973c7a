import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
} from '../../../src/log/txn/transaction-log-schema.js'
import { TXN_STATE_IDS, VALID_PREVIOUS_STATES, canTransition, txnStateOf, type TxnState } from '../../../src/log/txn/transaction-state.js'
import { codeOfSync } from '../../support/error-code.js'

const value = fc.record({
  producerId: fc.bigInt({ min: 0n, max: (1n << 62n) }),
  producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
  transactionTimeoutMs: fc.integer({ min: 1, max: 900_000 }),
  transactionStatus: fc.integer({ min: 0, max: 7 }),
  transactionPartitions: fc.option(fc.array(fc.record({ topic: fc.string({ minLength: 1, maxLength: 20 }), partitionIds: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 5 }) }), { maxLength: 4 }), { nil: null }),
  transactionLastUpdateTimestampMs: fc.integer({ min: 0, max: 2 ** 50 }),
  transactionStartTimestampMs: fc.integer({ min: -1, max: 2 ** 50 }),
  previousProducerId: fc.bigInt({ min: -1n, max: 1n << 40n }),
  nextProducerId: fc.bigInt({ min: -1n, max: 1n << 40n }),
  clientTransactionVersion: fc.integer({ min: 0, max: 2 }),
})

describe('__transaction_state records', () => {
  it('round-trips keys and v1 values, and every truncation is a typed corruption', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), value, (id, v) => {
        expect(decodeTransactionLogKey(encodeTransactionLogKey(id))).toBe(id)
        const bytes = encodeTransactionLogValue(v)
        expect(decodeTransactionLogValue(bytes)).toEqual({ version: 1, ...v })
        for (let cut = 0; cut < bytes.length; cut++) {
          expect(codeOfSync(() => decodeTransactionLogValue(bytes.subarray(0, cut)))).toBe('LOG_CORRUPT_BATCH')
        }
      }),
      { numRuns: 200 },
    )
  })

  it('writes v1 with tagged fields only when they differ from their defaults (golden bytes)', () => {
    const bytes = encodeTransactionLogValue({
      producerId: 5n,
      producerEpoch: 2,
      transactionTimeoutMs: 60_000,
      transactionStatus: TXN_STATE_IDS.Ongoing,
      transactionPartitions: [{ topic: 't', partitionIds: [0, 3] }],
      transactionLastUpdateTimestampMs: 1000,
      transactionStartTimestampMs: 900,
    })
    expect(bytes.toString('hex')).toBe(
      '0001' + '0000000000000005' + '0002' + '0000ea60' + '01' + '02' + '0274' + '03' + '00000000' + '00000003' + '00' + '00000000000003e8' + '0000000000000384' + '00',
    )
    expect(codeOfSync(() => encodeTransactionLogKey(''))).toBe('CONFIG_INVALID')
  })
})

describe('transaction state table', () => {
  const states = Object.keys(TXN_STATE_IDS) as TxnState[]
  it("allows exactly Kafka's transitions", () => {
    const allowed = states.flatMap((to) => states.filter((from) => canTransition(from, to)).map((from) => `${from}->${to}`))
    expect(allowed.sort()).toEqual(
      [
        'Empty->Empty', 'CompleteCommit->Empty', 'CompleteAbort->Empty',
        'Ongoing->Ongoing', 'Empty->Ongoing', 'CompleteCommit->Ongoing', 'CompleteAbort->Ongoing',
        'Ongoing->PrepareCommit', 'Ongoing->PrepareAbort', 'PrepareEpochFence->PrepareAbort',
        'PrepareCommit->CompleteCommit', 'PrepareAbort->CompleteAbort',
        'Empty->Dead', 'CompleteAbort->Dead', 'CompleteCommit->Dead', 'Ongoing->PrepareEpochFence',
      ].sort(),
    )
    expect(Object.keys(VALID_PREVIOUS_STATES).sort()).toEqual([...states].sort())
    for (const s of states) expect(txnStateOf(TXN_STATE_IDS[s])).toBe(s)
    expect(codeOfSync(() => txnStateOf(8))).toBe('LOG_CORRUPT_BATCH')
  })
})
