import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Broker } from '../../../../src/log/broker.js'
import { murmur2, toPositive } from '../../../../src/log/client/partitioner/murmur2.js'
import type { RecordMetadata } from '../../../../src/log/client/producer/producer-batch.js'
import type { ProducerConfigInput } from '../../../../src/log/client/producer/producer-config.js'
import type { ProducerRecord } from '../../../../src/log/client/producer/producer-record.js'
import type { Producer } from '../../../../src/log/client/producer/producer-api.js'
import { EmbeddedProducer, type ProducerLog } from '../../../../src/log/client/producer/producer.js'
import { ManualClock } from '../../../../src/log/clock.js'
import { iterateBatches } from '../../../../src/log/record/record-batch.js'
import type { RecordHeader } from '../../../../src/log/record/record.js'
import type { TopicPartition } from '../../../../src/log/topic-partition.js'
import { decodeAll } from '../../../support/batches.js'
import { eventually } from '../../../support/eventually.js'
import { tempDir } from '../../../support/temp-dir.js'

const bytes = (s: string): Buffer => Buffer.from(s)
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString())

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false }
  promise.then(
    (value) => {
      state.value = value
      state.settled = true
    },
    (error: unknown) => {
      state.error = error
      state.settled = true
    },
  )
  return state
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A broker in the test's own temp dir, with topics created, closed when the test ends. */
async function openBroker(topics: Record<string, number>, clock?: ManualClock): Promise<Broker> {
  const broker = await Broker.open({ dataDir: join(tempDir(), 'data'), ...(clock === undefined ? {} : { clock }) })
  onTestFinished(async () => {
    if (!broker.isClosed) await broker.close()
  })
  for (const [topic, partitions] of Object.entries(topics)) broker.createTopic({ topic, partitions })
  return broker
}

function producerOf(broker: Broker, config: ProducerConfigInput = {}): Producer {
  const producer = broker.producer(config)
  onTestFinished(() => producer.close())
  return producer
}

interface ReadRecord {
  offset: number
  timestampMs: number
  key: string | null
  value: string | null
  headers: Array<{ key: string; value: string | null }>
}

function readAll(broker: Broker, tp: TopicPartition): ReadRecord[] {
  const out: ReadRecord[] = []
  const { logEndOffset } = broker.offsets(tp)
  if (logEndOffset === 0) return out
  for (const batch of iterateBatches(broker.read(tp, 0, 64 * 1024 * 1024))) {
    batch.forEachRecord((r) => {
      out.push({
        offset: r.offset,
        timestampMs: r.timestampMs,
        key: text(r.key),
        value: text(r.value),
        headers: r.headers.map((h: RecordHeader) => ({ key: h.key, value: text(h.value) })),
      })
    })
  }
  return out
}

