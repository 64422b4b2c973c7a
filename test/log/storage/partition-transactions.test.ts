import { describe, expect, it, onTestFinished } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import type { Consumer } from '../../../src/log/client/consumer/consumer-api.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { encodeControlBatch } from '../../../src/log/record/control-record.js'
import { iterateBatches } from '../../../src/log/record/record-batch.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { decodeAll } from '../../support/batches.js'
import { openFaultBroker } from '../../support/fault-broker.js'
import { codeOfSync } from '../../support/error-code.js'
import { eventually } from '../../support/eventually.js'

const DIR = '/data'
const TP = { topic: 't', partition: 0 }

/**
 * Writes batches of one producer as a transactional producer would: its own sequence per
 * partition, and markers written straight to the partition (these tests are about the partition
 * log, not the coordinator). The producer is registered with the broker's coordinator, with `TP`
 * in its transaction, because the broker verifies every transactional batch that opens a
 * transaction in a partition (KIP-890).
 */
class TxnWriter {
  private seq = 0
  constructor(
    private readonly broker: Broker,
    readonly producerId: bigint,
    readonly epoch = 0,
  ) {}

  /** A registered producer `transactionalId`, initialised `inits` times (its epoch is inits − 1). */
  static async register(broker: Broker, transactionalId: string, inits = 1): Promise<TxnWriter> {
    const coordinator = broker.transactionCoordinator()
    let identity = await coordinator.initProducerId(transactionalId, 60_000)
    for (let i = 1; i < inits; i++) identity = await coordinator.initProducerId(transactionalId, 60_000)
    await coordinator.addPartitions(transactionalId, identity, [TP])
    return new TxnWriter(broker, identity.producerId, identity.producerEpoch)
  }

  send(values: readonly string[], transactional = true): void {
    const records = values.map((v) => ({ key: null, value: Buffer.from(v), timestampMs: 1_000 }))
    this.broker.append(TP, encodeRecordBatch(records, { producerId: this.producerId, producerEpoch: this.epoch, baseSequence: this.seq, isTransactional: transactional }))
    this.seq += values.length
  }

  end(type: 'COMMIT' | 'ABORT', coordinatorEpoch = 0, epoch = this.epoch): void {
    this.broker.append(TP, encodeControlBatch({ type, producerId: this.producerId, producerEpoch: epoch, coordinatorEpoch, timestampMs: 2_000 }))
  }
}

function plain(broker: Broker, values: readonly string[]): void {
  broker.append(TP, encodeRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v), timestampMs: 1_000 }))))
}

function open(io: FaultFileIO, options: { crashes?: boolean } = {}): Promise<Broker> {
  return openFaultBroker(io, DIR, options)
}

function consumerOf(broker: Broker, isolationLevel: 'read_committed' | 'read_uncommitted'): Consumer {
  const consumer = broker.consumer({ isolationLevel, autoOffsetReset: 'earliest', enableAutoCommit: false })
  onTestFinished(() => consumer.close())
  return consumer
}

/** Everything a fresh consumer of `isolationLevel` can poll now. */
async function visible(broker: Broker, isolationLevel: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const consumer = consumerOf(broker, isolationLevel)
  await consumer.assign([TP])
  const out: string[] = []
  for (;;) {
    const records = await consumer.poll({ timeoutMs: 0 })
    if (records.length === 0) return out
    for (const r of records) out.push(Buffer.from(r.value ?? []).toString())
  }
}

