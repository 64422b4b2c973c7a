/** The end-of-run checks of the exactly-once crash tests. */
import { expect } from 'vitest'
import type { Broker } from '../../../src/log/broker.js'
import { checkHistory, summarise, type HistoryEvent, type ReadRecord } from '../../support/txn-history.js'
import { CTP, inputValue, outputIdentity } from './ctp-loop.js'

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

/**
 * After the loop finished: the history checks clean with one output per input required, outputs
 * follow input order per partition (one producer, offsets committed with the outputs), and the
 * group's committed offsets are at the input's end.
 */
export async function expectExactlyOnce(broker: Broker, events: readonly HistoryEvent[], perPartition: number): Promise<void> {
  const final = await readCommittedScan(broker, CTP.output)
  const inputs = (p: number): string[] => Array.from({ length: perPartition }, (_, i) => inputValue(p, i))
  const required = Array.from({ length: CTP.partitions }, (_, p) => inputs(p)).flat()
  const anomalies = checkHistory({ events, final, required, identity: outputIdentity })
  expect(anomalies, summarise(anomalies)).toEqual([])
  for (let p = 0; p < CTP.partitions; p++) {
    expect(final.filter((r) => r.partition === String(p)).map((r) => outputIdentity(r.value))).toEqual(inputs(p))
  }
  const consumer = broker.consumer({ groupId: CTP.groupId })
  try {
    const committed = await consumer.committed(Array.from({ length: CTP.partitions }, (_, partition) => ({ topic: CTP.input, partition })))
    expect(committed.map((c) => c.offset)).toEqual(Array(CTP.partitions).fill(perPartition))
  } finally {
    await consumer.close()
  }
}
