/**
 * Damaged index files (reliability-anchor.md §3(a), "Truncated or garbled index files" and
 * "Missing index"). Indexes are derived data and never trusted: whatever happened to a segment's
 * `.index` or `.timeindex` — cut at any byte, garbage appended, offsets made to decrease, entries
 * pointing past the end of the segment, the file deleted — every offset lookup and every sampled
 * timestamp lookup after a reopen (after a clean shutdown, and after an unclean one) must equal
 * an index-free scan of the segment files.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { SeededRandom } from '../../../src/log/storage/fault/seeded-random.js'
import type { PartitionLog } from '../../../src/log/storage/partition-log.js'
import { baseOffsetAt } from '../../../src/log/record/record-batch-v2.js'
import { batchOfValues } from '../../support/batches.js'
import { batchesOfFile, Failures, newPartitionIO, openCrashLog, PARTITION_DIR, type FileBatch } from './crash-support.js'

const CONFIG = { segmentBytes: 4096, indexIntervalBytes: 96 }
const OFFSET_ENTRY = 8
const TIME_ENTRY = 12
const TIMESTAMP_SAMPLES = 1000

interface Fixture {
  /** Dead FaultFileIO holding the cleanly closed log; every case clones it. */
  image: FaultFileIO
  endOffset: number
  /** Every batch of every segment, in offset order, read from the .log files (the oracle). */
  batches: FileBatch[]
  segmentBases: number[]
  timestamps: number[]
}

/**
 * A multi-segment log whose timestamps wander: mostly rising, sometimes far back, sometimes a
 * spike, so a segment's largest timestamp is often not its last batch's.
 */
function buildFixture(): Fixture {
  const io = newPartitionIO()
  const log = openCrashLog(io, { recoveryPoint: 0, cleanShutdown: false, config: CONFIG })
  const random = new SeededRandom(4)
  let clock = 1_000_000
  for (let i = 0; i < 160; i++) {
    clock += random.below(50)
    const jitter = random.below(10)
    const ts = jitter === 0 ? clock - 5_000 : jitter === 1 ? clock + 20_000 : clock
    const values = Array.from({ length: 1 + random.below(4) }, (_, r) => `b${i}r${r}`.padEnd(10 + random.below(40), '~'))
    log.append(batchOfValues(values, ts))
  }
  const endOffset = log.logEndOffset
  const segmentBases = log.segmentInfos().map((s) => s.baseOffset)
  log.close()
  const image = io.powerLoss({ mode: 'drop-all-unsynced' })
  const batches = segmentBases.flatMap((b) => batchesOfFile(image.readFile(segmentPath(b, '.log'))))
  const all = new Set<number>()
  for (const b of batches) for (const d of [-1, 0, 1]) all.add(b.maxTimestamp + d)
  const sorted = [...all].sort((a, b) => a - b)
  const step = Math.max(1, Math.floor(sorted.length / TIMESTAMP_SAMPLES))
  const timestamps = sorted.filter((_, i) => i % step === 0).slice(0, TIMESTAMP_SAMPLES)
  timestamps.push(0, Number.MAX_SAFE_INTEGER)
  return { image, endOffset, batches, segmentBases, timestamps }
}

function segmentPath(base: number, suffix: string): string {
  return join(PARTITION_DIR, `${String(base).padStart(20, '0')}${suffix}`)
}

/** Reopens `io` and compares every offset lookup and the sampled timestamp lookups with the oracle. */
function checkLookups(fx: Fixture, io: FaultFileIO, cleanShutdown: boolean): string | undefined {
  const log = openCrashLog(io, { recoveryPoint: fx.endOffset, cleanShutdown, config: CONFIG })
  try {
    if (log.logEndOffset !== fx.endOffset) return `log end ${log.logEndOffset}, expected ${fx.endOffset}`
    let at = 0
    for (let offset = 0; offset < fx.endOffset; offset++) {
      while ((fx.batches[at] as FileBatch).lastOffset < offset) at++
      const got = firstBase(log.read(offset, 1))
      const want = (fx.batches[at] as FileBatch).baseOffset
      if (got !== want) return `read(${offset}) starts at batch ${String(got)}, a scan says ${want}`
    }
    for (const ts of fx.timestamps) {
      const got = firstBase(timestampLookup(log, ts))
      const want = fx.batches.find((b) => b.maxTimestamp >= ts)?.baseOffset
      if (got !== want) return `timestamp ${ts} finds batch ${String(got)}, a scan says ${String(want)}`
    }
    return undefined
  } finally {
    log.close()
  }
}

