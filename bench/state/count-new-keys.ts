/**
 * Figure `count-new-keys`: the "every key misses the cache" count — the `count` app
 * (groupByKey → count → toStream → to, 4 partitions, at-least-once, 100 ms commits, caching on)
 * over an input whose every record has a new key, so every read misses the store's write buffer
 * and the backend, and every update is an insert.
 *
 * The issue asks for 10M distinct keys. That size does not fit this figure's shape on the 2-vCPU
 * reference machine: one RocksDB round of 10M takes ~2.5 minutes of CPU (5 minutes of wall time
 * under a load average of 10), and the in-memory baseline runs out of Node's default ~4 GiB heap
 * (10M entries of JS objects across the 4 stores, plus the broker's own copies in flight), so it
 * needs `NODE_OPTIONS=--max-old-space-size=12288` as well. The default is 2M keys
 * (`BENCH_STATE_NEW_KEYS`): about two minutes on an idle machine (four under load), and each
 * RocksDB store (500k keys) still flushes its memtables into level-0 files and compacts, so
 * misses consult SST files and their filters, not only memtables (at 300k keys, the old default,
 * each store stayed in its memtables). For the size:
 * `NODE_OPTIONS=--max-old-space-size=12288 BENCH_STATE_NEW_KEYS=10000000 npm run bench -- state/count-new-keys`
 * (~20 minutes: a round of each backend takes ~3 minutes); one such run's numbers are in bench/README.md.
 *
 * Timed as `count` (support/state-workload.ts `timedAppRound`): from `start()` to the group
 * having committed the whole input, fresh application id and state dir per round; rates are input
 * records/s. One warm-up round of each backend over a 100k-key input first.
 *
 * Baseline, rounds interleaved: the same app on in-memory stores.
 *
 * Target (issue text): ≥ 60k records/s on RocksDB.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import type { StoreBackendKind } from '../../src/streams/index.js'
import { envInt, fmtRate, heading, line, printTarget, withScratchDir } from '../support/harness.js'
import { APP_SETUP_LINE, PARTITIONS, backendRounds, countingTopology, fillCountInput, fmtCount, printBackendComparison, rocksDbSetupLine } from './support/counting.js'
import type { Input } from './support/state-workload.js'

const KEYS = envInt('BENCH_STATE_NEW_KEYS', 2_000_000)
/** Timed rounds of each backend (min 3). */
const REPS = Math.max(3, envInt('BENCH_STATE_NEW_KEYS_REPS', 3))
const WARM_UP_KEYS = 100_000
const TOPIC = 'clicks-new-keys'
const WARM_UP_TOPIC = 'clicks-new-keys-warm-up'
const TARGET = 60_000

await withScratchDir('state-count-new-keys', async (dir) => {
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  const admin = broker.admin()
  try {
    const filled = await fillCountInput(broker, TOPIC, KEYS, KEYS)
    const warmUp = await fillCountInput(broker, WARM_UP_TOPIC, Math.min(WARM_UP_KEYS, KEYS), Math.min(WARM_UP_KEYS, KEYS))
    heading('count-new-keys', 'groupByKey → count → toStream → to with a new key per record, RocksDB stores against in-memory ones', [
      `${KEYS.toLocaleString('en')} records, each with a new key (16 B string keys, 8 B values), ${PARTITIONS} partitions; ` +
        `filled in ${filled.seconds.toFixed(1)} s before timing (the issue's figure: 10M keys, BENCH_STATE_NEW_KEYS=10000000)`,
      APP_SETUP_LINE,
      rocksDbSetupLine(dir),
    ])
    const topology = (input: Input) => (backend: StoreBackendKind) => countingTopology(input.topic, backend)
    await backendRounds({ broker, admin, input: warmUp.input, appPrefix: 'bench-count-new-keys-warm-up', topology: topology(warmUp.input), reps: 1, warmUp: false })
    broker.deleteTopic(WARM_UP_TOPIC)
    const runs = await backendRounds({ broker, admin, input: filled.input, appPrefix: 'bench-count-new-keys', topology: topology(filled.input), reps: REPS, warmUp: false })
    line(`-- ${fmtCount(KEYS)} keys, every key new`, '')
    const { rocksdb } = printBackendComparison(runs, '  ')
    printTarget({ metric: `stateful count, every key new (${fmtCount(KEYS)} keys), RocksDB`, value: rocksdb, target: TARGET, direction: 'min', format: (v) => `${fmtRate(v)} rec/s` })
  } finally {
    await admin.close()
    await broker.close()
  }
})
