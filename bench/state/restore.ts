/**
 * Figure `restore`: a store restored from its changelog before its task processes (perf-anchor
 * G10, ≥ 200k records/s into RocksDB), through the app's own restore path: a `StreamsApp`
 *
 * ```
 * restore-input (1 partition, empty) → groupByKey → count (store 'counts')
 * ```
 *
 * starts with a fresh state dir over a changelog `bench-restore-counts-changelog` pre-filled with
 * `BENCH_STATE_RESTORE_RECORDS` (1M) records, one per key: 16-byte string keys and the store's own
 * 16-byte values (timestamp + count, as `count()` writes them). So its one task finds an empty
 * store and replays the whole changelog into it (`StateManager.restore`: one restore consumer,
 * polls of 1 MiB fetches, write batches of 10,000 records each carrying the offset they reach).
 *
 * Timed: the restore alone, as the app reports it on `restore$` (from the changelog's end offset
 * read to the last batch written); the app's start up to `RUNNING` (topic checks, group join,
 * store open, restore) is printed beside it. Rates are changelog records/s.
 *
 * Baseline, rounds interleaved: the same app and changelog on an in-memory store (the same
 * consumer and batches into a B+ tree, no native calls), so the ratio is what RocksDB costs. A
 * reference line reads the same changelog with a plain consumer configured as the restore
 * consumer, keeping nothing: the part of a restore that is reading the log.
 */
import { join } from 'node:path'
import { filter, firstValueFrom } from 'rxjs'
import { Broker } from '../../src/log/broker.js'
import { Serdes } from '../../src/serdes/index.js'
import { CHANGELOG_TOPIC_CONFIGS } from '../../src/streams/app/topic-plan.js'
import { countSerde } from '../../src/streams/dsl/count-serde.js'
import { StreamsApp, StreamsBuilder, type RestoreReport, type StoreBackendKind } from '../../src/streams/index.js'
import { ROCKSDB_RESOURCES_DEFAULTS } from '../../src/streams/state/rocksdb/rocksdb-resources.js'
import { valueAndTimestampSerde } from '../../src/streams/state/value-and-timestamp.js'
import { MiB, describeScratch, envInt, fmtRate, heading, interleaved, line, median, nowMs, printRatio, printTarget, printThroughput, withScratchDir, type Run } from '../support/harness.js'
import { cpuSecondsSince, fillTopic, keyOf, printCpuRate, type CpuRun } from './support/state-workload.js'

const RECORDS = envInt('BENCH_STATE_RESTORE_RECORDS', 1_000_000)
const REPS = Math.max(3, envInt('BENCH_STATE_RESTORE_REPS', 3))
const APPLICATION_ID = 'bench-restore'
const STORE_NAME = 'counts'
const INPUT_TOPIC = 'restore-input'
const CHANGELOG_TOPIC = `${APPLICATION_ID}-${STORE_NAME}-changelog`
/** The restore consumer's poll wait; the reference reader uses the same. */
const POLL_MS = 100
const TARGET = 200_000
/** Timestamps of the changelog records (any fixed time: restore does not look at them). */
const BASE_TIMESTAMP_MS = 1_700_000_000_000

const stringSerde = Serdes.string()
const storedCount = valueAndTimestampSerde(countSerde)

/** A timed restore, with the app's start up to RUNNING (restore included) in wall and CPU time. */
interface RestoreRun extends Run {
  readonly start: CpuRun
}

function topology(backend: StoreBackendKind): ReturnType<StreamsBuilder['build']> {
  const builder = new StreamsBuilder()
  builder.stream(INPUT_TOPIC, { key: stringSerde, value: stringSerde }).groupByKey().count({ name: STORE_NAME, backend })
  return builder.build()
}

/** The timed subject: a fresh state dir, an app started over the filled changelog, its restore report. */
async function restoreOnce(broker: Broker, backend: StoreBackendKind, bytes: number): Promise<RestoreRun> {
  return withScratchDir('state-restore-round', async (stateDir) => {
    const app = new StreamsApp(topology(backend), { applicationId: APPLICATION_ID, client: broker, commitIntervalMs: 1000, stateDir })
    const failed = new Promise<never>((_, reject) => app.state$.subscribe({ error: reject }))
    const restored = firstValueFrom(app.restore$)
    const running = firstValueFrom(app.state$.pipe(filter((s) => s === 'RUNNING')))
    let report: RestoreReport
    let start: CpuRun
    try {
      const t0 = nowMs()
      const cpu0 = process.cpuUsage()
      await app.start()
      report = await Promise.race([restored, failed])
      await Promise.race([running, failed])
      start = { seconds: (nowMs() - t0) / 1000, cpuSeconds: cpuSecondsSince(cpu0), records: RECORDS, bytes }
    } finally {
      await app.close()
    }
    if (report.records !== RECORDS) throw new Error(`the restore replayed ${report.records} of ${RECORDS} changelog records`)
    return { seconds: report.seconds, records: report.records, bytes, start }
  })
}

