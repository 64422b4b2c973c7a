import { describe, expect, it, onTestFinished } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Broker, type BrokerOptions } from '../../../../src/log/broker.js'
import type { Consumer, ConsumerRecord } from '../../../../src/log/client/consumer/consumer-api.js'
import type { ConsumerConfigInput } from '../../../../src/log/client/consumer/consumer-config.js'
import type { TopicPartition } from '../../../../src/log/topic-partition.js'
import { tempDir } from '../../../support/temp-dir.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const P0: TopicPartition = { topic: 't', partition: 0 }
const P1: TopicPartition = { topic: 't', partition: 1 }

async function openBroker(options: Partial<BrokerOptions> = {}, dataDir = join(tempDir(), 'data')): Promise<Broker> {
  const broker = await Broker.open({ dataDir, ...options })
  onTestFinished(async () => {
    if (!broker.isClosed) await broker.close()
  })
  return broker
}

async function brokerWithTopic(partitions = 2): Promise<Broker> {
  const broker = await openBroker()
  broker.createTopic({ topic: 't', partitions })
  return broker
}

function consumerOf(broker: Broker, config: ConsumerConfigInput = {}): Consumer {
  const consumer = broker.consumer(config)
  onTestFinished(() => consumer.close())
  return consumer
}

/** Sends `count` records `v<i>` (key `k<i>`) to one partition and waits for their acks. */
async function produce(broker: Broker, tp: TopicPartition, count: number, from = 0): Promise<void> {
  const producer = broker.producer({ lingerMs: 0 })
  const records = Array.from({ length: count }, (_, i) => ({
    topic: tp.topic,
    partition: tp.partition,
    key: Buffer.from(`k${from + i}`),
    value: Buffer.from(`v${from + i}`),
    timestampMs: 1_000 + from + i,
  }))
  await producer.sendBatch(records)
  await producer.close()
}

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString()
}