function timestampLookup(log: PartitionLog, ts: number): Uint8Array | undefined {
  return log.readFirstBatchAtOrAfterTimestamp(ts)
}

function firstBase(bytes: Uint8Array | undefined): number | undefined {
  return bytes === undefined || bytes.length === 0 ? undefined : baseOffsetAt(bytes, 0)
}

type Damage = { name: string; apply: (io: FaultFileIO, path: string, bytes: Uint8Array) => void }

function replace(io: FaultFileIO, path: string, bytes: Uint8Array): void {
  io.writeFile(path, bytes)
}

/** The damage matrix for one index file of `entryBytes`-sized entries. */
function damagesFor(kind: 'index' | 'timeindex', bytes: Uint8Array, segmentBytes: number, segmentOffsets: number): Damage[] {
  const entry = kind === 'index' ? OFFSET_ENTRY : TIME_ENTRY
  const entries = bytes.length / entry
  const out: Damage[] = []
  for (let cut = 0; cut < bytes.length; cut++) {
    out.push({ name: `truncated to ${cut} bytes`, apply: (io, path) => io.truncateFile(path, cut) })
  }
  for (let seed = 1; seed <= 12; seed++) {
    const length = 1 + ((seed * 5) % (2 * entry))
    out.push({
      name: `${length} bytes of garbage appended (seed ${seed})`,
      apply: (io, path, b) => {
        const garbage = new Uint8Array(length)
        new SeededRandom(seed).fillBytes(garbage)
        replace(io, path, Buffer.concat([b, garbage]))
      },
    })
  }
  // Plausible garbage: an extra entry that passes the per-file checks but points at no batch.
  out.push({
    name: 'a plausible but wrong entry appended',
    apply: (io, path, b) => {
      const extra = Buffer.alloc(entry)
      if (kind === 'index') {
        extra.writeInt32BE(Math.max(0, segmentOffsets - 1), 0)
        extra.writeInt32BE(Math.max(0, segmentBytes - 7), 4)
      } else {
        extra.writeBigInt64BE(BigInt(Number.MAX_SAFE_INTEGER - 1), 0)
        extra.writeInt32BE(Math.max(0, segmentOffsets - 1), 8)
      }
      replace(io, path, Buffer.concat([b, extra]))
    },
  })
  for (let i = 1; i < entries; i++) {
    out.push({
      name: `entry ${i}'s offset made smaller than entry ${i - 1}'s`,
      apply: (io, path, b) => {
        const copy = Buffer.from(b)
        const relAt = kind === 'index' ? i * entry : i * entry + 8
        copy.writeInt32BE(copy.readInt32BE(relAt - entry) - 1, relAt)
        replace(io, path, copy)
      },
    })
    out.push({
      name: `entries ${i - 1} and ${i} swapped`,
      apply: (io, path, b) => {
        const copy = Buffer.from(b)
        copy.set(b.subarray(i * entry, (i + 1) * entry), (i - 1) * entry)
        copy.set(b.subarray((i - 1) * entry, i * entry), i * entry)
        replace(io, path, copy)
      },
    })
  }
  for (let i = 0; i < entries; i++) {
    out.push({
      name: `entry ${i} pointing past the end of the segment`,
      apply: (io, path, b) => {
        const copy = Buffer.from(b)
        if (kind === 'index') copy.writeInt32BE(segmentBytes + 1 + i, i * entry + 4)
        else copy.writeInt32BE(segmentOffsets + i, i * entry + 8)
        replace(io, path, copy)
      },
    })
  }
  out.push({ name: 'deleted', apply: (io, path) => void io.truncateFile(path, 0) })
  out.push({ name: 'removed', apply: (io, path) => removeFile(io, path) })
  return out
}

