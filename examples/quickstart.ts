/**
 * Quick start: the embedded log on its own. Opens (or reopens) a data directory, creates a topic,
 * appends 30,000 records durably with lz4 compression, reads them all back and prints what it
 * did. Run it twice: the second run finds the first run's data and appends after it.
 *
 *   npm start                          # data in ./millrace-data
 *   MILLRACE_DATA_DIR=/tmp/x npm start
 */
import { Broker, RecordBatchBuilder, iterateBatches, systemClock } from 'millrace/log'

const dataDir = process.env.MILLRACE_DATA_DIR ?? './millrace-data'
const TOPIC = 'orders'
const PARTITIONS = 3
const RECORDS = 30_000
const BATCH_RECORDS = 500

const broker = await Broker.open({ dataDir })
try {
  const fresh = !broker.hasTopic(TOPIC)
  if (fresh) broker.createTopic({ topic: TOPIC, partitions: PARTITIONS, configs: { 'retention.ms': '604800000' } })
  const before = broker.describeTopic(TOPIC).partitions.map((p) => p.logEndOffset)
  console.log(`${fresh ? 'created' : 'found'} topic ${TOPIC} (${PARTITIONS} partitions) in ${dataDir}`)

  const started = performance.now()
  const acks: Promise<unknown>[] = []
  for (let i = 0; i < RECORDS; i += BATCH_RECORDS) {
    const partition = (i / BATCH_RECORDS) % PARTITIONS
    const builder = new RecordBatchBuilder({ compression: 'lz4' })
    for (let j = i; j < i + BATCH_RECORDS; j++) {
      const order = { orderId: j, sku: `sku-${j % 97}`, quantity: 1 + (j % 5) }
      builder.append({ key: Buffer.from(order.sku), value: Buffer.from(JSON.stringify(order)) }, systemClock.nowMs())
    }
    // Durable: the promise resolves after the fsync that covers this batch (shared with others).
    acks.push(broker.appendDurable({ topic: TOPIC, partition }, builder.build(), { trusted: true }))
  }
  await Promise.all(acks)
  const wroteMs = performance.now() - started
  console.log(`appended ${RECORDS} records durably in ${wroteMs.toFixed(0)} ms`)

  let read = 0
  let lastValue = ''
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const tp = { topic: TOPIC, partition }
    let offset = before[partition] ?? 0
    const end = broker.offsets(tp).logEndOffset
    while (offset < end) {
      const bytes = broker.read(tp, offset, 1024 * 1024)
      for (const batch of iterateBatches(bytes)) {
        batch.forEachRecord((r) => {
          if (r.offset < offset) return
          read++
          lastValue = Buffer.from(r.value ?? new Uint8Array()).toString()
        })
        offset = batch.lastOffset + 1
      }
    }
  }
  console.log(`read back ${read} records; last one: ${lastValue}`)
  for (const p of broker.describeTopic(TOPIC).partitions) {
    console.log(
      `  ${TOPIC}-${p.partition}: offsets [${p.logStartOffset}, ${p.logEndOffset}), ${p.sizeBytes} bytes in ${p.segments} segment(s)`,
    )
  }
  if (read !== RECORDS) throw new Error(`read ${read} records, expected ${RECORDS}`)
} finally {
  await broker.close()
}
console.log('closed cleanly; run again to append more')