describe('Producer.send', () => {
  it('returns each record’s partition, offset and timestamp, and the log holds exactly what was sent', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ orders: 2 }, clock)
    const producer = producerOf(broker, { lingerMs: 0 })
    const headers = [
      { key: 'h', value: bytes('1') },
      { key: 'h', value: null },
      { key: 'trace', value: bytes('t') },
    ]
    const sends = [
      producer.send({ topic: 'orders', key: bytes('k1'), value: bytes('v1'), headers, partition: 1, timestampMs: 42 }),
      producer.send({ topic: 'orders', key: null, value: null, partition: 1 }),
      producer.send({ topic: 'orders', key: bytes(''), value: bytes('v3'), partition: 1, timestampMs: 7 }),
    ]
    // lingerMs 0 is a 0 ms timer, which a manual clock fires only when advanced.
    clock.advance(0)
    const [first, second, third] = await Promise.all(sends)
    expect(first).toEqual({ topic: 'orders', partition: 1, offset: 0, timestampMs: 42 })
    expect(second).toEqual({ topic: 'orders', partition: 1, offset: 1, timestampMs: clock.nowMs() })
    expect(third).toEqual({ topic: 'orders', partition: 1, offset: 2, timestampMs: 7 })
    expect(readAll(broker, { topic: 'orders', partition: 1 })).toEqual([
      {
        offset: 0,
        timestampMs: 42,
        key: 'k1',
        value: 'v1',
        headers: [
          { key: 'h', value: '1' },
          { key: 'h', value: null },
          { key: 'trace', value: 't' },
        ],
      },
      { offset: 1, timestampMs: clock.nowMs(), key: null, value: null, headers: [] },
      { offset: 2, timestampMs: 7, key: '', value: 'v3', headers: [] },
    ])
    expect(broker.offsets({ topic: 'orders', partition: 0 }).logEndOffset).toBe(0)
  })

  it('places keyed records on toPositive(murmur2(key)) % partitions, as the Java client does', async () => {
    const broker = await openBroker({ keyed: 5 })
    const producer = producerOf(broker, { lingerMs: 0 })
    const keys = Array.from({ length: 50 }, (_, i) => `customer-${i}`)
    const metas = await Promise.all(keys.map((k) => producer.send({ topic: 'keyed', key: bytes(k), value: bytes(k) })))
    metas.forEach((m, i) => expect(m.partition).toBe(toPositive(murmur2(bytes(keys[i] as string))) % 5))
    for (let p = 0; p < 5; p++) {
      for (const r of readAll(broker, { topic: 'keyed', partition: p })) {
        expect(toPositive(murmur2(bytes(r.key as string))) % 5).toBe(p)
      }
    }
  })

  it('keeps null-key records on one sticky partition until about batchBytes went there, then moves', async () => {
    const broker = await openBroker({ sticky: 4 })
    const producer = producerOf(broker, { batchBytes: 1024, lingerMs: 0 })
    const metas: RecordMetadata[] = []
    for (let i = 0; i < 40; i++) metas.push(await producer.send({ topic: 'sticky', key: null, value: new Uint8Array(100) }))
    // A 100-byte value adds ≤ 116 bytes (estimate): 1024 bytes switch the partition after 9 records.
    const runs: Array<{ partition: number; count: number }> = []
    for (const m of metas) {
      const last = runs[runs.length - 1]
      if (last !== undefined && last.partition === m.partition) last.count++
      else runs.push({ partition: m.partition, count: 1 })
    }
    expect(runs.length).toBe(5)
    for (const run of runs.slice(0, -1)) expect(run.count).toBe(9)
    expect(runs[4]?.count).toBe(4)
  })

  it('sends to an explicit partition regardless of the key', async () => {
    const broker = await openBroker({ explicit: 3 })
    const producer = producerOf(broker, { lingerMs: 0 })
    const key = bytes('some-key')
    const other = ((toPositive(murmur2(key)) % 3) + 1) % 3
    const meta = await producer.send({ topic: 'explicit', key, value: bytes('v'), partition: other })
    expect(meta.partition).toBe(other)
    expect(decodeAll(broker.read({ topic: 'explicit', partition: other }, 0, 1 << 20)).map((r) => r.value)).toEqual(['v'])
  })

  it('uses a custom partitioner for records without an explicit partition', async () => {
    const broker = await openBroker({ custom: 3 })
    const producer = producerOf(broker, { lingerMs: 0, partitioner: ({ partitionCount }) => partitionCount - 1 })
    expect((await producer.send({ topic: 'custom', key: bytes('a'), value: null })).partition).toBe(2)
    expect((await producer.send({ topic: 'custom', key: null, value: null, partition: 0 })).partition).toBe(0)
    const wild = producerOf(broker, { partitioner: () => 3 })
    expect(await codeOf(() => wild.send({ topic: 'custom', key: null, value: null }))).toBe('LOG_UNKNOWN_PARTITION')
  })

  it('holds records for lingerMs on the clock, then appends them as one batch', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ linger: 1 }, clock)
    const producer = producerOf(broker, { lingerMs: 100 })
    const tp = { topic: 'linger', partition: 0 }
    const sends = [0, 1, 2].map((i) => track(producer.send({ topic: 'linger', key: null, value: bytes(`v${i}`) })))
    await tick()
    await tick()
    expect(broker.offsets(tp).logEndOffset).toBe(0)
    expect(sends.some((s) => s.settled)).toBe(false)
    clock.advance(99)
    await tick()
    expect(broker.offsets(tp).logEndOffset).toBe(0)
    clock.advance(1)
    await eventually(() => sends.every((s) => s.settled), 5000, 'sends acknowledged')
    expect(sends.map((s) => s.value?.offset)).toEqual([0, 1, 2])
    expect([...iterateBatches(broker.read(tp, 0, 1 << 20))]).toHaveLength(1)
  })

  it('appends lingering records on flush()', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ flushed: 1 }, clock)
    const producer = producerOf(broker, { lingerMs: 60_000 })
    const send = track(producer.send({ topic: 'flushed', key: null, value: bytes('x') }))
    await tick()
    expect(send.settled).toBe(false)
    await producer.flush()
    expect(broker.offsets({ topic: 'flushed', partition: 0 }).logEndOffset).toBe(1)
    await eventually(() => send.settled)
    expect(send.value?.offset).toBe(0)
  })

  it('with acks 0 resolves once buffered, with offset −1, before anything is appended', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ fire: 1 }, clock)
    const producer = producerOf(broker, { acks: 0, lingerMs: 60_000 })
    const meta = await producer.send({ topic: 'fire', key: null, value: bytes('x') })
    expect(meta).toEqual({ topic: 'fire', partition: 0, offset: -1, timestampMs: clock.nowMs() })
    expect(broker.offsets({ topic: 'fire', partition: 0 }).logEndOffset).toBe(0)
    await producer.flush()
    expect(broker.offsets({ topic: 'fire', partition: 0 }).logEndOffset).toBe(1)
  })

  it('with durableAcks resolves only once the recovery point has passed the record', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ durable: 2 }, clock)
    const durable = producerOf(broker, { durableAcks: true, lingerMs: 0 })
    const tp = { topic: 'durable', partition: 0 }
    const seen: number[] = []
    const sending = Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        durable.send({ topic: 'durable', key: null, value: bytes(`d${i}`), partition: 0 }).then((m) => {
          // Read at the moment of resolution, not later.
          seen.push(broker.partitionLog(tp).recoveryPoint - m.offset)
          return m
        }),
      ),
    )
    clock.advance(0)
    const metas = await sending
    expect(metas.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    for (const margin of seen) expect(margin).toBeGreaterThan(0)

    // Without durableAcks the ack means appended: nothing forces an fsync (flush.ms is "never").
    const plain = producerOf(broker, { lingerMs: 0 })
    const other = { topic: 'durable', partition: 1 }
    const pending = plain.send({ topic: 'durable', key: null, value: bytes('p'), partition: 1 })
    clock.advance(0)
    const meta = await pending
    expect(meta.offset).toBe(0)
    expect(broker.partitionLog(other).recoveryPoint).toBe(0)
  })

  it('reports the log append time on LogAppendTime topics', async () => {
    const clock = new ManualClock(1_800_000_000_000)
    const broker = await openBroker({}, clock)
    broker.createTopic({ topic: 'stamped', configs: { 'message.timestamp.type': 'LogAppendTime' } })
    const producer = producerOf(broker, { lingerMs: 0 })
    const pending = producer.send({ topic: 'stamped', key: null, value: bytes('x'), timestampMs: 5 })
    clock.advance(0)
    expect((await pending).timestampMs).toBe(clock.nowMs())
  })

  it('compresses batches with the configured codec and they read back unchanged', async () => {
    const broker = await openBroker({ zipped: 1 })
    const producer = producerOf(broker, { compression: 'gzip', lingerMs: 0 })
    const values = Array.from({ length: 200 }, (_, i) => `value-${i}-${'z'.repeat(50)}`)
    await producer.sendBatch(values.map((v) => ({ topic: 'zipped', key: null, value: bytes(v) })))
    const tp = { topic: 'zipped', partition: 0 }
    expect([...iterateBatches(broker.read(tp, 0, 1 << 20))].every((b) => b.compression === 'gzip')).toBe(true)
    expect(readAll(broker, tp).map((r) => r.value)).toEqual(values)
  })

  it('sees partitions added after it was created', async () => {
    const broker = await openBroker({ growing: 2 })
    const producer = producerOf(broker, { lingerMs: 0 })
    expect(await codeOf(() => producer.send({ topic: 'growing', key: null, value: null, partition: 3 }))).toBe('LOG_UNKNOWN_PARTITION')
    broker.createPartitions('growing', 4)
    expect((await producer.send({ topic: 'growing', key: null, value: null, partition: 3 })).partition).toBe(3)
  })

  it('keeps per-partition send order under many concurrent sends', async () => {
    const broker = await openBroker({ ordered: 3 })
    const producer = producerOf(broker, { lingerMs: 1, batchBytes: 512 })
    const sends: Array<Promise<RecordMetadata>> = []
    for (let i = 0; i < 3000; i++) {
      sends.push(producer.send({ topic: 'ordered', key: bytes(`key-${i % 17}`), value: bytes(String(i)) }))
    }
    const metas = await Promise.all(sends)
    for (let p = 0; p < 3; p++) {
      const mine = metas.map((m, i) => ({ m, i })).filter(({ m }) => m.partition === p)
      // Offsets follow send order within the partition, densely.
      expect(mine.map(({ m }) => m.offset)).toEqual(mine.map((_, j) => j))
      const values = readAll(broker, { topic: 'ordered', partition: p }).map((r) => Number(r.value))
      expect(values).toEqual(mine.map(({ i }) => i))
    }
  })
})