/** Polls with a real wait until `count` records arrived. */
async function drain(consumer: Consumer, count: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = []
  const deadline = AbortSignal.timeout(5_000)
  while (out.length < count) {
    if (deadline.aborted) throw new Error(`only ${out.length} of ${count} records arrived`)
    out.push(...(await consumer.poll({ signal: deadline })))
  }
  return out
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('Consumer with assign()', () => {
  it('reads assigned partitions from the reset policy and returns records lazily decoded', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 5)
    await produce(broker, P1, 3)
    const consumer = consumerOf(broker, { autoOffsetReset: 'earliest' })
    await consumer.assign([P0, P1])
    const records = await drain(consumer, 8)
    expect(records.map((r) => `${r.partition}:${r.offset}:${text(r.value)}`).sort()).toEqual(
      ['0:0:v0', '0:1:v1', '0:2:v2', '0:3:v3', '0:4:v4', '1:0:v0', '1:1:v1', '1:2:v2'].sort(),
    )
    const first = records.find((r) => r.partition === 0 && r.offset === 0) as ConsumerRecord
    expect(first).toMatchObject({ topic: 't', timestampMs: 1000, timestampType: 'create-time' })
    expect(text(first.key)).toBe('k0')
    expect(await consumer.position(P0)).toBe(5)
    expect(await consumer.position(P1)).toBe(3)
  })

  it('starts at the log end with autoOffsetReset latest and long-polls until an append', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 5)
    const consumer = consumerOf(broker)
    await consumer.assign([P0])
    expect(await consumer.position(P0)).toBe(5)
    const controller = new AbortController()
    const pending = consumer.poll({ signal: controller.signal })
    let settled = false
    void pending.then(() => (settled = true))
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    await produce(broker, P0, 1, 5)
    const records = await pending
    expect(records.map((r) => r.offset)).toEqual([5])
  })

  it('resolves a waiting poll with [] when its signal aborts or its timeout passes', async () => {
    const broker = await brokerWithTopic()
    const consumer = consumerOf(broker)
    await consumer.assign([P0])
    const controller = new AbortController()
    const pending = consumer.poll({ signal: controller.signal })
    controller.abort()
    expect(await pending).toEqual([])
    expect(await consumer.poll({ timeoutMs: 5 })).toEqual([])
    expect(await consumer.poll()).toEqual([])
  })

  it('seeks, seeks to beginning and end, and reports positions', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 10)
    const consumer = consumerOf(broker, { autoOffsetReset: 'earliest' })
    await consumer.assign([P0])
    consumer.seek(P0, 7)
    expect((await drain(consumer, 3)).map((r) => r.offset)).toEqual([7, 8, 9])
    await consumer.seekToBeginning()
    expect(await consumer.position(P0)).toBe(0)
    await consumer.seekToEnd([P0])
    expect(await consumer.position(P0)).toBe(10)
  })

  it('pauses and resumes partitions', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 3)
    await produce(broker, P1, 3)
    const consumer = consumerOf(broker, { autoOffsetReset: 'earliest' })
    await consumer.assign([P0, P1])
    consumer.pause([P1])
    expect(consumer.paused()).toEqual([P1])
    const first = await drain(consumer, 3)
    expect(first.every((r) => r.partition === 0)).toBe(true)
    expect(await consumer.poll({ timeoutMs: 0 })).toEqual([])
    consumer.resume([P1])
    expect((await drain(consumer, 3)).every((r) => r.partition === 1)).toBe(true)
  })

  it('looks up offsets by timestamp and the beginning and end offsets', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 10)
    const consumer = consumerOf(broker)
    expect(await consumer.offsetsForTimes([{ ...P0, timestampMs: 1004 }, { ...P1, timestampMs: 0 }])).toEqual([
      { ...P0, offset: 4, timestampMs: 1004 },
      { ...P1, offset: null, timestampMs: null },
    ])
    expect(await consumer.beginningOffsets([P0])).toEqual([{ ...P0, offset: 0 }])
    expect(await consumer.endOffsets([P0, P1])).toEqual([
      { ...P0, offset: 10 },
      { ...P1, offset: 0 },
    ])
  })

  it('resets a position that fell below the log start by the reset policy', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 10)
    const consumer = consumerOf(broker, { autoOffsetReset: 'earliest' })
    await consumer.assign([P0])
    consumer.seek(P0, 2)
    broker.deleteRecordsBefore(P0, 6)
    expect((await drain(consumer, 4)).map((r) => r.offset)).toEqual([6, 7, 8, 9])
  })

  it('raises LOG_OFFSET_OUT_OF_RANGE for an out-of-range position with autoOffsetReset none', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 10)
    const consumer = consumerOf(broker, { autoOffsetReset: 'none', groupId: 'g-none' })
    await consumer.assign([P0])
    expect(await codeOf(() => consumer.poll())).toBe('LOG_NO_OFFSET')
    expect(await codeOf(() => consumer.position(P0))).toBe('LOG_NO_OFFSET')
    consumer.seek(P0, 3)
    expect(await consumer.position(P0)).toBe(3)
    broker.deleteRecordsBefore(P0, 5)
    expect(await codeOf(() => consumer.poll())).toBe('LOG_OFFSET_OUT_OF_RANGE')
  })

  it('iterates with for await and stops when the signal aborts, rewinding records it did not hand out', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 20)
    const consumer = consumerOf(broker, { autoOffsetReset: 'earliest' })
    await consumer.assign([P0])
    const seen: number[] = []
    for await (const record of consumer) {
      seen.push(record.offset)
      if (seen.length === 5) break
    }
    expect(seen).toEqual([0, 1, 2, 3, 4])
    expect(await consumer.position(P0)).toBe(5)
    const controller = new AbortController()
    const all: number[] = []
    for await (const record of consumer.records({ signal: controller.signal })) {
      all.push(record.offset)
      if (all.length === 15) controller.abort()
    }
    expect(all).toEqual(Array.from({ length: 15 }, (_, i) => i + 5))
  })

  it('ends a pending poll and iteration when closed', async () => {
    const broker = await brokerWithTopic()
    const consumer = broker.consumer()
    await consumer.assign([P0])
    const pending = consumer.poll({ signal: new AbortController().signal })
    await consumer.close()
    expect(await pending).toEqual([])
    expect(await codeOf(() => consumer.poll())).toBe('LOG_CLOSED')
    await consumer.close()
  })

  it('commits and reads committed offsets in assign mode with a group id', async () => {
    const broker = await brokerWithTopic()
    await produce(broker, P0, 10)
    const consumer = consumerOf(broker, { groupId: 'g-assign', autoOffsetReset: 'earliest', enableAutoCommit: false })
    await consumer.assign([P0, P1])
    await drain(consumer, 10)
    await consumer.commit()
    expect(await consumer.committed()).toEqual([
      { ...P0, offset: 10, metadata: '' },
      { ...P1, offset: 0, metadata: '' },
    ])
    await consumer.commit([{ ...P0, offset: 4, metadata: 'note' }])
    expect(await consumer.committed([P0])).toEqual([{ ...P0, offset: 4, metadata: 'note' }])
    await consumer.close()
    const again = consumerOf(broker, { groupId: 'g-assign', enableAutoCommit: false })
    await again.assign([P0])
    expect(await again.position(P0)).toBe(4)
  })

  it('bounds what it buffers when the application stops polling', async () => {
    const broker = await brokerWithTopic(1)
    const producer = broker.producer({ lingerMs: 0 })
    const value = Buffer.alloc(1000, 1)
    for (let round = 0; round < 20; round++) {
      await producer.sendBatch(Array.from({ length: 100 }, () => ({ topic: 't', partition: 0, key: null, value })))
    }
    await producer.close()
    const consumer = consumerOf(broker, { autoOffsetReset: 'earliest', maxPartitionFetchBytes: 16 * 1024, maxPollRecords: 10 })
    await consumer.assign([P0])
    await drain(consumer, 10)
    // 2 MB sit in the log; the consumer holds at most one fetch of the partition.
    const internal = consumer as unknown as { fetcher: { bufferedBytes: number } }
    expect(internal.fetcher.bufferedBytes).toBeLessThanOrEqual(16 * 1024 + 2000)
    expect(internal.fetcher.bufferedBytes).toBeGreaterThan(0)
  })
})

