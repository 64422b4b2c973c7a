/**
 * Figure `append-durable` (perf-anchor G3): 8 concurrent writers, each an async loop of
 * `await broker.appendDurable(tp, batch)` with one pre-encoded 16 KiB batch at a time, so
 * durability comes from group commit (one fdatasync covers every append made before it starts).
 * Two layouts: all 8 writers on one partition, and one partition per writer. Reports records/s
 * and the ack latency (call → resolve) percentiles.
 *
 * Baselines: `writeSync` + `fdatasyncSync` per 16 KiB batch (no group commit possible), and per
 * 256 KiB (what a group commit of 16 batches could cost at best).
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import {
  KiB,
  REPS,
  describeScratch,
  envInt,
  fmtMs,
  fmtRate,
  heading,
  interleaved,
  line,
  median,
  nowMs,
  percentileOfSorted,
  printRatio,
  printTarget,
  printThroughput,
  setFigure,
  withScratchDir,
} from '../support/harness.js'
import { CountingFileIO } from '../support/counting-file-io.js'
import { rawWriteFdatasync, type DurableRun } from '../support/raw-io.js'
import { KEY_BYTES, VALUE_BYTES, encodeBatch, recordPool } from '../support/records.js'

const WRITERS = 8
const RUN_MS = envInt('BENCH_DURABLE_MS', 1000)
const BASELINE_MS = Math.max(200, Math.round(RUN_MS * 0.6))
const P99_TARGET_MS = 3

interface GroupCommitRun extends DurableRun {
  syncs: number
  /** How many batches each fdatasync covered: `coverage[n]` = syncs that covered n batches. */
  coverage: number[]
}

