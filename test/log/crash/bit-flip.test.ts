/**
 * Corruption of fsynced data (reliability-anchor.md §3(a), third and fourth rows): single-bit
 * flips over every bit of one synced batch in the middle of the segment that recovery scans, a
 * sample of the bits of a larger one, and 2–32-bit bursts. Below the recovery point every
 * detectable flip must fail the open with `LOG_CORRUPT_SEGMENT` naming the segment and the
 * batch's position; a flip no check can see must leave every record unchanged — never silent
 * loss. Above the recovery point the same damage is a torn tail: truncated and reported.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { SeededRandom } from '../../../src/log/storage/fault/seeded-random.js'
import { isMillraceError } from '../../../src/log/errors.js'
import {
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  MAGIC_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
} from '../../../src/log/record/record-batch-v2.js'
import type { PartitionLog } from '../../../src/log/storage/partition-log.js'
import { batchOf, decodeAll } from '../../support/batches.js'
import {
  batchesOfFile,
  describeError,
  Failures,
  newPartitionIO,
  NIGHTLY,
  openCrashLog,
  PARTITION_DIR,
  SWEEP_TIMEOUT_MS,
  thrown,
  type FileBatch,
} from './crash-support.js'

const LOG_PATH = join(PARTITION_DIR, '00000000000000000000.log')
const CONFIG = { segmentBytes: 16 * 1024 * 1024 }

/**
 * THE UNDETECTABLE BITS, as (byte within the batch header, bit) pairs — the only single-bit flips
 * of a synced batch that recovery may accept:
 *
 * - partitionLeaderEpoch (header bytes 12–15, all 32 bits). It sits before the CRC-covered range
 *   (CRC-32C covers attributes..end), no structural rule constrains it (any int32 is a valid
 *   epoch), and the log ignores it on read (a single node stamps 0 on append). A flip changes no
 *   record, offset or timestamp, so nothing is lost — the test asserts exactly that.
 *
 * Deliberately NOT on the list, because the structural checks do catch them in a segment whose
 * offsets are contiguous: baseOffset (bytes 0–7), which the CRC does not cover either. A raise
 * past 2^53 − 1 or past the segment's int32 offset range fails the batch itself; any other raise
 * breaks "offsets strictly increase" at the NEXT batch, a lowering breaks it at this one. The
 * scanner cannot tell which of two disagreeing batches is wrong, so it distrusts both and reports
 * the first of them: a raised batch is reported at its own position, a lowered one at the
 * position of the batch before it. After compaction (offset gaps) a raise that stays inside the
 * gap would be undetectable; that is why baseOffset flips are checked here only on contiguous
 * data. batchLength (8–11) and magic (16) are caught by the length bounds, the CRC over the
 * implied range, and magic = 2.
 */
const UNDETECTABLE_BITS: ReadonlySet<string> = new Set(
  Array.from({ length: 32 }, (_, i) => bitKey(PARTITION_LEADER_EPOCH_OFFSET + (i >> 3), i & 7)),
)

function bitKey(byte: number, bit: number): string {
  return `${byte}.${bit}`
}

interface Fixture {
  /** A dead FaultFileIO holding the power-loss image; each case clones it. */
  image: FaultFileIO
  batches: FileBatch[]
  previous: FileBatch
  target: FileBatch
  endOffset: number
  /** Every record as read before any damage, serialised for a cheap equality check. */
  records: string
}

/**
 * Appends batches around `target`, fsyncs them all, and keeps the power-loss image: the segment
 * data durable, the (never fsynced) indexes as a power loss leaves them.
 */
