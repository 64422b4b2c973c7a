import type { Broker } from '../../../src/log/broker.js'
import type { ReadRecord } from '../../support/txn-history.js'

/** A complete read_committed scan of `topic` (every partition, in offset order): the checker's `final`. */
export async function readCommittedScan(broker: Broker, topic: string): Promise<ReadRecord[]> {
  const consumer = broker.consumer({ isolationLevel: 'read_committed', autoOffsetReset: 'earliest' })
  try {
    const tps = Array.from({ length: broker.partitionCount(topic) }, (_, partition) => ({ topic, partition }))
    await consumer.assign(tps)
    const ends = await consumer.endOffsets(tps)
    const out: ReadRecord[] = []
    for (;;) {
      let done = true
      for (const end of ends) if ((await consumer.position(end)) < end.offset) done = false
      if (done) break
      for (const r of await consumer.poll({ timeoutMs: 0 })) {
        out.push({ partition: String(r.partition), offset: r.offset, value: r.value === null ? '' : Buffer.from(r.value).toString() })
      }
    }
    // Partition order, then offset order (polls interleave partitions).
    return out.sort((a, b) => (a.partition === b.partition ? a.offset - b.offset : a.partition < b.partition ? -1 : 1))
  } finally {
    await consumer.close()
  }
}
