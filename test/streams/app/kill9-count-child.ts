/**
 * The child of kill9-count.test.ts: a counting StreamsApp (RocksDB store, at-least-once, 20 ms
 * commits) on the embedded broker in `dataDir`, with its state in `stateDir`. It prints
 * `committed <n>` whenever the group's committed input offsets grow, and `done` once they reach
 * the input's end — then closes cleanly. The parent kills it with SIGKILL at random moments.
 */
import { Broker } from '../../../src/log/index.js'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsApp, StreamsBuilder } from '../../../src/streams/index.js'

const [dataDir, stateDir] = process.argv.slice(2) as [string, string]
const S = Serdes.string()

const broker = await Broker.open({ dataDir })
const builder = new StreamsBuilder()
builder.stream('clicks', { key: S, value: S }).groupByKey().count({ name: 'clicks', backend: 'rocksdb' }).toStream().to('counts')
const app = new StreamsApp(builder.build(), { applicationId: 'kill9-count', client: broker, stateDir, commitIntervalMs: 20 })
let failure: unknown
app.state$.subscribe({ error: (err: unknown) => (failure = err) })
await app.start()
const admin = broker.admin()
const end = broker.describeTopic('clicks').partitions.reduce((n, p) => n + p.logEndOffset, 0)
let last = -1
for (;;) {
  if (failure !== undefined) {
    console.error(failure)
    process.exit(2)
  }
  const committed = (await admin.listGroupOffsets('kill9-count')).reduce((n, o) => n + (o.offset ?? 0), 0)
  if (committed > last) {
    last = committed
    console.log(`committed ${committed}`)
  }
  if (committed >= end) break
  await new Promise((resolve) => setTimeout(resolve, 5))
}
await app.close()
await admin.close()
await broker.close()
console.log('done')
