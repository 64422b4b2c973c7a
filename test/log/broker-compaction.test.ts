import { describe, expect, it, onTestFinished } from 'vitest'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { Broker, type BrokerOptions } from '../../src/log/broker.js'
import { ManualClock } from '../../src/log/clock.js'
import { NodeFileIO } from '../../src/log/storage/node-file-io.js'
import { readOffsetCheckpoint } from '../../src/log/storage/checkpoint-file.js'
import { CLEANER_OFFSET_CHECKPOINT } from '../../src/log/cleaner/log-cleaner-manager.js'
import { tempDir } from '../support/temp-dir.js'
import { expectCode, keyedBatch, readAllRecords, turns, type KeyValue } from '../support/compacted-log.js'

const T0 = 1_700_000_000_000
const DAY_MS = 86_400_000

async function openBroker(dataDir: string, options: Partial<BrokerOptions> = {}): Promise<Broker> {
  const broker = await Broker.open({ dataDir, clock: new ManualClock(T0), ...options })
  onTestFinished(() => broker.close())
  return broker
}

const COMPACT = {
  'cleanup.policy': 'compact',
  'segment.bytes': '1024',
  'min.cleanable.dirty.ratio': '0.5',
} as const

/** Appends `entries` (one batch) and rolls, so the batch is an inactive segment of its own. */
function appendSegment(broker: Broker, topic: string, entries: readonly KeyValue[], partition = 0, timestampMs = T0): void {
  broker.append({ topic, partition }, keyedBatch(entries, timestampMs))
  broker.partitionLog({ topic, partition }).roll()
}

function values(broker: Broker, topic: string, partition = 0): (string | null)[] {
  return readAllRecords(broker.partitionLog({ topic, partition })).map((r) => r.value)
}

