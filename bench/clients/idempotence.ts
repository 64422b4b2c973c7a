/**
 * Figure `idempotence`: what idempotence costs the producer. The same workload — keyless records
 * with 100-byte values over 4 partitions, `sendBatch` of 1000-record arrays with 16 calls
 * outstanding, acks 'all', lingerMs 5, 16 KiB batches — is sent by a plain producer
 * (`enableIdempotence: false`, the baseline) and by an idempotent one (the default: a producer
 * id, per-partition sequence numbers, and the log's duplicate/sequence check per batch), rounds
 * interleaved. Reported: records/s of each and the overhead.
 *
 * Transactional produce runs the same workload inside transactions committed every 100 ms of
 * sending, and every 1,000 records (one sendBatch per transaction). The loop calls
 * commitTransaction() with its sends still outstanding, as an application does: the commit
 * flushes them (no lingerMs wait), fsyncs the transaction's partitions (an open transaction's
 * data is also synced in the background every 4 MiB per partition, so only the tail is left) and
 * writes the decision and markers durably.
 *
 * Targets (issue 4): idempotence overhead ≤ 5%; transactional overhead ≤ 5% at a 100 ms commit
 * interval (against the idempotent producer, the transactional one's own non-transactional form).
 *
 * The idempotent and plain producers never wait for the disk (acks 'all' is the page cache on a
 * single node, as in Kafka without fsync), while a commit is acknowledged only when durable. So a
 * second baseline runs the idempotent producer on a topic with `flush.ms` 100 — the broker
 * fsyncs every 100 ms in the background, the durability a 100 ms transaction gives, without
 * making the producer wait — and the protocol's own cost is reported against it.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import type { Producer } from '../../src/log/client/producer/producer-api.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import { describeScratch, envInt, fmtRate, heading, interleaved, line, printThroughput, printTarget, withScratchDir, type Run } from '../support/harness.js'
import { CLIENT_REPS, Window, keylessRecords, valuePool } from '../support/client-workload.js'

/** Long enough for ~20 commits at a 100 ms interval: a 2-commit run measures its edges. */
const RECORDS = envInt('BENCH_IDEMPOTENCE_RECORDS', 3_000_000)
/** One commit per 1,000 records is ~10 ms each: fewer records give the same rate. */
const TXN_1000_RECORDS = Math.min(RECORDS, 200_000)
const PARTITIONS = 4
const CHUNK = 1000
const DEPTH = 16
const VALUE_BYTES = 100

