import { describe, expect, it, onTestFinished } from 'vitest'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../../../src/log/broker.js'
import { encodeRecordBatch } from '../../../../src/log/record/batch-builder.js'
import { encodeControlBatch } from '../../../../src/log/record/control-record.js'
import { BATCH_HEADER_BYTES } from '../../../../src/log/record/record-batch-v2.js'
import type { TopicPartition } from '../../../../src/log/topic-partition.js'
import { Fetcher, OffsetOutOfRangeError, type FetchSource } from '../../../../src/log/client/consumer/fetcher.js'
import type { FetchedRecord } from '../../../../src/log/client/consumer/fetched-record.js'
import type { FetcherConfigInput } from '../../../../src/log/client/consumer/fetcher-config.js'
import { batchOf } from '../../../support/batches.js'
import { eventually } from '../../../support/eventually.js'
import { tempDir } from '../../../support/temp-dir.js'

const P0: TopicPartition = { topic: 't', partition: 0 }
const P1: TopicPartition = { topic: 't', partition: 1 }
const P2: TopicPartition = { topic: 't', partition: 2 }

async function openBroker(dataDir = join(tempDir(), 'data')): Promise<Broker> {
  const broker = await Broker.open({ dataDir })
  onTestFinished(() => broker.close())
  return broker
}

async function brokerWithTopic(partitions: number, configs: Record<string, string> = {}): Promise<Broker> {
  const broker = await openBroker()
  broker.createTopic({ topic: 't', partitions, configs })
  return broker
}

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString()
}

