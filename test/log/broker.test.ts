import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { Broker } from '../../src/log/broker.js'
import { ManualClock } from '../../src/log/clock.js'
import { SyncCountingIO } from '../support/sync-counting-io.js'
import { batchOf, batchOfValues, decodeAll } from '../support/batches.js'
import { tempDir } from '../support/temp-dir.js'
import { eventually } from '../support/eventually.js'

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

async function openBroker(dataDir: string, extra: Partial<Parameters<typeof Broker.open>[0]> = {}): Promise<Broker> {
  const broker = await Broker.open({ dataDir, ...extra })
  return broker
}

describe('Broker topics', () => {
  it('creates, describes, lists and deletes topics, and keeps them across a reopen', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    const created = broker.createTopic({ topic: 'orders', partitions: 3, configs: { 'retention.ms': 1000, 'cleanup.policy': 'delete' } })
    expect(created.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
    expect(created.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    broker.createTopic({ topic: 'audit' })
    expect(broker.listTopics()).toEqual(['audit', 'orders'])
    expect(broker.topicConfig('orders').retentionMs).toBe(1000)
    broker.append({ topic: 'orders', partition: 2 }, batchOf(4, 'x'))
    await broker.close()

    const again = await openBroker(dataDir)
    expect(again.clusterId).toBe(broker.clusterId)
    expect(again.listTopics()).toEqual(['audit', 'orders'])
    const d = again.describeTopic('orders')
    expect(d.topicId).toBe(created.topicId)
    expect(d.partitions[2]?.logEndOffset).toBe(4)
    expect(d.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '1000', isDefault: false })
    again.deleteTopic('orders')
    expect(again.listTopics()).toEqual(['audit'])
    // The partition directories leave at once; their renamed remains are removed in the background.
    expect(readdirSync(dataDir).some((n) => /^orders-\d+$/.test(n))).toBe(false)
    await eventually(() => !readdirSync(dataDir).some((n) => n.startsWith('orders-')), 5000, 'background removal')
    await again.close()
    const third = await openBroker(dataDir)
    expect(third.listTopics()).toEqual(['audit'])
    await third.close()
  })

  it('adds partitions but never removes them', async () => {
    const broker = await openBroker(join(tempDir(), 'data'))
    broker.createTopic({ topic: 'grow', partitions: 2 })
    broker.createPartitions('grow', 5)
    expect(broker.describeTopic('grow').partitions).toHaveLength(5)
    expect(await codeOf(() => broker.createPartitions('grow', 3))).toBe('LOG_INVALID_PARTITIONS')
    expect(await codeOf(() => broker.createPartitions('grow', 5))).toBe('LOG_INVALID_PARTITIONS')
    broker.append({ topic: 'grow', partition: 4 }, batchOf(1, 'p4'))
    await broker.close()
  })

  it.each([
    ['..', 'LOG_INVALID_TOPIC'],
    ['.', 'LOG_INVALID_TOPIC'],
    ['a/b', 'LOG_INVALID_TOPIC'],
    ['/etc', 'LOG_INVALID_TOPIC'],
    ['../escape', 'LOG_INVALID_TOPIC'],
    ['x'.repeat(250), 'LOG_INVALID_TOPIC'],
    ['', 'LOG_INVALID_TOPIC'],
    ['has space', 'LOG_INVALID_TOPIC'],
  ])('rejects the topic name %j with %s and creates no files', async (topic, code) => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    const before = readdirSync(dataDir).sort()
    expect(await codeOf(() => broker.createTopic({ topic }))).toBe(code)
    expect(readdirSync(dataDir).sort()).toEqual(before)
    expect(existsSync(join(dataDir, '..', 'escape-0'))).toBe(false)
    await broker.close()
  })

  it('accepts a 249-character topic name', async () => {
    const broker = await openBroker(join(tempDir(), 'data'))
    broker.createTopic({ topic: 'y'.repeat(249) })
    expect(broker.listTopics()).toEqual(['y'.repeat(249)])
    await broker.close()
  })

  it.each([
    [{ topic: 'neg', partitions: -1 }, 'LOG_INVALID_PARTITIONS'],
    [{ topic: 'zero', partitions: 0 }, 'LOG_INVALID_PARTITIONS'],
    [{ topic: 'frac', partitions: 1.5 }, 'LOG_INVALID_PARTITIONS'],
    [{ topic: 'cfg', configs: { 'retention.mss': '1' } }, 'CONFIG_INVALID'],
    [{ topic: 'cfg2', configs: { 'segment.bytes': 'lots' } }, 'CONFIG_INVALID'],
    [{ topic: 'cfg3', configs: { 'cleanup.policy': 'forever' } }, 'CONFIG_INVALID'],
  ])('rejects %j with %s and creates no files', async (spec, code) => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    const before = readdirSync(dataDir).sort()
    expect(await codeOf(() => broker.createTopic(spec))).toBe(code)
    expect(readdirSync(dataDir).sort()).toEqual(before)
    expect(broker.listTopics()).toEqual([])
    await broker.close()
  })

  it('lists every config problem at once', async () => {
    const broker = await openBroker(join(tempDir(), 'data'))
    try {
      broker.createTopic({ topic: 't', configs: { 'retention.mss': '1', 'segment.bytes': '-5', 'message.timestamp.type': 'Now' } })
      throw new Error('expected CONFIG_INVALID')
    } catch (err) {
      const e = err as { code: string; problems: Array<{ path: string }> }
      expect(e.code).toBe('CONFIG_INVALID')
      expect(e.problems.map((p) => p.path).sort()).toEqual(['message.timestamp.type', 'retention.mss', 'segment.bytes'])
    }
    await broker.close()
  })

  it('rejects a second topic with the same name, or one differing only by . and _', async () => {
    const broker = await openBroker(join(tempDir(), 'data'))
    broker.createTopic({ topic: 'a.b' })
    expect(await codeOf(() => broker.createTopic({ topic: 'a.b' }))).toBe('LOG_TOPIC_EXISTS')
    expect(await codeOf(() => broker.createTopic({ topic: 'a_b' }))).toBe('LOG_INVALID_TOPIC')
    await broker.close()
  })

  it('names unknown topics and partitions with typed errors', async () => {
    const broker = await openBroker(join(tempDir(), 'data'))
    broker.createTopic({ topic: 'known', partitions: 2 })
    expect(await codeOf(() => broker.append({ topic: 'nope', partition: 0 }, batchOf(1, 'a')))).toBe('LOG_UNKNOWN_TOPIC')
    expect(await codeOf(() => broker.append({ topic: 'known', partition: 2 }, batchOf(1, 'a')))).toBe('LOG_UNKNOWN_PARTITION')
    expect(await codeOf(() => broker.append({ topic: 'known', partition: -1 }, batchOf(1, 'a')))).toBe('LOG_UNKNOWN_PARTITION')
    expect(await codeOf(() => broker.describeTopic('nope'))).toBe('LOG_UNKNOWN_TOPIC')
    await broker.close()
  })
})

