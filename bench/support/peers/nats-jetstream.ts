/**
 * NATS JetStream through the official v3 client (`@nats-io/transport-node` + `@nats-io/jetstream`):
 * a file-storage stream on one subject; `js.publish` awaited per message (the PubAck is the
 * server's confirmation that the stream stored it); batched = `js.publish` pipelined, many
 * PubAcks outstanding (the client's async-publish pattern); consume = an ordered consumer
 * (`consumers.get(stream)`, no acks) iterated from the first message.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { pipelined, uniqueName, type PeerSystem } from './peer.js'

/** PubAcks outstanding at once in the batched column. */
const PUBLISH_WINDOW = 1024
/** Messages the ordered consumer asks for per pull. */
const PULL_BATCH = 1000

export async function openNatsJetStream(server: string, payload: Uint8Array): Promise<PeerSystem> {
  const nc: NatsConnection = await connect({ servers: server })
  const jsm: JetStreamManager = await jetstreamManager(nc)
  const js: JetStreamClient = jetstream(nc)
  const stream = uniqueName('millrace-bench').replace(/[^A-Za-z0-9_-]/g, '_')
  const subject = `${stream}.messages`
  let created = false

  async function drop(): Promise<void> {
    if (created) await jsm.streams.delete(stream)
    created = false
  }

  return {
    name: 'NATS JetStream',
    detail: `file-storage stream ${stream}; sync: await js.publish per message (PubAck); batched: ${PUBLISH_WINDOW} js.publish in flight; consume: ordered consumer, pulls of ${PULL_BATCH}`,
    async reset() {
      await drop()
      await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File })
      created = true
    },
    async sendSync(count) {
      for (let i = 0; i < count; i++) await js.publish(subject, payload)
    },
    async sendBatched(count) {
      await pipelined(count, PUBLISH_WINDOW, () => js.publish(subject, payload))
    },
    async consume(count) {
      const consumer = await js.consumers.get(stream)
      const messages = await consumer.consume({ max_messages: PULL_BATCH })
      let seen = 0
      let bytes = 0
      for await (const m of messages) {
        bytes += m.data.length
        if (++seen >= count) break
      }
      if (seen < count || bytes === 0) throw new Error(`NATS consumer ended after ${seen} of ${count} messages`)
    },
    async close() {
      try {
        await drop()
      } finally {
        await nc.close()
      }
    },
  }
}
