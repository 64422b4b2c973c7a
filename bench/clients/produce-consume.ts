/**
 * Figure `produce-consume`: a producer and a consumer in one process over the embedded broker.
 * The producer sends keyless records with 100-byte values (sticky partitioner) while a consumer,
 * assigned every partition, polls them. Two ways of sending:
 *
 * - `sendBatch`: arrays of `BENCH_CLIENTS_CHUNK` records, a window of 4 calls outstanding;
 * - `send` windows: `BENCH_CLIENTS_CHUNK` un-awaited `send()` calls, then `Promise.all` of them,
 *   two windows outstanding (one promise per record: the cost of the per-record API).
 *
 * Reported per mode: the produce rate (first send → every send acknowledged), the consume rate
 * while producing (first polled record → last), the end-to-end rate (first send → last record
 * polled), and the catch-up rate of a fresh consumer re-reading the whole topic afterwards.
 *
 * Baseline: the same records encoded by `RecordBatchBuilder` into 16 KiB batches and appended
 * with `Broker.append` (the producer's own drain path without the client), then read back with
 * a consumer — so "client/baseline" is what the client layer costs.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import type { Producer } from '../../src/log/client/producer/producer-api.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import { RecordBatchBuilder } from '../../src/log/record/batch-builder.js'
import {
  describeScratch,
  envInt,
  fmtRate,
  heading,
  line,
  median,
  nowMs,
  printRatio,
  printTarget,
  printThroughput,
  withScratchDir,
  type Run,
} from '../support/harness.js'
import { openBenchConsumer } from '../support/millrace-consumer.js'
import { CLIENT_REPS, Window, catchUp, consumeCount, keylessRecords, partitionsOf, valuePool } from '../support/client-workload.js'

const RECORDS = envInt('BENCH_CLIENTS_RECORDS', 500_000)
const PARTITIONS = envInt('BENCH_CLIENTS_PARTITIONS', 4)
const CHUNK = envInt('BENCH_CLIENTS_CHUNK', 1000)
const VALUE_BYTES = 100
const BATCH_BYTES = 16 * 1024
const LINGER_MS = 5
const SEND_BATCH_DEPTH = 16
const SEND_WINDOW_DEPTH = 8

/** One mode's round: the four rates as runs (records per second = records / seconds). */
interface Round {
  produce: Run
  consumeLive: Run
  endToEnd: Run
  catchUp: Run
}

type Mode = 'sendBatch' | 'send'