describe('Producer.sendBatch', () => {
  it('sends a set of records with one promise and returns their metadata in order', async () => {
    const broker = await openBroker({ batch: 2 })
    const producer = producerOf(broker, { lingerMs: 0, batchBytes: 256 })
    const records: ProducerRecord[] = Array.from({ length: 100 }, (_, i) => ({
      topic: 'batch',
      key: null,
      value: bytes(`b${i}`),
      partition: i % 2,
      timestampMs: 1000 + i,
    }))
    const metas = await producer.sendBatch(records)
    expect(metas).toHaveLength(100)
    metas.forEach((m, i) => expect(m).toEqual({ topic: 'batch', partition: i % 2, offset: Math.floor(i / 2), timestampMs: 1000 + i }))
    expect(readAll(broker, { topic: 'batch', partition: 1 }).map((r) => r.value)).toEqual(
      records.filter((_, i) => i % 2 === 1).map((r) => text(r.value)),
    )
  })

  it('buffers nothing when any record of the set is invalid', async () => {
    const broker = await openBroker({ batch: 1 })
    const producer = producerOf(broker, { lingerMs: 0 })
    const bad = [
      { topic: 'batch', key: null, value: bytes('ok') },
      { topic: 'batch', key: null, value: bytes('ok'), partition: 1 },
    ]
    expect(await codeOf(() => producer.sendBatch(bad))).toBe('LOG_UNKNOWN_PARTITION')
    await producer.flush()
    expect(broker.offsets({ topic: 'batch', partition: 0 }).logEndOffset).toBe(0)
  })
})

