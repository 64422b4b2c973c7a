/**
 * What the `state` figures share: the 16-byte string keys, filling an input or changelog topic
 * before any timing, and the timed round of a stateful app over a filled input (start → the group
 * having committed the whole input). (A directory of `bench/state/`, so `bench/run.ts` runs none
 * of it as a figure.)
 *
 * A round's state dir is removed right after `app.close()`: close resolves once every task's
 * stores have closed natively (their directory locks are released only then), so no RocksDB
 * close runs into the next round.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Broker } from '../../../src/log/broker.js'
import type { ProducerRecord } from '../../../src/log/client/producer/producer-record.js'
import type { Admin } from '../../../src/log/index.js'
import { StreamsApp, type Topology } from '../../../src/streams/index.js'
import { Window, partitionsOf } from '../../support/client-workload.js'
import { fmtRate, line, median, nowMs, withScratchDir, type Run } from '../../support/harness.js'

/** Records per `sendBatch` while filling, and sends in flight. */
const FILL_CHUNK = 1000
const SENDS_IN_FLIGHT = 16

/** `key-000000012345`: 16 bytes. */
export function keyOf(i: number): string {
  return `key-${String(i).padStart(12, '0')}`
}

/** Record `i` of a topic being filled: its key and value bytes, and optionally its timestamp and partition. */
export type RecordAt = (i: number) => { key: Uint8Array; value: Uint8Array; timestampMs?: number; partition?: number }

/** Appends `records` records (`recordAt(0…records-1)`) to the existing `topic`; returns the key and value bytes written and the seconds it took. */
export async function fillTopic(broker: Broker, topic: string, records: number, recordAt: RecordAt): Promise<{ bytes: number; seconds: number }> {
  const t0 = nowMs()
  const producer = broker.producer({ acks: 1, lingerMs: 5 })
  let bytes = 0
  try {
    const window = new Window(SENDS_IN_FLIGHT)
    for (let sent = 0; sent < records; ) {
      const chunk: ProducerRecord[] = []
      for (const end = Math.min(records, sent + FILL_CHUNK); sent < end; sent++) {
        const r = recordAt(sent)
        bytes += r.key.length + r.value.length
        chunk.push({ topic, ...r })
      }
      await window.add(producer.sendBatch(chunk))
    }
    await window.drain()
    await producer.flush()
  } finally {
    await producer.close()
  }
  return { bytes, seconds: (nowMs() - t0) / 1000 }
}

/** How often a round reads the group's committed offsets (ms; each read is a few µs on the embedded broker). */
const WATCH_INTERVAL_MS = 2
/** A round whose committed offsets do not move for this long is broken: it throws rather than report a rate. */
const STALL_MS = 20_000

/** A filled input topic and what it holds. */
export interface Input {
  readonly topic: string
  readonly partitions: number
  readonly records: number
  /** Distinct keys (each reaches the output at least once). */
  readonly keys: number
  /** Key and value bytes of all its records. */
  readonly bytes: number
}

/** A timed run with the CPU time this process spent meanwhile (all its threads: RocksDB's flushes and compactions too). */
export interface CpuRun extends Run {
  readonly cpuSeconds: number
}

/** A timed round, with the records its app wrote to the output topic and the commits it took. */
export interface AppRun extends CpuRun {
  readonly outputRecords: number
  readonly commits: number
}

/** User + system seconds of this process since `from` (a `process.cpuUsage()`). */
export function cpuSecondsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from)
  return (used.user + used.system) / 1e6
}

/**
 * Prints the median records per CPU-second of `runs` (and the CPU share of the wall time). On the
 * shared 2-vCPU machine other processes stretch the wall time of a round but hardly its CPU time,
 * so this is the steadier number when the load average is high — close to what the wall-clock rate
 * would be on an idle machine for a figure that keeps one core busy.
 */
