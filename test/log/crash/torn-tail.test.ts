/**
 * Torn final batch at every byte (reliability-anchor.md §3(a), first row). k batches are appended
 * and fsynced; the (k+1)-th, unsynced, is torn at every cut point c: the segment holds the k
 * batches plus c bytes of it, then optionally garbage (zeros, 0xFF, noise) up to the end of the
 * 4 KiB sector holding the cut, as a torn sector write leaves it. Recovery, with the recovery
 * point at the end of the k batches, must expose exactly the k batches, report the cut, make the
 * repair durable, and be idempotent; the next append takes the first lost offset.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { SeededRandom } from '../../../src/log/storage/fault/seeded-random.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import type { RecordInput } from '../../../src/log/record/record.js'
import { batchOf } from '../../support/batches.js'
import { diffFiles, Failures, filesUnder, newPartitionIO, NIGHTLY, openCrashLog, PARTITION_DIR, SWEEP_TIMEOUT_MS } from './crash-support.js'

const SECTOR_BYTES = 4096
const LOG_PATH = join(PARTITION_DIR, '00000000000000000000.log')
/** One segment for the whole test: the torn batch must land behind the k synced ones. */
const CONFIG = { segmentBytes: 16 * 1024 * 1024 }
const FILLS = ['clean cut', 'zero-fill', '0xFF-fill', 'random-fill'] as const
type Fill = (typeof FILLS)[number]

interface Fixture {
  /** Visible bytes of every other file of the partition (indexes) at the crash. */
  otherFiles: Map<string, Uint8Array>
  /** The k synced batches, then the torn batch, then a sector of slack for fills past its end. */
  scratch: Uint8Array
  prefixBytes: number
  tornBytes: number
  /** lastOffset(k) + 1: the recovery point, the expected log end and the next offset. */
  endOffset: number
  /** One past the torn batch's last offset (the log end when a fill restores it). */
  tornEndOffset: number
  /** Recovered images whose second recovery was checked: idempotent, next offset right. */
  provenIdempotent: Array<Map<string, Uint8Array>>
}

/** Records whose values are deterministic noise, so garbage never happens to match them. */
function noisyBatch(records: number, valueBytes: number, seed: number): Uint8Array {
  const random = new SeededRandom(seed)
  const inputs: RecordInput[] = []
  for (let i = 0; i < records; i++) {
    const value = new Uint8Array(valueBytes)
    random.fillBytes(value)
    inputs.push({ key: Buffer.from(`k${i}`), value, timestampMs: 1_700_000_000_000 + i })
  }
  return encodeRecordBatch(inputs)
}

/** Runs a real log on FaultFileIO: k batches fsynced, then `torn` appended and never synced. */
async function buildFixture(torn: Uint8Array): Promise<Fixture> {
  const io = newPartitionIO()
  const log = openCrashLog(io, { recoveryPoint: 0, cleanShutdown: false, config: CONFIG })
  log.append(batchOf(3, 'a'))
  log.append(batchOf(40, 'b'))
  log.append(batchOf(1, 'c'))
  const endOffset = await log.flush()
  const prefixBytes = log.sizeBytes
  const tornEndOffset = log.append(torn).lastOffset + 1
  const crashed = io.processCrash()
  const files = filesUnder(crashed, PARTITION_DIR)
  const logBytes = files.get(LOG_PATH) as Uint8Array
  files.delete(LOG_PATH)
  const scratch = new Uint8Array(logBytes.length + SECTOR_BYTES)
  scratch.set(logBytes)
  return { otherFiles: files, scratch, prefixBytes, tornBytes: logBytes.length - prefixBytes, endOffset, tornEndOffset, provenIdempotent: [] }
}

interface Image {
  io: FaultFileIO
  /** Length of the .log in the image. */
  logBytes: number
  /**
   * The fill happened to rewrite every missing byte of the batch with its own value (a batch
   * ends in the 0x00 of its last record's header count, so a zero-fill of the last byte does):
   * the batch is whole, and recovery rightly keeps it.
   */
  batchRestored: boolean
}

/** The crash image for cut point `cut` with `fill`. */
function imageFor(fx: Fixture, cut: number, fill: Fill, seed: number): Image {
  const io = new FaultFileIO()
  for (const [path, bytes] of fx.otherFiles) io.writeFile(path, bytes)
  const at = fx.prefixBytes + cut
  if (fill === 'clean cut') {
    io.writeFile(LOG_PATH, fx.scratch.subarray(0, at))
    return { io, logBytes: at, batchRestored: false }
  }
  const end = (Math.floor(at / SECTOR_BYTES) + 1) * SECTOR_BYTES
  const saved = fx.scratch.slice(at, end)
  const garbage = fx.scratch.subarray(at, end)
  if (fill === 'zero-fill') garbage.fill(0)
  else if (fill === '0xFF-fill') garbage.fill(0xff)
  else new SeededRandom(seed).fillBytes(garbage)
  const batchEnd = fx.prefixBytes + fx.tornBytes
  const batchRestored = end >= batchEnd && Buffer.compare(garbage.subarray(0, batchEnd - at), saved.subarray(0, batchEnd - at)) === 0
  io.writeFile(LOG_PATH, fx.scratch.subarray(0, end))
  fx.scratch.set(saved, at)
  return { io, logBytes: end, batchRestored }
}

