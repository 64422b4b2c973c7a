/**
 * Figure `read-committed`: what `isolationLevel: 'read_committed'` costs a consumer. One topic
 * of 4 partitions is filled once by two transactional producers writing at the same time (so
 * their transactions interleave in every partition), each transaction 10 `sendBatch` calls of
 * 1,000 keyless 100-byte records, every `ABORT_EVERY`-th transaction of each producer aborted.
 * Then fresh consumers read the whole topic from offset 0, rounds interleaved:
 *
 * - baseline: `read_uncommitted` — every data record, aborted ones included, markers skipped;
 * - `read_committed` — the committed records only: aborted ones filtered through the
 *   aborted-transaction index, markers skipped, reads bounded by the last stable offset.
 *
 * Both scan the same batches; the comparison is the time to read the topic to its end, given as
 * the scan rate (data records in the log per second). The delivered rate is printed beside it.
 * A second topic holds committed transactions only (the filter's fixed cost without aborts).
 *
 * Target (issue 4): read_committed within 10% of read_uncommitted.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import type { Producer } from '../../src/log/client/producer/producer-api.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import { describeScratch, envInt, fmtRate, heading, interleaved, line, nowMs, printTarget, printThroughput, withScratchDir, type Run } from '../support/harness.js'
import { openBenchConsumer } from '../support/millrace-consumer.js'
import { CLIENT_REPS, consumeCount, keylessRecords, partitionsOf, valuePool } from '../support/client-workload.js'

const TXNS_PER_PRODUCER = envInt('BENCH_READ_COMMITTED_TXNS', 100)
const PRODUCERS = 2
const PARTITIONS = 4
const CHUNK = 1000
const CHUNKS_PER_TXN = 10
const VALUE_BYTES = 100
const ABORT_EVERY = 10

const RECORDS_PER_TXN = CHUNK * CHUNKS_PER_TXN
const TOTAL = TXNS_PER_PRODUCER * PRODUCERS * RECORDS_PER_TXN

await withScratchDir('read-committed', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  try {
    const values = valuePool(VALUE_BYTES)

    /** Runs one producer's transactions; returns how many records it committed. */
    async function writeTransactions(producer: Producer, records: readonly ProducerRecord[], abortEvery: number): Promise<number> {
      await producer.initTransactions()
      const chunks: ProducerRecord[][] = []
      for (let i = 0; i + CHUNK <= records.length; i += CHUNK) chunks.push(records.slice(i, i + CHUNK))
      let committed = 0
      for (let t = 1; t <= TXNS_PER_PRODUCER; t++) {
        producer.beginTransaction()
        const acks: Array<Promise<unknown>> = []
        for (let c = 0; c < CHUNKS_PER_TXN; c++) acks.push(producer.sendBatch(chunks[(t * CHUNKS_PER_TXN + c) % chunks.length] as ProducerRecord[]))
        await Promise.all(acks)
        if (abortEvery > 0 && t % abortEvery === 0) await producer.abortTransaction()
        else {
          await producer.commitTransaction()
          committed += RECORDS_PER_TXN
        }
      }
      return committed
    }

    /** Fills `topic` with interleaved transactions of PRODUCERS producers; returns the committed count. */
    async function fill(topic: string, abortEvery: number): Promise<number> {
      broker.createTopic({ topic, partitions: PARTITIONS })
      const records = keylessRecords(topic, values)
      const producers = Array.from({ length: PRODUCERS }, (_, i) =>
        broker.producer({ transactionalId: `${topic}-writer-${i}`, acks: 'all', lingerMs: 5, batchBytes: 16 * 1024 }),
      )
      try {
        const committed = await Promise.all(producers.map((p) => writeTransactions(p, records, abortEvery)))
        return committed.reduce((a, b) => a + b, 0)
      } finally {
        await Promise.all(producers.map((p) => p.close()))
      }
    }

    const mixed = 'rc-mixed'
    const committedOnly = 'rc-committed'
    const mixedCommitted = await fill(mixed, ABORT_EVERY)
    const onlyCommitted = await fill(committedOnly, 0)
    if (onlyCommitted !== TOTAL) throw new Error(`expected ${TOTAL} committed records, got ${onlyCommitted}`)

    const delivered = new Map<string, number[]>()
    /** Reads `topic` from 0 to its end; the Run counts the log's data records (the scan). */
    async function read(topic: string, isolationLevel: 'read_committed' | 'read_uncommitted', expected: number, label: string): Promise<Run> {
      const consumer = openBenchConsumer(broker, { isolationLevel })
      try {
        await consumer.assign(partitionsOf(topic, PARTITIONS))
        const t0 = nowMs()
        const got = await consumeCount(consumer, expected)
        const seconds = (got.lastMs - t0) / 1000
        // Nothing may arrive past the expected count: aborted records must stay filtered.
        const extra = await consumer.poll({ timeoutMs: 0 })
        if (extra.length > 0 || got.records !== expected) throw new Error(`${label}: read ${got.records + extra.length} records, expected ${expected}`)
        delivered.set(label, [...(delivered.get(label) ?? []), got.records / seconds])
        return { seconds, records: TOTAL, bytes: TOTAL * VALUE_BYTES }
      } finally {
        await consumer.close()
      }
    }

    heading('read-committed', 'read_committed vs read_uncommitted consumer on transactional data (embedded broker)', [
      `${TOTAL.toLocaleString('en')} data records per topic, ${PARTITIONS} partitions, ${VALUE_BYTES} B values; ${PRODUCERS} transactional producers interleaved, ` +
        `${RECORDS_PER_TXN.toLocaleString('en')} records per transaction, every ${ABORT_EVERY}th aborted (${(TOTAL - mixedCommitted).toLocaleString('en')} aborted records); ` +
        `a second topic with every transaction committed`,
      `rates are the scan (data records in the log / time to read to the end); baseline: read_uncommitted; ${describeScratch(dir)}`,
    ])
    const runs = await interleaved(CLIENT_REPS, {
      uncommitted: () => read(mixed, 'read_uncommitted', TOTAL, 'uncommitted'),
      committed: () => read(mixed, 'read_committed', mixedCommitted, 'committed'),
      uncommittedAll: () => read(committedOnly, 'read_uncommitted', TOTAL, 'uncommittedAll'),
      committedAll: () => read(committedOnly, 'read_committed', TOTAL, 'committedAll'),
    })
    const uncommitted = printThroughput('uncommitted, 10% aborted', runs.uncommitted).recordsPerSecond
    const committed = printThroughput('committed, 10% aborted', runs.committed).recordsPerSecond
    const uncommittedAll = printThroughput('uncommitted, no aborts', runs.uncommittedAll).recordsPerSecond
    const committedAll = printThroughput('committed, no aborts', runs.committedAll).recordsPerSecond
    const med = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    line('delivered, 10% aborted', `read_committed ${fmtRate(med(delivered.get('committed') ?? []))} rec/s of ${mixedCommitted.toLocaleString('en')}; read_uncommitted ${fmtRate(med(delivered.get('uncommitted') ?? []))} rec/s of ${TOTAL.toLocaleString('en')}`)
    line('read_committed / read_uncommitted', `${(committed / uncommitted).toFixed(3)}x with aborts, ${(committedAll / uncommittedAll).toFixed(3)}x all committed`)
    printTarget({
      metric: 'read_committed slowdown vs read_uncommitted (10% aborted)',
      value: (1 - committed / uncommitted) * 100,
      target: 10,
      direction: 'max',
      format: (v) => `${v.toFixed(1)}%`,
    })
    printTarget({
      metric: 'read_committed slowdown vs read_uncommitted (no aborts)',
      value: (1 - committedAll / uncommittedAll) * 100,
      target: 10,
      direction: 'max',
      format: (v) => `${v.toFixed(1)}%`,
    })
  } finally {
    await broker.close()
  }
})
