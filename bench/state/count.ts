/**
 * Figure `count`: a stateful Streams app on the embedded broker, counting records per key in one
 * process, at-least-once with a 100 ms commit interval:
 *
 * ```
 * clicks (4 partitions, string keys) → groupByKey → count (store 'counts', caching on) → toStream → <app>-out
 * ```
 *
 * The input is written once before any timing: `BENCH_STATE_COUNT_RECORDS` (500k) records with
 * 16-byte string keys (`key-000000012345`) cycling over `BENCH_STATE_COUNT_KEYS` (the issue's
 * 100k) and 8-byte values (`page-042`), so each key is counted 5 times and the first pass
 * inserts. (The other count figure, every key new, is `count-new-keys`.)
 *
 * Each round runs a fresh app (fresh application id, so a fresh group, changelog and output
 * topic, and a fresh state dir) over the whole input, timed from `start()` until the group's
 * committed offsets cover the input (support/state-workload.ts `timedAppRound`). Rates are input
 * records per second.
 *
 * Subject and baseline, rounds interleaved: the input counted into RocksDB stores (the subject)
 * and into in-memory stores (the baseline: the same runtime, write buffer, changelog and output
 * without native calls), so the ratio is what the RocksDB backend costs.
 *
 * The store's "cache" is its write buffer of changes since the last commit (Kafka's record cache,
 * but emptied by every commit): a record whose key is already buffered reads it from there and
 * replaces it, and only the latest value per key reaches the changelog and the output at the
 * commit. So the output holds one record per key and commit, and 1 − output / input is the share
 * of records that found their key buffered, printed with the commits the watcher saw (how far
 * apart and how many records each). With keys cycling over 100k a key comes back only after 100k
 * other records, so the share stays 0 unless one commit covers more than that.
 *
 * Target (issue text): 100k keys on RocksDB ≥ 500k records/s (stretch 1M).
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import { envInt, fmtRate, heading, line, printTarget, withScratchDir } from '../support/harness.js'
import { APP_SETUP_LINE, PARTITIONS, backendRounds, countingTopology, fillCountInput, fmtCount, printBackendComparison, rocksDbSetupLine } from './support/counting.js'

const RECORDS = envInt('BENCH_STATE_COUNT_RECORDS', 500_000)
const KEYS = envInt('BENCH_STATE_COUNT_KEYS', 100_000)
/** Timed rounds (min 3), after one warm-up round of each backend. */
const REPS = Math.max(3, envInt('BENCH_STATE_COUNT_REPS', 3))
const TOPIC = 'clicks'
const TARGETS = Object.freeze({ cycling: 500_000, cyclingStretch: 1_000_000 })

await withScratchDir('state-count', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  const admin = broker.admin()
  try {
    const cycling = await fillCountInput(broker, TOPIC, RECORDS, KEYS)
    const keysLabel = `${fmtCount(KEYS)} keys`
    heading('count', 'groupByKey → count → toStream → to, RocksDB stores against in-memory ones', [
      `${RECORDS.toLocaleString('en')} records over ${KEYS.toLocaleString('en')} cycling keys (16 B string keys, 8 B values), ${PARTITIONS} partitions; ` +
        `filled in ${cycling.seconds.toFixed(1)} s before timing`,
      APP_SETUP_LINE,
      rocksDbSetupLine(dir),
    ])
    const runs = await backendRounds({ broker, admin, input: cycling.input, appPrefix: 'bench-count', topology: (backend) => countingTopology(TOPIC, backend), reps: REPS })
    line(`-- ${keysLabel}`, '')
    const { rocksdb } = printBackendComparison(runs, '  ')
    printTarget({
      metric: `stateful count, ${keysLabel}, RocksDB`,
      value: rocksdb,
      target: TARGETS.cycling,
      stretch: TARGETS.cyclingStretch,
      direction: 'min',
      format: (v) => `${fmtRate(v)} rec/s`,
    })
  } finally {
    await admin.close()
    await broker.close()
  }
})
