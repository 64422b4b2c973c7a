/**
 * Figure `append-batched` (perf-anchor G1): encode records with `RecordBatchBuilder` into 16 KiB
 * batches and append each one through `Broker.append` (the user-level path; `PartitionLog.append`
 * underneath), no fsync. A fresh batch is encoded for every append, because the log takes
 * ownership of the buffer and because encoding is part of the real cost.
 *
 * Baseline: `fs.writeSync` of the same total bytes in the same batch sizes into a plain file.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import {
  REPS,
  describeScratch,
  envInt,
  fmtRate,
  heading,
  interleaved,
  line,
  nowMs,
  printRatio,
  printTarget,
  printThroughput,
  withScratchDir,
  type Run,
} from '../support/harness.js'
import { rawAppend } from '../support/raw-io.js'
import { BATCH_BYTES, KEY_BYTES, VALUE_BYTES, encodeBatch, recordPool } from '../support/records.js'

const RECORDS_PER_RUN = envInt('BENCH_APPEND_RECORDS', 2_000_000)

await withScratchDir('append-batched', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  try {
    const pool = recordPool()
    let batchSizes: number[] = []
    let topicNo = 0

    function millrace(): Run {
      const topic = `append-${topicNo++}`
      broker.createTopic({ topic })
      const tp = { topic, partition: 0 }
      const sizes: number[] = []
      let records = 0
      let bytes = 0
      const t0 = nowMs()
      while (records < RECORDS_PER_RUN) {
        const batch = encodeBatch(pool, records, RECORDS_PER_RUN - records)
        broker.append(tp, batch.bytes, { trusted: true })
        records += batch.records
        bytes += batch.bytes.length
        sizes.push(batch.bytes.length)
      }
      const seconds = (nowMs() - t0) / 1000
      broker.deleteTopic(topic)
      batchSizes = sizes
      return { seconds, records, bytes }
    }

    const source = randomBytes(4 * BATCH_BYTES)
    const baseline = (): Run => {
      const path = join(dir, 'raw-append.bin')
      const run = rawAppend(path, batchSizes, source, RECORDS_PER_RUN)
      rmSync(path)
      return run
    }

    heading('append-batched', 'encode (RecordBatchBuilder, 16 KiB batches) + Broker.append, no fsync', [
      `${RECORDS_PER_RUN.toLocaleString('en')} records per run, ${KEY_BYTES} B keys, ${VALUE_BYTES} B values; ` +
        `one fresh batch per Broker.append(tp, batch, { trusted: true }) (encoded in-process, so no CRC re-check)`,
      `baseline: fs.writeSync of the same bytes in the same batch sizes; ${describeScratch(dir)}`,
    ])
    // The subject runs first in each round: the baseline replays the batch sizes it produced.
    const runs = await interleaved(REPS, { millrace, baseline })
    const first = runs.millrace[0] as Run
    line('per run', `${(first.bytes / first.records).toFixed(1)} B/record on disk, ${batchSizes.length} batches of ~${(first.bytes / batchSizes.length / 1024).toFixed(1)} KiB`)
    const m = printThroughput('millrace (Broker.append)', runs.millrace)
    const b = printThroughput('baseline (raw writeSync)', runs.baseline)
    printRatio('ratio', m.mibPerSecond, b.mibPerSecond, 'of the baseline bytes/s')
    printTarget({
      metric: 'records/s',
      value: m.recordsPerSecond,
      target: 3e6,
      stretch: 5e6,
      direction: 'min',
      format: (v) => `${fmtRate(v)} rec/s`,
    })
  } finally {
    await broker.close()
  }
})