describe('Broker data directory', () => {
  it('refuses a second open of the same data directory in this process with LOG_DATA_DIR_LOCKED', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    expect(await codeOf(() => Broker.open({ dataDir }))).toBe('LOG_DATA_DIR_LOCKED')
    await broker.close()
    const again = await openBroker(dataDir)
    await again.close()
  })

  it('refuses an open from another process while this one holds the directory', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    const script = `import { Broker } from ${JSON.stringify(new URL('../../src/log/broker.ts', import.meta.url).href)}
try { await Broker.open({ dataDir: ${JSON.stringify(dataDir)} }); console.log('opened') } catch (e) { console.log(e.code) }`
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(child.stdout.trim()).toBe('LOG_DATA_DIR_LOCKED')
    await broker.close()
  })

  it('refuses to open a directory whose meta.json is gone but whose partitions are there, and deletes nothing', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    broker.createTopic({ topic: 'keep', partitions: 2 })
    broker.append({ topic: 'keep', partition: 0 }, batchOf(2, 'x'))
    await broker.close()
    rmSync(join(dataDir, 'meta.json'))
    expect(await codeOf(() => Broker.open({ dataDir }))).toBe('LOG_DATA_DIR_INVALID')
    expect(existsSync(join(dataDir, 'keep-0', '00000000000000000000.log'))).toBe(true)
    expect(existsSync(join(dataDir, 'keep-1'))).toBe(true)
  })

  it('rejects a meta.json it cannot read with LOG_DATA_DIR_INVALID', async () => {
    const dataDir = join(tempDir(), 'data')
    await (await openBroker(dataDir)).close()
    writeFileSync(join(dataDir, 'meta.json'), '{ not json')
    expect(await codeOf(() => Broker.open({ dataDir }))).toBe('LOG_DATA_DIR_INVALID')
    writeFileSync(join(dataDir, 'meta.json'), JSON.stringify({ formatVersion: 99, clusterId: 'x', topics: {} }))
    expect(await codeOf(() => Broker.open({ dataDir }))).toBe('LOG_DATA_DIR_INVALID')
  })

  it('writes a clean-shutdown marker on close and skips the recovery scan on the next open', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir, { topicDefaults: { 'segment.bytes': '1024' } })
    broker.createTopic({ topic: 't' })
    for (let i = 0; i < 20; i++) broker.append({ topic: 't', partition: 0 }, batchOf(3, `b${i}`))
    await broker.close()
    expect(existsSync(join(dataDir, '.clean-shutdown'))).toBe(true)
    const again = await openBroker(dataDir)
    expect(existsSync(join(dataDir, '.clean-shutdown'))).toBe(false)
    expect(again.partitionLog({ topic: 't', partition: 0 }).recoveryReport.scannedSegments).toBe(0)
    expect(again.offsets({ topic: 't', partition: 0 })).toEqual({ logStartOffset: 0, logEndOffset: 60 })
    await again.close()
  })
})

