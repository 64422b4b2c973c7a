/**
 * The workload and plumbing of the `clients` figures: keyless records with a fixed-size value
 * (placed by the producer's sticky partitioner, as Kafka's perf tool sends them), a bounded
 * window of outstanding promises, and the consumer loop that counts what it polls.
 */
import { randomBytes } from 'node:crypto'
import type { Broker } from '../../src/log/broker.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import type { TopicPartition } from '../../src/log/topic-partition.js'
import { envInt, nowMs } from './harness.js'
import { openBenchConsumer, type BenchConsumer } from './millrace-consumer.js'

/** Timed rounds of the clients figures (`BENCH_CLIENTS_REPS`, default 3, min 3): the suite has a ~90 s budget. */
export const CLIENT_REPS = Math.max(3, envInt('BENCH_CLIENTS_REPS', 3))

/** Distinct values cycled through (a power of two: the index is masked). */
const VALUE_POOL_SIZE = 4096

/** `VALUE_POOL_SIZE` random values of `valueBytes` each, views into one buffer. */
export function valuePool(valueBytes: number): Buffer[] {
  const bytes = randomBytes(valueBytes * VALUE_POOL_SIZE)
  const out: Buffer[] = []
  for (let i = 0; i < VALUE_POOL_SIZE; i++) out.push(bytes.subarray(i * valueBytes, (i + 1) * valueBytes))
  return out
}

/**
 * Producer records for `topic` with null keys, cycling through the value pool. The producer never
 * retains a record after buffering it, so one array serves every send of a run.
 */
export function keylessRecords(topic: string, values: readonly Buffer[]): ProducerRecord[] {
  return values.map((value) => ({ topic, key: null, value }))
}

/** The partitions of `topic` (0 … count−1). */
export function partitionsOf(topic: string, count: number): TopicPartition[] {
  return Array.from({ length: count }, (_, partition) => ({ topic, partition }))
}

/**
 * Keeps at most `depth` promises outstanding: `add` waits for the oldest once the window is
 * full. Pipelining is how every client here reaches its batched rate; awaiting each call alone
 * would stall on the producer's linger timer (or on a network round trip for the peers).
 */
export class Window {
  private readonly pending: Array<Promise<unknown>> = []

  constructor(private readonly depth: number) {}

  async add(p: Promise<unknown>): Promise<void> {
    this.pending.push(p)
    if (this.pending.length >= this.depth) await this.pending.shift()
  }

  async drain(): Promise<void> {
    await Promise.all(this.pending.splice(0))
  }
}

/** What a counting consumer loop saw. */
export interface ConsumeResult {
  records: number
  bytes: number
  /** `nowMs()` when the first poll returned records, and when the last expected record arrived. */
  firstMs: number
  lastMs: number
}

/**
 * Polls `consumer` until `expected` records arrived, touching each value (a lazy decode, as a
 * real consumer would). Gives up after `idleMs` without records.
 * @throws when the consumer stalls: a figure must not report a rate for records it never saw.
 */
export async function consumeCount(consumer: BenchConsumer, expected: number, idleMs = 10_000): Promise<ConsumeResult> {
  let records = 0
  let bytes = 0
  let firstMs = 0
  let lastMs = 0
  while (records < expected) {
    const polled = await consumer.poll({ timeoutMs: idleMs })
    if (polled.length === 0) throw new Error(`consumer stalled at ${records} of ${expected} records (no record for ${idleMs} ms)`)
    if (records === 0) firstMs = nowMs()
    for (const record of polled) bytes += record.value?.length ?? 0
    records += polled.length
    lastMs = nowMs()
  }
  return { records, bytes, firstMs, lastMs }
}

/**
 * Reads all `records` of `partitions` from offset 0 with a fresh consumer (the catch-up rate: the
 * data is already in the page cache, nothing is producing).
 */
export async function catchUp(broker: Broker, partitions: readonly TopicPartition[], records: number): Promise<ConsumeResult & { seconds: number }> {
  const consumer = openBenchConsumer(broker)
  try {
    await consumer.assign(partitions)
    const t0 = nowMs()
    const result = await consumeCount(consumer, records)
    return { ...result, seconds: (result.lastMs - t0) / 1000 }
  } finally {
    await consumer.close()
  }
}
