import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Broker } from '../../../../src/log/broker.js'
import { EmbeddedProducer, type ProducerLog } from '../../../../src/log/client/producer/producer.js'
import { ManualClock } from '../../../../src/log/clock.js'
import { iterateBatches } from '../../../../src/log/record/record-batch.js'
import { FaultFileIO } from '../../../../src/log/storage/fault-file-io.js'
import type { TopicPartition } from '../../../../src/log/topic-partition.js'
import { decodeAll } from '../../../support/batches.js'
import { tempDir } from '../../../support/temp-dir.js'
import { codeOf } from '../../../support/error-code.js'

const TP: TopicPartition = { topic: 't', partition: 0 }

async function openBroker(partitions = 1): Promise<Broker> {
  const broker = await Broker.open({ dataDir: join(tempDir(), 'data') })
  onTestFinished(async () => {
    if (!broker.isClosed) await broker.close()
  })
  broker.createTopic({ topic: 't', partitions })
  return broker
}

/** The producer fields of every batch in `tp`, in log order. */
function batchHeaders(broker: Broker, tp: TopicPartition): Array<{ producerId: bigint; epoch: number; baseSequence: number; count: number }> {
  return [...iterateBatches(broker.read(tp, 0, 1 << 24))].map((b) => ({
    producerId: b.producerId,
    epoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    count: b.recordsCount,
  }))
}


describe('idempotent producer', () => {
  it('is on by default: batches carry its producer id, epoch 0 and per-partition sequences', async () => {
    const broker = await openBroker(2)
    const producer = broker.producer({ lingerMs: 0 })
    for (let round = 0; round < 3; round++) {
      await producer.sendBatch(
        Array.from({ length: 10 }, (_, i) => ({ topic: 't', partition: i % 2, key: null, value: Buffer.from(`r${round}-${i}`) })),
      )
    }
    await producer.close()
    for (const partition of [0, 1]) {
      const headers = batchHeaders(broker, { topic: 't', partition })
      expect(headers.length).toBe(3)
      expect(new Set(headers.map((h) => h.producerId)).size).toBe(1)
      expect(headers[0]?.producerId).toBeGreaterThanOrEqual(0n)
      expect(headers.map((h) => h.epoch)).toEqual([0, 0, 0])
      expect(headers.map((h) => h.baseSequence)).toEqual([0, 5, 10])
    }
  })

  it('writes plain batches with acks 1 or enableIdempotence false', async () => {
    const broker = await openBroker()
    for (const config of [{ acks: 1 as const }, { enableIdempotence: false }]) {
      const producer = broker.producer({ lingerMs: 0, ...config })
      await producer.send({ topic: 't', key: null, value: Buffer.from('x') })
      await producer.close()
    }
    expect(batchHeaders(broker, TP).map((h) => [h.producerId, h.baseSequence])).toEqual([
      [-1n, -1],
      [-1n, -1],
    ])
  })

  it('gives every producer a fresh id, never reused after a restart or a crash', async () => {
    const dataDir = '/data'
    let io = new FaultFileIO()
    const seen = new Set<bigint>()
    for (const stop of ['clean', 'kill', 'power'] as const) {
      const broker = await Broker.open({ dataDir, io, clock: new ManualClock() })
      for (let i = 0; i < 3; i++) {
        const { producerId, producerEpoch } = broker.initProducerId()
        expect(seen.has(producerId)).toBe(false)
        expect(producerEpoch).toBe(0)
        seen.add(producerId)
      }
      if (stop === 'clean') await broker.close()
      else io = stop === 'kill' ? io.processCrash() : io.powerLoss()
    }
    const broker = await Broker.open({ dataDir, io, clock: new ManualClock() })
    expect(seen.has(broker.initProducerId().producerId)).toBe(false)
    await broker.close()
  })

  it('appends each record once when every batch is sent twice (a retry after a lost acknowledgement)', async () => {
    const broker = await openBroker()
    let duplicates = 0
    const retrying: ProducerLog = {
      clock: new ManualClock(),
      partitionCount: (topic) => broker.partitionCount(topic),
      initProducerId: () => broker.initProducerId(),
      append: (tp, batch) => {
        const copy = Buffer.from(batch)
        broker.append(tp, batch, { trusted: true }) // its acknowledgement is "lost"
        const again = broker.append(tp, copy, { trusted: true })
        if (again.duplicate === true) duplicates++
        return again
      },
      appendDurable: (tp, batch) => broker.appendDurable(tp, batch, { trusted: true }),
    }
    const producer = new EmbeddedProducer({ log: retrying, config: { lingerMs: 0 } })
    const sent = []
    for (let i = 0; i < 5; i++) sent.push(...(await producer.sendBatch([0, 1, 2].map((j) => ({ topic: 't', key: null, value: Buffer.from(`${i}-${j}`) })))))
    await producer.close()
    expect(duplicates).toBe(5)
    expect(sent.map((m) => m.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i))
    expect(decodeAll(broker.read(TP, 0, 1 << 20)).map((r) => r.value)).toEqual(
      Array.from({ length: 15 }, (_, i) => `${Math.floor(i / 3)}-${i % 3}`),
    )
  })

  it('gives the sequences of a batch the log refused back, so later sends still go through', async () => {
    const broker = await openBroker()
    broker.alterTopicConfigs('t', { 'max.message.bytes': '300' })
    const producer = broker.producer({ lingerMs: 0 })
    expect(await codeOf(() => producer.send({ topic: 't', key: null, value: Buffer.alloc(400) }))).toBe('LOG_RECORD_TOO_LARGE')
    const ok = await producer.send({ topic: 't', key: null, value: Buffer.from('small') })
    await producer.close()
    expect(ok.offset).toBe(0)
    expect(batchHeaders(broker, TP).map((h) => h.baseSequence)).toEqual([0])
  })
})
