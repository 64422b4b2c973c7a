import { describe, expect, it, onTestFinished } from 'vitest'
import { join } from 'node:path'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { decodeAll } from '../../support/batches.js'
import { openFaultBroker } from '../../support/fault-broker.js'
import { codeOfSync } from '../../support/error-code.js'

const DIR = '/data'
const TP = { topic: 't', partition: 0 }

/** An idempotent batch of `count` records from `producerId`/`epoch` starting at sequence `seq`. */
function idempotent(producerId: bigint, epoch: number, seq: number, count: number, tag = 'v'): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${tag}${seq + i}`), timestampMs: 1_000 + seq + i }))
  return encodeRecordBatch(records, { producerId, producerEpoch: epoch, baseSequence: seq })
}

function open(io: FaultFileIO, options: { crashes?: boolean } = {}): Promise<Broker> {
  return openFaultBroker(io, DIR, options)
}


function values(broker: Broker): string[] {
  return decodeAll(broker.read(TP, 0, 1 << 20)).map((r) => r.value ?? '')
}

describe('idempotent producers in the partition log', () => {
  it('acknowledges a retried batch with its original offsets and appends nothing', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    broker.append(TP, idempotent(7n, 0, 0, 3))
    const second = broker.append(TP, idempotent(7n, 0, 3, 2))
    const retry = broker.append(TP, idempotent(7n, 0, 3, 2))
    expect(retry).toMatchObject({ baseOffset: second.baseOffset, lastOffset: second.lastOffset, duplicate: true })
    expect(broker.offsets(TP).logEndOffset).toBe(5)
    expect(values(broker)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4'])
  })

  it('refuses a gap, a reorder and an older epoch, appending nothing', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    broker.append(TP, idempotent(7n, 1, 0, 3))
    expect(codeOfSync(() => broker.append(TP, idempotent(7n, 1, 4, 1)))).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
    expect(codeOfSync(() => broker.append(TP, idempotent(7n, 1, 1, 1)))).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
    expect(codeOfSync(() => broker.append(TP, idempotent(7n, 0, 3, 1)))).toBe('LOG_INVALID_PRODUCER_EPOCH')
    expect(broker.offsets(TP).logEndOffset).toBe(3)
    broker.append(TP, idempotent(7n, 1, 3, 1))
    expect(broker.offsets(TP).logEndOffset).toBe(4)
  })

  it('refuses an idempotent batch that does not travel alone', async () => {
    const broker = await open(new FaultFileIO())
    broker.createTopic({ topic: 't', partitions: 1 })
    const two = Buffer.concat([idempotent(7n, 0, 0, 1), idempotent(7n, 0, 1, 1)])
    expect(codeOfSync(() => broker.append(TP, two))).toBe('LOG_INVALID_RECORD')
    expect(broker.offsets(TP).logEndOffset).toBe(0)
  })

  it('still recognises retries after a clean restart, a kill -9 and a power loss', async () => {
    for (const crash of ['clean', 'kill', 'power'] as const) {
      const io = new FaultFileIO()
      const broker = await open(io, { crashes: crash !== 'clean' })
      // Small segments: the state crosses rolls (snapshots) and the active segment (replay).
      broker.createTopic({ topic: 't', partitions: 1, configs: { 'segment.bytes': '300' } })
      let seq = 0
      for (let i = 0; i < 12; i++, seq += 2) await broker.appendDurable(TP, idempotent(7n, 0, seq, 2))
      let next: FaultFileIO = io
      if (crash === 'clean') await broker.close()
      else next = crash === 'kill' ? io.processCrash() : io.powerLoss()
      const reopened = await open(next)
      expect(reopened.partitionLog(TP).segmentCount, crash).toBeGreaterThan(2)
      expect(reopened.append(TP, idempotent(7n, 0, seq - 2, 2)), crash).toMatchObject({ baseOffset: 22, duplicate: true })
      expect(codeOfSync(() => reopened.append(TP, idempotent(7n, 0, seq + 1, 1))), crash).toBe('LOG_OUT_OF_ORDER_SEQUENCE')
      expect(reopened.append(TP, idempotent(7n, 0, seq, 1)).baseOffset, crash).toBe(24)
      await reopened.close()
    }
  })

  it('forgets a batch lost with a torn tail, so its resend is appended rather than taken for a duplicate', async () => {
    const io = new FaultFileIO()
    const broker = await open(io, { crashes: true })
    broker.createTopic({ topic: 't', partitions: 1 })
    await broker.appendDurable(TP, idempotent(7n, 0, 0, 2))
    broker.append(TP, idempotent(7n, 0, 2, 2, 'lost')) // never fsynced
    const reopened = await open(io.powerLoss())
    expect(reopened.offsets(TP).logEndOffset).toBe(2)
    expect(reopened.append(TP, idempotent(7n, 0, 2, 2, 'again'))).toMatchObject({ baseOffset: 2 })
    expect(values(reopened)).toEqual(['v0', 'v1', 'again2', 'again3'])
  })

  it('rebuilds the state from the log when a snapshot is corrupt, and removes that file', async () => {
    const io = new FaultFileIO()
    const broker = await open(io)
    broker.createTopic({ topic: 't', partitions: 1 })
    broker.append(TP, idempotent(7n, 0, 0, 2))
    await broker.close()
    const dir = join(DIR, 't-0')
    const snapshot = io.list(dir).find((name) => name.endsWith('.snapshot'))
    expect(snapshot).toBe('00000000000000000002.snapshot')
    const file = io.open(join(dir, snapshot as string))
    file.writeAt(Buffer.from([0xff]), 12)
    file.syncNow()
    file.close()
    const reopened = await open(io)
    expect(reopened.partitionLog(TP).recoveryReport.cleanedUpFiles).toContain(snapshot)
    expect(reopened.append(TP, idempotent(7n, 0, 0, 2))).toMatchObject({ baseOffset: 0, duplicate: true })
  })

  it('drops the state of producers whose data retention deleted, and their snapshots', async () => {
    const io = new FaultFileIO()
    const broker = await open(io)
    broker.createTopic({ topic: 't', partitions: 1, configs: { 'segment.bytes': '300' } })
    for (let seq = 0; seq < 20; seq += 2) broker.append(TP, idempotent(1n, 0, seq, 2))
    broker.append(TP, idempotent(2n, 0, 0, 1))
    const log = broker.partitionLog(TP)
    log.advanceLogStartOffset(log.logEndOffset - 1)
    expect(log.producerState.findEntry(1n)).toBeUndefined()
    expect(log.producerState.findEntry(2n)).toBeDefined()
    const firstBase = log.segmentInfos()[0]?.baseOffset ?? 0
    const snapshots = io.list(join(DIR, 't-0')).filter((n) => n.endsWith('.snapshot'))
    expect(snapshots.every((n) => Number(n.slice(0, 20)) >= firstBase)).toBe(true)
    // Unknown again: any sequence is accepted.
    expect(broker.append(TP, idempotent(1n, 0, 1000, 1)).duplicate).toBeUndefined()
  })

  it('expires producers idle for producerIdExpirationMs on the clock', async () => {
    const clock = new ManualClock()
    const broker = await Broker.open({ dataDir: DIR, io: new FaultFileIO(), clock, producerIdExpirationMs: 60_000, producerIdExpirationCheckIntervalMs: 1_000 })
    onTestFinished(() => broker.close())
    broker.createTopic({ topic: 't', partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } })
    broker.append(TP, idempotent(7n, 0, 0, 1))
    clock.advance(59_000)
    expect(broker.partitionLog(TP).producerState.findEntry(7n)).toBeDefined()
    clock.advance(2_000)
    expect(broker.partitionLog(TP).producerState.findEntry(7n)).toBeUndefined()
  })
})
