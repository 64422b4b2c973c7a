/**
 * Figure `windowed-count`: a tumbling-window count on the embedded broker,
 *
 * ```
 * clicks-windowed (4 partitions) → groupByKey → windowedBy(TimeWindows.ofSizeWithNoGrace(60 000))
 *   → count (window store 'counts', caching on) → toStream → <app>-out (Windowed<K> keys)
 * ```
 *
 * at-least-once with 100 ms commits, as the `count` figure runs. The input, written once before
 * any timing: `BENCH_STATE_WINDOWED_RECORDS` (500k) records with 16-byte string keys cycling over
 * `BENCH_STATE_WINDOWED_KEYS` (10k) and 8-byte values, their timestamps spread evenly over
 * `BENCH_STATE_WINDOWED_MINUTES` (10) minutes of event time — 10 one-minute windows of 50k
 * records, each key counted 5 times per window, 100k (key, window) entries in all. Timestamps rise
 * with the offset, so no record is late and no window closes before its records are in; windows
 * stay in the store for the default retention (one day), so nothing is deleted while timed.
 *
 * Each round runs a fresh app (fresh application id and state dir), timed from `start()` to the
 * group having committed the whole input (support/state-workload.ts `timedAppRound`); rates are
 * input records/s. Subject: the window store on RocksDB behind the store's write buffer (the
 * "cache"); baseline, rounds interleaved: the same app on in-memory stores.
 *
 * No target in the issue: the figure shows what windowing costs against `count` (same app
 * shape) and what RocksDB costs against memory.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import { Serdes } from '../../src/serdes/index.js'
import { StreamsBuilder, TimeWindows, type StoreBackendKind, type Topology } from '../../src/streams/index.js'
import { envInt, heading, line, withScratchDir } from '../support/harness.js'
import { APP_SETUP_LINE, PARTITIONS, STORE_NAME, backendRounds, fillCountInput, fmtCount, printBackendComparison, rocksDbSetupLine } from './support/counting.js'

const RECORDS = envInt('BENCH_STATE_WINDOWED_RECORDS', 500_000)
const KEYS = envInt('BENCH_STATE_WINDOWED_KEYS', 10_000)
const MINUTES = envInt('BENCH_STATE_WINDOWED_MINUTES', 10)
/** Timed rounds (min 3), after one warm-up round of each backend. */
const REPS = Math.max(3, envInt('BENCH_STATE_WINDOWED_REPS', 3))
const WINDOW_MS = 60_000
const TOPIC = 'clicks-windowed'
/** Event time of the first record (any minute boundary: windows align to the epoch). */
const BASE_TIMESTAMP_MS = 1_700_000_040_000

const stringSerde = Serdes.string()

function windowedCounting(backend: StoreBackendKind): (outputTopic: string) => Topology {
  return (outputTopic) => {
    const builder = new StreamsBuilder()
    builder
      .stream(TOPIC, { key: stringSerde, value: stringSerde })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(WINDOW_MS))
      .count({ name: STORE_NAME, backend })
      .toStream()
      .to(outputTopic)
    return builder.build()
  }
}

await withScratchDir('state-windowed-count', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  const admin = broker.admin()
  try {
    const spanMs = MINUTES * WINDOW_MS
    const filled = await fillCountInput(broker, TOPIC, RECORDS, KEYS, (i) => BASE_TIMESTAMP_MS + Math.floor((i * spanMs) / RECORDS))
    heading('windowed-count', 'groupByKey → windowedBy(1-minute tumbling windows) → count → toStream → to, RocksDB stores against in-memory ones', [
      `${RECORDS.toLocaleString('en')} records over ${KEYS.toLocaleString('en')} cycling keys (16 B string keys, 8 B values), ${PARTITIONS} partitions, ` +
        `event time spread over ${MINUTES} minutes (${MINUTES} windows; ${fmtCount(Math.min(RECORDS, KEYS * MINUTES))} key-window entries); ` +
        `filled in ${filled.seconds.toFixed(1)} s before timing`,
      `TimeWindows.ofSizeWithNoGrace(${WINDOW_MS}), retention the default (one day): nothing is dropped or deleted while timed`,
      APP_SETUP_LINE,
      rocksDbSetupLine(dir),
    ])
    const runs = await backendRounds({ broker, admin, input: filled.input, appPrefix: 'bench-windowed-count', topology: windowedCounting, reps: REPS })
    printBackendComparison(runs)
    line('target', 'none in the issue (reported beside count: the same app without windows)')
  } finally {
    await admin.close()
    await broker.close()
  }
})