async function buildFixture(target: Uint8Array): Promise<Fixture> {
  const io = newPartitionIO()
  const log = openCrashLog(io, { recoveryPoint: 0, cleanShutdown: false, config: CONFIG })
  log.append(batchOf(3, 'a'))
  log.append(batchOf(4, 'b'))
  const targetBase = log.append(target).baseOffset
  log.append(batchOf(5, 'd'))
  log.append(batchOf(2, 'e'))
  const endOffset = await log.flush()
  const records = JSON.stringify(readAllRecords(log))
  const image = io.powerLoss({ mode: 'drop-all-unsynced' })
  const batches = batchesOfFile(image.readFile(LOG_PATH))
  const at = batches.findIndex((b) => b.baseOffset === targetBase)
  return { image, batches, previous: batches[at - 1] as FileBatch, target: batches[at] as FileBatch, endOffset, records }
}

function readAllRecords(log: PartitionLog): ReturnType<typeof decodeAll> {
  return decodeAll(log.read(log.logStartOffset, 64 * 1024 * 1024))
}

type Expectation = { kind: 'detected'; position: number; offset?: number } | { kind: 'undetectable' }

/** Where a set of flipped bits (byte, bit within the target batch) must be detected. */
function expectationFor(fx: Fixture, flips: ReadonlyArray<readonly [number, number]>): Expectation {
  if (flips.every(([byte, bit]) => UNDETECTABLE_BITS.has(bitKey(byte, bit)))) return { kind: 'undetectable' }
  if (flips.some(([byte]) => byte >= BATCH_LENGTH_OFFSET)) {
    // Length, magic, CRC and CRC-covered damage fail the batch's own validation.
    return { kind: 'detected', position: fx.target.position, offset: fx.target.baseOffset }
  }
  // Only baseOffset bits: where the order breaks depends on the new value.
  let value = BigInt(fx.target.baseOffset)
  for (const [byte, bit] of flips) value ^= 1n << BigInt((7 - (byte - BASE_OFFSET_OFFSET)) * 8 + bit)
  const signed = BigInt.asIntN(64, value)
  const unsafe = signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < -BigInt(Number.MAX_SAFE_INTEGER)
  if (!unsafe && signed < BigInt(fx.target.baseOffset)) {
    return { kind: 'detected', position: fx.previous.position, offset: fx.previous.baseOffset }
  }
  return { kind: 'detected', position: fx.target.position, offset: fx.target.baseOffset }
}

/** Flips bits of the target batch in a fresh image, reopens unclean below the damage, checks. */
function checkFlips(fx: Fixture, flips: ReadonlyArray<readonly [number, number]>, undetected: Set<string>): string | undefined {
  const io = fx.image.processCrash()
  for (const [byte, bit] of flips) io.flipBit(LOG_PATH, fx.target.position + byte, bit)
  const expected = expectationFor(fx, flips)
  let log: PartitionLog | undefined
  const err = thrown(() => {
    log = openCrashLog(io, { recoveryPoint: fx.endOffset, cleanShutdown: false, config: CONFIG })
  })
  if (log !== undefined) {
    // Accepted: then nothing may have changed — any difference is silent corruption or loss.
    const same = log.logEndOffset === fx.endOffset && JSON.stringify(readAllRecords(log)) === fx.records
    log.close()
    if (!same) return 'SILENT DATA CHANGE: reopen succeeded but records or the log end differ'
    for (const [byte, bit] of flips) undetected.add(bitKey(byte, bit))
    return expected.kind === 'undetectable' ? undefined : 'undetected (expected LOG_CORRUPT_SEGMENT)'
  }
  if (!isMillraceError(err, 'LOG_CORRUPT_SEGMENT')) return `threw ${describeError(err)}, expected LOG_CORRUPT_SEGMENT`
  if (expected.kind === 'undetectable') return undefined // detecting more than required is fine
  const d = err.details
  if (d.file !== LOG_PATH || d.position !== expected.position) {
    return `reported ${String(d.file)} at ${String(d.position)}, expected ${LOG_PATH} at ${expected.position}`
  }
  if (expected.offset !== undefined && d.offset !== expected.offset) return `reported offset ${String(d.offset)}, expected ${expected.offset}`
  return undefined
}

