/**
 * What the counting figures (`count`, `count-new-keys`, `windowed-count`) share: their input
 * (16-byte string keys, 8-byte values), the app's setup (4 partitions, at-least-once, 100 ms
 * commits, caching on), and the lines they print about commits and RocksDB's memory.
 */
import type { Broker } from '../../../src/log/broker.js'
import type { Admin } from '../../../src/log/index.js'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsBuilder, type StoreBackendKind, type Topology } from '../../../src/streams/index.js'
import { ROCKSDB_RESOURCES_DEFAULTS } from '../../../src/streams/state/rocksdb/rocksdb-resources.js'
import { MiB, describeScratch, fmtRate, interleaved, line, median, printRatio, printThroughput } from '../../support/harness.js'
import { fillTopic, keyOf, printCpuRate, timedAppRound, type AppRun, type Input } from './state-workload.js'

export const PARTITIONS = 4
export const COMMIT_INTERVAL_MS = 100
export const STORE_NAME = 'counts'
/** Distinct values cycled through (`page-000` … `page-999`: 8 bytes each). */
const VALUE_COUNT = 1000

const stringSerde = Serdes.string()

/** `page-042`: 8 bytes. */
function valueOf(i: number): string {
  return `page-${String(i % VALUE_COUNT).padStart(3, '0')}`
}

/** `100k`, `1M`: key counts in labels. */
export function fmtCount(n: number): string {
  return fmtRate(n).replace(/\.0+ /, ' ').replace(' ', '')
}

/**
 * Writes `records` records whose keys cycle over `keys` to a new topic of `PARTITIONS`
 * partitions; record `i` has timestamp `timestampOf(i)` when given (else the broker's clock).
 */
export async function fillCountInput(broker: Broker, topic: string, records: number, keys: number, timestampOf?: (i: number) => number): Promise<{ input: Input; seconds: number }> {
  broker.createTopic({ topic, partitions: PARTITIONS })
  const filled = await fillTopic(broker, topic, records, (i) => ({
    key: stringSerde.serialize(topic, keyOf(i % keys)) as Uint8Array,
    value: stringSerde.serialize(topic, valueOf(i)) as Uint8Array,
    ...(timestampOf === undefined ? {} : { timestampMs: timestampOf(i) }),
  }))
  return { input: { topic, partitions: PARTITIONS, records, keys, bytes: filled.bytes }, seconds: filled.seconds }
}

/** `topic → groupByKey → count → toStream → output`, the count's store on `backend`. */
export function countingTopology(topic: string, backend: StoreBackendKind): (outputTopic: string) => Topology {
  return (outputTopic) => {
    const builder = new StreamsBuilder()
    builder
      .stream(topic, { key: stringSerde, value: stringSerde })
      .groupByKey()
      .count({ name: STORE_NAME, backend })
      .toStream()
      .to(outputTopic)
    return builder.build()
  }
}

/** The setup line every counting figure prints about the app. */
export const APP_SETUP_LINE =
  `at-least-once, commitIntervalMs ${COMMIT_INTERVAL_MS}, caching on (the default); fresh application id and state dir per round; ` +
  'timed from start() to the group having committed the whole input; rates are input records/s'

/** The setup line every counting figure prints about RocksDB's memory and the baseline. */
export function rocksDbSetupLine(dir: string): string {
  return (
    `RocksDB: the app's default memory budget (${ROCKSDB_RESOURCES_DEFAULTS.memoryBudgetBytes / MiB} MiB over ${ROCKSDB_RESOURCES_DEFAULTS.maxOpenStores} stores; ` +
    `${PARTITIONS} open, one per task); baseline: the same app on in-memory stores; ${describeScratch(dir)}`
  )
}

/** Every round of one counting figure: the subject on RocksDB, the baseline in memory. */
export interface BackendRuns {
  readonly rocksdb: AppRun[]
  readonly memory: AppRun[]
}

export interface BackendRoundsOptions {
  readonly broker: Broker
  readonly admin: Admin
  readonly input: Input
  /** Application ids are `<appPrefix>-<backend>-<round>`: a fresh group, changelog and state dir per round. */
  readonly appPrefix: string
  readonly topology: (backend: StoreBackendKind) => (outputTopic: string) => Topology
  readonly reps: number
  /** Whether one round of each backend runs untimed first (default true). */
  readonly warmUp?: boolean
}

/** `reps` rounds of the app on each backend, interleaved (support/state-workload.ts `timedAppRound`). */
export async function backendRounds(options: BackendRoundsOptions): Promise<BackendRuns> {
  let roundNo = 0
  const round = (backend: StoreBackendKind) => (): Promise<AppRun> =>
    timedAppRound({
      broker: options.broker,
      admin: options.admin,
      input: options.input,
      applicationId: `${options.appPrefix}-${backend}-${roundNo++}`,
      topology: options.topology(backend),
      storeNames: [STORE_NAME],
      commitIntervalMs: COMMIT_INTERVAL_MS,
    })
  return interleaved(options.reps, { rocksdb: round('rocksdb'), memory: round('memory') }, options.warmUp === false ? [] : undefined)
}

/** Prints RocksDB against in-memory: wall-clock rates and their ratio, CPU-time rates, commits; returns the wall-clock medians. */
export function printBackendComparison(runs: BackendRuns, indent = ''): { rocksdb: number; memory: number } {
  const rocksdb = printThroughput(`${indent}RocksDB`, runs.rocksdb).recordsPerSecond
  const memory = printThroughput(`${indent}in-memory (baseline)`, runs.memory).recordsPerSecond
  printRatio(`${indent}RocksDB / in-memory`, rocksdb, memory, `(${fmtRate(rocksdb)} vs ${fmtRate(memory)} rec/s)`)
  printCpuRate(`${indent}RocksDB, CPU time`, runs.rocksdb)
  printCpuRate(`${indent}in-memory, CPU time`, runs.memory)
  commitLines(`${indent}commits, RocksDB`, runs.rocksdb)
  commitLines(`${indent}commits, in-memory`, runs.memory)
  line('end of a round', `seen up to one commit interval (${COMMIT_INTERVAL_MS} ms) plus one empty poll after the last record was counted`)
  return { rocksdb, memory }
}

/** How the rounds committed (records and time per commit) and the share of records that found their key in the write buffer. */
function commitLines(label: string, runs: readonly AppRun[]): void {
  const perCommit = median(runs.map((r) => r.records / r.commits))
  const intervalMs = median(runs.map((r) => (r.seconds * 1000) / r.commits))
  const shares = runs.map((r) => 1 - r.outputRecords / r.records)
  line(
    label,
    `a commit every ${intervalMs.toFixed(0)} ms, ${fmtRate(perCommit)} records each; ${(median(shares) * 100).toFixed(1)}% of records found their key buffered ` +
      `(runs: ${shares.map((s) => `${(s * 100).toFixed(1)}%`).join(' / ')})`,
  )
}
