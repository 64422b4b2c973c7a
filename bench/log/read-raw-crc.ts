/**
 * Figure `read-raw-crc` (perf-anchor G5): raw batch reads as replication, restore and bulk
 * readers do them — `Broker.read` in 1 MiB fetches, then `validateBatchAt` (structure + CRC-32C)
 * on every batch, no record decoding — over a pre-written, fsynced partition (page cache warm).
 *
 * Baseline: `readSync` of the same segment file in 1 MiB chunks into a non-page-aligned buffer.
 * Reference (not a ratio): the same raw read plus one `@node-rs/crc32` call per 16 KiB slice —
 * the cost of the CRC work alone.
 */
import type { Broker } from '../../src/log/broker.js'
import { baseOffsetAt, lastOffsetDeltaAt, validateBatchAt } from '../../src/log/record/record-batch-v2.js'
import type { TopicPartition } from '../../src/log/topic-partition.js'
import {
  GiB,
  MiB,
  REPS,
  describeScratch,
  envInt,
  fmtMiB,
  heading,
  interleaved,
  nowMs,
  printRatio,
  printTarget,
  printThroughput,
  withScratchDir,
  type Run,
} from '../support/harness.js'
import { openFilledPartition } from '../support/filled-partition.js'
import { rawRead, rawReadCrc } from '../support/raw-io.js'
import { BATCH_BYTES } from '../support/records.js'

const PARTITION_MIB = envInt('BENCH_READ_MIB', 512)
const FETCH_BYTES = MiB

function readValidated(broker: Broker, tp: TopicPartition, records: number): Run {
  const { logStartOffset, logEndOffset } = broker.offsets(tp)
  let offset = logStartOffset
  let bytes = 0
  const t0 = nowMs()
  while (offset < logEndOffset) {
    const fetched = broker.read(tp, offset, FETCH_BYTES)
    const end = fetched.length
    if (end === 0) break
    let pos = 0
    while (pos < end) {
      const size = validateBatchAt(fetched, pos, end)
      offset = (baseOffsetAt(fetched, pos) as number) + lastOffsetDeltaAt(fetched, pos) + 1
      pos += size
    }
    bytes += end
  }
  return { seconds: (nowMs() - t0) / 1000, records, bytes }
}

await withScratchDir('read-raw-crc', async (dir) => {
  const p = await openFilledPartition(dir, PARTITION_MIB * MiB)
  try {
    heading('read-raw-crc', 'Broker.read (1 MiB fetches) + validateBatchAt (CRC-32C) per batch', [
      `${p.records.toLocaleString('en')} records, ${(p.bytes / MiB).toFixed(0)} MiB in ${p.segmentFiles.length} segment(s), page cache warm`,
      `baseline: readSync of the segment file in 1 MiB chunks into a non-page-aligned buffer; ${describeScratch(dir)}`,
    ])
    const runs = await interleaved(REPS, {
      baseline: () => rawRead(p.segmentFiles, p.records),
      reference: () => rawReadCrc(p.segmentFiles, p.records, MiB, BATCH_BYTES),
      millrace: () => readValidated(p.broker, p.tp, p.records),
    })
    const b = printThroughput('baseline (raw readSync)', runs.baseline)
    printThroughput('reference (+crc32c per 16 KiB)', runs.reference)
    const m = printThroughput('millrace (read + validate)', runs.millrace)
    printRatio('ratio', m.mibPerSecond, b.mibPerSecond, 'of the baseline bytes/s')
    printTarget({
      metric: 'bytes/s',
      value: m.mibPerSecond,
      target: (2 * GiB) / MiB,
      direction: 'min',
      format: fmtMiB,
    })
  } finally {
    await p.broker.close()
  }
})
