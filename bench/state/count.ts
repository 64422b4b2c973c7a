/**
 * Figure `count`: a stateful Streams app on the embedded broker, counting records per key in one
 * process, at-least-once with a 100 ms commit interval:
 *
 * ```
 * clicks (4 partitions, string keys) → groupByKey → count (store 'counts', caching on) → toStream → <app>-out
 * ```
 *
 * Two inputs are written once before any timing, with 16-byte string keys (`key-000000012345`)
 * and 8-byte values (`page-042`):
 * - `BENCH_STATE_COUNT_RECORDS` (500k) records whose keys cycle over `BENCH_STATE_COUNT_KEYS`
 *   (the issue's 100k), so each key is counted 5 times and the first pass inserts;
 * - `BENCH_STATE_COUNT_NEW_KEYS` (300k) records with a new key each: every read misses the
 *   store's buffer and the backend, every update is an insert. The issue asks for 10M keys, which
 *   would take minutes per round on the 2-vCPU machine; set the knob to 10,000,000 (and allow the
 *   time) for that figure. The size matters for RocksDB: with 300k keys each store (75k keys)
 *   stays in its memtables, with 1M each has written two level-0 files, and 10M-key stores
 *   spread over several levels whose filters every miss checks — cheaper misses here than there
 *   (a spot check at 1M keys counted as fast as at 300k).
 * The defaults keep the figure near a minute (~55 s on the reference machine).
 *
 * Each round runs a fresh app (fresh application id, so a fresh group, changelog and output
 * topic, and a fresh state dir) over one whole input, timed from `start()` (topic checks, group
 * join, the stores' open and empty restore included) until the group's committed offsets cover
 * the input: only then are the counts durable (the changelog and the output were acknowledged
 * first, DESIGN.md §4). The end is therefore seen up to one commit interval (plus one empty poll)
 * after the last record was counted. Rates are input records per second.
 *
 * Subjects and baselines, rounds interleaved: each input counted into RocksDB stores (the
 * subject) and into in-memory stores (the baseline: the same runtime, write buffer, changelog and
 * output without native calls), so the ratio is what the RocksDB backend costs.
 *
 * The store's "cache" is its write buffer of changes since the last commit (Kafka's record cache,
 * but emptied by every commit): a record whose key is already buffered reads it from there and
 * replaces it, and only the latest value per key reaches the changelog and the output at the
 * commit. So the output holds one record per key and commit, and 1 − output / input is the share
 * of records that found their key buffered, printed per row with the commits the watcher saw
 * (how far apart and how many records each). With keys cycling over 100k a key comes back only
 * after 100k other records, so the share stays 0 unless one commit covers more than that.
 *
 * Targets (issue text): 100k keys on RocksDB ≥ 500k records/s (stretch 1M); every key new on
 * RocksDB ≥ 60k records/s.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Broker } from '../../src/log/broker.js'
import type { Admin } from '../../src/log/index.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import { Serdes } from '../../src/serdes/index.js'
import { StreamsApp, StreamsBuilder, type StoreBackendKind } from '../../src/streams/index.js'
import { openRocksDbBackend } from '../../src/streams/state/rocksdb/rocksdb-backend.js'
import { ROCKSDB_RESOURCES_DEFAULTS, RocksDbResources } from '../../src/streams/state/rocksdb/rocksdb-resources.js'
import { Window, partitionsOf } from '../support/client-workload.js'
import { MiB, describeScratch, envInt, fmtRate, heading, interleaved, line, median, nowMs, printRatio, printTarget, printThroughput, withScratchDir, type Run } from '../support/harness.js'

const RECORDS = envInt('BENCH_STATE_COUNT_RECORDS', 500_000)
const KEYS = envInt('BENCH_STATE_COUNT_KEYS', 100_000)
const NEW_KEY_RECORDS = envInt('BENCH_STATE_COUNT_NEW_KEYS', 300_000)
/** Timed rounds of each row (min 3), after one warm-up round of each row on the cycling keys. */
const REPS = Math.max(3, envInt('BENCH_STATE_COUNT_REPS', 3))
const PARTITIONS = 4
const COMMIT_INTERVAL_MS = 100
const STORE_NAME = 'counts'
const CYCLING_TOPIC = 'clicks'
const NEW_KEYS_TOPIC = 'clicks-new-keys'
/** Distinct values cycled through (`page-000` … `page-999`: 8 bytes each). */
const VALUE_COUNT = 1000
/** Records per `sendBatch` while filling, and sends in flight. */
const FILL_CHUNK = 1000
const SENDS_IN_FLIGHT = 16
/** How often the watcher reads the group's committed offsets (ms; each read is a few µs on the embedded broker). */
const WATCH_INTERVAL_MS = 2
/** A round whose committed offsets do not move for this long is broken: it throws rather than report a rate. */
const STALL_MS = 20_000
const TARGETS = Object.freeze({ cycling: 500_000, cyclingStretch: 1_000_000, newKeys: 60_000 })