describe('Broker damaged data', () => {
  it('opens with a corrupt partition reported by describeTopic, failing only that partition with LOG_CORRUPT_SEGMENT', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    broker.createTopic({ topic: 't', partitions: 2 })
    for (let p = 0; p < 2; p++) {
      broker.append({ topic: 't', partition: p }, batchOf(3, 'a'))
      broker.append({ topic: 't', partition: p }, batchOf(3, 'b'))
    }
    await broker.close()
    // Damage fsynced data of partition 0 and make the next open unclean (no marker), so the
    // segment holding the recovery point is scanned.
    const file = join(dataDir, 't-0', '00000000000000000000.log')
    const bytes = readFileSync(file)
    bytes.writeUInt8((bytes[40] as number) ^ 0x01, 40)
    writeFileSync(file, bytes)
    rmSync(join(dataDir, '.clean-shutdown'))
    const again = await openBroker(dataDir)
    const [p0, p1] = again.describeTopic('t').partitions
    expect(p0?.error?.code).toBe('LOG_CORRUPT_SEGMENT')
    expect(p1?.error).toBeUndefined()
    expect(await codeOf(() => again.read({ topic: 't', partition: 0 }, 0, 1024))).toBe('LOG_CORRUPT_SEGMENT')
    expect(await codeOf(() => again.append({ topic: 't', partition: 0 }, batchOf(1, 'c')))).toBe('LOG_CORRUPT_SEGMENT')
    expect(decodeAll(again.read({ topic: 't', partition: 1 }, 0, 1 << 20))).toHaveLength(6)
    await again.close()
    // Not a clean shutdown while a partition is damaged: the next open checks again.
    expect(existsSync(join(dataDir, '.clean-shutdown'))).toBe(false)
  })
})