await withScratchDir('idempotence', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker'), flushCheckIntervalMs: 10 })
  try {
    const values = valuePool(VALUE_BYTES)
    let topicNo = 0

    type Mode = 'plain' | 'idempotent' | 'idempotent-flush-100ms' | 'txn-100ms' | 'txn-1000'
    let txnNo = 0

    /** Sends RECORDS records; in a transactional mode, inside transactions ended by `commitDue`. */
    async function sendAll(producer: Producer, records: readonly ProducerRecord[], mode: Mode, total: number): Promise<number> {
      const chunks: ProducerRecord[][] = []
      for (let i = 0; i + CHUNK <= records.length; i += CHUNK) chunks.push(records.slice(i, i + CHUNK))
      const transactional = mode === 'txn-100ms' || mode === 'txn-1000'
      const window = new Window(DEPTH)
      let commits = 0
      let begunAt = performance.now()
      if (transactional) producer.beginTransaction()
      for (let sent = 0, c = 0; sent < total; sent += CHUNK, c = (c + 1) % chunks.length) {
        await window.add(producer.sendBatch(chunks[c] as ProducerRecord[]))
        const due = mode === 'txn-1000' || (mode === 'txn-100ms' && performance.now() - begunAt >= 100)
        if (transactional && due) {
          // As an application commits: commitTransaction() flushes what is buffered (lingerMs
          // does not apply) and resolves once it is appended and committed. Draining the window
          // first would wait out lingerMs on the tail batches.
          const c0 = performance.now()
          await producer.commitTransaction()
          await window.drain()
          if (mode === 'txn-100ms') commitMs.push(performance.now() - c0)
          commits++
          producer.beginTransaction()
          begunAt = performance.now()
        }
      }
      if (transactional) {
        await producer.commitTransaction()
        commits++
      }
      await window.drain()
      return commits
    }

    const commitsPerMode = new Map<Mode, number[]>()
    /** How long each commit of the 100 ms mode kept the producer waiting (flush, fsyncs, markers). */
    const commitMs: number[] = []

    async function round(mode: Mode): Promise<Run> {
      const topic = `idem-${topicNo++}`
      broker.createTopic({ topic, partitions: PARTITIONS, configs: mode === 'idempotent-flush-100ms' ? { 'flush.ms': 100 } : {} })
      const transactional = mode === 'txn-100ms' || mode === 'txn-1000'
      const producer = broker.producer({
        acks: 'all',
        enableIdempotence: mode !== 'plain',
        lingerMs: 5,
        batchBytes: 16 * 1024,
        transactionalId: transactional ? `bench-${txnNo++}` : undefined,
      })
      try {
        if (transactional) await producer.initTransactions()
        const total = mode === 'txn-1000' ? TXN_1000_RECORDS : RECORDS
        const t0 = performance.now()
        const commits = await sendAll(producer, keylessRecords(topic, values), mode, total)
        await producer.flush()
        const seconds = (performance.now() - t0) / 1000
        commitsPerMode.set(mode, [...(commitsPerMode.get(mode) ?? []), commits])
        return { seconds, records: total, bytes: total * VALUE_BYTES }
      } finally {
        await producer.close()
        broker.deleteTopic(topic)
      }
    }

    heading('idempotence', 'plain vs idempotent vs transactional producer (embedded broker)', [
      `${RECORDS.toLocaleString('en')} records per run (${TXN_1000_RECORDS.toLocaleString('en')} with a commit per 1,000), null keys, ${VALUE_BYTES} B values, ${PARTITIONS} partitions; ` +
        `sendBatch of ${CHUNK}, ${DEPTH} outstanding; acks all, lingerMs 5, batchBytes 16384`,
      `baseline: enableIdempotence false (no producer id, no sequence check); ${describeScratch(dir)}`,
    ])
    const runs = await interleaved(CLIENT_REPS, {
      plain: () => round('plain'),
      idempotent: () => round('idempotent'),
      durable: () => round('idempotent-flush-100ms'),
      txn100: () => round('txn-100ms'),
      txn1000: () => round('txn-1000'),
    })
    const plain = printThroughput('plain producer', runs.plain).recordsPerSecond
    const idempotent = printThroughput('idempotent producer', runs.idempotent).recordsPerSecond
    const durable = printThroughput('idempotent, flush.ms 100', runs.durable).recordsPerSecond
    const txn100 = printThroughput('transactional, commit / 100 ms', runs.txn100).recordsPerSecond
    const txn1000 = printThroughput('transactional, 1000 rec / txn', runs.txn1000).recordsPerSecond
    line('commits per run', `100 ms: ${(commitsPerMode.get('txn-100ms') ?? []).join(' / ')}; 1000 rec: ${(commitsPerMode.get('txn-1000') ?? []).join(' / ')}`)
    const sorted = [...commitMs].sort((a, b) => a - b)
    const pct = (q: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1)
    line('commit latency (100 ms)', `p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${pct(1)} ms over ${sorted.length} commits`)
    line('idempotent / plain', `${(idempotent / plain).toFixed(3)}x (${fmtRate(idempotent)} vs ${fmtRate(plain)} rec/s)`)
    line('txn 100 ms / idempotent', `${(txn100 / idempotent).toFixed(3)}x`)
    line('flush.ms 100 / idempotent', `${(durable / idempotent).toFixed(3)}x (the cost of durability alone)`)
    line('txn 100 ms / flush.ms 100', `${(txn100 / durable).toFixed(3)}x (the wait: a commit is acked only once durable)`)
    line('txn 1000 rec / idempotent', `${(txn1000 / idempotent).toFixed(3)}x`)
    printTarget({
      metric: 'idempotence overhead',
      value: (1 - idempotent / plain) * 100,
      target: 5,
      direction: 'max',
      format: (v) => `${v.toFixed(1)}%`,
    })
    printTarget({
      metric: 'transactional overhead at a 100 ms commit interval',
      value: (1 - txn100 / idempotent) * 100,
      target: 5,
      direction: 'max',
      format: (v) => `${v.toFixed(1)}%`,
    })
  } finally {
    await broker.close()
  }
})
