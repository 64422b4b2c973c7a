/**
 * Figure `e2e-latency`: end-to-end latency at a fixed offered load. A producer paced by the clock
 * (`BENCH_CLIENTS_LATENCY_RATE` records/s, default 200k) sends small bursts from a `setImmediate`
 * loop — each tick sends the records due by then with one `sendBatch` — while a consumer in the
 * same process polls the partition. Each value carries its sequence number; the send time is
 * kept in a side array by sequence number, and latency is poll return minus send call, per record.
 *
 * Coordinated omission: latency is measured from the actual send call, so a sender that falls
 * behind its schedule would hide delay; the largest lag behind the schedule is printed beside the
 * percentiles to show it did not.
 *
 * Baseline: the same loop with the records handed straight to the consumer side (no producer, no
 * log): the floor of one `setImmediate` hop plus the loop's own bookkeeping.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import {
  describeScratch,
  envInt,
  fmtMs,
  fmtRate,
  heading,
  line,
  nowMs,
  percentileOfSorted,
  printTarget,
  setFigure,
  withScratchDir,
} from '../support/harness.js'
import { openBenchConsumer } from '../support/millrace-consumer.js'

const RATE = envInt('BENCH_CLIENTS_LATENCY_RATE', 200_000)
const DURATION_MS = envInt('BENCH_CLIENTS_LATENCY_MS', 3000)
const WARM_UP_MS = 500
const VALUE_BYTES = 100

interface LatencyResult {
  /** Per-record latency in ms, ascending, warm-up excluded. */
  sorted: Float64Array
  sentRecords: number
  seconds: number
  /** Most records the sender was behind its schedule at the start of a tick, in ms of load. */
  maxLagMs: number
}

/**
 * Paces `total` records at `RATE` over the clock, calling `sendBurst(first, count)` once per
 * `setImmediate` tick for the records due; resolves when all were handed over.
 */
function pace(total: number, stamp: Float64Array, sendBurst: (first: number, count: number) => void): Promise<{ seconds: number; maxLagMs: number }> {
  return new Promise((resolve) => {
    const t0 = nowMs()
    let sent = 0
    let maxLag = 0
    const perMs = RATE / 1000
    function tick(): void {
      const now = nowMs()
      const due = Math.min(total, Math.floor((now - t0) * perMs))
      if (due > sent) {
        maxLag = Math.max(maxLag, due - sent)
        for (let i = sent; i < due; i++) stamp[i] = now
        sendBurst(sent, due - sent)
        sent = due
      }
      if (sent < total) setImmediate(tick)
      else resolve({ seconds: (nowMs() - t0) / 1000, maxLagMs: maxLag / perMs })
    }
    setImmediate(tick)
  })
}

function summarize(latencies: Float64Array, warmUpRecords: number): Float64Array {
  const kept = latencies.subarray(warmUpRecords)
  for (const v of kept) if (Number.isNaN(v)) throw new Error('a record was never consumed')
  return Float64Array.from(kept).sort()
}

