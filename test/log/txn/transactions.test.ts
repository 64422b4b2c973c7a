import { describe, expect, it, onTestFinished } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import type { Consumer } from '../../../src/log/client/consumer/consumer-api.js'
import type { Producer } from '../../../src/log/client/producer/producer-api.js'
import type { ProducerConfigInput } from '../../../src/log/client/producer/producer-config.js'
import { iterateBatches } from '../../../src/log/record/record-batch.js'
import { TRANSACTION_STATE_TOPIC } from '../../../src/log/txn/transaction-coordinator.js'
import { codeOf, codeOfSync } from '../../support/error-code.js'
import { tempDir } from '../../support/temp-dir.js'

const enc = (s: string): Buffer => Buffer.from(s)
const dec = (b: Uint8Array | null): string => (b === null ? '<null>' : Buffer.from(b).toString())

async function openBroker(dataDir = tempDir(), clock = new ManualClock()): Promise<Broker> {
  const broker = await Broker.open({ dataDir, clock })
  onTestFinished(async () => {
    if (!broker.isClosed) await broker.close()
  })
  return broker
}

function producerOf(broker: Broker, config: ProducerConfigInput): Producer {
  // lingerMs 0: a linger timer never fires on the manual clock.
  const p = broker.producer({ lingerMs: 0, ...config })
  onTestFinished(() => p.close())
  return p
}

/** Every value a read_committed (or uncommitted) assign-mode reader sees in `topic`, polled to the end. */
async function readAll(broker: Broker, topic: string, isolationLevel: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const consumer = broker.consumer({ isolationLevel, autoOffsetReset: 'earliest' })
  try {
    const partitions = broker.partitionCount(topic)
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }))
    await consumer.assign(tps)
    const ends = await consumer.endOffsets(tps)
    const out: string[] = []
    for (;;) {
      let done = true
      for (const end of ends) if ((await consumer.position(end)) < end.offset) done = false
      if (done) return out
      for (const r of await consumer.poll({ timeoutMs: 0 })) out.push(dec(r.value))
    }
  } finally {
    await consumer.close()
  }
}