/** A signal that never aborts: for polls that must find data. */
function never(): AbortSignal {
  return new AbortController().signal
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

/** Polls until `count` records have arrived (each poll must return something). */
async function pollAll(fetcher: Fetcher, count: number, maxRecords?: number): Promise<FetchedRecord[][]> {
  const polls: FetchedRecord[][] = []
  let total = 0
  while (total < count) {
    const records = await fetcher.poll({ signal: never(), ...(maxRecords === undefined ? {} : { maxRecords }) })
    expect(records.length).toBeGreaterThan(0)
    polls.push(records)
    total += records.length
  }
  return polls
}

function newFetcher(broker: FetchSource, config: FetcherConfigInput = {}): Fetcher {
  return new Fetcher(broker, config)
}

describe('Fetcher polling', () => {
  it('returns every record of several partitions in offset order per partition across several polls', async () => {
    const broker = await brokerWithTopic(2)
    for (let b = 0; b < 3; b++) {
      broker.append(P0, batchOf(10, `p0b${b}`))
      broker.append(P1, batchOf(10, `p1b${b}`))
    }
    const fetcher = newFetcher(broker, { maxPollRecords: 7 })
    fetcher.assign([
      { ...P0, offset: 0 },
      { ...P1, offset: 0 },
    ])
    const records = (await pollAll(fetcher, 60)).flat()
    expect(records).toHaveLength(60)
    for (const p of [0, 1]) {
      const mine = records.filter((r) => r.partition === p)
      expect(mine.map((r) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => i))
      expect(mine.map((r) => text(r.value))).toEqual(
        Array.from({ length: 30 }, (_, i) => `p${p}b${Math.floor(i / 10)}:${i % 10}`),
      )
      expect(mine.every((r) => r.topic === 't' && r.timestampType === 'create-time')).toBe(true)
    }
    expect(fetcher.position(P0)).toBe(30)
    expect(fetcher.position(P1)).toBe(30)
  })

  it('returns at most maxPollRecords per poll, and at most maxRecords when given', async () => {
    const broker = await brokerWithTopic(1)
    broker.append(P0, batchOf(25, 'a'))
    const fetcher = newFetcher(broker, { maxPollRecords: 10 })
    fetcher.assign([{ ...P0, offset: 0 }])
    const sizes = (await pollAll(fetcher, 25)).map((r) => r.length)
    expect(sizes).toEqual([10, 10, 5])
    fetcher.seek(P0, 0)
    expect(await fetcher.poll({ signal: never(), maxRecords: 3 })).toHaveLength(3)
    expect(fetcher.position(P0)).toBe(3)
    expect(await codeOf(() => fetcher.poll({ signal: never(), maxRecords: 11 }))).toBe('CONFIG_INVALID')
    expect(await codeOf(() => fetcher.poll({ signal: never(), maxRecords: 0 }))).toBe('CONFIG_INVALID')
  })

  it('skips the records of the first batch below a fetch position in the middle of it', async () => {
    const broker = await brokerWithTopic(1)
    broker.append(P0, batchOf(10, 'a'))
    const fetcher = newFetcher(broker)
    fetcher.assign([{ ...P0, offset: 4 }])
    const records = await fetcher.poll({ signal: never() })
    expect(records.map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9])
    expect(text(records[0]?.value ?? null)).toBe('a:4')
  })

  it('decodes key, value, headers and timestamps lazily from the fetched bytes', async () => {
    const broker = await brokerWithTopic(1)
    const header = { key: 'h', value: Buffer.from('hv') }
    broker.append(
      P0,
      encodeRecordBatch([
        { key: Buffer.from('k'), value: null, timestampMs: 1000, headers: [header, { key: 'h', value: null }] },
        { key: null, value: Buffer.from('v'), timestampMs: 1001 },
      ]),
    )
    const fetcher = newFetcher(broker)
    fetcher.assign([{ ...P0, offset: 0 }])
    const [first, second] = await fetcher.poll({ signal: never() })
    expect(first).toMatchObject({ offset: 0, timestampMs: 1000, key: Buffer.from('k'), value: null })
    expect(first?.headers.map((h) => [h.key, text(h.value)])).toEqual([
      ['h', 'hv'],
      ['h', null],
    ])
    expect(second).toMatchObject({ offset: 1, timestampMs: 1001, key: null, value: Buffer.from('v'), headers: [] })
  })

  it('skips control batches and moves the position past them', async () => {
    const broker = await brokerWithTopic(1)
    broker.append(P0, batchOf(2, 'a'))
    broker.append(
      P0,
      encodeControlBatch({ type: 'COMMIT', producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, timestampMs: 5 }),
    )
    const fetcher = newFetcher(broker)
    fetcher.assign([{ ...P0, offset: 0 }])
    expect((await fetcher.poll({ signal: never() })).map((r) => r.offset)).toEqual([0, 1])
    const aborted = new AbortController()
    const next = fetcher.poll({ signal: aborted.signal })
    await eventually(() => fetcher.position(P0) === 3, 5_000, 'position past the marker')
    broker.append(P0, batchOf(1, 'b'))
    expect((await next).map((r) => [r.offset, text(r.value)])).toEqual([[3, 'b:0']])
  })
})