/** The reference: the changelog read start to end by a consumer configured as the restore consumer, nothing kept. */
async function readChangelog(broker: Broker, bytes: number): Promise<Run> {
  const consumer = broker.consumer({ autoOffsetReset: 'earliest', enableAutoCommit: false, isolationLevel: 'read_uncommitted' })
  const tp = { topic: CHANGELOG_TOPIC, partition: 0 }
  try {
    const t0 = nowMs()
    await consumer.assign([tp])
    consumer.seek(tp, 0)
    let records = 0
    let keyBytes = 0
    while (records < RECORDS) {
      for (const r of await consumer.poll({ timeoutMs: POLL_MS })) {
        records++
        keyBytes += r.key?.length ?? 0
      }
    }
    if (keyBytes === 0) throw new Error('the changelog records have no keys')
    return { seconds: (nowMs() - t0) / 1000, records, bytes }
  } finally {
    await consumer.close()
  }
}

await withScratchDir('state-restore', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  try {
    broker.createTopic({ topic: INPUT_TOPIC, partitions: 1 })
    broker.createTopic({ topic: CHANGELOG_TOPIC, partitions: 1, configs: { ...CHANGELOG_TOPIC_CONFIGS } })
    const filled = await fillTopic(broker, CHANGELOG_TOPIC, RECORDS, (i) => {
      const key = stringSerde.serialize(CHANGELOG_TOPIC, keyOf(i)) as Uint8Array
      const timestampMs = BASE_TIMESTAMP_MS + i
      return { key, value: storedCount.serialize(CHANGELOG_TOPIC, { value: 1 + (i % 7), timestampMs }) as Uint8Array, timestampMs }
    })
    heading('restore', 'a store restored from its changelog by a starting StreamsApp, RocksDB against in-memory', [
      `${RECORDS.toLocaleString('en')} changelog records, one per key (16 B string keys, 16 B values: timestamp + count), 1 partition (one task); ` +
        `filled in ${filled.seconds.toFixed(1)} s before timing`,
      'timed: the restore as restore$ reports it (end offset read → last write batch); fresh state dir per round, so every round replays the whole changelog',
      `RocksDB: the app's default memory budget (${ROCKSDB_RESOURCES_DEFAULTS.memoryBudgetBytes / MiB} MiB over ${ROCKSDB_RESOURCES_DEFAULTS.maxOpenStores} stores); ` +
        `baseline: the same app on an in-memory store; ${describeScratch(dir)}`,
    ])
    const runs = await interleaved(REPS, {
      rocksdb: () => restoreOnce(broker, 'rocksdb', filled.bytes),
      memory: () => restoreOnce(broker, 'memory', filled.bytes),
      read: () => readChangelog(broker, filled.bytes),
    })
    const rocksdb = printThroughput('RocksDB restore', runs.rocksdb).recordsPerSecond
    const memory = printThroughput('in-memory restore (baseline)', runs.memory).recordsPerSecond
    printRatio('RocksDB / in-memory', rocksdb, memory, `(${fmtRate(rocksdb)} vs ${fmtRate(memory)} rec/s)`)
    const read = printThroughput('reading alone (reference)', runs.read).recordsPerSecond
    line('reading share of a restore', `${((rocksdb / read) * 100).toFixed(0)}% of a RocksDB restore's time, ${((memory / read) * 100).toFixed(0)}% of an in-memory one's`)
    line(
      'start() → RUNNING',
      `RocksDB ${median(runs.rocksdb.map((r) => r.start.seconds)).toFixed(2)} s, in-memory ${median(runs.memory.map((r) => r.start.seconds)).toFixed(2)} s (medians; restore included)`,
    )
    printCpuRate('RocksDB start → RUNNING, CPU', runs.rocksdb.map((r) => r.start))
    printCpuRate('in-memory start → RUNNING, CPU', runs.memory.map((r) => r.start))
    printTarget({ metric: 'restore into RocksDB, records/s (G10)', value: rocksdb, target: TARGET, direction: 'min', format: (v) => `${fmtRate(v)} rec/s` })
  } finally {
    await broker.close()
  }
})