export function printCpuRate(label: string, runs: readonly CpuRun[]): number {
  const rate = median(runs.map((r) => r.records / r.cpuSeconds))
  const share = median(runs.map((r) => r.cpuSeconds / r.seconds))
  line(label, `${fmtRate(rate)} rec per CPU-second (CPU ${(share * 100).toFixed(0)}% of wall time; runs: ${runs.map((r) => fmtRate(r.records / r.cpuSeconds)).join(' / ')})`)
  return rate
}

/** When the group's committed offsets covered `records`, and how many commits moved them there. */
interface Committed {
  readonly endMs: number
  readonly commits: number
}

/** Polls the group's committed offsets until they cover `records` (commits are ≥ 100 ms apart: each one is seen). */
async function waitForCommitted(admin: Admin, groupId: string, records: number): Promise<Committed> {
  let seen = 0
  let commits = 0
  let progressMs = nowMs()
  for (;;) {
    let committed = 0
    for (const o of await admin.listGroupOffsets(groupId)) committed += o.offset ?? 0
    const now = nowMs()
    if (committed > seen) {
      seen = committed
      commits++
      progressMs = now
    } else if (now - progressMs > STALL_MS) {
      throw new Error(`group ${groupId} stalled at ${committed} of ${records} committed records (no progress for ${STALL_MS} ms)`)
    }
    if (committed >= records) return { endMs: now, commits }
    await sleep(WATCH_INTERVAL_MS)
  }
}

export interface AppRoundOptions {
  readonly broker: Broker
  readonly admin: Admin
  readonly input: Input
  /** Fresh per round: a fresh group, changelogs and output topic. */
  readonly applicationId: string
  /** The app's topology, writing to `outputTopic` (created with the input's partition count). */
  readonly topology: (outputTopic: string) => Topology
  /** The stores whose changelogs the round deletes afterwards. */
  readonly storeNames: readonly string[]
  readonly commitIntervalMs: number
}

/**
 * The timed subject of the counting figures: a fresh app over the whole input, from `start()`
 * (topic checks, group join, the stores' open and empty restore included) until the group's
 * committed offsets cover the input — only then are the results durable (the changelog and the
 * output were acknowledged first, DESIGN.md §4). The end is seen up to one commit interval (plus
 * one empty poll) after the last record was processed.
 */
export async function timedAppRound(options: AppRoundOptions): Promise<AppRun> {
  const { broker, admin, input, applicationId } = options
  const outputTopic = `${applicationId}-out`
  broker.createTopic({ topic: outputTopic, partitions: input.partitions })
  try {
    return await withScratchDir('state-round', async (stateDir) => {
      const app = new StreamsApp(options.topology(outputTopic), { applicationId, client: broker, commitIntervalMs: options.commitIntervalMs, stateDir })
      // An app that fails stops committing: report its error at once rather than wait out STALL_MS.
      const failed = new Promise<never>((_, reject) => app.state$.subscribe({ error: reject }))
      let seconds: number
      let cpuSeconds: number
      let commits: number
      try {
        const t0 = nowMs()
        const cpu0 = process.cpuUsage()
        await app.start()
        const committed = await Promise.race([waitForCommitted(admin, applicationId, input.records), failed])
        cpuSeconds = cpuSecondsSince(cpu0)
        seconds = (committed.endMs - t0) / 1000
        commits = committed.commits
      } finally {
        await app.close()
      }
      let outputRecords = 0
      for (const tp of partitionsOf(outputTopic, input.partitions)) outputRecords += broker.offsets(tp).logEndOffset
      if (outputRecords < input.keys) throw new Error(`${outputTopic} holds ${outputRecords} records for ${input.keys} keys`)
      return { seconds, cpuSeconds, records: input.records, bytes: input.bytes, outputRecords, commits }
    })
  } finally {
    broker.deleteTopic(outputTopic)
    for (const store of options.storeNames) broker.deleteTopic(`${applicationId}-${store}-changelog`)
  }
}