describe('transactions in the partition log', () => {
  it('holds the last stable offset at an open transaction and hides it from read_committed readers', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    const a = await TxnWriter.register(broker, 'a')
    plain(broker, ['p0'])
    a.send(['a0', 'a1'])
    plain(broker, ['p1'])
    expect(broker.lastStableOffset(TP)).toBe(1)
    expect(await visible(broker, 'read_committed')).toEqual(['p0'])
    expect(await visible(broker, 'read_uncommitted')).toEqual(['p0', 'a0', 'a1', 'p1'])
    a.end('COMMIT')
    expect(broker.lastStableOffset(TP)).toBe(broker.offsets(TP).logEndOffset)
    expect(await visible(broker, 'read_committed')).toEqual(['p0', 'a0', 'a1', 'p1'])
    // Markers are never handed to readers of either isolation level.
    expect(await visible(broker, 'read_uncommitted')).toEqual(['p0', 'a0', 'a1', 'p1'])
  })

  it('skips aborted transactions for read_committed readers, interleaved with committed ones', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    const a = await TxnWriter.register(broker, 'a')
    const b = await TxnWriter.register(broker, 'b')
    a.send(['a0'])
    b.send(['b0'])
    a.send(['a1'])
    plain(broker, ['p0'])
    b.send(['b1'])
    a.end('ABORT')
    expect(broker.lastStableOffset(TP)).toBe(1) // b is still open
    b.end('COMMIT')
    a.send(['a2'])
    a.end('COMMIT')
    expect(await visible(broker, 'read_committed')).toEqual(['b0', 'p0', 'b1', 'a2'])
    expect(await visible(broker, 'read_uncommitted')).toEqual(['a0', 'b0', 'a1', 'p0', 'b1', 'a2'])
    expect(broker.abortedTransactions(TP, 0, 100)).toEqual([{ producerId: a.producerId, firstOffset: 0, lastOffset: 5, lastStableOffset: 1 }])
  })

  it('wakes a waiting read_committed poll when the marker makes the records stable', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    const consumer = consumerOf(broker, 'read_committed')
    await consumer.assign([TP])
    const a = await TxnWriter.register(broker, 'a')
    a.send(['a0'])
    const polling = consumer.poll({ timeoutMs: 60_000 })
    a.send(['a1']) // more data, still unstable: the poll keeps waiting
    await new Promise<void>((resolve) => setImmediate(resolve))
    a.end('COMMIT')
    expect((await polling).map((r) => Buffer.from(r.value ?? []).toString())).toEqual(['a0', 'a1'])
  })

  it('keeps the last stable offset and the aborted index through a clean restart, a kill -9 and a power loss', async () => {
    for (const crash of ['clean', 'kill', 'power'] as const) {
      const io = new FaultFileIO()
      const broker = await open(io, { crashes: crash !== 'clean' })
      // Small segments: transactions cross rolls (snapshots) and recovery rescans segments.
      broker.createTopic({ topic: 't', partitions: 1, configs: { 'segment.bytes': '400' } })
      const a = await TxnWriter.register(broker, 'a')
      const b = await TxnWriter.register(broker, 'b')
      for (let i = 0; i < 4; i++) {
        a.send([`a${i}`])
        plain(broker, [`p${i}`])
      }
      a.end('ABORT')
      b.send(['b0'])
      plain(broker, ['p4'])
      const openAt = broker.offsets(TP).logEndOffset - 2
      await broker.partitionLog(TP).flush()
      let next: FaultFileIO = io
      if (crash === 'clean') await broker.close()
      else next = crash === 'kill' ? io.processCrash() : io.powerLoss()
      const reopened = await open(next)
      expect(reopened.partitionLog(TP).segmentCount, crash).toBeGreaterThan(2)
      expect(reopened.lastStableOffset(TP), crash).toBe(openAt)
      expect(await visible(reopened, 'read_committed'), crash).toEqual(['p0', 'p1', 'p2', 'p3'])
      new TxnWriter(reopened, b.producerId, b.epoch).end('COMMIT')
      expect(await visible(reopened, 'read_committed'), crash).toEqual(['p0', 'p1', 'p2', 'p3', 'b0', 'p4'])
      await reopened.close()
    }
  })

  it('refuses a plain batch from a producer with an open transaction, and stale markers', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    const a = await TxnWriter.register(broker, 'a', 4)
    a.send(['a0'])
    expect(codeOfSync(() => a.send(['x'], false))).toBe('LOG_INVALID_TXN_STATE')
    expect(codeOfSync(() => a.end('COMMIT', 0, a.epoch - 1))).toBe('LOG_INVALID_PRODUCER_EPOCH')
    a.end('COMMIT', 5)
    a.send(['a1'])
    expect(codeOfSync(() => a.end('ABORT', 4))).toBe('LOG_TRANSACTION_COORDINATOR_FENCED')
    expect(broker.lastStableOffset(TP)).toBe(2)
    const batches = [...iterateBatches(broker.read(TP, 0, 1 << 20))]
    // One data batch, the one accepted COMMIT marker, one data batch: nothing refused was written.
    expect(batches.map((b) => (b.isControl ? 'marker' : 'data'))).toEqual(['data', 'marker', 'data'])
    expect(decodeAll(broker.read(TP, 0, 1 << 20)).filter((r) => r.offset !== 1).map((r) => r.value)).toEqual(['a0', 'a1'])
  })

  it('refuses a transactional batch the coordinator does not know of, appending nothing', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    // Unregistered producer id: no transaction at the coordinator.
    expect(codeOfSync(() => new TxnWriter(broker, 77n).send(['x']))).toBe('LOG_INVALID_TXN_STATE')
    // Registered, but the partition was never added to its transaction.
    const identity = await broker.transactionCoordinator().initProducerId('c', 60_000)
    expect(codeOfSync(() => new TxnWriter(broker, identity.producerId, identity.producerEpoch).send(['y']))).toBe('LOG_INVALID_TXN_STATE')
    // An older epoch of a registered producer is a zombie.
    const newer = await TxnWriter.register(broker, 'c')
    expect(codeOfSync(() => new TxnWriter(broker, newer.producerId, newer.epoch - 1).send(['z']))).toBe('LOG_PRODUCER_FENCED')
    expect(broker.offsets(TP).logEndOffset).toBe(0)
    expect(broker.lastStableOffset(TP)).toBe(0)
  })

  it('syncs an open transaction in the background once 4 MiB of it are unsynced, and plain data not', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    broker.createTopic({ topic: 'plain', partitions: 1 })
    const recoveryPoint = (topic: string): number => broker.describeTopic(topic).partitions[0]?.recoveryPoint ?? -1
    const value = 'v'.repeat(100 * 1024)
    const plainTp = { topic: 'plain', partition: 0 }
    for (let i = 0; i < 50; i++) broker.append(plainTp, encodeRecordBatch([{ key: null, value: Buffer.from(value), timestampMs: 1_000 }]))
    const a = await TxnWriter.register(broker, 'a')
    // 3 MiB: below the threshold, nothing is synced.
    for (let i = 0; i < 30; i++) a.send([value])
    expect(recoveryPoint('t')).toBe(0)
    // Past 4 MiB the partition syncs by itself: nobody called flush().
    for (let i = 0; i < 12; i++) a.send([value])
    await eventually(() => recoveryPoint('t') > 0, 5_000, 'the background sync of the open transaction')
    expect(recoveryPoint('t')).toBeGreaterThanOrEqual(41)
    // 5 MiB of plain appends stay in the page cache until a flush (no flush.ms/flush.messages).
    expect(recoveryPoint('plain')).toBe(0)
  })
})