const stringSerde = Serdes.string()

/** One input topic and what it holds. */
interface Input {
  readonly topic: string
  readonly records: number
  readonly keys: number
  /** Key and value bytes of all its records. */
  readonly bytes: number
}

/** A timed round, with the records its app wrote to the output topic and the commits it took. */
interface CountRun extends Run {
  readonly outputRecords: number
  readonly commits: number
}

/** `key-000000012345`: 16 bytes. */
function keyOf(i: number): string {
  return `key-${String(i).padStart(12, '0')}`
}

/** `page-042`: 8 bytes. */
function valueOf(i: number): string {
  return `page-${String(i % VALUE_COUNT).padStart(3, '0')}`
}

/** Writes `records` records cycling over `keys` keys to a new topic; returns the input and the seconds it took. */
async function fillInput(broker: Broker, topic: string, records: number, keys: number): Promise<{ input: Input; seconds: number }> {
  const t0 = nowMs()
  broker.createTopic({ topic, partitions: PARTITIONS })
  const producer = broker.producer({ acks: 1, lingerMs: 5 })
  let bytes = 0
  try {
    const window = new Window(SENDS_IN_FLIGHT)
    for (let sent = 0; sent < records; ) {
      const chunk: ProducerRecord[] = []
      for (const end = Math.min(records, sent + FILL_CHUNK); sent < end; sent++) {
        const key = stringSerde.serialize(topic, keyOf(sent % keys)) as Uint8Array
        const value = stringSerde.serialize(topic, valueOf(sent)) as Uint8Array
        bytes += key.length + value.length
        chunk.push({ topic, key, value })
      }
      await window.add(producer.sendBatch(chunk))
    }
    await window.drain()
    await producer.flush()
  } finally {
    await producer.close()
  }
  return { input: { topic, records, keys, bytes }, seconds: (nowMs() - t0) / 1000 }
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

/**
 * RocksDB closes its databases on the threadpool after `app.close()` returns. Reopening each
 * store directory waits for that close (the backend's claim on its directory), so the round's
 * state dir is removed under no open database and no close runs into the next round.
 */
async function waitForStoresReleased(stateDir: string, applicationId: string): Promise<void> {
  const appDir = join(stateDir, applicationId)
  const resources = new RocksDbResources()
  for (const task of readdirSync(appDir)) {
    const backend = await openRocksDbBackend({ name: `${STORE_NAME}-${task}`, dir: join(appDir, task, STORE_NAME), resources })
    backend.close()
    await backend.whenReleased()
  }
}

/** The timed subject: a fresh counting app over `input`, from start to the input committed. */
async function countInput(broker: Broker, admin: Admin, input: Input, backend: StoreBackendKind, applicationId: string): Promise<CountRun> {
  const outputTopic = `${applicationId}-out`
  broker.createTopic({ topic: outputTopic, partitions: PARTITIONS })
  try {
    return await withScratchDir('state-count-round', async (stateDir) => {
      const builder = new StreamsBuilder()
      builder
        .stream(input.topic, { key: stringSerde, value: stringSerde })
        .groupByKey()
        .count({ name: STORE_NAME, backend })
        .toStream()
        .to(outputTopic)
      const app = new StreamsApp(builder.build(), { applicationId, client: broker, commitIntervalMs: COMMIT_INTERVAL_MS, stateDir })
      // An app that fails stops committing: report its error at once rather than wait out STALL_MS.
      const failed = new Promise<never>((_, reject) => app.state$.subscribe({ error: reject }))
      let seconds: number
      let commits: number
      try {
        const t0 = nowMs()
        await app.start()
        const committed = await Promise.race([waitForCommitted(admin, applicationId, input.records), failed])
        seconds = (committed.endMs - t0) / 1000
        commits = committed.commits
      } finally {
        await app.close()
      }
      if (backend === 'rocksdb') await waitForStoresReleased(stateDir, applicationId)
      let outputRecords = 0
      for (const tp of partitionsOf(outputTopic, PARTITIONS)) outputRecords += broker.offsets(tp).logEndOffset
      // Every key is counted, so each reaches the output at least once.
      if (outputRecords < input.keys) throw new Error(`${outputTopic} holds ${outputRecords} records for ${input.keys} keys`)
      return { seconds, records: input.records, bytes: input.bytes, outputRecords, commits }
    })
  } finally {
    broker.deleteTopic(outputTopic)
    broker.deleteTopic(`${applicationId}-${STORE_NAME}-changelog`)
  }
}

/** `100k`, `1M`: key counts in labels. */
function fmtCount(n: number): string {
  return fmtRate(n).replace(/\.0+ /, ' ').replace(' ', '')
}

/** How the rounds committed (records and time per commit) and the share of records that found their key in the write buffer. */
function commitLines(label: string, runs: readonly CountRun[]): void {
  const perCommit = median(runs.map((r) => r.records / r.commits))
  const intervalMs = median(runs.map((r) => (r.seconds * 1000) / r.commits))
  const shares = runs.map((r) => 1 - r.outputRecords / r.records)
  line(
    label,
    `a commit every ${intervalMs.toFixed(0)} ms, ${fmtRate(perCommit)} records each; ${(median(shares) * 100).toFixed(1)}% of records found their key buffered ` +
      `(runs: ${shares.map((s) => `${(s * 100).toFixed(1)}%`).join(' / ')})`,
  )
}

await withScratchDir('state-count', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  const admin = broker.admin()
  try {
    const cycling = await fillInput(broker, CYCLING_TOPIC, RECORDS, KEYS)
    const newKeys = await fillInput(broker, NEW_KEYS_TOPIC, NEW_KEY_RECORDS, NEW_KEY_RECORDS)
    const keysLabel = `${fmtCount(KEYS)} keys`
    heading('count', 'groupByKey → count → toStream → to, RocksDB stores against in-memory ones', [
      `${RECORDS.toLocaleString('en')} records over ${KEYS.toLocaleString('en')} cycling keys, and ${NEW_KEY_RECORDS.toLocaleString('en')} records with a new key each ` +
        `(16 B string keys, 8 B values), ${PARTITIONS} partitions; filled in ${cycling.seconds.toFixed(1)} s and ${newKeys.seconds.toFixed(1)} s before timing`,
      `at-least-once, commitIntervalMs ${COMMIT_INTERVAL_MS}, caching on (the default); fresh application id and state dir per round; ` +
        'timed from start() to the group having committed the whole input; rates are input records/s',
      `RocksDB: the app's default memory budget (${ROCKSDB_RESOURCES_DEFAULTS.memoryBudgetBytes / MiB} MiB over ${ROCKSDB_RESOURCES_DEFAULTS.maxOpenStores} stores; ` +
        `${PARTITIONS} open, one per task); baseline: the same app on in-memory stores; ${describeScratch(dir)}`,
    ])
    let roundNo = 0
    const round = (input: Input, backend: StoreBackendKind) => (): Promise<CountRun> => countInput(broker, admin, input, backend, `bench-count-${backend}-${roundNo++}`)
    // Warm-up on the cycling input only: the new-key rounds run the same code, and are the long ones.
    const runs = await interleaved(
      REPS,
      {
        rocksdb: round(cycling.input, 'rocksdb'),
        memory: round(cycling.input, 'memory'),
        rocksdbNewKeys: round(newKeys.input, 'rocksdb'),
        memoryNewKeys: round(newKeys.input, 'memory'),
      },
      ['rocksdb', 'memory'],
    )

    line(`-- ${keysLabel}`, '')
    const rocksdb = printThroughput('  RocksDB', runs.rocksdb).recordsPerSecond
    const memory = printThroughput('  in-memory (baseline)', runs.memory).recordsPerSecond
    printRatio('  RocksDB / in-memory', rocksdb, memory, `(${fmtRate(rocksdb)} vs ${fmtRate(memory)} rec/s)`)
    commitLines('  commits, RocksDB', runs.rocksdb)
    commitLines('  commits, in-memory', runs.memory)
    line('-- every key new', '')
    const rocksdbNew = printThroughput('  RocksDB', runs.rocksdbNewKeys).recordsPerSecond
    const memoryNew = printThroughput('  in-memory (baseline)', runs.memoryNewKeys).recordsPerSecond
    printRatio('  RocksDB / in-memory', rocksdbNew, memoryNew, `(${fmtRate(rocksdbNew)} vs ${fmtRate(memoryNew)} rec/s)`)
    commitLines('  commits, RocksDB', runs.rocksdbNewKeys)
    commitLines('  commits, in-memory', runs.memoryNewKeys)
    line('end of a round', `seen up to one commit interval (${COMMIT_INTERVAL_MS} ms) plus one empty poll after the last record was counted`)
    printTarget({
      metric: `stateful count, ${keysLabel}, RocksDB`,
      value: rocksdb,
      target: TARGETS.cycling,
      stretch: TARGETS.cyclingStretch,
      direction: 'min',
      format: (v) => `${fmtRate(v)} rec/s`,
    })
    printTarget({ metric: 'stateful count, every key new, RocksDB', value: rocksdbNew, target: TARGETS.newKeys, direction: 'min', format: (v) => `${fmtRate(v)} rec/s` })
  } finally {
    await admin.close()
    await broker.close()
  }
})