describe('Fetcher positions', () => {
  it('seeks back and forward, discarding the buffered data of the partition', async () => {
    const broker = await brokerWithTopic(1)
    for (let b = 0; b < 3; b++) broker.append(P0, batchOf(10, `b${b}`))
    const fetcher = newFetcher(broker, { maxPollRecords: 5 })
    fetcher.assign([{ ...P0, offset: 0 }])
    expect((await fetcher.poll({ signal: never() })).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4])
    expect(fetcher.bufferedBytes).toBeGreaterThan(0)
    fetcher.seek(P0, 2)
    expect(fetcher.bufferedBytes).toBe(0)
    expect(fetcher.position(P0)).toBe(2)
    expect((await fetcher.poll({ signal: never() })).map((r) => r.offset)).toEqual([2, 3, 4, 5, 6])
    fetcher.seek(P0, 25)
    expect((await fetcher.poll({ signal: never() })).map((r) => r.offset)).toEqual([25, 26, 27, 28, 29])
    expect(fetcher.position(P0)).toBe(30)
  })

  it('rejects seeks and positions of unassigned partitions, negative offsets and unknown topics', async () => {
    const broker = await brokerWithTopic(2)
    const fetcher = newFetcher(broker)
    fetcher.assign([{ ...P0, offset: 0 }])
    expect(await codeOf(() => fetcher.seek(P1, 0))).toBe('LOG_PARTITION_NOT_ASSIGNED')
    expect(await codeOf(() => fetcher.position(P1))).toBe('LOG_PARTITION_NOT_ASSIGNED')
    expect(await codeOf(() => fetcher.pause([P1]))).toBe('LOG_PARTITION_NOT_ASSIGNED')
    expect(await codeOf(() => fetcher.seek(P0, -1))).toBe('LOG_INVALID_ARGUMENT')
    expect(await codeOf(() => fetcher.assign([{ topic: 'nope', partition: 0, offset: 0 }]))).toBe('LOG_UNKNOWN_TOPIC')
    expect(await codeOf(() => fetcher.assign([{ ...P2, offset: 0 }]))).toBe('LOG_UNKNOWN_PARTITION')
    expect(
      await codeOf(() =>
        fetcher.assign([
          { ...P0, offset: 0 },
          { ...P0, offset: 1 },
        ]),
      ),
    ).toBe('LOG_INVALID_ARGUMENT')
    expect(fetcher.assignment()).toEqual([P0])
    fetcher.unassign()
    expect(fetcher.assignment()).toEqual([])
  })

  it('pauses and resumes partitions', async () => {
    const broker = await brokerWithTopic(2)
    broker.append(P0, batchOf(3, 'a'))
    broker.append(P1, batchOf(3, 'b'))
    const fetcher = newFetcher(broker)
    fetcher.assign([
      { ...P0, offset: 0 },
      { ...P1, offset: 0 },
    ])
    fetcher.pause([P0])
    expect(fetcher.paused()).toEqual([P0])
    expect((await fetcher.poll({ signal: never() })).map((r) => r.partition)).toEqual([1, 1, 1])
    const aborted = new AbortController()
    aborted.abort()
    expect(await fetcher.poll({ signal: aborted.signal })).toEqual([])
    // A poll waiting while everything is paused is woken by resume.
    const waiting = fetcher.poll({ signal: never() })
    fetcher.resume([P0])
    expect((await waiting).map((r) => [r.partition, r.offset])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ])
  })

  it('serves partitions round robin so a busy partition cannot starve a quiet one', async () => {
    const broker = await brokerWithTopic(2)
    for (let b = 0; b < 50; b++) broker.append(P0, batchOf(20, 'busy'))
    broker.append(P1, batchOf(1, 'quiet'))
    const fetcher = newFetcher(broker, { maxPollRecords: 10 })
    fetcher.assign([
      { ...P0, offset: 0 },
      { ...P1, offset: 0 },
    ])
    const first = await fetcher.poll({ signal: never() })
    const second = await fetcher.poll({ signal: never() })
    const partitionsSeen = [...first, ...second].map((r) => r.partition)
    expect(partitionsSeen).toContain(1)
    // And the busy partition keeps being served afterwards.
    const third = await fetcher.poll({ signal: never() })
    expect(third.length).toBe(10)
    expect(third.every((r) => r.partition === 0)).toBe(true)
  })
})