await withScratchDir('e2e-latency', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  try {
    const total = Math.ceil((RATE * (WARM_UP_MS + DURATION_MS)) / 1000)
    const warmUpRecords = Math.ceil((RATE * WARM_UP_MS) / 1000)
    let topicNo = 0

    async function millrace(lingerMs: number): Promise<LatencyResult> {
      const topic = `latency-${topicNo++}`
      broker.createTopic({ topic, partitions: 1 })
      const producer = broker.producer({ acks: 1, lingerMs })
      const consumer = openBenchConsumer(broker)
      const sendMs = new Float64Array(total)
      const latency = new Float64Array(total).fill(Number.NaN)
      let failure: unknown
      try {
        await consumer.assign([{ topic, partition: 0 }])
        const consuming = (async () => {
          let seen = 0
          while (seen < total) {
            const polled = await consumer.poll({ timeoutMs: 5000 })
            const now = nowMs()
            if (polled.length === 0) throw new Error(`consumer stalled at ${seen} of ${total}`)
            for (const record of polled) {
              const value = record.value as Uint8Array
              const seq = (value[0] as number) | ((value[1] as number) << 8) | ((value[2] as number) << 16) | ((value[3] as number) << 24)
              latency[seq] = now - (sendMs[seq] as number)
            }
            seen += polled.length
          }
        })()
        const paced = await pace(total, sendMs, (first, count) => {
          // Fresh value bytes per burst: after a stall (GC, the VM) a burst can be large, and a
          // record waiting for buffer memory is encoded later, so values must not be reused.
          const values = Buffer.alloc(count * VALUE_BYTES, 0x61)
          const burst: ProducerRecord[] = new Array<ProducerRecord>(count)
          for (let i = 0; i < count; i++) {
            const seq = first + i
            const value = values.subarray(i * VALUE_BYTES, (i + 1) * VALUE_BYTES)
            value.writeUInt32LE(seq, 0)
            burst[i] = { topic, partition: 0, key: null, value }
          }
          producer.sendBatch(burst).catch((err: unknown) => {
            failure ??= err
          })
        })
        await consuming
        if (failure !== undefined) throw failure
        return { sorted: summarize(latency, warmUpRecords), sentRecords: total, ...paced }
      } finally {
        await producer.close()
        await consumer.close()
        broker.deleteTopic(topic)
      }
    }

    /** The same pacing with each burst delivered to the "consumer" one `setImmediate` later. */
    async function baseline(): Promise<LatencyResult> {
      const sendMs = new Float64Array(total)
      const latency = new Float64Array(total).fill(Number.NaN)
      let delivered = 0
      let done: () => void = () => undefined
      const allDelivered = new Promise<void>((resolve) => {
        done = resolve
      })
      const paced = await pace(total, sendMs, (first, count) => {
        setImmediate(() => {
          const now = nowMs()
          for (let seq = first; seq < first + count; seq++) latency[seq] = now - (sendMs[seq] as number)
          delivered += count
          if (delivered === total) done()
        })
      })
      await allDelivered
      return { sorted: summarize(latency, warmUpRecords), sentRecords: total, ...paced }
    }

    function report(label: string, r: LatencyResult): number {
      const p = (q: number): string => fmtMs(percentileOfSorted(r.sorted, q))
      const p99 = percentileOfSorted(r.sorted, 0.99)
      line(
        label,
        `p50 ${p(0.5)}  p99 ${p(0.99)}  p99.9 ${p(0.999)}  max ${fmtMs(r.sorted[r.sorted.length - 1] as number)}   ` +
          `(${fmtRate(r.sentRecords / r.seconds)} rec/s offered; sender lag ≤ ${fmtMs(r.maxLagMs)})`,
      )
      return p99
    }

    heading('e2e-latency', `end-to-end latency at ${fmtRate(RATE)} rec/s offered (send call → poll return)`, [
      `${(DURATION_MS / 1000).toFixed(1)} s measured after a ${WARM_UP_MS} ms warm-up, 1 partition, null keys, ${VALUE_BYTES} B values; ` +
        `bursts of the records due per setImmediate tick, one sendBatch each; producer acks 1, batchBytes 16384`,
      `consumer: assign + poll({ timeoutMs }) in the same process; baseline: the same pacing, delivered one setImmediate later; ${describeScratch(dir)}`,
    ])
    const base = await baseline()
    await millrace(1) // warm-up run (JIT), not reported
    const linger1 = await millrace(1)
    const linger0 = await millrace(0)
    report('baseline (setImmediate hop)', base)
    const p99 = report('millrace, lingerMs 1', linger1)
    report('millrace, lingerMs 0', linger0)
    setFigure('e2e-latency')
    printTarget({ metric: 'p99 latency (lingerMs 1)', value: p99, target: 2, direction: 'max', format: fmtMs })
  } finally {
    await broker.close()
  }
})