await withScratchDir('append-durable', async (dir) => {
  const io = new CountingFileIO()
  const broker = await Broker.open({ dataDir: join(dir, 'broker'), io })
  try {
    const pool = recordPool()
    // One pre-encoded batch per writer; the log rewrites its offsets in place on every append,
    // which is safe because a writer reuses its batch only after the append returned.
    const batches = Array.from({ length: WRITERS }, (_, w) => encodeBatch(pool, w * 200))
    const recordsPerBatch = (batches[0] as { records: number }).records
    const batchBytes = (batches[0] as { bytes: Buffer }).bytes.length
    let topicNo = 0

    async function groupCommit(partitions: 1 | typeof WRITERS, durationMs = RUN_MS): Promise<GroupCommitRun> {
      const topic = `durable-${partitions}-${topicNo++}`
      broker.createTopic({ topic, partitions })
      const latencies: number[] = []
      let records = 0
      let bytes = 0
      const syncsBefore = io.counts.syncs
      // Appends since the last fdatasync started: what the next one will cover.
      let pending = 0
      const coverage = new Array<number>(WRITERS + 1).fill(0)
      io.onSync = () => {
        const n = Math.min(pending, WRITERS)
        coverage[n] = (coverage[n] ?? 0) + 1
        pending = 0
      }
      const t0 = nowMs()
      const deadline = t0 + durationMs
      const writer = async (w: number): Promise<void> => {
        const tp = { topic, partition: partitions === 1 ? 0 : w }
        const batch = batches[w] as { bytes: Buffer; records: number }
        while (nowMs() < deadline) {
          const t = nowMs()
          pending++
          await broker.appendDurable(tp, batch.bytes, { trusted: true })
          latencies.push(nowMs() - t)
          records += batch.records
          bytes += batch.bytes.length
        }
      }
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
      const seconds = (nowMs() - t0) / 1000
      const syncs = io.counts.syncs - syncsBefore
      io.onSync = undefined
      broker.deleteTopic(topic)
      return { seconds, records, bytes, latenciesMs: Float64Array.from(latencies).sort(), syncs, coverage }
    }

    const source = randomBytes(256 * KiB)
    const raw = (size: number, recordsPerSync: number) => (): DurableRun => {
      const path = join(dir, `raw-${size}.bin`)
      const run = rawWriteFdatasync(path, size, source, recordsPerSync, BASELINE_MS)
      rmSync(path)
      return run
    }

    heading('append-durable', `group commit, ${WRITERS} writers each awaiting broker.appendDurable of one 16 KiB batch`, [
      `${KEY_BYTES} B keys, ${VALUE_BYTES} B values, ${recordsPerBatch} records (${batchBytes} B) per batch; ` +
        `${RUN_MS} ms per run; fdatasyncs counted by a pass-through FileIO`,
      `baselines: writeSync + fdatasyncSync per 16 KiB batch, and per 256 KiB; ${describeScratch(dir)}`,
    ])

    const steps = {
      raw16k: raw(batchBytes, recordsPerBatch),
      one: () => groupCommit(1),
      raw256k: raw(256 * KiB, Math.round((256 * KiB * recordsPerBatch) / batchBytes)),
      eight: () => groupCommit(WRITERS),
    }
    // Warm-up with short runs (JIT, page cache, journal).
    await groupCommit(1, 300)
    await groupCommit(WRITERS, 300)
    const runs = await interleaved(REPS, steps, ['raw16k', 'raw256k'])

    const printLatency = (label: string, rs: readonly DurableRun[]): { p99: number } => {
      const pick = (p: number): number => median(rs.map((r) => percentileOfSorted(r.latenciesMs, p)))
      const p99s = rs.map((r) => percentileOfSorted(r.latenciesMs, 0.99))
      line(
        label,
        `p50 ${fmtMs(pick(0.5))}  p99 ${fmtMs(pick(0.99))}  p99.9 ${fmtMs(pick(0.999))}  ` +
          `(medians over runs; p99 runs: ${p99s.map(fmtMs).join(' / ')})`,
      )
      return { p99: pick(0.99) }
    }

    const raw16 = printThroughput('baseline 16 KiB+fdatasync', runs.raw16k)
    printLatency('  latency', runs.raw16k)
    const raw256 = printThroughput('baseline 256 KiB+fdatasync', runs.raw256k)
    printLatency('  latency', runs.raw256k)

    const report = (name: string, label: string, rs: readonly GroupCommitRun[]): void => {
      setFigure(name)
      const m = printThroughput(label, rs)
      const { p99 } = printLatency('  ack latency', rs)
      const perSync = median(rs.map((r) => r.records / recordsPerBatch / r.syncs))
      const syncRate = median(rs.map((r) => r.syncs / r.seconds))
      line('  group commit', `${perSync.toFixed(2)} batches per fdatasync, ${syncRate.toFixed(0)} fdatasyncs/s (medians)`)
      if (name.endsWith('1-partition')) {
        // Only meaningful when all writers share one log: which share of fdatasyncs covered n batches.
        const totals = new Array<number>(WRITERS + 1).fill(0)
        for (const r of rs) r.coverage.forEach((c, n) => (totals[n] = (totals[n] as number) + c))
        const all = totals.reduce((a, b) => a + b, 0)
        line('  batches per fdatasync', totals.map((c, n) => (n === 0 ? '' : `${n}: ${((100 * c) / all).toFixed(0)}%`)).filter(Boolean).join('  '))
      }
      printRatio('  ratio', m.recordsPerSecond, raw16.recordsPerSecond, 'of the 16 KiB+fdatasync baseline')
      printRatio('  ratio', m.recordsPerSecond, raw256.recordsPerSecond, 'of the 256 KiB+fdatasync baseline')
      printTarget(
        {
          metric: 'records/s; p99 ack',
          value: m.recordsPerSecond,
          target: 1e6,
          stretch: 2e6,
          direction: 'min',
          format: (v) => `${fmtRate(v)} rec/s`,
        },
        { met: p99 <= P99_TARGET_MS, text: `p99 ≤ ${P99_TARGET_MS} ms`, measured: `p99 ${fmtMs(p99)}` },
      )
    }
    report('append-durable/1-partition', '8 writers → 1 partition', runs.one)
    report('append-durable/8-partitions', '8 writers → 8 partitions', runs.eight)
  } finally {
    await broker.close()
  }
})