describe('Broker topic configs', () => {
  it('alters overrides (set, and null to remove), validates them as a whole and keeps them across a reopen', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir)
    broker.createTopic({ topic: 't', configs: { 'retention.ms': '1000' } })
    broker.alterTopicConfigs('t', { 'retention.ms': null, 'max.message.bytes': 200 })
    expect(broker.topicConfig('t').retentionMs).toBe(604_800_000)
    expect(broker.topicConfig('t').maxMessageBytes).toBe(200)
    expect(await codeOf(() => broker.append({ topic: 't', partition: 0 }, batchOfValues(['q'.repeat(300)])))).toBe(
      'LOG_RECORD_TOO_LARGE',
    )
    expect(await codeOf(() => broker.alterTopicConfigs('t', { 'segment.bytes': '1', 'max.message.bytes': '300' }))).toBe(
      'CONFIG_INVALID',
    )
    expect(broker.topicConfig('t').maxMessageBytes).toBe(200)
    await broker.close()
    const again = await openBroker(dataDir)
    expect(again.topicConfig('t').maxMessageBytes).toBe(200)
    expect(again.describeTopic('t').configs.find((c) => c.name === 'retention.ms')?.isDefault).toBe(true)
    await again.close()
  })
})

describe('Broker appends', () => {
  it('rejects a batch over max.message.bytes with LOG_RECORD_TOO_LARGE and appends nothing', async () => {
    const broker = await openBroker(join(tempDir(), 'data'))
    broker.createTopic({ topic: 't', configs: { 'max.message.bytes': '300' } })
    const tp = { topic: 't', partition: 0 }
    expect(await codeOf(() => broker.append(tp, batchOfValues(['z'.repeat(400)])))).toBe('LOG_RECORD_TOO_LARGE')
    expect(broker.offsets(tp).logEndOffset).toBe(0)
    broker.append(tp, batchOfValues(['fits']))
    expect(broker.offsets(tp).logEndOffset).toBe(1)
    await broker.close()
  })

  it('makes appendDurable resolve only after an fsync that covers it', async () => {
    const io = new SyncCountingIO()
    const broker = await openBroker(join(tempDir(), 'data'), { io })
    broker.createTopic({ topic: 't' })
    const tp = { topic: 't', partition: 0 }
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => broker.appendDurable(tp, batchOf(2, `d${i}`))))
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2))
    expect(broker.partitionLog(tp).recoveryPoint).toBe(40)
    expect(io.logSyncs).toBeGreaterThan(0)
    expect(io.logSyncs).toBeLessThanOrEqual(2)
    await broker.close()
  })

  it('fsyncs after flush.messages records', async () => {
    const io = new SyncCountingIO()
    const broker = await openBroker(join(tempDir(), 'data'), { io })
    broker.createTopic({ topic: 't', configs: { 'flush.messages': '10' } })
    const tp = { topic: 't', partition: 0 }
    broker.append(tp, batchOf(4, 'a'))
    expect(io.logSyncs).toBe(0)
    broker.append(tp, batchOf(6, 'b'))
    await eventually(() => io.logSyncs === 1, 5000, 'an fsync after 10 messages')
    await broker.flush(tp)
    expect(broker.partitionLog(tp).recoveryPoint).toBe(10)
    await broker.close()
  })

  it('fsyncs partitions whose flush.ms deadline passed, on the broker clock', async () => {
    const clock = new ManualClock()
    const io = new SyncCountingIO()
    const broker = await openBroker(join(tempDir(), 'data'), { io, clock, flushCheckIntervalMs: 100 })
    broker.createTopic({ topic: 'slow', configs: { 'flush.ms': '1000' } })
    broker.createTopic({ topic: 'never' })
    broker.append({ topic: 'slow', partition: 0 }, batchOf(2, 's'))
    broker.append({ topic: 'never', partition: 0 }, batchOf(2, 'n'))
    clock.advance(500)
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(io.logSyncs).toBe(0)
    clock.advance(600)
    await eventually(() => io.logSyncs === 1, 5000, 'the flush.ms fsync')
    await broker.partitionLog({ topic: 'slow', partition: 0 }).flush()
    expect(broker.partitionLog({ topic: 'slow', partition: 0 }).recoveryPoint).toBe(2)
    expect(broker.partitionLog({ topic: 'never', partition: 0 }).recoveryPoint).toBe(0)
    await broker.close()
  })
})

