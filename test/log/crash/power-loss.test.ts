/**
 * Power loss under load (reliability-anchor.md §2.4 option 1, §2.5, §3(a) "unsynced multi-batch
 * tail"). Seeded workloads of appends — some awaited durably, some not, group commits in flight,
 * rolls across several segments, recovery-point checkpoints — run on a Broker over FaultFileIO
 * and stop dead (no close). Each crash state yields many power-loss images: random per-write
 * fates (4 KiB and 512 B sectors, sequential or not) and the deterministic drop-all-unsynced.
 * Every image must reopen without error, keep every durably acknowledged record at its offset,
 * and show per partition a prefix of the append history: no phantom, no half batch, no gap, no
 * reordering (§2.5: lost = 0 for ack-after-fsync, phantom = 0, offset gaps = 0).
 */
import { describe, expect, it } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO, type PowerLossOptions } from '../../../src/log/storage/fault-file-io.js'
import { SeededRandom } from '../../../src/log/storage/fault/seeded-random.js'
import type { TopicPartition } from '../../../src/log/topic-partition.js'
import { batchOfValues, decodeAll } from '../../support/batches.js'
import { DATA_DIR, Failures, NIGHTLY, SWEEP_TIMEOUT_MS } from './crash-support.js'

/** Workloads × images per workload ≥ 1,000 random power-loss seeds in CI, 50,000 nightly. */
const WORKLOADS = NIGHTLY ? 50 : 10
const IMAGES_PER_WORKLOAD = NIGHTLY ? 1000 : 104
const STEPS = 220

const TOPICS = [
  { topic: 'orders', partitions: 2 },
  { topic: 'audit', partitions: 1 },
] as const
/** Small segments and a dense index: a workload rolls several segments per partition. */
const TOPIC_CONFIGS = { 'segment.bytes': 1500, 'index.interval.bytes': 200 }

interface HistoryBatch {
  baseOffset: number
  values: string[]
}

interface PartitionHistory {
  tp: TopicPartition
  /** Every append that returned, in order (offsets as assigned). */
  batches: HistoryBatch[]
  /** One past the highest offset whose durable ack (appendDurable or flush) resolved before the crash. */
  acked: number
}

interface CrashState {
  /** The crashed FaultFileIO: each powerLoss call draws a fresh image from its state. */
  io: FaultFileIO
  histories: PartitionHistory[]
  durableAcks: number
}

/** Runs workload `workload` and kills the process at its end, mid-flight. */
async function runWorkload(workload: number): Promise<CrashState> {
  const random = new SeededRandom(workload)
  const io = new FaultFileIO({ seed: workload })
  const broker = await Broker.open({ dataDir: DATA_DIR, io: io, clock: new ManualClock() })
  for (const t of TOPICS) broker.createTopic({ ...t, configs: TOPIC_CONFIGS })
  const histories: PartitionHistory[] = TOPICS.flatMap((t) =>
    Array.from({ length: t.partitions }, (_, partition) => ({ tp: { topic: t.topic, partition }, batches: [], acked: 0 })),
  )
  let crashed = false
  let durableAcks = 0
  const ack = (h: PartitionHistory, end: number): void => {
    if (crashed) return
    h.acked = Math.max(h.acked, end)
    durableAcks++
  }
  const inFlight: Promise<unknown>[] = []
  for (let step = 0; step < STEPS; step++) {
    const h = histories[random.below(histories.length)] as PartitionHistory
    const roll = random.below(100)
    if (roll < 45 || roll >= 95) {
      const values = Array.from({ length: 1 + random.below(6) }, (_, i) => `w${workload}s${step}r${i}`.padEnd(8 + random.below(90), '.'))
      if (roll < 25) {
        const { baseOffset } = broker.append(h.tp, batchOfValues(values))
        h.batches.push({ baseOffset, values })
      } else if (roll < 45) {
        // A durable append: acked only when its group commit resolves.
        const pending = broker.appendDurable(h.tp, batchOfValues(values))
        const log = broker.partitionLog(h.tp)
        h.batches.push({ baseOffset: log.logEndOffset - values.length, values })
        inFlight.push(pending.then((r) => ack(h, r.lastOffset + 1)).catch(() => undefined))
      } else {
        const { baseOffset } = broker.append(h.tp, batchOfValues(values))
        h.batches.push({ baseOffset, values })
        const upTo = broker.partitionLog(h.tp).logEndOffset
        inFlight.push(broker.flush(h.tp).then(() => ack(h, upTo)).catch(() => undefined))
      }
    } else if (roll < 60) {
      // Let in-flight fsyncs complete (FaultFileIO resolves them on a later macrotask).
      await new Promise((resolve) => setImmediate(resolve))
    } else if (roll < 70) {
      broker.partitionLog(h.tp).roll()
    } else if (roll < 80) {
      broker.checkpointRecoveryPoints()
    } else {
      await Promise.all(inFlight.splice(0))
    }
  }
  // Dead mid-flight: no close, no final flush. Whatever completes later did not complete in time.
  crashed = true
  io.powerLoss({ mode: 'drop-all-unsynced' })
  await Promise.all(inFlight)
  return { io, histories, durableAcks }
}

