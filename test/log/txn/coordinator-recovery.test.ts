/**
 * The transaction coordinator at its edges: the producer-epoch boundary (32766 → 32767 →
 * overflow to a new producer id; KAFKA-18660 and KAFKA-19367 were bugs exactly there), and state
 * recovered from `__transaction_state` after a restart — a transaction in PrepareCommit completes,
 * one in Ongoing is aborted when its transactional id re-initialises or on its timeout.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { iterateBatches } from '../../../src/log/record/record-batch.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { MAX_PRODUCER_EPOCH, TRANSACTION_STATE_TOPIC } from '../../../src/log/txn/transaction-coordinator.js'
import { encodeTransactionLogKey, encodeTransactionLogValue } from '../../../src/log/txn/transaction-log-schema.js'
import { TXN_STATE_IDS } from '../../../src/log/txn/transaction-state.js'
import { crashPointIO, type CrashPoint } from '../../support/crash-point-io.js'
import { codeOf } from '../../support/error-code.js'
import { tempDir } from '../../support/temp-dir.js'
import { DATA_DIR } from '../crash/crash-support.js'
import { readCommittedScan } from './ctp-check.js'

const enc = (s: string): Buffer => Buffer.from(s)
const OUT = { topic: 'out', partition: 0 }

async function openBroker(dataDir: string, clock = new ManualClock()): Promise<Broker> {
  const broker = await Broker.open({ dataDir, clock })
  onTestFinished(async () => {
    if (!broker.isClosed) await broker.close()
  })
  return broker
}

const committedValues = async (broker: Broker): Promise<string[]> => (await readCommittedScan(broker, 'out')).map((r) => r.value)

/** Every batch of `out-0`: producer id, epoch, and whether it is a marker. */
function batchesOf(broker: Broker): Array<{ producerId: bigint; epoch: number; control: boolean }> {
  return [...iterateBatches(broker.read(OUT, 0, 1 << 20))].map((b) => ({ producerId: b.producerId, epoch: b.producerEpoch, control: b.isControl }))
}

/**
 * A broker whose `__transaction_state` says `transactionalId` completed a transaction at
 * `producerEpoch` (written as the coordinator would, then replayed by a restart).
 */
async function brokerAtEpoch(transactionalId: string, producerEpoch: number): Promise<{ broker: Broker; producerId: bigint }> {
  const dataDir = tempDir()
  const setup = await Broker.open({ dataDir, clock: new ManualClock() })
  setup.createTopic({ topic: 'out' })
  const { producerId } = await setup.transactionCoordinator().initProducerId(transactionalId, 60_000)
  const value = encodeTransactionLogValue({
    producerId,
    producerEpoch,
    transactionTimeoutMs: 60_000,
    transactionStatus: TXN_STATE_IDS.CompleteCommit,
    transactionPartitions: null,
    transactionLastUpdateTimestampMs: 0,
    transactionStartTimestampMs: 0,
  })
  await setup.appendDurable({ topic: TRANSACTION_STATE_TOPIC, partition: 0 }, encodeRecordBatch([{ key: encodeTransactionLogKey(transactionalId), value, timestampMs: 0 }]))
  await setup.close()
  const broker = await openBroker(dataDir)
  expect(broker.transactionCoordinator().describe(transactionalId)?.producerEpoch).toBe(producerEpoch)
  return { broker, producerId }
}

describe('transaction coordinator: producer-epoch overflow', () => {
  it('commits at the last epochs, then moves to a new producer id at epoch 0 without fencing itself', async () => {
    expect(MAX_PRODUCER_EPOCH).toBe(32766)
    const { broker, producerId } = await brokerAtEpoch('tx-overflow', 32764)
    const p = broker.producer({ transactionalId: 'tx-overflow', lingerMs: 0 })
    onTestFinished(() => p.close())
    await p.initTransactions()
    expect(broker.transactionCoordinator().describe('tx-overflow')).toMatchObject({ producerId, producerEpoch: 32765 })

    // The data at 32765, the marker at the bumped 32766; completing it exhausts the epoch.
    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: null, value: enc('at-32765') })
    await p.commitTransaction()
    const after = broker.transactionCoordinator().describe('tx-overflow')
    expect(after?.producerId).not.toBe(producerId)
    expect(after).toMatchObject({ producerEpoch: 0, previousProducerId: producerId, state: 'CompleteCommit' })
    // A retried EndTxn of that commit (old id, epoch 32765) gets the same answer: the new id.
    const again = await broker.transactionCoordinator().endTransaction('tx-overflow', { producerId, producerEpoch: 32765 }, true)
    expect(again).toEqual({ producerId: after?.producerId, producerEpoch: 0 })

    // The same producer carries on under the new id: no self-fencing.
    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: null, value: enc('new-id') })
    await p.commitTransaction()
    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: null, value: enc('aborted') })
    await p.abortTransaction()

    expect(await committedValues(broker)).toEqual(['at-32765', 'new-id'])
    const newId = after?.producerId as bigint
    expect(batchesOf(broker)).toEqual([
      { producerId, epoch: 32765, control: false },
      { producerId, epoch: 32766, control: true },
      { producerId: newId, epoch: 0, control: false },
      { producerId: newId, epoch: 1, control: true },
      { producerId: newId, epoch: 1, control: false },
      { producerId: newId, epoch: 2, control: true },
    ])
    // No epoch anywhere past the maximum, none negative.
    for (const b of batchesOf(broker)) expect(b.epoch).toBeGreaterThanOrEqual(0)

  })

  it('InitProducerId at the maximum epoch gives a new producer id (one bump, KAFKA-19367)', async () => {
    const { broker, producerId } = await brokerAtEpoch('tx-init-max', MAX_PRODUCER_EPOCH)
    const coordinator = broker.transactionCoordinator()
    const next = await coordinator.initProducerId('tx-init-max', 60_000)
    expect(next.producerId).not.toBe(producerId)
    expect(next.producerEpoch).toBe(0)
    // The old id at any epoch is fenced.
    expect(await codeOf(() => coordinator.addPartitions('tx-init-max', { producerId, producerEpoch: MAX_PRODUCER_EPOCH }, [OUT]))).toBe('LOG_PRODUCER_FENCED')
    await coordinator.addPartitions('tx-init-max', next, [OUT])
    expect(coordinator.describe('tx-init-max')?.state).toBe('Ongoing')
  })
})

