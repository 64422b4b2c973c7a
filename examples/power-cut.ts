/**
 * Crash-testing code built on Millrace: run a broker on the in-memory fault file system, cut the
 * power at an arbitrary moment, and reopen on what the disk would hold. Every durably acked
 * record survives; what was only in the page cache may not.
 *
 *   npx tsx examples/power-cut.ts
 */
import { Broker, encodeRecordBatch, iterateBatches } from 'millrace/log'
import { FaultFileIO, ManualClock } from 'millrace/testing'

const io = new FaultFileIO()
const clock = new ManualClock()
const broker = await Broker.open({ dataDir: '/data', io, clock })
broker.createTopic({ topic: 'events', partitions: 1 })
const tp = { topic: 'events', partition: 0 }
const batch = (values: string[]): Buffer =>
  encodeRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { nowMs: clock.nowMs() })

await broker.appendDurable(tp, batch(['durable-1', 'durable-2'])) // fsynced before it resolves
broker.append(tp, batch(['in-page-cache-only'])) // survives kill -9, not a power cut

// The worst case: every write not yet fsynced is lost ({ seed } gives random tears instead).
const afterPowerCut = io.powerLoss()
const recovered = await Broker.open({ dataDir: '/data', io: afterPowerCut, clock })
const values: string[] = []
for (const b of iterateBatches(recovered.read(tp, 0, 1 << 20))) {
  b.forEachRecord((r) => values.push(Buffer.from(r.value ?? new Uint8Array()).toString()))
}
console.log(`after the power cut: ${values.join(', ')}`)
if (values.join() !== 'durable-1,durable-2') throw new Error('expected exactly the durable records')
await recovered.close()