interface Stats {
  /** Images in which some partition lost unacked appends (the power loss mattered). */
  lostUnsynced: number
  /** Images in which every partition kept everything (it did not). */
  keptAll: number
  /** Most segments any reopened partition had. */
  maxSegments: number
}

/** Reopens the broker on `image` and checks every partition against its history. */
async function checkImage(state: CrashState, image: FaultFileIO, stats: Stats): Promise<string | undefined> {
  const broker = await Broker.open({ dataDir: DATA_DIR, io: image, clock: new ManualClock() })
  try {
    const topics = broker.listTopics()
    if (topics.join() !== TOPICS.map((t) => t.topic).sort().join()) return `topics ${topics.join()}`
    let lost = false
    for (const h of state.histories) {
      const name = `${h.tp.topic}-${h.tp.partition}`
      const described = broker.describeTopic(h.tp.topic).partitions[h.tp.partition]
      if (described?.error) return `${name} failed to open: ${described.error.code}`
      const { logStartOffset, logEndOffset } = broker.offsets(h.tp)
      if (logStartOffset !== 0) return `${name} starts at ${logStartOffset}`
      if (logEndOffset < h.acked) return `${name} LOST acked records: log end ${logEndOffset} < acked ${h.acked}`
      const boundaries = new Set([0, ...h.batches.map((b) => b.baseOffset + b.values.length)])
      if (!boundaries.has(logEndOffset)) return `${name} ends at ${logEndOffset}, inside a batch (half batch)`
      const expected = h.batches.flatMap((b) => b.values)
      if (logEndOffset < expected.length) lost = true
      stats.maxSegments = Math.max(stats.maxSegments, broker.partitionLog(h.tp).segmentCount)
      let offset = 0
      while (offset < logEndOffset) {
        const records = decodeAll(broker.read(h.tp, offset, 1 << 20)).filter((r) => r.offset >= offset)
        if (records.length === 0) return `${name} read nothing at ${offset} below the log end ${logEndOffset}`
        for (const r of records) {
          if (r.offset !== offset) return `${name} GAP or reorder: offset ${r.offset} where ${offset} was due`
          if (r.value !== expected[offset]) return `${name} offset ${offset} holds ${String(r.value)}, history says ${String(expected[offset])}`
          offset++
        }
      }
    }
    if (lost) stats.lostUnsynced++
    else stats.keptAll++
    return undefined
  } finally {
    await broker.close()
  }
}

function imageOptions(workload: number, i: number): PowerLossOptions {
  const seed = workload * 100_000 + i
  return { seed, sectorBytes: i % 2 === 0 ? 4096 : 512, sequential: i % 4 >= 2 }
}

describe('power loss under a random append workload on the broker', () => {
  it(`keeps every durable ack and a prefix of the history over ${WORKLOADS * IMAGES_PER_WORKLOAD} random images and drop-all-unsynced`, async () => {
    const failures = new Failures()
    const stats: Stats = { lostUnsynced: 0, keptAll: 0, maxSegments: 0 }
    let images = 0
    let acks = 0
    for (let workload = 1; workload <= WORKLOADS; workload++) {
      const state = await runWorkload(workload)
      acks += state.durableAcks
      await failures.checkAsync(`workload ${workload}, powerLoss({ mode: 'drop-all-unsynced' })`, () =>
        checkImage(state, state.io.powerLoss({ mode: 'drop-all-unsynced' }), stats),
      )
      for (let i = 0; i < IMAGES_PER_WORKLOAD; i++) {
        const options = imageOptions(workload, i)
        images++
        await failures.checkAsync(`workload ${workload}, powerLoss(${JSON.stringify(options)})`, () =>
          checkImage(state, state.io.powerLoss(options), stats),
        )
      }
    }
    failures.expectNone()
    expect(images).toBeGreaterThanOrEqual(1000)
    // Not vacuous: durable acks happened, images lost unsynced data and kept it, logs rolled.
    expect(acks).toBeGreaterThan(WORKLOADS * 10)
    expect(stats.lostUnsynced).toBeGreaterThan(images / 4)
    expect(stats.keptAll).toBeGreaterThan(0)
    expect(stats.maxSegments).toBeGreaterThanOrEqual(5)
  }, SWEEP_TIMEOUT_MS)
})