describe('Broker offset lookups', () => {
  it('finds the earliest offset at or after a timestamp (ListOffsets)', async () => {
    const broker = await openBroker(join(tempDir(), 'data'), { topicDefaults: { 'segment.bytes': '1024' } })
    broker.createTopic({ topic: 't' })
    const tp = { topic: 't', partition: 0 }
    for (let i = 0; i < 30; i++) broker.append(tp, batchOf(3, `b${i}`, 1_000 + i * 10))
    expect(broker.offsetForTimestamp(tp, 1_000)).toEqual({ offset: 0, timestampMs: 1_000 })
    expect(broker.offsetForTimestamp(tp, 1_000 + 17 * 10 + 1)).toEqual({ offset: 52, timestampMs: 1_000 + 17 * 10 + 1 })
    expect(broker.offsetForTimestamp(tp, 1_000 + 17 * 10 + 3)).toEqual({ offset: 54, timestampMs: 1_000 + 18 * 10 })
    expect(broker.offsetForTimestamp(tp, 99_999)).toBeUndefined()
    await broker.close()
  })
})

describe('Broker retention', () => {
  it('deletes whole segments older than retention.ms on the clock and advances the log start offset', async () => {
    const clock = new ManualClock(10_000_000)
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(dataDir, { clock, retentionCheckIntervalMs: 1000 })
    broker.createTopic({ topic: 't', configs: { 'retention.ms': '60000', 'segment.bytes': '1024' } })
    const tp = { topic: 't', partition: 0 }
    for (let i = 0; i < 30; i++) broker.append(tp, batchOf(3, `old${i}`, 10_000_000))
    for (let i = 0; i < 3; i++) broker.append(tp, batchOf(3, `new${i}`, 10_050_000))
    const segmentsBefore = broker.describeTopic('t').partitions[0]?.segments as number
    clock.advance(30_000)
    expect(broker.offsets(tp).logStartOffset).toBe(0)
    clock.advance(40_000) // now = +70 s: the old batches (ts +0) are past 60 s, the new (+50 s) are not
    const start = broker.offsets(tp).logStartOffset
    expect(start).toBeGreaterThan(0)
    expect(broker.describeTopic('t').partitions[0]?.segments).toBeLessThan(segmentsBefore)
    const values = decodeAll(broker.read(tp, start, 1 << 20)).map((r) => r.value)
    expect(values.some((v) => v?.startsWith('new'))).toBe(true)
    await broker.close()
    const again = await openBroker(dataDir, { clock })
    expect(again.offsets(tp).logStartOffset).toBe(start)
    await again.close()
  })

  it('keeps a partition within retention.bytes by deleting its oldest segments', async () => {
    const broker = await openBroker(join(tempDir(), 'data'))
    broker.createTopic({ topic: 't', configs: { 'retention.bytes': '3000', 'segment.bytes': '1024' } })
    const tp = { topic: 't', partition: 0 }
    for (let i = 0; i < 60; i++) broker.append(tp, batchOf(3, `b${i}`))
    expect(broker.runRetention()).toBeGreaterThan(0)
    const size = broker.describeTopic('t').partitions[0]?.sizeBytes as number
    expect(size).toBeLessThanOrEqual(3000 + 1024)
    expect(broker.offsets(tp).logEndOffset).toBe(180)
    await broker.close()
  })

  it('leaves compact-only topics alone', async () => {
    const clock = new ManualClock(10_000_000)
    const broker = await openBroker(join(tempDir(), 'data'), { clock })
    broker.createTopic({ topic: 'c', configs: { 'cleanup.policy': 'compact', 'retention.ms': '1', 'segment.bytes': '1024' } })
    for (let i = 0; i < 20; i++) broker.append({ topic: 'c', partition: 0 }, batchOf(3, `b${i}`, 0))
    expect(broker.runRetention()).toBe(0)
    expect(broker.offsets({ topic: 'c', partition: 0 }).logStartOffset).toBe(0)
    await broker.close()
  })
})