describe('transactional producer', () => {
  it('makes committed records visible to read_committed and hides aborted ones', async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'out', partitions: 2 })
    const p = producerOf(broker, { transactionalId: 'tx-1' })
    await p.initTransactions()

    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: enc('a'), value: enc('c1') })
    await p.send({ topic: 'out', partition: 1, key: enc('b'), value: enc('c2') })
    // Open transaction: nothing visible to read_committed, everything to read_uncommitted.
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([])
    expect((await readAll(broker, 'out', 'read_uncommitted')).sort()).toEqual(['c1', 'c2'])
    await p.commitTransaction()

    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: enc('a'), value: enc('aborted') })
    await p.abortTransaction()

    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: enc('a'), value: enc('c3') })
    await p.commitTransaction()

    expect((await readAll(broker, 'out', 'read_committed')).sort()).toEqual(['c1', 'c2', 'c3'])
    expect((await readAll(broker, 'out', 'read_uncommitted')).sort()).toEqual(['aborted', 'c1', 'c2', 'c3'])
    const state = broker.transactionCoordinator().describe('tx-1')
    expect(state?.state).toBe('CompleteCommit')
    // KIP-890: init bumps once, each of the three EndTxn once more.
    expect(state?.producerEpoch).toBe(3)
    expect(broker.lastStableOffset({ topic: 'out', partition: 0 })).toBe(broker.offsets({ topic: 'out', partition: 0 }).logEndOffset)
  })

  it('writes each state change to __transaction_state and a marker with the bumped epoch to every partition', async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'out', partitions: 2 })
    const p = producerOf(broker, { transactionalId: 'tx-markers' })
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 'out', partition: 0, key: null, value: enc('x') })
    await p.send({ topic: 'out', partition: 1, key: null, value: enc('y') })
    await p.commitTransaction()
    for (const partition of [0, 1]) {
      const kinds = [...iterateBatches(broker.read({ topic: 'out', partition }, 0, 1 << 20))].map((b) => ({
        control: b.isControl,
        transactional: b.isTransactional,
        epoch: b.producerEpoch,
      }))
      expect(kinds).toEqual([
        { control: false, transactional: true, epoch: 0 },
        { control: true, transactional: true, epoch: 1 },
      ])
    }
    // Empty (init), Ongoing with partition 0, Ongoing with 0 and 1 (the sends were awaited one by
    // one, so each added its partition), PrepareCommit, CompleteCommit.
    expect(broker.offsets({ topic: TRANSACTION_STATE_TOPIC, partition: 0 }).logEndOffset).toBe(5)
  })

  it('commits consumer offsets only with the transaction (sendOffsetsToTransaction)', async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'in' })
    broker.createTopic({ topic: 'out' })
    const p = producerOf(broker, { transactionalId: 'tx-offsets' })
    await p.initTransactions()
    const consumer = broker.consumer({ groupId: 'g', isolationLevel: 'read_committed' })
    onTestFinished(() => consumer.close())
    await consumer.assign([{ topic: 'in', partition: 0 }])
    const meta = consumer.groupMetadata()

    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('r') })
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 7 }], meta)
    // Pending until the marker: not fetched yet.
    expect(broker.groupCoordinator().fetchOffsets('g')).toEqual([])
    await p.abortTransaction()
    expect(broker.groupCoordinator().fetchOffsets('g')).toEqual([])

    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('r2') })
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 9 }], meta)
    await p.commitTransaction()
    expect(broker.groupCoordinator().fetchOffsets('g').map((o) => o.offset)).toEqual([9])
  })

  it('keeps committed offsets and aborted data apart across a restart', async () => {
    const dataDir = tempDir()
    const first = await Broker.open({ dataDir, clock: new ManualClock() })
    first.createTopic({ topic: 'in' })
    first.createTopic({ topic: 'out' })
    const p = first.producer({ transactionalId: 'tx-restart', lingerMs: 0 })
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('kept') })
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 3 }], { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: undefined })
    await p.commitTransaction()
    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('dropped') })
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 5 }], { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: undefined })
    await p.abortTransaction()
    await p.close()
    await first.close()

    const broker = await openBroker(dataDir)
    expect(await readAll(broker, 'out', 'read_committed')).toEqual(['kept'])
    expect(broker.groupCoordinator().fetchOffsets('g').map((o) => o.offset)).toEqual([3])
    expect(broker.transactionCoordinator().describe('tx-restart')?.state).toBe('CompleteAbort')
  })

  it('an empty transaction commits without touching the coordinator', async () => {
    const broker = await openBroker()
    const p = producerOf(broker, { transactionalId: 'tx-empty' })
    await p.initTransactions()
    p.beginTransaction()
    await p.commitTransaction()
    expect(broker.transactionCoordinator().describe('tx-empty')?.state).toBe('Empty')
    p.beginTransaction()
    await p.abortTransaction()
    expect(broker.transactionCoordinator().describe('tx-empty')?.producerEpoch).toBe(0)
  })
})