function fieldOf(byte: number): string {
  if (byte < BATCH_LENGTH_OFFSET) return 'baseOffset'
  if (byte < PARTITION_LEADER_EPOCH_OFFSET) return 'batchLength'
  if (byte < MAGIC_OFFSET) return 'partitionLeaderEpoch'
  if (byte < CRC_OFFSET) return 'magic'
  if (byte < CRC_OFFSET + 4) return 'crc'
  return 'CRC-covered'
}

/** 16 KiB of records: the larger batch, whose bits are sampled. */
function largeBatch(): Uint8Array {
  return batchOf(60, 'x'.repeat(260))
}

describe('single-bit flips in fsynced data below the recovery point', () => {
  it('detects every flip of a small synced batch except exactly the allow-listed bits, and never loses a record silently', async () => {
    const fx = await buildFixture(batchOf(2, 'target'))
    const failures = new Failures()
    const undetected = new Set<string>()
    let cases = 0
    for (let byte = 0; byte < fx.target.size; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        cases++
        failures.check(`bit ${bit} of byte ${byte} (${fieldOf(byte)}) of the batch at ${fx.target.position}`, () =>
          checkFlips(fx, [[byte, bit]], undetected),
        )
      }
    }
    failures.expectNone()
    expect(cases).toBe(fx.target.size * 8)
    expect([...undetected].sort()).toEqual([...UNDETECTABLE_BITS].sort())
  })

  it('detects sampled flips of a ~16 KiB synced batch: every header bit and every 13th bit of the records', async () => {
    const fx = await buildFixture(largeBatch())
    expect(fx.target.size).toBeGreaterThan(16 * 1024)
    const failures = new Failures()
    const undetected = new Set<string>()
    for (let index = 0; index < fx.target.size * 8; index += index < 61 * 8 || NIGHTLY ? 1 : 13) {
      const byte = index >> 3
      const bit = index & 7
      failures.check(`bit ${bit} of byte ${byte} (${fieldOf(byte)}) of the batch at ${fx.target.position}`, () =>
        checkFlips(fx, [[byte, bit]], undetected),
      )
    }
    failures.expectNone()
    expect([...undetected].sort()).toEqual([...UNDETECTABLE_BITS].sort())
  }, SWEEP_TIMEOUT_MS)

  it('detects 2–32-bit bursts anywhere in a synced batch (seeded sample) unless every flipped bit is allow-listed', async () => {
    const fx = await buildFixture(batchOf(6, 'burst'))
    const failures = new Failures()
    const bits = fx.target.size * 8
    const BURSTS = NIGHTLY ? 100_000 : 3000
    for (let seed = 1; seed <= BURSTS; seed++) {
      const random = new SeededRandom(seed)
      const length = 2 + random.below(31)
      const start = random.below(bits - length + 1)
      // A burst of length L: its first and last bits flip, the ones between flip at random.
      const flips: Array<readonly [number, number]> = []
      for (let i = 0; i < length; i++) {
        if (i === 0 || i === length - 1 || random.below(2) === 1) flips.push([(start + i) >> 3, (start + i) & 7])
      }
      failures.check(`burst seed ${seed}: ${length} bits from bit ${start} (byte ${start >> 3})`, () => checkFlips(fx, flips, new Set()))
    }
    failures.expectNone()
  }, SWEEP_TIMEOUT_MS)
})