describe('Consumer in a process', () => {
  it('keeps the process alive while a poll waits without a timeout', () => {
    // The only other handle is an unref'd timer: without the poll's own handle, Node would exit
    // with the poll pending and never print. The timer is the stimulus under test (an unref'd
    // source must not be what keeps a waiting consumer's process alive), not a wait for an
    // effect: no outcome depends on how long it takes.
    const dir = join(ROOT, '.tmp')
    mkdirSync(dir, { recursive: true })
    const script = join(dir, `keep-alive-${process.pid}.ts`)
    writeFileSync(
      script,
      `import { Broker } from 'millrace/log'
const broker = await Broker.open({ dataDir: ${JSON.stringify(join(tempDir(), 'data'))} })
broker.createTopic({ topic: 't' })
const consumer = broker.consumer()
await consumer.assign([{ topic: 't', partition: 0 }])
const controller = new AbortController()
setTimeout(() => controller.abort(), 200).unref()
const records = await consumer.poll({ signal: controller.signal })
console.log('poll ended with ' + records.length + ' records')
await consumer.close()
await broker.close()
`,
    )
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8' })
      expect(out).toContain('poll ended with 0 records')
    } finally {
      rmSync(script, { force: true })
    }
  })
})

describe('Consumer bad input', () => {
  it('raises typed errors for misuse and invalid arguments', async () => {
    const broker = await brokerWithTopic()
    const consumer = consumerOf(broker)
    expect(await codeOf(() => consumer.poll())).toBe('LOG_ILLEGAL_STATE')
    expect(await codeOf(() => consumer.subscribe({ topics: ['t'] }))).toBe('LOG_ILLEGAL_STATE')
    expect(await codeOf(() => consumer.commit())).toBe('LOG_ILLEGAL_STATE')
    expect(await codeOf(() => consumer.assign([{ topic: 'missing', partition: 0 }]))).toBe('LOG_UNKNOWN_TOPIC')
    expect(await codeOf(() => consumer.assign([{ topic: 't', partition: 9 }]))).toBe('LOG_UNKNOWN_PARTITION')
    expect(await codeOf(() => consumer.assign([P0, P0]))).toBe('LOG_INVALID_ARGUMENT')
    await consumer.assign([P0])
    expect(await codeOf(() => consumer.seek(P1, 0))).toBe('LOG_PARTITION_NOT_ASSIGNED')
    expect(await codeOf(() => consumer.seek(P0, -1))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => consumer.seek(P0, 1.5))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => consumer.pause([P1]))).toBe('LOG_PARTITION_NOT_ASSIGNED')
    expect(await codeOf(() => consumer.position(P1))).toBe('LOG_PARTITION_NOT_ASSIGNED')
    expect(await codeOf(() => consumer.poll({ timeoutMs: -1 }))).toBe('LOG_INVALID_ARGUMENT')
  })

  it('rejects invalid configs listing every problem', async () => {
    const broker = await brokerWithTopic()
    let error: unknown
    try {
      broker.consumer({
        groupId: '',
        sessionTimeoutMs: 'x' as unknown as number,
        autoOffsetReset: 'smallest' as 'earliest',
        partitionAssignmentStrategy: ['nope' as 'range'],
        bogus: 1,
      } as ConsumerConfigInput)
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
    const details = (error as { details: Record<string, string> }).details
    expect(Object.keys(details).sort()).toEqual(
      ['autoOffsetReset', 'bogus', 'groupId', 'partitionAssignmentStrategy[0]', 'sessionTimeoutMs'].sort(),
    )
  })

  it('rejects an invalid group id and a commit with a negative offset', async () => {
    const broker = await brokerWithTopic()
    expect(await codeOf(() => broker.consumer({ groupId: 'x'.repeat(250) }))).toBe('CONFIG_INVALID')
    const consumer = consumerOf(broker, { groupId: 'g-bad' })
    await consumer.assign([P0])
    expect(await codeOf(() => consumer.commit([{ ...P0, offset: -3 }]))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => consumer.subscribe({ topics: ['bad name!'] }))).toBe('LOG_ILLEGAL_STATE')
  })
})