describe('zombie fencing', () => {
  it("fences the older producer: its sends and commit fail with LOG_PRODUCER_FENCED and nothing of its transaction is visible", async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'out', partitions: 2 })
    const zombie = producerOf(broker, { transactionalId: 'shared' })
    await zombie.initTransactions()
    zombie.beginTransaction()
    await zombie.send({ topic: 'out', partition: 0, key: null, value: enc('zombie-open') })

    const fresh = producerOf(broker, { transactionalId: 'shared' })
    await fresh.initTransactions()
    // The zombie's open transaction was aborted by the fence.
    expect(broker.lastStableOffset({ topic: 'out', partition: 0 })).toBe(broker.offsets({ topic: 'out', partition: 0 }).logEndOffset)

    // A partition it already wrote to refuses its epoch; a new one is refused by verification.
    expect(await codeOf(() => zombie.send({ topic: 'out', partition: 0, key: null, value: enc('zombie-late-0') }))).toBe('LOG_PRODUCER_FENCED')
    expect(await codeOf(() => zombie.send({ topic: 'out', partition: 1, key: null, value: enc('zombie-late-1') }))).toBe('LOG_PRODUCER_FENCED')
    expect(await codeOf(() => zombie.commitTransaction())).toBe('LOG_PRODUCER_FENCED')
    expect(await codeOf(() => zombie.abortTransaction())).toBe('LOG_PRODUCER_FENCED')
    expect(codeOfSync(() => zombie.beginTransaction())).toBe('LOG_PRODUCER_FENCED')

    fresh.beginTransaction()
    await fresh.send({ topic: 'out', partition: 1, key: null, value: enc('fresh') })
    await fresh.commitTransaction()
    expect(await readAll(broker, 'out', 'read_committed')).toEqual(['fresh'])
    // The zombie's late sends never reached the log.
    expect((await readAll(broker, 'out', 'read_uncommitted')).sort()).toEqual(['fresh', 'zombie-open'])
  })

  it('a transaction left open past its timeout is aborted on the clock and its producer fenced', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(tempDir(), clock)
    broker.createTopic({ topic: 'out' })
    const p = producerOf(broker, { transactionalId: 'slow', transactionTimeoutMs: 1_000 })
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('late') })
    expect(await broker.transactionCoordinator().abortTimedOutTransactions()).toBe(0)
    clock.advance(1_000)
    expect(await broker.transactionCoordinator().abortTimedOutTransactions()).toBe(1)
    expect(broker.transactionCoordinator().describe('slow')?.state).toBe('CompleteAbort')
    expect(await codeOf(() => p.commitTransaction())).toBe('LOG_PRODUCER_FENCED')
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([])
  })
})

describe('bad input', () => {
  it('transactional calls out of order are typed errors that change nothing', async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'out' })
    const p = producerOf(broker, { transactionalId: 'tx-bad' })
    expect(codeOfSync(() => p.beginTransaction())).toBe('LOG_INVALID_TXN_STATE')
    await p.initTransactions()
    expect(await codeOf(() => p.initTransactions())).toBe('LOG_INVALID_TXN_STATE')
    expect(await codeOf(() => p.commitTransaction())).toBe('LOG_INVALID_TXN_STATE')
    expect(await codeOf(() => p.abortTransaction())).toBe('LOG_INVALID_TXN_STATE')
    expect(await codeOf(() => p.send({ topic: 'out', key: null, value: enc('outside') }))).toBe('LOG_INVALID_TXN_STATE')
    expect(await codeOf(() => p.sendOffsetsToTransaction([], { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: undefined }))).toBe(
      'LOG_INVALID_TXN_STATE',
    )
    p.beginTransaction()
    expect(codeOfSync(() => p.beginTransaction())).toBe('LOG_INVALID_TXN_STATE')
    expect(broker.offsets({ topic: 'out', partition: 0 }).logEndOffset).toBe(0)
    const plain = producerOf(broker, {})
    expect(await codeOf(() => plain.initTransactions())).toBe('LOG_ILLEGAL_STATE')
  })

  it('rejects transactional configs Kafka rejects', async () => {
    const broker = await openBroker()
    expect(codeOfSync(() => broker.producer({ transactionalId: 't', enableIdempotence: false }))).toBe('CONFIG_INVALID')
    expect(codeOfSync(() => broker.producer({ transactionalId: 't', acks: 1 }))).toBe('CONFIG_INVALID')
    expect(codeOfSync(() => broker.producer({ transactionalId: '' }))).toBe('CONFIG_INVALID')
    expect(codeOfSync(() => broker.producer({ transactionalId: 't', transactionTimeoutMs: 0 }))).toBe('CONFIG_INVALID')
    const tooLong = producerOf(broker, { transactionalId: 't', transactionTimeoutMs: 900_001 })
    expect(await codeOf(() => tooLong.initTransactions())).toBe('LOG_INVALID_TRANSACTION_TIMEOUT')
  })

  it('sendOffsetsToTransaction with a stale generation fails typed, the transaction must abort, nothing becomes visible', async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'in' })
    broker.createTopic({ topic: 'out' })
    const consumer: Consumer = broker.consumer({ groupId: 'g', sessionTimeoutMs: 6_000 })
    onTestFinished(() => consumer.close())
    await consumer.subscribe({ topics: ['in'] })
    const deadline = performance.now() + 10_000
    while (consumer.assignment().length === 0 && performance.now() < deadline) {
      await consumer.poll({ timeoutMs: 0 })
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    expect(consumer.assignment()).toHaveLength(1)
    const meta = consumer.groupMetadata()
    const stale = { ...meta, generationId: meta.generationId - 1 }

    const p = producerOf(broker, { transactionalId: 'tx-gen' })
    await p.initTransactions()
    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('must-not-show') })
    expect(await codeOf(() => p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1 }], stale))).toBe('LOG_ILLEGAL_GENERATION')
    expect(await codeOf(() => p.commitTransaction())).toBe('LOG_TRANSACTION_ABORTABLE')
    await p.abortTransaction()
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([])
    expect(broker.groupCoordinator().fetchOffsets('g')).toEqual([])
    // The producer goes on after the abort.
    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('ok') })
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1 }], consumer.groupMetadata())
    await p.commitTransaction()
    expect(await readAll(broker, 'out', 'read_committed')).toEqual(['ok'])
    expect(broker.groupCoordinator().fetchOffsets('g').map((o) => o.offset)).toEqual([1])
  })
})