describe('Fetcher long poll', () => {
  it('resolves when a record is appended after the poll started, cancelling the other waits', async () => {
    const broker = await brokerWithTopic(3)
    let waits = 0
    let cancelled = 0
    const source: FetchSource = {
      read: (tp, offset, maxBytes) => broker.read(tp, offset, maxBytes),
      offsets: (tp) => broker.offsets(tp),
      waitForAppend: (tp, offset, signal) => {
        waits++
        signal.addEventListener('abort', () => cancelled++, { once: true })
        return broker.waitForAppend(tp, offset, signal)
      },
    }
    const fetcher = newFetcher(source)
    fetcher.assign([
      { ...P0, offset: 0 },
      { ...P1, offset: 0 },
      { ...P2, offset: 0 },
    ])
    let settled = false
    const polled = fetcher.poll({ signal: never() }).finally(() => {
      settled = true
    })
    await eventually(() => waits === 3, 5_000, 'three waits')
    expect(settled).toBe(false)
    broker.append(P1, batchOf(2, 'late'))
    expect((await polled).map((r) => [r.partition, text(r.value)])).toEqual([
      [1, 'late:0'],
      [1, 'late:1'],
    ])
    // One controller is shared by the three waits: each saw the abort that ended the poll.
    expect(cancelled).toBe(3)
  })

  it('resolves with no records when the caller aborts', async () => {
    const broker = await brokerWithTopic(1)
    broker.append(P0, batchOf(2, 'a'))
    const fetcher = newFetcher(broker)
    fetcher.assign([{ ...P0, offset: 2 }])
    const controller = new AbortController()
    const polled = fetcher.poll({ signal: controller.signal })
    controller.abort()
    expect(await polled).toEqual([])
    expect(fetcher.position(P0)).toBe(2)
    // The aborted waits are gone: a later append is returned by the next poll.
    broker.append(P0, batchOf(1, 'b'))
    expect((await fetcher.poll({ signal: never() })).map((r) => r.offset)).toEqual([2])
  })

  it('rejects a waiting poll with LOG_CLOSED when the broker closes', async () => {
    const broker = await Broker.open({ dataDir: join(tempDir(), 'data') })
    broker.createTopic({ topic: 't' })
    const fetcher = newFetcher(broker)
    fetcher.assign([{ ...P0, offset: 0 }])
    const polled = fetcher.poll({ signal: never() })
    await broker.close()
    expect(await codeOf(() => polled)).toBe('LOG_CLOSED')
  })
})

describe('Fetcher memory bound', () => {
  it('holds at most one fetched buffer per partition when the consumer stops polling', async () => {
    const maxPartitionFetchBytes = 4096
    const broker = await brokerWithTopic(3)
    const tps = [P0, P1, P2]
    for (const tp of tps) for (let b = 0; b < 20; b++) broker.append(tp, batchOf(20, 'x'))
    const fetcher = newFetcher(broker, { maxPartitionFetchBytes, maxPollRecords: 5 })
    fetcher.assign(tps.map((tp) => ({ ...tp, offset: 0 })))
    for (let i = 0; i < 3; i++) await fetcher.poll({ signal: never() })
    expect(fetcher.bufferedBytes).toBeGreaterThan(0)
    expect(fetcher.bufferedBytes).toBeLessThanOrEqual(tps.length * maxPartitionFetchBytes)
    for (const tp of tps) for (let b = 0; b < 500; b++) broker.append(tp, batchOf(20, 'y'))
    expect(fetcher.bufferedBytes).toBeLessThanOrEqual(tps.length * maxPartitionFetchBytes)
    for (let i = 0; i < 50; i++) {
      await fetcher.poll({ signal: never() })
      expect(fetcher.bufferedBytes).toBeLessThanOrEqual(tps.length * maxPartitionFetchBytes)
    }
  })

  it('returns a single batch larger than maxPartitionFetchBytes whole', async () => {
    const broker = await brokerWithTopic(1)
    const big = batchOf(200, 'big')
    broker.append(P0, big)
    const maxPartitionFetchBytes = BATCH_HEADER_BYTES + 10
    expect(big.length).toBeGreaterThan(maxPartitionFetchBytes)
    const fetcher = newFetcher(broker, { maxPartitionFetchBytes })
    fetcher.assign([{ ...P0, offset: 0 }])
    expect(await fetcher.poll({ signal: never() })).toHaveLength(200)
    expect(fetcher.bufferedBytes).toBe(0)
  })
})