await withScratchDir('produce-consume', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  try {
    const values = valuePool(VALUE_BYTES)
    let topicNo = 0

    async function sendAllBatched(producer: Producer, records: readonly ProducerRecord[]): Promise<void> {
      const chunks: ProducerRecord[][] = []
      for (let i = 0; i + CHUNK <= records.length; i += CHUNK) chunks.push(records.slice(i, i + CHUNK))
      const window = new Window(SEND_BATCH_DEPTH)
      let sent = 0
      for (let c = 0; sent < RECORDS; c = (c + 1) % chunks.length) {
        const chunk = chunks[c] as ProducerRecord[]
        const part = RECORDS - sent >= chunk.length ? chunk : chunk.slice(0, RECORDS - sent)
        await window.add(producer.sendBatch(part))
        sent += part.length
      }
      await window.drain()
    }

    async function sendAllWindows(producer: Producer, records: readonly ProducerRecord[]): Promise<void> {
      const window = new Window(SEND_WINDOW_DEPTH)
      const mask = records.length - 1
      for (let sent = 0; sent < RECORDS; ) {
        const n = Math.min(CHUNK, RECORDS - sent)
        const acks: Array<Promise<unknown>> = new Array<Promise<unknown>>(n)
        for (let i = 0; i < n; i++) acks[i] = producer.send(records[(sent + i) & mask] as ProducerRecord)
        sent += n
        await window.add(Promise.all(acks))
      }
      await window.drain()
    }

    async function clientRound(mode: Mode): Promise<Round> {
      const topic = `clients-${topicNo++}`
      broker.createTopic({ topic, partitions: PARTITIONS })
      const tps = partitionsOf(topic, PARTITIONS)
      const records = keylessRecords(topic, values)
      const consumer = openBenchConsumer(broker)
      const producer = broker.producer({ acks: 1, lingerMs: LINGER_MS, batchBytes: BATCH_BYTES })
      try {
        await consumer.assign(tps)
        const consuming = consumeCount(consumer, RECORDS)
        const t0 = nowMs()
        await (mode === 'sendBatch' ? sendAllBatched(producer, records) : sendAllWindows(producer, records))
        await producer.flush()
        const producedMs = nowMs()
        const consumed = await consuming
        const bytes = consumed.bytes
        const again = await catchUp(broker, tps, RECORDS)
        return {
          produce: { seconds: (producedMs - t0) / 1000, records: RECORDS, bytes },
          consumeLive: { seconds: (consumed.lastMs - consumed.firstMs) / 1000, records: consumed.records, bytes },
          endToEnd: { seconds: (consumed.lastMs - t0) / 1000, records: consumed.records, bytes },
          catchUp: { seconds: again.seconds, records: again.records, bytes: again.bytes },
        }
      } finally {
        await producer.close()
        await consumer.close()
        broker.deleteTopic(topic)
      }
    }

    /** The client-less path: encode 16 KiB batches, `Broker.append` each (round robin), then read them back. */
    async function baselineRound(): Promise<Round> {
      const topic = `clients-base-${topicNo++}`
      broker.createTopic({ topic, partitions: PARTITIONS })
      const tps = partitionsOf(topic, PARTITIONS)
      try {
        const t0 = nowMs()
        let appended = 0
        for (let p = 0; appended < RECORDS; p = (p + 1) % PARTITIONS) {
          const builder = new RecordBatchBuilder({ maxBatchBytes: BATCH_BYTES })
          const timestampMs = Date.now()
          while (appended < RECORDS && builder.hasRoomFor(-1, VALUE_BYTES)) {
            builder.append({ key: null, value: values[appended & (values.length - 1)] as Buffer }, timestampMs)
            appended++
          }
          broker.append(tps[p] as (typeof tps)[number], builder.build(), { trusted: true })
        }
        const producedMs = nowMs()
        const again = await catchUp(broker, tps, RECORDS)
        const bytes = again.bytes
        const produce = { seconds: (producedMs - t0) / 1000, records: RECORDS, bytes }
        const read = { seconds: again.seconds, records: again.records, bytes }
        return { produce, consumeLive: read, endToEnd: { seconds: produce.seconds + read.seconds, records: RECORDS, bytes }, catchUp: read }
      } finally {
        broker.deleteTopic(topic)
      }
    }

    heading('produce-consume', 'producer → consumer in one process (embedded broker)', [
      `${RECORDS.toLocaleString('en')} records per run, null keys, ${VALUE_BYTES} B values, ${PARTITIONS} partitions (sticky partitioner); ` +
        `producer acks 1, lingerMs ${LINGER_MS}, batchBytes ${BATCH_BYTES}; consumer assign(all) + poll (maxPollRecords 500)`,
      `sendBatch: ${CHUNK}-record arrays, ${SEND_BATCH_DEPTH} calls outstanding; send windows: ${CHUNK} send() promises awaited together, ${SEND_WINDOW_DEPTH} windows outstanding`,
      `produce = first send → all acknowledged; consume (live) = first → last record polled while producing; ` +
        `end-to-end = first send → last record polled; catch-up = a fresh consumer re-reading the topic`,
      `baseline: RecordBatchBuilder 16 KiB batches + Broker.append (no client), read back by the same consumer; ${describeScratch(dir)}`,
    ])
    // interleaved() takes steps returning one Run; a round here yields four, so the same
    // schedule is spelled out: one warm-up round of each, then CLIENT_REPS interleaved rounds.
    const steps = { sendBatch: () => clientRound('sendBatch'), send: () => clientRound('send'), baseline: baselineRound }
    const runs: Record<keyof typeof steps, Round[]> = { sendBatch: [], send: [], baseline: [] }
    for (const step of Object.values(steps)) await step()
    for (let rep = 0; rep < CLIENT_REPS; rep++) {
      for (const name of ['sendBatch', 'send', 'baseline'] as const) runs[name].push(await steps[name]())
    }
    const medians: Record<string, Record<keyof Round, number>> = {}
    for (const [name, label] of [
      ['sendBatch', 'sendBatch'],
      ['send', 'send windows'],
      ['baseline', 'baseline (no client)'],
    ] as const) {
      const rounds = runs[name]
      medians[name] = {
        produce: printThroughput(`${label}: produce`, rounds.map((r) => r.produce)).recordsPerSecond,
        consumeLive: name === 'baseline' ? 0 : printThroughput(`${label}: consume (live)`, rounds.map((r) => r.consumeLive)).recordsPerSecond,
        endToEnd: printThroughput(`${label}: end-to-end`, rounds.map((r) => r.endToEnd)).recordsPerSecond,
        catchUp: printThroughput(`${label}: consume (catch-up)`, rounds.map((r) => r.catchUp)).recordsPerSecond,
      }
    }
    const base = medians['baseline'] as Record<keyof Round, number>
    const batched = medians['sendBatch'] as Record<keyof Round, number>
    const windows = medians['send'] as Record<keyof Round, number>
    printRatio('ratio sendBatch produce', batched.produce, base.produce, 'of the client-less append rate')
    printRatio('ratio send-windows produce', windows.produce, base.produce, 'of the client-less append rate')
    printRatio('ratio sendBatch end-to-end', batched.endToEnd, base.endToEnd, 'of the client-less append-then-read rate')
    line('catch-up consume vs live', `${(batched.catchUp / Math.max(1, batched.consumeLive)).toFixed(2)}x (live consume is bounded by the producer)`)
    const best = Math.max(batched.endToEnd, windows.endToEnd)
    line('end-to-end (best mode)', `${fmtRate(best)} rec/s; median of each mode's runs: sendBatch ${fmtRate(median(runs.sendBatch.map((r) => r.endToEnd.records / r.endToEnd.seconds)))}, send ${fmtRate(median(runs.send.map((r) => r.endToEnd.records / r.endToEnd.seconds)))}`)
    printTarget({
      metric: 'end-to-end records/s (sendBatch)',
      value: batched.endToEnd,
      target: 1.5e6,
      direction: 'min',
      format: (v) => `${fmtRate(v)} rec/s`,
    })
  } finally {
    await broker.close()
  }
})
