/**
 * Figure `recovery-scan` (reliability-anchor 3(a)): how long `Broker.open` takes after an unclean
 * shutdown, when every segment of a partition must be scanned batch by batch (structure + CRC-32C)
 * and its indexes rebuilt. The partition is written and closed cleanly once; before each timed
 * open the `.clean-shutdown` marker and the recovery-point checkpoint are deleted, which is what
 * a crash leaves behind (recovery point 0: everything is scanned). Page cache warm.
 *
 * Size: `BENCH_RECOVERY_MIB` (default 1024) with `segment.bytes` = 256 MiB, so recovery walks
 * several segments as it would on a real partition. Reported in seconds per GiB.
 *
 * Baseline: raw sequential `readSync` of the same segment files in 1 MiB chunks into a
 * non-page-aligned buffer, plus a CRC-32C (`@node-rs/crc32`) of every chunk.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Broker, CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT } from '../../src/log/broker.js'
import {
  GiB,
  MiB,
  describeScratch,
  envInt,
  freeBytes,
  heading,
  interleaved,
  line,
  median,
  nowMs,
  printRatio,
  printTarget,
  printThroughput,
  skip,
  withScratchDir,
  type Run,
} from '../support/harness.js'
import { openFilledPartition } from '../support/filled-partition.js'
import { rawReadCrc } from '../support/raw-io.js'

const SIZE_MIB = envInt('BENCH_RECOVERY_MIB', 1024)
const SEGMENT_BYTES = 256 * MiB
const MIN_FREE_BYTES = 4 * GiB
/** Each timed reopen scans the whole partition: 5 by default (`BENCH_RECOVERY_REPS`). */
const REPS = Math.max(3, envInt('BENCH_RECOVERY_REPS', 5))

const secondsPerGiB = (r: Run): number => r.seconds / (r.bytes / GiB)

await withScratchDir('recovery-scan', async (dir) => {
  heading('recovery-scan', 'Broker.open after an unclean shutdown (recovery point 0: full scan)', [
    `${SIZE_MIB} MiB partition, segment.bytes ${SEGMENT_BYTES / MiB} MiB; ${describeScratch(dir)}`,
    'baseline: readSync of the same segment files in 1 MiB chunks (non-page-aligned) + crc32c of each chunk',
  ])
  const free = freeBytes(dir)
  if (free < Math.max(MIN_FREE_BYTES, 2 * SIZE_MIB * MiB)) {
    skip(`only ${(free / GiB).toFixed(1)} GiB free under ${dir}; needs ${MIN_FREE_BYTES / GiB} GiB`)
    return
  }
  const p = await openFilledPartition(dir, SIZE_MIB * MiB, { 'segment.bytes': SEGMENT_BYTES })
  await p.broker.close()
  const scans: string[] = []

  async function reopenAfterCrash(): Promise<Run> {
    // What a crash leaves: no clean-shutdown marker and no recovery point for the partition.
    rmSync(join(p.dataDir, CLEAN_SHUTDOWN_FILE), { force: true })
    rmSync(join(p.dataDir, RECOVERY_POINT_CHECKPOINT), { force: true })
    const t0 = nowMs()
    const broker = await Broker.open({ dataDir: p.dataDir })
    const seconds = (nowMs() - t0) / 1000
    try {
      const log = broker.partitionLog(p.tp)
      const report = log.recoveryReport
      scans.push(`${report.scannedSegments}/${log.segmentCount} segments scanned, ${report.rebuiltIndexes.length} indexes rebuilt, ${report.truncatedBytes} B truncated`)
      return { seconds, records: p.records, bytes: log.sizeBytes }
    } finally {
      await broker.close()
    }
  }

  const runs = await interleaved(REPS, {
    baseline: () => rawReadCrc(p.segmentFiles, p.records),
    millrace: reopenAfterCrash,
  })
  line('recovery report', `${scans[scans.length - 1] ?? 'none'} (last run)`)
  const b = printThroughput('baseline (readSync + crc32c)', runs.baseline)
  const m = printThroughput('millrace (Broker.open)', runs.millrace)
  const perGiB = median(runs.millrace.map(secondsPerGiB))
  line('seconds per GiB', `millrace ${perGiB.toFixed(2)} s/GiB (runs: ${runs.millrace.map((r) => secondsPerGiB(r).toFixed(2)).join(' / ')}); ` +
    `baseline ${median(runs.baseline.map(secondsPerGiB)).toFixed(2)} s/GiB`)
  printRatio('ratio', m.mibPerSecond, b.mibPerSecond, 'of the baseline bytes/s')
  printTarget({
    metric: 'seconds per GiB',
    value: perGiB,
    target: 2,
    direction: 'max',
    format: (v) => `${v.toFixed(2)} s/GiB`,
  })
})
