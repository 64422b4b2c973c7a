/**
 * Quick start: the embedded log through its clients. Opens (or reopens) a data directory,
 * creates a topic with the admin client, sends 30,000 keyed orders with an lz4, durably
 * acknowledged producer, and reads them with a consumer in group `quickstart`, committing as it
 * goes. Run it twice: the second run finds the first run's data, appends after it, and the group
 * resumes from its committed offsets — it reads only the new records.
 *
 *   npm start                          # data in ./millrace-data
 *   MILLRACE_DATA_DIR=/tmp/x npm start
 */
import { Broker, type ConsumerRecord } from 'millrace/log'

const dataDir = process.env.MILLRACE_DATA_DIR ?? './millrace-data'
const TOPIC = 'orders'
const PARTITIONS = 3
const RECORDS = 30_000

const broker = await Broker.open({ dataDir })
try {
  const admin = broker.admin()
  const fresh = !(await admin.listTopics()).includes(TOPIC)
  if (fresh) await admin.createTopics([{ topic: TOPIC, partitions: PARTITIONS, configs: { 'retention.ms': '604800000' } }])
  console.log(`${fresh ? 'created' : 'found'} topic ${TOPIC} (${PARTITIONS} partitions) in ${dataDir}`)

  // Keyed by SKU: the same SKU always lands on the same partition (murmur2, as Kafka's Java client).
  const producer = broker.producer({ lingerMs: 5, compression: 'lz4', durableAcks: true })
  const started = performance.now()
  const orders = Array.from({ length: RECORDS }, (_, i) => {
    const order = { orderId: i, sku: `sku-${i % 97}`, quantity: 1 + (i % 5) }
    return { topic: TOPIC, key: Buffer.from(order.sku), value: Buffer.from(JSON.stringify(order)) }
  })
  const sent = await producer.sendBatch(orders) // resolves once every record is fsynced
  await producer.close()
  console.log(`sent ${sent.length} records durably in ${(performance.now() - started).toFixed(0)} ms`)

  const consumer = broker.consumer({ groupId: 'quickstart', autoOffsetReset: 'earliest', enableAutoCommit: false })
  await consumer.subscribe({ topics: [TOPIC] })
  // Read until every partition's position reaches the end offsets taken now.
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition }))
  const ends = await admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'latest' as const })))
  let read = 0
  let last: ConsumerRecord | undefined
  let caughtUp = false
  const deadline = AbortSignal.timeout(30_000)
  while (!caughtUp && !deadline.aborted) {
    for (const record of await consumer.poll({ timeoutMs: 200 })) {
      read++
      last = record
    }
    await consumer.commit() // the next run starts after what this one has read
    const positions = await Promise.all(consumer.assignment().map(async (tp) => `${tp.partition}:${await consumer.position(tp)}`))
    caughtUp = ends.every((e) => positions.includes(`${e.partition}:${e.offset}`))
  }
  await consumer.close()
  console.log(`group quickstart read ${read} records; last one: ${last === undefined ? '-' : Buffer.from(last.value ?? new Uint8Array()).toString()}`)

  const [description] = await admin.describeGroups(['quickstart'])
  for (const o of description?.offsets ?? []) {
    console.log(`  ${o.topic}-${o.partition}: committed ${o.committedOffset} of ${o.logEndOffset} (lag ${o.lag})`)
  }
  if (read !== RECORDS) throw new Error(`read ${read} records, expected ${RECORDS}`)
} finally {
  await broker.close()
}
console.log('closed cleanly; run again to append more')