/** Wraps a broker so durable appends wait for the test to open the gate. */
function gatedLog(broker: Broker, clock: ManualClock): { log: ProducerLog; open: () => void } {
  let open = (): void => {}
  const gate = new Promise<void>((resolve) => {
    open = resolve
  })
  const log: ProducerLog = {
    clock,
    partitionCount: (topic) => broker.describeTopic(topic).partitions.length,
    append: (tp, batch) => broker.append(tp, batch, { trusted: true }),
    appendDurable: (tp, batch) => gate.then(() => broker.appendDurable(tp, batch, { trusted: true })),
    initProducerId: () => broker.initProducerId(),
  }
  return { log, open: () => open() }
}

describe('Producer backpressure', () => {
  it('fails a send with LOG_BUFFER_FULL after maxBlockMs while the buffer stays full', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ full: 1 }, clock)
    const { log, open } = gatedLog(broker, clock)
    const producer = new EmbeddedProducer({ log, config: { durableAcks: true, lingerMs: 0, bufferMemoryBytes: 256, maxBlockMs: 500 } })
    onTestFinished(async () => {
      open()
      await producer.close()
    })
    const first = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }))
    const blocked = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }))
    await tick()
    expect(producer.bufferedMemoryBytes).toBeLessThanOrEqual(256)
    clock.advance(499)
    await tick()
    expect(blocked.settled).toBe(false)
    clock.advance(1)
    await eventually(() => blocked.settled)
    expect((blocked.error as { code?: string }).code).toBe('LOG_BUFFER_FULL')
    expect((blocked.error as { retriable?: boolean }).retriable).toBe(true)
    expect(first.settled).toBe(false)
    open()
    await eventually(() => first.settled)
    expect(first.value?.offset).toBe(0)
    expect(broker.offsets({ topic: 'full', partition: 0 }).logEndOffset).toBe(1)
  })

  it('lets a blocked send through once an acknowledgement frees buffer memory', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ full: 1 }, clock)
    const { log, open } = gatedLog(broker, clock)
    const producer = new EmbeddedProducer({ log, config: { durableAcks: true, lingerMs: 0, bufferMemoryBytes: 256, maxBlockMs: 500 } })
    onTestFinished(async () => {
      open()
      await producer.close()
    })
    const first = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }))
    const blocked = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }))
    clock.advance(0)
    await tick()
    expect(blocked.settled).toBe(false)
    open()
    await eventually(() => first.settled)
    // The freed memory let the blocked record into a new batch; its 0 ms linger needs the clock.
    expect(producer.bufferedMemoryBytes).toBeGreaterThan(0)
    clock.advance(0)
    await eventually(() => blocked.settled)
    expect([first.value?.offset, blocked.value?.offset]).toEqual([0, 1])
  })
})

