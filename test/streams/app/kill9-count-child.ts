/**
 * The child of kill9-count.test.ts: a counting StreamsApp (RocksDB store, at-least-once, 20 ms
 * commits) on the embedded broker in `dataDir`, with its state in `stateDir`. It prints
 * `committed <n>` after each commit (the group's committed input offsets, summed). Once they
 * reach the input's end it prints `idle` and, in `hold` mode, keeps running until the parent
 * kills it (so every kill run ends in a SIGKILL, however fast the input went); otherwise it closes
 * cleanly and prints `done`. The parent kills it with SIGKILL.
 */
import { Broker } from '../../../src/log/index.js'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsApp, StreamsBuilder } from '../../../src/streams/index.js'

const [dataDir, stateDir, mode] = process.argv.slice(2) as [string, string, 'hold' | 'finish']
const S = Serdes.string()

const broker = await Broker.open({ dataDir })
const builder = new StreamsBuilder()
builder.stream('clicks', { key: S, value: S }).groupByKey().count({ name: 'clicks', backend: 'rocksdb' }).toStream().to('counts')
const app = new StreamsApp(builder.build(), { applicationId: 'kill9-count', client: broker, stateDir, commitIntervalMs: 20 })
const admin = broker.admin()
const ends = broker.describeTopic('clicks').partitions.map((p) => ({ topic: 'clicks', partition: p.partition }))
const end = broker.describeTopic('clicks').partitions.reduce((n, p) => n + p.logEndOffset, 0)

/** Sums what the group has committed: earlier runs' commits count too. */
const committedNow = async (): Promise<number> => (await admin.listGroupOffsets('kill9-count', ends)).reduce((n, o) => n + (o.offset ?? 0), 0)

const finished = new Promise<void>((resolve, reject) => {
  const check = (): void => {
    void committedNow().then((committed) => {
      console.log(`committed ${committed}`)
      if (committed >= end) resolve()
    }, reject)
  }
  app.commit$.subscribe({ next: check, error: reject })
  app.state$.subscribe({ error: reject })
})
await app.start()
// A run that finds everything committed already gets no commit events: check once at the start.
if ((await committedNow()) >= end) console.log(`committed ${end}`)
else await finished
console.log('idle')
if (mode === 'hold') await new Promise<never>(() => undefined)
await app.close()
await admin.close()
await broker.close()
console.log('done')