/** Recovers one image and checks everything §3(a) asks of it; returns the first problem. */
function checkCut(fx: Fixture, cut: number, fill: Fill, seed: number): string | undefined {
  const { io, logBytes, batchRestored } = imageFor(fx, cut, fill, seed)
  const log = openCrashLog(io, { recoveryPoint: fx.endOffset, cleanShutdown: false, config: CONFIG })
  const keptBytes = batchRestored ? fx.prefixBytes + fx.tornBytes : fx.prefixBytes
  const endOffset = batchRestored ? fx.tornEndOffset : fx.endOffset
  if (log.logEndOffset !== endOffset) return `log end ${log.logEndOffset}, expected ${endOffset}`
  const visible = log.read(0, 64 * 1024 * 1024)
  if (Buffer.compare(visible, fx.scratch.subarray(0, keptBytes)) !== 0) {
    return `reads return ${visible.length} bytes, not the ${keptBytes} of the whole batches`
  }
  const report = log.recoveryReport
  const cutBytes = logBytes - keptBytes
  if (report.truncatedBytes !== cutBytes) return `truncatedBytes ${report.truncatedBytes}, expected ${cutBytes}`
  if (cutBytes === 0 && report.truncatedAt !== undefined) return 'truncatedAt set though nothing was cut'
  if (cutBytes > 0 && (report.truncatedAt?.file !== LOG_PATH || report.truncatedAt.position !== keptBytes)) {
    return `truncatedAt ${JSON.stringify(report.truncatedAt)}, expected ${LOG_PATH} at ${keptBytes}`
  }
  // The repair must be durable: a power loss right after recovery changes nothing.
  const recovered = filesUnder(io, PARTITION_DIR)
  const afterPowerLoss = io.powerLoss({ mode: 'drop-all-unsynced' })
  const notDurable = diffFiles(recovered, filesUnder(afterPowerLoss, PARTITION_DIR))
  if (notDurable !== undefined) return `recovery did not make its result durable: ${notDurable}`
  // Recovery is deterministic, so a recovered image byte-identical to one already proven
  // idempotent needs no second proof (almost every cut recovers to the same bytes; this halves
  // the sweep's cost without weakening it).
  const proven = fx.provenIdempotent.find((files) => diffFiles(files, recovered) === undefined)
  if (proven !== undefined) return undefined
  // Idempotent: recovering the recovered image cuts nothing and changes no byte.
  const again = openCrashLog(afterPowerLoss, { recoveryPoint: fx.endOffset, cleanShutdown: false, config: CONFIG })
  if (again.recoveryReport.truncatedBytes !== 0) return `second recovery cut ${again.recoveryReport.truncatedBytes} bytes`
  const changed = diffFiles(recovered, filesUnder(afterPowerLoss, PARTITION_DIR))
  if (changed !== undefined) return `second recovery changed ${changed}`
  const next = again.append(batchOf(1, 'next')).baseOffset
  if (next !== endOffset) return `next append got offset ${next}, expected ${endOffset}`
  again.close()
  fx.provenIdempotent.push(recovered)
  return undefined
}

interface SizeCase {
  name: string
  batch: () => Uint8Array
  /** Cut points: every byte, or a sample (every 97th byte, plus the whole header and the last byte). */
  step: number
}

const SIZES: SizeCase[] = [
  { name: 'a minimal 1-record batch', batch: () => encodeRecordBatch([{ key: null, value: null, timestampMs: 1 }]), step: 1 },
  { name: 'a ~16 KiB batch', batch: () => noisyBatch(64, 250, 16), step: 1 },
  { name: 'a ~1 MiB batch', batch: () => noisyBatch(1024, 1000, 1024), step: NIGHTLY ? 1 : 97 },
]

function cutPoints(size: number, step: number): number[] {
  const cuts = new Set<number>()
  for (let c = 0; c < size; c += step) cuts.add(c)
  if (step > 1) {
    for (let c = 0; c < Math.min(size, 128); c++) cuts.add(c)
    cuts.add(size - 1)
  }
  return [...cuts].sort((a, b) => a - b)
}

describe('recovery of a torn final batch', () => {
  for (const size of SIZES) {
    it(`exposes exactly the synced batches for every cut point of ${size.name}, clean or sector-filled`, async () => {
      const fx = await buildFixture(size.batch())
      const cuts = cutPoints(fx.tornBytes, size.step)
      const failures = new Failures()
      let cases = 0
      for (const cut of cuts) {
        for (const [variant, fill] of FILLS.entries()) {
          const seed = cut * FILLS.length + variant
          cases++
          failures.check(`${size.name} (${fx.tornBytes} B), cut point ${cut}, ${fill}, seed ${seed}`, () => checkCut(fx, cut, fill, seed))
        }
      }
      failures.expectNone()
      expect(cases).toBe(cuts.length * FILLS.length)
      if (size.step === 1) expect(cuts.length).toBe(fx.tornBytes)
    }, SWEEP_TIMEOUT_MS)
  }

})