describe('Producer cancellation', () => {
  it('rejects a send waiting for buffer memory with the signal’s reason when it aborts', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ full: 1 }, clock)
    const { log, open } = gatedLog(broker, clock)
    const producer = new EmbeddedProducer({ log, config: { durableAcks: true, lingerMs: 0, bufferMemoryBytes: 256 } })
    onTestFinished(async () => {
      open()
      await producer.close()
    })
    const first = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }))
    const controller = new AbortController()
    const blocked = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }, { signal: controller.signal }))
    await tick()
    const reason = new Error('stop')
    controller.abort(reason)
    await eventually(() => blocked.settled)
    expect(blocked.error).toBe(reason)
    clock.advance(0)
    open()
    await eventually(() => first.settled)
    await producer.flush()
    expect(broker.offsets({ topic: 'full', partition: 0 }).logEndOffset).toBe(1)
  })
})

describe('Producer errors', () => {
  it.each<[string, ProducerRecord, string]>([
    ['an unknown topic', { topic: 'nope', key: null, value: null }, 'LOG_UNKNOWN_TOPIC'],
    ['a partition past the last', { topic: 'errs', key: null, value: null, partition: 2 }, 'LOG_UNKNOWN_PARTITION'],
    ['a negative partition', { topic: 'errs', key: null, value: null, partition: -1 }, 'LOG_UNKNOWN_PARTITION'],
    ['a fractional partition', { topic: 'errs', key: null, value: null, partition: 0.5 }, 'LOG_INVALID_RECORD'],
    ['an oversized record', { topic: 'errs', key: null, value: new Uint8Array(5000) }, 'LOG_RECORD_TOO_LARGE'],
    ['a string value', { topic: 'errs', key: null, value: 'text' as unknown as Uint8Array }, 'LOG_INVALID_RECORD'],
    ['a number key', { topic: 'errs', key: 5 as unknown as Uint8Array, value: null }, 'LOG_INVALID_RECORD'],
    ['an undefined value', { topic: 'errs', key: null, value: undefined as unknown as null }, 'LOG_INVALID_RECORD'],
    ['a non-string topic', { topic: 1 as unknown as string, key: null, value: null }, 'LOG_INVALID_RECORD'],
    ['a NaN timestamp', { topic: 'errs', key: null, value: null, timestampMs: Number.NaN }, 'LOG_INVALID_RECORD'],
    ['a negative timestamp', { topic: 'errs', key: null, value: null, timestampMs: -5 }, 'LOG_INVALID_RECORD'],
    [
      'a header with a string value',
      { topic: 'errs', key: null, value: null, headers: [{ key: 'h', value: 'x' as unknown as Uint8Array }] },
      'LOG_INVALID_RECORD',
    ],
    ['headers that are not an array', { topic: 'errs', key: null, value: null, headers: {} as unknown as [] }, 'LOG_INVALID_RECORD'],
  ])('rejects %s with %s and buffers nothing', async (_what, record, code) => {
    const broker = await openBroker({ errs: 2 })
    const producer = producerOf(broker, { lingerMs: 0, maxRequestBytes: 4096, batchBytes: 4096 })
    expect(await codeOf(() => producer.send(record))).toBe(code)
    expect(producer.bufferedMemoryBytes).toBe(0)
    await producer.flush()
    expect(broker.offsets({ topic: 'errs', partition: 0 }).logEndOffset).toBe(0)
    expect(broker.offsets({ topic: 'errs', partition: 1 }).logEndOffset).toBe(0)
  })

  it('rejects an invalid config with CONFIG_INVALID', async () => {
    const broker = await openBroker({})
    expect(await codeOf(() => broker.producer({ acks: 2 as unknown as 1 }))).toBe('CONFIG_INVALID')
  })
})

