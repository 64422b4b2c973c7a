/**
 * Child process of the kill -9 test: appends durably to `kill9` with several concurrent writers
 * and prints `ack <partition> <baseOffset> <value>…` only after each append's group commit
 * resolved. The parent SIGKILLs it at a random ack and checks the log afterwards.
 *
 * argv: dataDir runId
 */
import { Broker } from '../../../src/log/broker.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'

const [dataDir, runId] = process.argv.slice(2) as [string, string]
const TOPIC = 'kill9'
const PARTITIONS = 2
const WRITERS = 4
const RECORDS_PER_BATCH = 5

const broker = await Broker.open({ dataDir })
if (!broker.hasTopic(TOPIC)) broker.createTopic({ topic: TOPIC, partitions: PARTITIONS, configs: { 'segment.bytes': '8192' } })
process.stdout.write('ready\n')

async function writer(w: number): Promise<never> {
  for (let seq = 0; ; seq++) {
    const values = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => `${runId}/${w}/${seq}/${i}`)
    const batch = encodeRecordBatch(
      values.map((v) => ({ key: null, value: Buffer.from(v), timestampMs: 1_700_000_000_000 })),
    )
    const partition = (w + seq) % PARTITIONS
    const result = await broker.appendDurable({ topic: TOPIC, partition }, batch, { trusted: true })
    process.stdout.write(`ack ${partition} ${result.baseOffset} ${values.join(' ')}\n`)
  }
}

await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
