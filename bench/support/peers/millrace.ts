/**
 * Millrace in the `seed-comparison` figure, driven like the peers: a one-partition topic on an
 * embedded broker; sync = `await producer.send()` per record (acks 1, lingerMs 0: the setting a
 * Kafka user picks for synchronous sends); batched = `sendBatch` of 1000-record arrays, 16 calls
 * outstanding (acks 1, default lingerMs 5); consume = assign + poll from offset 0.
 */
import type { Broker } from '../../../src/log/broker.js'
import type { Producer } from '../../../src/log/client/producer/producer-api.js'
import type { ProducerRecord } from '../../../src/log/client/producer/producer-record.js'
import { Window, consumeCount } from '../client-workload.js'
import { openBenchConsumer } from '../millrace-consumer.js'
import type { PeerSystem } from './peer.js'

const CHUNK = 1000
const SEND_BATCH_DEPTH = 16

export function openMillrace(broker: Broker, payload: Buffer): PeerSystem {
  let topicNo = 0
  let topic = ''
  const record = (): ProducerRecord => ({ topic, partition: 0, key: null, value: payload })

  async function withProducer(config: Parameters<Broker['producer']>[0], body: (producer: Producer) => Promise<void>): Promise<void> {
    const producer = broker.producer(config)
    try {
      await body(producer)
    } finally {
      await producer.close()
    }
  }

  function drop(): void {
    if (topic !== '') broker.deleteTopic(topic)
    topic = ''
  }

  return {
    name: 'Millrace',
    detail: 'embedded broker, 1-partition topic; sync: await send() per record (acks 1, lingerMs 0); batched: sendBatch of 1000, 16 outstanding (acks 1, lingerMs 5); consume: assign + poll',
    reset() {
      drop()
      topic = `seed-${topicNo++}`
      broker.createTopic({ topic, partitions: 1 })
      return Promise.resolve()
    },
    sendSync(count) {
      return withProducer({ acks: 1, lingerMs: 0 }, async (producer) => {
        const r = record()
        for (let i = 0; i < count; i++) await producer.send(r)
      })
    },
    sendBatched(count) {
      return withProducer({ acks: 1 }, async (producer) => {
        const chunk = Array.from({ length: CHUNK }, record)
        const window = new Window(SEND_BATCH_DEPTH)
        for (let sent = 0; sent < count; sent += CHUNK) await window.add(producer.sendBatch(count - sent >= CHUNK ? chunk : chunk.slice(0, count - sent)))
        await window.drain()
      })
    },
    async consume(count) {
      const consumer = openBenchConsumer(broker)
      try {
        await consumer.assign([{ topic, partition: 0 }])
        await consumeCount(consumer, count)
      } finally {
        await consumer.close()
      }
    },
    close() {
      drop()
      return Promise.resolve()
    },
  }
}