/** Deletes `path` from the image durably, as a lost file looks after a crash. */
function removeFile(io: FaultFileIO, path: string): void {
  io.remove(path)
  io.syncDir(PARTITION_DIR)
}

describe('recovery from damaged index files', () => {
  const fx = buildFixture()

  it('has a fixture worth testing: several segments, indexed, with timestamps that go back and spike', () => {
    expect(fx.segmentBases.length).toBeGreaterThanOrEqual(4)
    const maxAtEnd = fx.segmentBases.filter((base, i) => {
      const next = fx.segmentBases[i + 1] ?? fx.endOffset
      const inSegment = fx.batches.filter((b) => b.baseOffset >= base && b.baseOffset < next)
      const max = Math.max(...inSegment.map((b) => b.maxTimestamp))
      return inSegment[inSegment.length - 1]?.maxTimestamp === max
    })
    expect(maxAtEnd.length).toBeLessThan(fx.segmentBases.length)
  })

  for (const kind of ['index', 'timeindex'] as const) {
    // A middle segment (inactive) and the last one (active).
    for (const which of ['a middle segment', 'the active segment'] as const) {
      it(`keeps every lookup equal to an index-free scan whatever happens to the .${kind} of ${which}`, () => {
        const base = which === 'the active segment' ? (fx.segmentBases[fx.segmentBases.length - 1] as number) : (fx.segmentBases[1] as number)
        const path = segmentPath(base, `.${kind}`)
        const original = fx.image.readFile(path)
        expect(original.length).toBeGreaterThan(0)
        const next = fx.segmentBases[fx.segmentBases.indexOf(base) + 1] ?? fx.endOffset
        const segmentBytes = fx.image.readFile(segmentPath(base, '.log')).length
        const failures = new Failures()
        let cases = 0
        for (const damage of damagesFor(kind, original, segmentBytes, next - base)) {
          for (const cleanShutdown of [true, false]) {
            cases++
            failures.check(`.${kind} of segment ${base} ${damage.name}, ${cleanShutdown ? 'clean' : 'unclean'} shutdown`, () => {
              const io = fx.image.processCrash()
              damage.apply(io, path, original)
              return checkLookups(fx, io, cleanShutdown)
            })
          }
        }
        failures.expectNone()
        expect(cases).toBeGreaterThan(original.length * 2)
      })
    }
  }

  it('makes a rolled segment\'s indexes durable with its background flush, even when its data already was', async () => {
    const io = newPartitionIO()
    const log = openCrashLog(io, { recoveryPoint: 0, cleanShutdown: false, config: CONFIG })
    for (let i = 0; i < 90; i++) {
      log.append(batchOfValues([`v${i}`.padEnd(150, '.')], 1_000 + i))
      if (i % 7 === 0) await log.flush()
    }
    await log.flush()
    // The background flush a roll starts completes on a later macrotask.
    await new Promise((resolve) => setImmediate(resolve))
    const infos = log.segmentInfos()
    expect(infos.length).toBeGreaterThan(2)
    const image = io.powerLoss({ mode: 'drop-all-unsynced' })
    for (const { baseOffset } of infos.slice(0, -1)) {
      for (const suffix of ['.index', '.timeindex']) {
        const path = segmentPath(baseOffset, suffix)
        expect(io.readFile(path).length, path).toBeGreaterThan(0)
        expect(Buffer.compare(image.readFile(path), io.readFile(path)), `${path} is durable`).toBe(0)
      }
    }
  })

  it('answers every lookup like an index-free scan when the index files of every segment are deleted', () => {
    const io = fx.image.processCrash()
    for (const base of fx.segmentBases) {
      removeFile(io, segmentPath(base, '.index'))
      removeFile(io, segmentPath(base, '.timeindex'))
    }
    // §3(a) "Missing index": their bytes, or at least all their lookups, equal the originals. (A
    // segment under ~1 MiB may keep an empty offset index: a lookup then walks its headers.)
    expect(checkLookups(fx, io, true)).toBeUndefined()
    expect(checkLookups(fx, io.processCrash(), false)).toBeUndefined()
  })
})
