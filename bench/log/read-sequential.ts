/**
 * Figure `read-sequential` (perf-anchor G4): a consumer's per-record path over a pre-written,
 * fsynced partition (page cache warm): `Broker.read` in 1 MiB fetches → `iterateBatches` (default
 * options: CRC-32C checked, as a Kafka consumer with `check.crcs`) → `RecordBatch.forEachRecord`
 * with lazy records. Variant A touches `offset` and `timestampMs`; variant B also `valueSize`
 * (the value's length, without materialising a view).
 *
 * Baseline: `readSync` of the same segment file in 1 MiB chunks into one non-page-aligned buffer.
 */
import { Broker } from '../../src/log/broker.js'
import type { LogRecord } from '../../src/log/record/log-record.js'
import { iterateBatches, type RecordVisitor } from '../../src/log/record/record-batch.js'
import {
  MiB,
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
  setFigure,
  withScratchDir,
  type Run,
} from '../support/harness.js'
import { openFilledPartition } from '../support/filled-partition.js'
import { rawRead } from '../support/raw-io.js'
import type { TopicPartition } from '../../src/log/topic-partition.js'

const PARTITION_MIB = envInt('BENCH_READ_MIB', 512)
const FETCH_BYTES = MiB

/** Every record of the partition through the consumer path; `visit` sees each record once. */
function consumeAll(broker: Broker, tp: TopicPartition, visit: RecordVisitor): Run {
  const { logStartOffset, logEndOffset } = broker.offsets(tp)
  let offset = logStartOffset
  let records = 0
  let bytes = 0
  const t0 = nowMs()
  while (offset < logEndOffset) {
    const fetched = broker.read(tp, offset, FETCH_BYTES)
    if (fetched.length === 0) break
    bytes += fetched.length
    for (const batch of iterateBatches(fetched)) {
      batch.forEachRecord(visit)
      records += batch.recordsCount
      offset = batch.lastOffset + 1
    }
  }
  return { seconds: (nowMs() - t0) / 1000, records, bytes }
}

await withScratchDir('read-sequential', async (dir) => {
  const p = await openFilledPartition(dir, PARTITION_MIB * MiB)
  try {
    // Sinks the visitors write to, printed at the end so the work cannot be optimised away.
    let sinkA = 0
    let sinkB = 0
    const offsetAndTimestamp = (r: LogRecord): void => {
      sinkA += r.offset + r.timestampMs
    }
    const withValueSize = (r: LogRecord): void => {
      sinkB += r.offset + r.timestampMs + r.valueSize
    }
    heading('read-sequential', 'Broker.read (→ PartitionLog.read, 1 MiB fetches) → iterateBatches → forEachRecord, lazy records', [
      `${p.records.toLocaleString('en')} records, ${(p.bytes / MiB).toFixed(0)} MiB in ${p.segmentFiles.length} segment(s), page cache warm`,
      `baseline: readSync of the segment file in 1 MiB chunks into a non-page-aligned buffer; ${describeScratch(dir)}`,
    ])
    const runs = await interleaved(REPS, {
      baseline: () => rawRead(p.segmentFiles, p.records),
      offsetTimestamp: () => consumeAll(p.broker, p.tp, offsetAndTimestamp),
      valueSize: () => consumeAll(p.broker, p.tp, withValueSize),
    })
    const b = printThroughput('baseline (raw readSync)', runs.baseline)
    const variants = [
      { name: 'read-sequential/offset+timestamp', label: 'offset, timestampMs', runs: runs.offsetTimestamp },
      { name: 'read-sequential/+valueSize', label: 'offset, timestampMs, valueSize', runs: runs.valueSize },
    ]
    for (const v of variants) {
      setFigure(v.name)
      const m = printThroughput(v.label, v.runs)
      printRatio('  ratio', m.mibPerSecond, b.mibPerSecond, 'of the baseline bytes/s')
      printTarget({
        metric: 'records/s',
        value: m.recordsPerSecond,
        target: 5e6,
        direction: 'min',
        format: (x) => `${fmtRate(x)} rec/s`,
      })
    }
    line('visitor sinks', `${sinkA} / ${sinkB} (printed so the visits cannot be optimised away)`)
  } finally {
    await p.broker.close()
  }
})
