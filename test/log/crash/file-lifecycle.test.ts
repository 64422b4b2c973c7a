/**
 * File-lifecycle crashes (reliability-anchor.md §3(a), "File-lifecycle crashes"), swept the way
 * SQLite's writecrash.test does: run an operation once to count its file operations, then for
 * every n crash the process at the n-th one (`crashAtOperation`), take the kill -9 image, the
 * drop-all-unsynced power-loss image and two random power-loss images, and reopen the broker.
 * It must open, and the state must be exactly the one before or after the operation — topics,
 * partition counts, log start and end offsets, every record — with no orphan partition
 * directory, no stray or missing segment file, and contiguous offsets. Operations that append
 * are checked against their history instead: a prefix of what was attempted, holding every
 * durably acked record.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { Broker, CLEAN_SHUTDOWN_FILE } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { parseSegmentFileName } from '../../../src/log/storage/segment.js'
import { parsePartitionDirName } from '../../../src/log/topic-name.js'
import type { TopicPartition } from '../../../src/log/topic-partition.js'
import { batchOfValues, decodeAll } from '../../support/batches.js'
import { DATA_DIR, Failures } from './crash-support.js'

const CLOCK_START = 1_700_000_000_000
/** Background timers never fire on their own in these tests: every step is explicit. */
const QUIET = { retentionCheckIntervalMs: 1e12, flushCheckIntervalMs: 1e12, recoveryPointCheckpointIntervalMs: 1e12, cleanerBackoffMs: 1e12 }
const SMALL_SEGMENTS = { 'segment.bytes': 700, 'index.interval.bytes': 100 }
const RANDOM_IMAGES_PER_CRASH = 2

interface PartitionState {
  logStart: number
  logEnd: number
  values: string[]
}
type State = Record<string, PartitionState[]>

interface AttemptedBatch {
  baseOffset: number
  values: string[]
}

/** What an operation that appends did before it stopped (history-checked scenarios). */
interface Journal {
  attempted: Map<string, AttemptedBatch[]>
  acked: Map<string, number>
}

interface Scenario {
  name: string
  /** Builds the durable starting state (the broker is closed cleanly afterwards). */
  setup(broker: Broker, clock: ManualClock): Promise<void>
  /** Runs after reopening, before the crash point is armed. */
  prepare?(broker: Broker, clock: ManualClock, journal: Journal): Promise<void>
  /** The operation whose file operations are swept. */
  op(broker: Broker, journal: Journal): Promise<void>
  /**
   * 'before-or-after': the reopened state must equal one of the two reference states.
   * 'history': per partition a prefix of the attempted appends holding every acked one.
   * 'retention-prefix': before, after, or retention of fewer of the oldest segments.
   */
  expect: 'before-or-after' | 'history' | 'retention-prefix'
}