describe('Producer.close', () => {
  it('appends what is buffered, then rejects further sends with LOG_CLOSED', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ closing: 1 }, clock)
    const producer = producerOf(broker, { lingerMs: 60_000 })
    const pending = track(producer.send({ topic: 'closing', key: null, value: bytes('last') }))
    await producer.close()
    expect(broker.offsets({ topic: 'closing', partition: 0 }).logEndOffset).toBe(1)
    await eventually(() => pending.settled)
    expect(pending.value?.offset).toBe(0)
    expect(await codeOf(() => producer.send({ topic: 'closing', key: null, value: null }))).toBe('LOG_CLOSED')
    expect(await codeOf(() => producer.sendBatch([{ topic: 'closing', key: null, value: null }]))).toBe('LOG_CLOSED')
    await producer.close()
  })

  it('rejects a send waiting for buffer memory with LOG_CLOSED', async () => {
    const clock = new ManualClock()
    const broker = await openBroker({ full: 1 }, clock)
    const { log, open } = gatedLog(broker, clock)
    const producer = new EmbeddedProducer({ log, config: { durableAcks: true, lingerMs: 0, bufferMemoryBytes: 256 } })
    const first = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }))
    const blocked = track(producer.send({ topic: 'full', key: null, value: new Uint8Array(100) }))
    await tick()
    const closing = producer.close()
    await eventually(() => blocked.settled)
    expect((blocked.error as { code?: string }).code).toBe('LOG_CLOSED')
    open()
    await closing
    expect(first.value?.offset).toBe(0)
  })
})
