/**
 * What the `state` figures share: the 16-byte string keys, filling an input or changelog topic
 * before any timing, and waiting for a round's RocksDB stores to be closed natively before its
 * state dir is removed. (A directory of `bench/state/`, so `bench/run.ts` runs none of it as a figure.)
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Broker } from '../../../src/log/broker.js'
import type { ProducerRecord } from '../../../src/log/client/producer/producer-record.js'
import { openRocksDbBackend } from '../../../src/streams/state/rocksdb/rocksdb-backend.js'
import { RocksDbResources } from '../../../src/streams/state/rocksdb/rocksdb-resources.js'
import { Window } from '../../support/client-workload.js'
import { nowMs } from '../../support/harness.js'

/** Records per `sendBatch` while filling, and sends in flight. */
const FILL_CHUNK = 1000
const SENDS_IN_FLIGHT = 16

/** `key-000000012345`: 16 bytes. */
export function keyOf(i: number): string {
  return `key-${String(i).padStart(12, '0')}`
}

/** Record `i` of a topic being filled: its key and value bytes, and optionally its timestamp and partition. */
export type RecordAt = (i: number) => { key: Uint8Array; value: Uint8Array; timestampMs?: number; partition?: number }

/** Appends `records` records (`recordAt(0…records-1)`) to the existing `topic`; returns the key and value bytes written and the seconds it took. */
export async function fillTopic(broker: Broker, topic: string, records: number, recordAt: RecordAt): Promise<{ bytes: number; seconds: number }> {
  const t0 = nowMs()
  const producer = broker.producer({ acks: 1, lingerMs: 5 })
  let bytes = 0
  try {
    const window = new Window(SENDS_IN_FLIGHT)
    for (let sent = 0; sent < records; ) {
      const chunk: ProducerRecord[] = []
      for (const end = Math.min(records, sent + FILL_CHUNK); sent < end; sent++) {
        const r = recordAt(sent)
        bytes += r.key.length + r.value.length
        chunk.push({ topic, ...r })
      }
      await window.add(producer.sendBatch(chunk))
    }
    await window.drain()
    await producer.flush()
  } finally {
    await producer.close()
  }
  return { bytes, seconds: (nowMs() - t0) / 1000 }
}

/**
 * RocksDB may still be closing a round's databases on its threadpool after `app.close()`
 * returned. Reopening each store directory waits for that close (the backend's claim on its
 * directory), so the round's state dir is removed under no open database and no close runs into
 * the next round.
 */
export async function waitForStoresReleased(stateDir: string, applicationId: string, storeName: string): Promise<void> {
  const appDir = join(stateDir, applicationId)
  const resources = new RocksDbResources()
  for (const task of readdirSync(appDir)) {
    if (!/^\d+_\d+$/.test(task)) continue
    const backend = await openRocksDbBackend({ name: `${storeName}-${task}`, dir: join(appDir, task, storeName), resources })
    backend.close()
    await backend.whenReleased()
  }
}
