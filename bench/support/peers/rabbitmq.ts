/**
 * RabbitMQ through amqplib (promise API, ships its own types): a **stream queue**
 * (`x-queue-type: stream`, RabbitMQ's append-only log — the closest thing to a partition) when the
 * server supports it, else a durable classic queue; `detail` says which was used. Messages are
 * persistent. Sync = publish on a confirm channel and await its publisher confirm, one at a time;
 * batched = `sendToQueue` without waiting (honouring `drain` backpressure) then
 * `waitForConfirms()` per window; consume = basic.consume with prefetch, acks every
 * `ACK_EVERY` messages (`multiple`), from the first message (`x-stream-offset: first`).
 */
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib'
import { uniqueName, type PeerSystem } from './peer.js'

const CONFIRM_WINDOW = 1000
const PREFETCH = 2000
const ACK_EVERY = 500

export async function openRabbitMq(url: string, payload: Buffer): Promise<PeerSystem> {
  const connection: ChannelModel = await amqp.connect(url)
  const queue = uniqueName('millrace-bench')
  let channel: ConfirmChannel = await connection.createConfirmChannel()
  let kind: 'stream' | 'classic' = 'stream'
  let created = false

  /** Declares the queue; a server without streams closes the channel, so reopen it and fall back once. */
  async function declare(): Promise<void> {
    if (kind === 'stream') {
      try {
        await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'stream' } })
        created = true
        return
      } catch (err) {
        console.log(`   note: RabbitMQ refused a stream queue (${(err as Error).message}); using a durable classic queue`)
        kind = 'classic'
        channel = await connection.createConfirmChannel()
      }
    }
    await channel.assertQueue(queue, { durable: true })
    created = true
  }

  function publishConfirmed(): Promise<void> {
    return new Promise((resolve, reject) => {
      channel.sendToQueue(queue, payload, { persistent: true }, (err: unknown) => (err ? reject(err as Error) : resolve()))
    })
  }

  return {
    get name() {
      return `RabbitMQ (${kind})`
    },
    get detail() {
      return (
        `${kind === 'stream' ? 'stream queue' : 'durable classic queue'} ${queue}, persistent messages; sync: publisher confirm awaited per message; ` +
        `batched: sendToQueue + waitForConfirms per ${CONFIRM_WINDOW}; consume: prefetch ${PREFETCH}, ack every ${ACK_EVERY}`
      )
    },
    async reset() {
      if (created) await channel.deleteQueue(queue)
      created = false
      await declare()
    },
    async sendSync(count) {
      for (let i = 0; i < count; i++) await publishConfirmed()
    },
    async sendBatched(count) {
      for (let sent = 0; sent < count; ) {
        const n = Math.min(CONFIRM_WINDOW, count - sent)
        for (let i = 0; i < n; i++) {
          if (!channel.sendToQueue(queue, payload, { persistent: true })) await new Promise((resolve) => channel.once('drain', resolve))
        }
        sent += n
        await channel.waitForConfirms()
      }
    },
    async consume(count) {
      const consumer = await connection.createChannel()
      try {
        await consumer.prefetch(PREFETCH)
        let seen = 0
        let bytes = 0
        await new Promise<void>((resolve, reject) => {
          consumer.on('error', reject)
          consumer
            .consume(
              queue,
              (msg) => {
                if (msg === null) return reject(new Error(`RabbitMQ cancelled the consumer after ${seen} of ${count} messages`))
                bytes += msg.content.length
                seen++
                if (seen % ACK_EVERY === 0 || seen === count) consumer.ack(msg, true)
                if (seen === count) resolve()
              },
              { noAck: false, arguments: kind === 'stream' ? { 'x-stream-offset': 'first' } : {} },
            )
            .catch(reject)
        })
        if (bytes === 0) throw new Error('RabbitMQ returned empty payloads')
      } finally {
        await consumer.close()
      }
    },
    async close() {
      try {
        if (created) await channel.deleteQueue(queue)
      } finally {
        await connection.close()
      }
    },
  }
}