describe('delayed and duplicated EndTxn', () => {
  it('a retried EndTxn is answered again; a late one cannot commit or abort the next transaction', async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'out' })
    const tp = { topic: 'out', partition: 0 }
    const coordinator = broker.transactionCoordinator()
    const first = await coordinator.initProducerId('tx-late', 60_000)
    await coordinator.addPartitions('tx-late', first, [tp])
    const second = await coordinator.endTransaction('tx-late', first, true)
    expect(second.producerEpoch).toBe(first.producerEpoch + 1)
    const end = broker.offsets(tp).logEndOffset

    // The same EndTxn again (a retry whose answer was lost): the same answer, no second marker.
    expect(await coordinator.endTransaction('tx-late', first, true)).toEqual(second)
    expect(broker.offsets(tp).logEndOffset).toBe(end)
    // The other decision from the old epoch is a zombie's.
    expect(await codeOf(() => coordinator.endTransaction('tx-late', first, false))).toBe('LOG_PRODUCER_FENCED')

    // The next transaction, with data in it.
    const p = producerOf(broker, { transactionalId: 'tx-late' })
    await p.initTransactions()
    const current = coordinator.describe('tx-late')
    expect(current?.producerEpoch).toBe(second.producerEpoch + 1)
    p.beginTransaction()
    await p.send({ topic: 'out', key: null, value: enc('second-txn') })
    // Late commits and aborts of earlier epochs are fenced and leave the open transaction alone.
    for (const stale of [first, second]) {
      for (const commit of [true, false]) {
        expect(await codeOf(() => coordinator.endTransaction('tx-late', stale, commit))).toBe('LOG_PRODUCER_FENCED')
      }
    }
    expect(coordinator.describe('tx-late')?.state).toBe('Ongoing')
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([])
    await p.abortTransaction()
    expect(await readAll(broker, 'out', 'read_committed')).toEqual([])
    expect(coordinator.describe('tx-late')?.state).toBe('CompleteAbort')
  })

  it('partitions reached in one burst join the transaction with one AddPartitionsToTxn', async () => {
    const broker = await openBroker()
    broker.createTopic({ topic: 'out', partitions: 4 })
    const p = producerOf(broker, { transactionalId: 'tx-burst' })
    await p.initTransactions()
    p.beginTransaction()
    await p.sendBatch([0, 1, 2, 3].map((partition) => ({ topic: 'out', partition, key: null, value: enc(`v${partition}`) })))
    // Empty (init) + one Ongoing record holding all four partitions.
    expect(broker.offsets({ topic: TRANSACTION_STATE_TOPIC, partition: 0 }).logEndOffset).toBe(2)
    expect([...(broker.transactionCoordinator().describe('tx-burst')?.partitions.values() ?? [])].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3])
    await p.commitTransaction()
    expect((await readAll(broker, 'out', 'read_committed')).sort()).toEqual(['v0', 'v1', 'v2', 'v3'])
  })
})