describe('transaction coordinator: recovery from __transaction_state', () => {
  /** Runs one transaction on a FaultFileIO, dying at `point`; returns the disk as kill -9 leaves it. */
  async function crashDuringCommit(point: CrashPoint): Promise<FaultFileIO> {
    const io = new FaultFileIO({ seed: 11 })
    const setup = await Broker.open({ dataDir: DATA_DIR, io, clock: new ManualClock() })
    setup.createTopic({ topic: 'out', partitions: 2 })
    await setup.close()
    const crashed = await Broker.open({
      dataDir: DATA_DIR,
      clock: new ManualClock(),
      io: crashPointIO(io, point, () => {
        io.crashAtOperation(io.operationCount + 1)
        throw new Error('killed')
      }),
    })
    const p = crashed.producer({ transactionalId: 'tx-recover', lingerMs: 0 })
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: null, value: enc('a') })
    await p.send({ topic: 'out', partition: 1, key: null, value: enc('b') })
    await expect(p.commitTransaction()).rejects.toThrow()
    return io.processCrash()
  }

  it('completes a transaction found in PrepareCommit (markers missing) when the broker opens', async () => {
    // Dead after the decision and the first marker: the other partition has no marker.
    const image = await crashDuringCommit({ at: 'marker', when: 'after', occurrence: 1 })
    const broker = await Broker.open({ dataDir: DATA_DIR, io: image, clock: new ManualClock() })
    try {
      expect(broker.transactionCoordinator().describe('tx-recover')?.state).toBe('CompleteCommit')
      expect((await readCommittedScan(broker, 'out')).map((r) => r.value)).toEqual(['a', 'b'])
      for (const partition of [0, 1]) {
        const tp = { topic: 'out', partition }
        expect(broker.lastStableOffset(tp)).toBe(broker.offsets(tp).logEndOffset)
      }
    } finally {
      await broker.close()
    }
  })

  it('aborts a transaction found in Ongoing when its transactional id re-initialises', async () => {
    // Dead before the decision was written: the transaction is Ongoing on disk.
    const image = await crashDuringCommit({ at: 'state', state: 'PrepareCommit', when: 'before', occurrence: 1 })
    const broker = await Broker.open({ dataDir: DATA_DIR, io: image, clock: new ManualClock() })
    try {
      const coordinator = broker.transactionCoordinator()
      expect(coordinator.describe('tx-recover')?.state).toBe('Ongoing')
      // Open: its data holds back the LSO.
      expect(broker.lastStableOffset({ topic: 'out', partition: 0 })).toBe(0)
      const before = coordinator.describe('tx-recover')?.producerEpoch as number
      const p = broker.producer({ transactionalId: 'tx-recover', lingerMs: 0 })
      await p.initTransactions()
      // Fenced and aborted (one bump for the abort, one for the new instance), nothing visible.
      expect(coordinator.describe('tx-recover')).toMatchObject({ state: 'Empty', producerEpoch: before + 2 })
      expect((await readCommittedScan(broker, 'out')).map((r) => r.value)).toEqual([])
      p.beginTransaction()
      await p.send({ topic: 'out', partition: 0, key: null, value: enc('c') })
      await p.commitTransaction()
      await p.close()
      expect((await readCommittedScan(broker, 'out')).map((r) => r.value)).toEqual(['c'])
    } finally {
      await broker.close()
    }
  })

  it('aborts a transaction found in Ongoing on its timeout when nobody re-initialises it', async () => {
    const image = await crashDuringCommit({ at: 'state', state: 'PrepareCommit', when: 'before', occurrence: 1 })
    const clock = new ManualClock()
    const broker = await Broker.open({ dataDir: DATA_DIR, io: image, clock })
    try {
      const coordinator = broker.transactionCoordinator()
      expect(coordinator.describe('tx-recover')?.state).toBe('Ongoing')
      expect(await coordinator.abortTimedOutTransactions()).toBe(0)
      clock.advance(60_000)
      expect(await coordinator.abortTimedOutTransactions()).toBe(1)
      expect(coordinator.describe('tx-recover')?.state).toBe('CompleteAbort')
      for (const partition of [0, 1]) {
        const tp = { topic: 'out', partition }
        expect(broker.lastStableOffset(tp)).toBe(broker.offsets(tp).logEndOffset)
      }
      expect((await readCommittedScan(broker, 'out')).map((r) => r.value)).toEqual([])
    } finally {
      await broker.close()
    }
  })
})
