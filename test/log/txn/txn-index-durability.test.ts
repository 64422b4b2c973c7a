/**
 * The aborted-transaction index must be as durable as the markers it indexes: a segment the
 * recovery point vouches for is trusted as it is on disk, index included, so an entry lost to a
 * power cut would make an aborted transaction visible to read_committed for good. Found by the
 * exactly-once power-loss test; these are its two paths in isolation.
 */
import { describe, expect, it } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { DATA_DIR } from '../crash/crash-support.js'
import { readCommittedScan } from './ctp-check.js'

const TOPIC = 'txn-durable'
const enc = (s: string): Buffer => Buffer.from(s)

async function open(io: FaultFileIO): Promise<Broker> {
  return Broker.open({ dataDir: DATA_DIR, io, clock: new ManualClock() })
}

/** An aborted transaction, then a committed one, on partition 0 (commit durable when it returns). */
async function abortThenCommit(broker: Broker): Promise<void> {
  const p = broker.producer({ transactionalId: 'durable-tx', lingerMs: 0 })
  await p.initTransactions()
  p.beginTransaction()
  await p.send({ topic: TOPIC, partition: 0, key: null, value: enc('aborted') })
  await p.abortTransaction()
  p.beginTransaction()
  await p.send({ topic: TOPIC, partition: 0, key: null, value: enc('committed') })
  await p.commitTransaction()
  await p.close()
}

const values = async (broker: Broker): Promise<string[]> => (await readCommittedScan(broker, TOPIC)).map((r) => r.value)

describe('aborted-transaction index durability', () => {
  it('keeps the index entries recovery rebuilt when the power fails again right after the restart', async () => {
    const io = new FaultFileIO({ seed: 3 })
    const first = await open(io)
    first.createTopic({ topic: TOPIC })
    await abortThenCommit(first)
    // Segment A (aborted + committed transaction) rolled and durable, then more data in B.
    first.partitionLog({ topic: TOPIC, partition: 0 }).roll()
    await first.appendDurable({ topic: TOPIC, partition: 0 }, (await import('../../support/batches.js')).batchOfValues(['later']))
    // Cut 1 without a checkpoint: the restart rescans A from the old recovery point, empties its
    // index and rebuilds it from the markers, then checkpoints the recovery point at the log end.
    const image1 = io.powerLoss({ mode: 'drop-all-unsynced' })
    const second = await open(image1)
    expect(await values(second)).toEqual(['committed', 'later'])
    // Cut 2, before anything else happens: A is below the recovery point now, trusted as it is.
    // Random images keep any mix of the rebuild's unsynced truncate and appends.
    for (let seed = 0; seed < 24; seed++) {
      const third = await open(image1.powerLoss({ seed, sectorBytes: 512 }))
      try {
        expect(await values(third), `image seed ${seed}`).toEqual(['committed', 'later'])
      } finally {
        await third.close()
      }
    }
  })

  it('makes an entry durable with the marker, before a roll and a checkpoint can vouch for it', async () => {
    const io = new FaultFileIO({ seed: 4 })
    const broker = await open(io)
    broker.createTopic({ topic: TOPIC })
    await abortThenCommit(broker)
    // The commit fsynced the segment. Roll it (its final sync runs in the background) and
    // checkpoint the recovery point past it, then cut the power before that sync ran.
    broker.partitionLog({ topic: TOPIC, partition: 0 }).roll()
    broker.checkpointRecoveryPoints()
    const reopened = await open(io.powerLoss({ mode: 'drop-all-unsynced' }))
    try {
      expect(await values(reopened)).toEqual(['committed'])
    } finally {
      await reopened.close()
    }
  })
})