describe('Fetcher errors', () => {
  it('raises LOG_CORRUPT_BATCH from poll for a batch failing its CRC, without moving past it', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await Broker.open({ dataDir })
    // Small segments: the damaged one is below the recovery point's segment, so recovery after
    // an unclean open does not scan it and the damage reaches the read path.
    broker.createTopic({ topic: 't', configs: { 'segment.bytes': '200' } })
    for (let b = 0; b < 6; b++) broker.append(P0, batchOf(3, `b${b}`))
    await broker.close()
    const partitionDir = join(dataDir, 't-0')
    const segments = readdirSync(partitionDir)
      .filter((f) => f.endsWith('.log'))
      .sort()
    expect(segments.length).toBeGreaterThan(2)
    const second = join(partitionDir, segments[1] as string)
    const bytes = readFileSync(second)
    const at = bytes.length - 2 // inside the last record's value: only the CRC can tell
    bytes.writeUInt8((bytes[at] as number) ^ 0x01, at)
    writeFileSync(second, bytes)
    rmSync(join(dataDir, '.clean-shutdown'))

    const reopened = await openBroker(dataDir)
    const fetcher = newFetcher(reopened)
    fetcher.assign([{ ...P0, offset: 0 }])
    const before: FetchedRecord[] = []
    let error: unknown
    for (let i = 0; i < 10 && error === undefined; i++) {
      try {
        before.push(...(await fetcher.poll({ signal: never() })))
      } catch (err) {
        error = err
      }
    }
    const corruptAt = fetcher.position(P0)
    expect(before.map((r) => r.offset)).toEqual(Array.from({ length: corruptAt }, (_, i) => i))
    expect(error).toMatchObject({
      code: 'LOG_CORRUPT_BATCH',
      details: { topic: 't', partition: 0, offset: corruptAt },
    })
    expect(await codeOf(() => fetcher.poll({ signal: never() }))).toBe('LOG_CORRUPT_BATCH')
    expect(fetcher.position(P0)).toBe(corruptAt)
    expect(fetcher.bufferedBytes).toBe(0)

    // Without CRC checks the flipped value byte passes the framing checks.
    const unchecked = newFetcher(reopened, { checkCrcs: false })
    unchecked.assign([{ ...P0, offset: corruptAt }])
    expect((await unchecked.poll({ signal: never() }))[0]?.offset).toBe(corruptAt)
  })

  it('raises LOG_OFFSET_OUT_OF_RANGE naming the partition for a position below the log start', async () => {
    const broker = await brokerWithTopic(2)
    for (let b = 0; b < 3; b++) broker.append(P1, batchOf(10, `b${b}`))
    const fetcher = newFetcher(broker)
    fetcher.assign([{ ...P1, offset: 0 }])
    broker.deleteRecordsBefore(P1, 15)
    let error: unknown
    try {
      await fetcher.poll({ signal: never() })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(OffsetOutOfRangeError)
    expect(error).toMatchObject({
      code: 'LOG_OFFSET_OUT_OF_RANGE',
      topicPartition: P1,
      offset: 0,
      details: { topic: 't', partition: 1, offset: 0, logStartOffset: 15, logEndOffset: 30 },
    })
    expect(fetcher.position(P1)).toBe(0)
    fetcher.seek(P1, 15)
    expect((await fetcher.poll({ signal: never() }))[0]?.offset).toBe(15)
  })

  it('returns records of healthy partitions and raises the failing partition on the next poll', async () => {
    const broker = await brokerWithTopic(2)
    broker.append(P0, batchOf(3, 'ok'))
    broker.append(P1, batchOf(10, 'gone'))
    broker.deleteRecordsBefore(P1, 5)
    const fetcher = newFetcher(broker)
    fetcher.assign([
      { ...P0, offset: 0 },
      { ...P1, offset: 0 },
    ])
    expect((await fetcher.poll({ signal: never() })).map((r) => r.partition)).toEqual([0, 0, 0])
    expect(await codeOf(() => fetcher.poll({ signal: never() }))).toBe('LOG_OFFSET_OUT_OF_RANGE')
  })
})
