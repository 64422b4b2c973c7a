/**
 * Figure `idempotence`: what idempotence costs the producer. The same workload — keyless records
 * with 100-byte values over 4 partitions, `sendBatch` of 1000-record arrays with 16 calls
 * outstanding, acks 'all', lingerMs 5, 16 KiB batches — is sent by a plain producer
 * (`enableIdempotence: false`, the baseline) and by an idempotent one (the default: a producer
 * id, per-partition sequence numbers, and the log's duplicate/sequence check per batch), rounds
 * interleaved. Reported: records/s of each and the overhead.
 *
 * Target (issue 4): overhead ≤ 5%. Transactional produce joins this figure with transactions.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import type { Producer } from '../../src/log/client/producer/producer-api.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import { describeScratch, envInt, fmtRate, heading, interleaved, line, printThroughput, printTarget, withScratchDir, type Run } from '../support/harness.js'
import { CLIENT_REPS, Window, keylessRecords, valuePool } from '../support/client-workload.js'

const RECORDS = envInt('BENCH_CLIENTS_RECORDS', 500_000)
const PARTITIONS = 4
const CHUNK = 1000
const DEPTH = 16
const VALUE_BYTES = 100

await withScratchDir('idempotence', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  try {
    const values = valuePool(VALUE_BYTES)
    let topicNo = 0

    async function sendAll(producer: Producer, records: readonly ProducerRecord[]): Promise<void> {
      const chunks: ProducerRecord[][] = []
      for (let i = 0; i + CHUNK <= records.length; i += CHUNK) chunks.push(records.slice(i, i + CHUNK))
      const window = new Window(DEPTH)
      for (let sent = 0, c = 0; sent < RECORDS; sent += CHUNK, c = (c + 1) % chunks.length) {
        await window.add(producer.sendBatch(chunks[c] as ProducerRecord[]))
      }
      await window.drain()
    }

    async function round(enableIdempotence: boolean): Promise<Run> {
      const topic = `idem-${topicNo++}`
      broker.createTopic({ topic, partitions: PARTITIONS })
      const producer = broker.producer({ acks: 'all', enableIdempotence, lingerMs: 5, batchBytes: 16 * 1024 })
      try {
        const t0 = performance.now()
        await sendAll(producer, keylessRecords(topic, values))
        await producer.flush()
        const seconds = (performance.now() - t0) / 1000
        return { seconds, records: RECORDS, bytes: RECORDS * VALUE_BYTES }
      } finally {
        await producer.close()
        broker.deleteTopic(topic)
      }
    }

    heading('idempotence', 'plain vs idempotent producer (embedded broker)', [
      `${RECORDS.toLocaleString('en')} records per run, null keys, ${VALUE_BYTES} B values, ${PARTITIONS} partitions; ` +
        `sendBatch of ${CHUNK}, ${DEPTH} outstanding; acks all, lingerMs 5, batchBytes 16384`,
      `baseline: enableIdempotence false (no producer id, no sequence check); ${describeScratch(dir)}`,
    ])
    const runs = await interleaved(CLIENT_REPS, { plain: () => round(false), idempotent: () => round(true) })
    const plain = printThroughput('plain producer', runs.plain).recordsPerSecond
    const idempotent = printThroughput('idempotent producer', runs.idempotent).recordsPerSecond
    const overheadPct = (1 - idempotent / plain) * 100
    line('idempotent / plain', `${(idempotent / plain).toFixed(3)}x (${fmtRate(idempotent)} vs ${fmtRate(plain)} rec/s)`)
    printTarget({
      metric: 'idempotence overhead',
      value: overheadPct,
      target: 5,
      direction: 'max',
      format: (v) => `${v.toFixed(1)}%`,
    })
  } finally {
    await broker.close()
  }
})