function key(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`
}

async function openBroker(io: FaultFileIO, clock: ManualClock): Promise<Broker> {
  return Broker.open({ dataDir: DATA_DIR, io: io, clock, ...QUIET })
}

/** Appends `count` batches of 2–4 records to `tp`, every third one durably; journals them. */
async function appendBatches(broker: Broker, tp: TopicPartition, count: number, tag: string, journal?: Journal, timestampMs = CLOCK_START): Promise<void> {
  for (let i = 0; i < count; i++) {
    const values = Array.from({ length: 2 + (i % 3) }, (_, r) => `${tag}${i}.${r}`.padEnd(24, '-'))
    const attempted = { baseOffset: broker.offsets(tp).logEndOffset, values }
    const list = journal?.attempted.get(key(tp))
    list?.push(attempted)
    if (i % 3 === 2) {
      const r = await broker.appendDurable(tp, batchOfValues(values, timestampMs))
      journal?.acked.set(key(tp), r.lastOffset + 1)
    } else {
      broker.append(tp, batchOfValues(values, timestampMs))
    }
  }
}

/**
 * The reopened broker's state, or the first broken invariant: partitions that fail to open,
 * orphan partition directories, stray files, segments that do not tile the offsets, gaps.
 */
function inspect(broker: Broker, io: FaultFileIO): State | string {
  const state: State = {}
  const live = new Set<string>()
  for (const topic of broker.listTopics()) {
    const partitions = broker.describeTopic(topic).partitions
    state[topic] = []
    for (const p of partitions) {
      const tp = { topic, partition: p.partition }
      live.add(key(tp))
      if (p.error) return `${key(tp)} failed to open: ${p.error.code}`
      const log = broker.partitionLog(tp)
      const infos = log.segmentInfos()
      for (let i = 1; i < infos.length; i++) {
        const prev = infos[i - 1]
        if (prev?.nextOffset !== infos[i]?.baseOffset) return `${key(tp)} segments do not tile: ${prev?.nextOffset} then ${infos[i]?.baseOffset}`
      }
      if (infos[infos.length - 1]?.nextOffset !== log.logEndOffset) return `${key(tp)} last segment does not end at the log end`
      const files = io.list(join(DATA_DIR, key(tp)))
      const bases = new Set(infos.map((s) => s.baseOffset))
      for (const name of files) {
        const parsed = parseSegmentFileName(name)
        // A producer snapshot may sit at any offset in [first segment base, log end]; never above it.
        const isSnapshot =
          parsed?.suffix === '.snapshot' && parsed.baseOffset >= (infos[0]?.baseOffset ?? 0) && parsed.baseOffset <= log.logEndOffset
        if (isSnapshot) continue
        if (!parsed || !bases.has(parsed.baseOffset) || !['.log', '.index', '.timeindex', '.txnindex'].includes(parsed.suffix)) {
          return `${key(tp)} holds a stray file ${name}`
        }
      }
      for (const base of bases) {
        if (!files.includes(`${String(base).padStart(20, '0')}.log`)) return `${key(tp)} misses the .log of segment ${base}`
      }
      const values: string[] = []
      let offset = log.logStartOffset
      while (offset < log.logEndOffset) {
        const records = decodeAll(log.read(offset, 1 << 20)).filter((r) => r.offset >= offset)
        if (records.length === 0) return `${key(tp)} reads nothing at ${offset} below the log end ${log.logEndOffset}`
        for (const r of records) {
          if (r.offset !== offset) return `${key(tp)} gap: offset ${r.offset} where ${offset} was due`
          values.push(String(r.value))
          offset++
        }
      }
      state[topic].push({ logStart: log.logStartOffset, logEnd: log.logEndOffset, values })
    }
  }
  for (const name of io.list(DATA_DIR)) {
    const tp = parsePartitionDirName(name)
    if (tp && !live.has(name)) return `orphan partition directory ${name}`
  }
  return state
}

async function stateOf(image: FaultFileIO): Promise<State | string> {
  const broker = await openBroker(image, new ManualClock(CLOCK_START))
  try {
    return inspect(broker, image)
  } finally {
    await broker.close()
  }
}

function same(a: State, b: State): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Why `got` is not an acceptable outcome of the scenario, or undefined. `initial` is the durable
 * state the setup left (history scenarios append on top of it, in prepare and in the operation).
 */
function judge(s: Scenario, got: State, refs: { initial: State; before: State; after: State }, journal: Journal): string | undefined {
  const { initial, before, after } = refs
  if (s.expect === 'before-or-after') {
    return same(got, before) || same(got, after) ? undefined : `state is neither before nor after: ${JSON.stringify(got).slice(0, 300)}`
  }
  if (s.expect === 'retention-prefix') {
    if (Object.keys(got).join() !== Object.keys(before).join()) return `topics ${Object.keys(got).join()}`
    for (const [topic, partitions] of Object.entries(got)) {
      for (const [i, p] of partitions.entries()) {
        const b = before[topic]?.[i] as PartitionState
        const a = after[topic]?.[i] as PartitionState
        if (p.logEnd !== b.logEnd) return `${topic}-${i} log end ${p.logEnd}, expected ${b.logEnd}`
        if (p.logStart < b.logStart || p.logStart > a.logStart) return `${topic}-${i} log start ${p.logStart} outside [${b.logStart}, ${a.logStart}]`
        if (JSON.stringify(p.values) !== JSON.stringify(b.values.slice(p.logStart - b.logStart))) return `${topic}-${i} records changed`
      }
    }
    return undefined
  }
  for (const [topic, partitions] of Object.entries(initial)) {
    for (const [i, b] of partitions.entries()) {
      const p = got[topic]?.[i]
      const name = `${topic}-${i}`
      if (p === undefined) return `${name} is gone`
      const history = [...b.values, ...(journal.attempted.get(name) ?? []).flatMap((x) => x.values)]
      const acked = journal.acked.get(name) ?? 0
      if (p.logStart !== b.logStart) return `${name} log start moved to ${p.logStart}`
      if (p.logEnd < Math.max(acked, b.logEnd)) return `${name} LOST data: log end ${p.logEnd} below acked ${Math.max(acked, b.logEnd)}`
      const ends = new Set([b.logEnd, ...(journal.attempted.get(name) ?? []).map((x) => x.baseOffset + x.values.length)])
      if (!ends.has(p.logEnd)) return `${name} ends inside a batch at ${p.logEnd}`
      if (JSON.stringify(p.values) !== JSON.stringify(history.slice(0, p.values.length))) return `${name} is not a prefix of its history`
    }
  }
  return Object.keys(got).join() === Object.keys(initial).join() ? undefined : `topics ${Object.keys(got).join()}`
}

function newJournal(): Journal {
  return { attempted: new Map(), acked: new Map() }
}

interface Run {
  io: FaultFileIO
  operations: number
  journal: Journal
}

/** Opens a clone of `base`, prepares, arms the crash point (n-th operation of the op), runs the op. */
async function runOp(s: Scenario, base: FaultFileIO, crashAt?: number): Promise<Run> {
  const io = base.processCrash()
  const clock = new ManualClock(CLOCK_START)
  const broker = await openBroker(io, clock)
  const journal = newJournal()
  for (const topic of broker.listTopics()) {
    for (const p of broker.describeTopic(topic).partitions) journal.attempted.set(`${topic}-${p.partition}`, [])
  }
  if (s.prepare) await s.prepare(broker, clock, journal)
  const start = io.operationCount
  if (crashAt !== undefined) io.crashAtOperation(start + crashAt)
  try {
    await s.op(broker, journal)
  } catch (err) {
    // reason: the crash point fires inside the operation; what it left on disk is what we judge.
    if (crashAt === undefined) throw err
  }
  return { io, operations: io.operationCount - start, journal }
}

async function sweep(s: Scenario): Promise<{ crashPoints: number; images: number; marked: number }> {
  const baseIo = new FaultFileIO()
  const setupClock = new ManualClock(CLOCK_START)
  const setupBroker = await openBroker(baseIo, setupClock)
  await s.setup(setupBroker, setupClock)
  await setupBroker.close()
  const base = baseIo.processCrash()

  // References: the state before the operation (after prepare) and after it completed.
  const reference = await runOp(s, base)
  const completed = reference.io.processCrash()
  const beforeRun = await runOp({ ...s, op: async () => undefined }, base)
  const before = await stateOf(beforeRun.io.processCrash())
  const after = await stateOf(completed)
  const initial = await stateOf(base.processCrash())
  if (typeof before === 'string' || typeof after === 'string' || typeof initial === 'string') {
    throw new Error(`reference state broken: ${String(initial)} / ${String(before)} / ${String(after)}`)
  }
  if (s.expect !== 'history') expect(same(before, after), `${s.name} must change the state`).toBe(false)

  const failures = new Failures()
  let images = 0
  let markedImages = 0
  const total = reference.operations
  for (let n = 1; n <= total + 1; n++) {
    const run = await runOp(s, base, n)
    const candidates: Array<[string, FaultFileIO]> = [
      ['processCrash()', run.io.processCrash()],
      ["powerLoss({ mode: 'drop-all-unsynced' })", run.io.powerLoss({ mode: 'drop-all-unsynced' })],
    ]
    for (let r = 0; r < RANDOM_IMAGES_PER_CRASH; r++) {
      const seed = n * 1000 + r
      candidates.push([`powerLoss({ seed: ${seed} })`, run.io.powerLoss({ seed, sectorBytes: r % 2 === 0 ? 4096 : 512 })])
    }
    for (const [imageName, image] of candidates) {
      images++
      await failures.checkAsync(`${s.name}: crash at operation ${n} of ${total}, ${imageName}`, async () => {
        // A clean-shutdown marker makes the next open skip recovery: it may only exist once
        // everything written is durable.
        const marked = image.listAll().includes(join(DATA_DIR, CLEAN_SHUTDOWN_FILE))
        if (marked) markedImages++
        const got = await stateOf(image)
        if (typeof got === 'string') return got
        if (marked && s.expect === 'history') {
          for (const [name, attempted] of run.journal.attempted) {
            const last = attempted[attempted.length - 1]
            const [topic, partition] = [name.slice(0, name.lastIndexOf('-')), Number(name.slice(name.lastIndexOf('-') + 1))]
            const end = got[topic]?.[partition]?.logEnd
            if (last !== undefined && end !== last.baseOffset + last.values.length) return `clean-shutdown marker present but ${name} ends at ${end}`
          }
        }
        return judge(s, got, { initial, before, after }, run.journal)
      })
    }
  }
  failures.expectNone()
  return { crashPoints: total + 1, images, marked: markedImages }
}

const SCENARIOS: Scenario[] = [
  {
    name: 'segment roll under appends',
    expect: 'history',
    async setup(broker) {
      broker.createTopic({ topic: 'rolling', partitions: 1, configs: SMALL_SEGMENTS })
      await appendBatches(broker, { topic: 'rolling', partition: 0 }, 4, 's')
    },
    async op(broker, journal) {
      await appendBatches(broker, { topic: 'rolling', partition: 0 }, 14, 'r', journal)
    },
  },
  {
    name: 'createTopic with 3 partitions',
    expect: 'before-or-after',
    async setup(broker) {
      broker.createTopic({ topic: 'existing', partitions: 2, configs: SMALL_SEGMENTS })
      await appendBatches(broker, { topic: 'existing', partition: 1 }, 6, 'e')
    },
    async op(broker) {
      broker.createTopic({ topic: 'fresh', partitions: 3 })
    },
  },
  {
    name: 'deleteTopic',
    expect: 'before-or-after',
    async setup(broker) {
      broker.createTopic({ topic: 'keep', partitions: 1 })
      broker.createTopic({ topic: 'victim', partitions: 2, configs: SMALL_SEGMENTS })
      await appendBatches(broker, { topic: 'keep', partition: 0 }, 3, 'k')
      await appendBatches(broker, { topic: 'victim', partition: 0 }, 12, 'v')
      await appendBatches(broker, { topic: 'victim', partition: 1 }, 4, 'w')
    },
    async op(broker) {
      broker.deleteTopic('victim')
    },
  },
  {
    name: 'createPartitions from 2 to 4',
    expect: 'before-or-after',
    async setup(broker) {
      broker.createTopic({ topic: 'grow', partitions: 2, configs: SMALL_SEGMENTS })
      await appendBatches(broker, { topic: 'grow', partition: 0 }, 8, 'g')
    },
    async op(broker) {
      broker.createPartitions('grow', 4)
    },
  },
  {
    name: 'retention deletion',
    expect: 'retention-prefix',
    async setup(broker) {
      broker.createTopic({ topic: 'aging', partitions: 1, configs: { ...SMALL_SEGMENTS, 'retention.ms': 60_000 } })
      const tp = { topic: 'aging', partition: 0 }
      await appendBatches(broker, tp, 15, 'old', undefined, CLOCK_START - 3_600_000)
      broker.partitionLog(tp).roll()
      await appendBatches(broker, tp, 3, 'new', undefined, CLOCK_START + 7_200_000)
    },
    async prepare(_broker, clock) {
      // Wall time only: no background task fires; runRetention is the operation.
      clock.setWallMs(CLOCK_START + 7_200_000)
    },
    async op(broker) {
      expect(broker.runRetention()).toBeGreaterThanOrEqual(3)
    },
  },
  {
    name: 'Broker.close (flush, checkpoints, clean-shutdown marker)',
    expect: 'history',
    async setup(broker) {
      broker.createTopic({ topic: 'data', partitions: 2, configs: SMALL_SEGMENTS })
      await appendBatches(broker, { topic: 'data', partition: 0 }, 5, 'd')
    },
    async prepare(broker, _clock, journal) {
      // Unsynced appends and a roll, so close has data and indexes to make durable.
      await appendBatches(broker, { topic: 'data', partition: 0 }, 7, 'p', journal)
      await appendBatches(broker, { topic: 'data', partition: 1 }, 2, 'q', journal)
      broker.append({ topic: 'data', partition: 1 }, batchOfValues(['last-unsynced']))
      journal.attempted.get('data-1')?.push({ baseOffset: broker.offsets({ topic: 'data', partition: 1 }).logEndOffset - 1, values: ['last-unsynced'] })
    },
    async op(broker) {
      await broker.close()
    },
  },
]

describe('crash at every file operation of a lifecycle step', () => {
  for (const s of SCENARIOS) {
    it(`leaves the state before or after ${s.name}, for every crash point and image`, async () => {
      const { crashPoints, images, marked } = await sweep(s)
      expect(crashPoints).toBeGreaterThan(3)
      // Only close leaves the clean-shutdown marker (open retires it), and it must, once done.
      expect(marked > 0).toBe(s.name.startsWith('Broker.close'))
      expect(images).toBe(crashPoints * (2 + RANDOM_IMAGES_PER_CRASH))
    })
  }

  it('keeps everything after a completed close: a clean-shutdown image, even after a power loss, holds every record', async () => {
    const io = new FaultFileIO()
    const broker = await openBroker(io, new ManualClock(CLOCK_START))
    broker.createTopic({ topic: 'data', partitions: 1, configs: SMALL_SEGMENTS })
    const journal = newJournal()
    journal.attempted.set('data-0', [])
    await appendBatches(broker, { topic: 'data', partition: 0 }, 10, 'c', journal)
    await broker.close()
    const got = await stateOf(io.powerLoss({ mode: 'drop-all-unsynced' }))
    const all = (journal.attempted.get('data-0') ?? []).flatMap((b) => b.values)
    expect(got).toEqual({ data: [{ logStart: 0, logEnd: all.length, values: all }] })
  })
})