describe('damage above the recovery point (an unsynced tail)', () => {
  it('truncates at the first bad batch and reports it instead of failing, for every detectable flip of that batch', async () => {
    const fx = await buildFixture(batchOf(2, 'tail'))
    const failures = new Failures()
    const fileBytes = fx.image.readFile(LOG_PATH).length
    for (let byte = BATCH_LENGTH_OFFSET; byte < fx.target.size; byte++) {
      if (fieldOf(byte) === 'partitionLeaderEpoch') continue
      for (let bit = 0; bit < 8; bit++) {
        failures.check(`bit ${bit} of byte ${byte} (${fieldOf(byte)}) above the recovery point`, () => {
          const io = fx.image.processCrash()
          io.flipBit(LOG_PATH, fx.target.position + byte, bit)
          // Only the batches before the target were fsynced.
          const log = openCrashLog(io, { recoveryPoint: fx.target.baseOffset, cleanShutdown: false, config: CONFIG })
          const report = log.recoveryReport
          const end = log.logEndOffset
          log.close()
          if (end !== fx.target.baseOffset) return `log end ${end}, expected ${fx.target.baseOffset}`
          if (report.truncatedAt?.file !== LOG_PATH || report.truncatedAt.position !== fx.target.position) {
            return `truncatedAt ${JSON.stringify(report.truncatedAt)}, expected ${fx.target.position}`
          }
          const cut = fileBytes - fx.target.position
          return report.truncatedBytes === cut ? undefined : `truncatedBytes ${report.truncatedBytes}, expected ${cut}`
        })
      }
    }
    failures.expectNone()
  })

  it('cuts a tail batch whose baseOffset bits were flipped, unless the flip may lie in the fsynced batch before it', async () => {
    const fx = await buildFixture(batchOf(2, 'tail'))
    const failures = new Failures()
    for (let byte = BASE_OFFSET_OFFSET; byte < BATCH_LENGTH_OFFSET; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const expected = expectationFor(fx, [[byte, bit]])
        failures.check(`bit ${bit} of byte ${byte} (baseOffset) above the recovery point`, () => {
          const io = fx.image.processCrash()
          io.flipBit(LOG_PATH, fx.target.position + byte, bit)
          let log: PartitionLog | undefined
          const err = thrown(() => {
            log = openCrashLog(io, { recoveryPoint: fx.target.baseOffset, cleanShutdown: false, config: CONFIG })
          })
          if (expected.kind === 'detected' && expected.position === fx.previous.position) {
            // Lowered: the order breaks between the last fsynced batch and this one, and either
            // may be the damaged one — recovery must not cut fsynced data to find out.
            if (!isMillraceError(err, 'LOG_CORRUPT_SEGMENT')) return `threw ${describeError(err)}, expected LOG_CORRUPT_SEGMENT`
            return err.details.position === fx.previous.position ? undefined : `reported position ${String(err.details.position)}`
          }
          if (log === undefined) return `threw ${describeError(err)}, expected a truncation`
          const end = log.logEndOffset
          const at = log.recoveryReport.truncatedAt?.position
          log.close()
          return end === fx.target.baseOffset && at === fx.target.position ? undefined : `log end ${end}, cut at ${String(at)}`
        })
      }
    }
    failures.expectNone()
  })

  it('reports a raised baseOffset in the last fsynced batch as corruption, not as a torn tail that renumbers it', async () => {
    const fx = await buildFixture(batchOf(2, 'last-synced'))
    const failures = new Failures()
    // The bits 0–52 of the int64 that are clear: setting one raises the offset and keeps it a
    // safe integer (clearing a set one lowers it; that is covered above).
    for (let k = 0; k < 53; k++) {
      const byte = 7 - (k >> 3)
      const bit = k & 7
      if (Math.floor(fx.target.baseOffset / 2 ** k) % 2 === 1) continue
      failures.check(`baseOffset bit ${k} of the last fsynced batch`, () => {
        const io = fx.image.processCrash()
        io.flipBit(LOG_PATH, fx.target.position + byte, bit)
        const err = thrown(() =>
          openCrashLog(io, { recoveryPoint: fx.target.lastOffset + 1, cleanShutdown: false, config: CONFIG }),
        )
        if (!isMillraceError(err, 'LOG_CORRUPT_SEGMENT')) return `threw ${describeError(err)}, expected LOG_CORRUPT_SEGMENT`
        const d = err.details
        return d.position === fx.target.position && d.offset === fx.target.baseOffset
          ? undefined
          : `reported position ${String(d.position)}, offset ${String(d.offset)}`
      })
    }
    failures.expectNone()
  })
})