describe('Broker compaction', () => {
  it('rejects a record without a key on a compacted topic with LOG_INVALID_RECORD and appends nothing', async () => {
    const broker = await openBroker(tempDir())
    broker.createTopic({ topic: 'c', configs: COMPACT })
    broker.createTopic({ topic: 'd' })
    const tp = { topic: 'c', partition: 0 }
    broker.append(tp, keyedBatch([['a', '1']]))
    const size = broker.partitionLog(tp).sizeBytes
    const mixed = (): Buffer =>
      keyedBatch([
        ['a', '2'],
        [null, 'no key'],
      ])
    await expectCode(() => broker.append(tp, mixed()), 'LOG_INVALID_RECORD')
    await expectCode(() => broker.appendDurable(tp, mixed()), 'LOG_INVALID_RECORD')
    await expectCode(() => broker.append(tp, keyedBatch([[null, 'x']], T0, { compression: 'gzip' })), 'LOG_INVALID_RECORD')
    // A valid batch followed by an invalid one in the same append: all or nothing.
    await expectCode(() => broker.append(tp, Buffer.concat([keyedBatch([['b', '1']]), keyedBatch([[null, 'x']])])), 'LOG_INVALID_RECORD')
    expect(broker.partitionLog(tp).sizeBytes).toBe(size)
    expect(broker.offsets(tp).logEndOffset).toBe(1)
    // Delete-policy topics take null keys.
    expect(broker.append({ topic: 'd', partition: 0 }, keyedBatch([[null, 'x']])).baseOffset).toBe(0)
  })

  it('runCleaner cleans every due compacted partition once and checkpoints its first dirty offset', async () => {
    const dataDir = tempDir()
    const broker = await openBroker(dataDir)
    broker.createTopic({ topic: 'c', partitions: 2, configs: COMPACT })
    broker.createTopic({ topic: 'd', configs: { 'segment.bytes': '1024' } })
    for (const partition of [0, 1]) {
      appendSegment(broker, 'c', [['a', '1'], ['b', '1']], partition)
      appendSegment(broker, 'c', [['a', '2']], partition)
      broker.append({ topic: 'c', partition }, keyedBatch([['a', '3']]))
    }
    appendSegment(broker, 'd', [['a', '1']])
    appendSegment(broker, 'd', [['a', '2']])
    expect(await broker.runCleaner()).toBe(2)
    for (const partition of [0, 1]) {
      expect(readAllRecords(broker.partitionLog({ topic: 'c', partition })).map((r) => [r.offset, r.key, r.value])).toEqual([
        [1, 'b', '1'],
        [2, 'a', '2'],
        [3, 'a', '3'],
      ])
    }
    expect(values(broker, 'd')).toEqual(['1', '2']) // delete policy: never compacted
    expect(readOffsetCheckpoint(new NodeFileIO(), join(dataDir, CLEANER_OFFSET_CHECKPOINT))).toEqual([
      { topic: 'c', partition: 0, offset: 3 },
      { topic: 'c', partition: 1, offset: 3 },
    ])
    expect(await broker.runCleaner()).toBe(0) // nothing dirty any more
  })

  it('leaves a partition alone while its dirty ratio is below min.cleanable.dirty.ratio', async () => {
    const broker = await openBroker(tempDir())
    broker.createTopic({ topic: 'c', configs: { ...COMPACT, 'min.cleanable.dirty.ratio': '0.9' } })
    for (let i = 0; i < 8; i++) appendSegment(broker, 'c', [[`k${i}`, 'v']])
    expect(await broker.runCleaner()).toBe(1) // never cleaned: everything is dirty
    appendSegment(broker, 'c', [['k0', 'again']])
    expect(await broker.runCleaner()).toBe(0) // 1 dirty segment of 9
    expect(values(broker, 'c')).toEqual(['v', 'v', 'v', 'v', 'v', 'v', 'v', 'v', 'again'])
  })

  it('cleans dirty data older than max.compaction.lag.ms even below the dirty ratio', async () => {
    const clock = new ManualClock(T0)
    const broker = await openBroker(tempDir(), { clock })
    broker.createTopic({ topic: 'c', configs: { ...COMPACT, 'min.cleanable.dirty.ratio': '0.9', 'max.compaction.lag.ms': '60000' } })
    for (let i = 0; i < 8; i++) appendSegment(broker, 'c', [[`k${i}`, 'v']])
    await broker.runCleaner()
    appendSegment(broker, 'c', [['k0', 'again']], 0, T0)
    expect(await broker.runCleaner()).toBe(0)
    clock.setWallMs(T0 + 60_001)
    expect(await broker.runCleaner()).toBe(1)
    expect(values(broker, 'c')).toEqual(['v', 'v', 'v', 'v', 'v', 'v', 'v', 'again'])
  })

  it('runs the cleaner in the background every cleanerBackoffMs of the broker clock', async () => {
    const clock = new ManualClock(T0)
    const broker = await openBroker(tempDir(), { clock, cleanerBackoffMs: 5_000 })
    broker.createTopic({ topic: 'c', configs: COMPACT })
    appendSegment(broker, 'c', [['a', '1']])
    appendSegment(broker, 'c', [['a', '2']])
    clock.advance(4_999)
    await turns(20)
    expect(values(broker, 'c')).toEqual(['1', '2'])
    clock.advance(1)
    for (let i = 0; i < 1000 && values(broker, 'c').length > 1; i++) await turns()
    expect(values(broker, 'c')).toEqual(['2'])
  })

  it('removes expired tombstones from a quiet log once their delete horizon passes', async () => {
    const clock = new ManualClock(T0)
    const broker = await openBroker(tempDir(), { clock })
    broker.createTopic({ topic: 'c', configs: COMPACT })
    appendSegment(broker, 'c', [['a', '1'], ['b', '1']])
    appendSegment(broker, 'c', [['a', null]])
    expect(await broker.runCleaner()).toBe(1)
    expect(values(broker, 'c')).toEqual(['1', null])
    clock.setWallMs(T0 + DAY_MS - 1)
    expect(await broker.runCleaner()).toBe(0)
    clock.setWallMs(T0 + DAY_MS)
    expect(await broker.runCleaner()).toBe(1)
    expect(values(broker, 'c')).toEqual(['1'])
    expect(await broker.runCleaner()).toBe(0)
  })

  it('resumes from its checkpoint after a restart and forgets deleted topics', async () => {
    const dataDir = tempDir()
    const first = await Broker.open({ dataDir, clock: new ManualClock(T0) })
    const configs = { ...COMPACT, 'min.cleanable.dirty.ratio': '0.1' }
    first.createTopic({ topic: 'c', configs })
    first.createTopic({ topic: 'gone', configs })
    for (const topic of ['c', 'gone']) {
      appendSegment(first, topic, [['a', '1']])
      appendSegment(first, topic, [['a', '2']])
    }
    expect(await first.runCleaner()).toBe(2)
    first.deleteTopic('gone')
    await first.close()
    const broker = await openBroker(dataDir)
    expect(await broker.runCleaner()).toBe(0) // the checkpoint says everything is clean
    appendSegment(broker, 'c', [['a', '3']])
    expect(await broker.runCleaner()).toBe(1)
    expect(values(broker, 'c')).toEqual(['3'])
    expect(readOffsetCheckpoint(new NodeFileIO(), join(dataDir, CLEANER_OFFSET_CHECKPOINT))).toEqual([
      { topic: 'c', partition: 0, offset: 3 },
    ])
  })

  it('stops a running clean on close, and the reopened log holds every record', async () => {
    const dataDir = tempDir()
    const broker = await Broker.open({ dataDir, clock: new ManualClock(T0) })
    broker.createTopic({ topic: 'c', configs: { ...COMPACT, 'segment.bytes': String(4 * 1024 * 1024) } })
    const tp = { topic: 'c', partition: 0 }
    for (let i = 0; i < 50_000; i++) broker.append(tp, keyedBatch([[`k${i % 100}`, `v${i}`]]))
    broker.partitionLog(tp).roll()
    const before = readAllRecords(broker.partitionLog(tp))
    const cleaning = broker.runCleaner()
    await turns(2)
    await broker.close()
    expect(await cleaning).toBe(0)
    const again = await openBroker(dataDir)
    expect(readAllRecords(again.partitionLog(tp))).toEqual(before)
  })

  it('reports a corrupt batch to onBackgroundError once (LOG_CORRUPT_BATCH) and skips that partition afterwards', async () => {
    const dataDir = tempDir()
    const errors: { task: string; code: string | undefined }[] = []
    const broker = await openBroker(dataDir, {
      onBackgroundError: (task, err) => errors.push({ task, code: (err as { code?: string }).code }),
    })
    broker.createTopic({ topic: 'c', configs: COMPACT })
    broker.createTopic({ topic: 'ok', configs: COMPACT })
    for (const topic of ['c', 'ok']) {
      appendSegment(broker, topic, [['a', '1']])
      appendSegment(broker, topic, [['a', '2']])
    }
    const file = join(dataDir, 'c-0', '00000000000000000000.log')
    const bytes = readFileSync(file)
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0x01, bytes.length - 2)
    writeFileSync(file, bytes)
    expect(await broker.runCleaner()).toBe(1) // 'ok' is still cleaned
    expect(errors).toEqual([{ task: 'cleaner of c-0', code: 'LOG_CORRUPT_BATCH' }])
    appendSegment(broker, 'c', [['a', '3']])
    expect(await broker.runCleaner()).toBe(0)
    expect(errors).toHaveLength(1)
  })

  it('rejects a non-positive cleanerBackoffMs with CONFIG_INVALID', async () => {
    await expectCode(() => Broker.open({ dataDir: tempDir(), cleanerBackoffMs: 0 }), 'CONFIG_INVALID')
  })
})

describe('Broker close with background tasks due', () => {
  it('runs no cleaner, retention or producer-id tick against itself once closing (no LOG_CLOSED background errors)', async () => {
    const clock = new ManualClock(T0)
    const errors: string[] = []
    const broker = await Broker.open({
      dataDir: tempDir(),
      clock,
      onBackgroundError: (task, err) => errors.push(`${task}: ${(err as { code?: string }).code}`),
    })
    broker.createTopic({ topic: 'c', configs: COMPACT })
    const closing = broker.close()
    // Every task is due (cleaner 15 s, retention 5 min, producer-id expiration 10 min) while
    // close() awaits its coordinators, before it stops the tasks.
    clock.advance(600_000)
    await closing
    expect(errors).toEqual([])
  })
})
