/**
 * The machinery of the `stateless-pipeline` figures: what the Streams DSL and its runtime cost
 * over the clients they run on, for one workload (serdes, predicate, mapper and input records).
 * One topology — log → decode → filter → mapValues → encode → log — at-least-once with a 100 ms
 * commit interval, on the embedded broker in one process:
 *
 * ```
 * orders (4 partitions, string keys) → filter(workload.filter) → mapValues(workload.mapper) → output
 * ```
 *
 * The input topic is filled once before any timing: `BENCH_STREAMS_RECORDS` records cycled from the
 * workload's pool (`orderPool`: 16-byte string keys, one order in ten with quantity 0, which the
 * filter must drop — checked against the pool before anything runs). Each round reads all of it
 * into a fresh output topic with a fresh application id (consumer group), and is timed from
 * `start()` (topic checks, group join included) until the output topic holds every expected
 * record; the time including the final commit and close is printed beside it. Rates are input
 * records per second. The output topic is deleted after each round, so every round writes into
 * recycled page-cache pages.
 *
 * Baseline, rounds interleaved: a hand-written loop on the same clients, configured as the
 * runtime configures its own (a group consumer with `maxPollRecords` 1000; a producer with acks
 * 'all' and lingerMs 5), doing the same work per record with the same serde objects and the same
 * predicate and mapper functions: poll → decode key and value → filter → map → encode → one
 * `sendBatch` per poll with at most 16 outstanding → every 100 ms `producer.flush()` then
 * `consumer.commit(offsets)`. Its output records carry the input's timestamp, as the runtime's
 * do; it does not read headers (the input has none, so both outputs are the same bytes).
 *
 * A reference line, also interleaved: the same per-record work (`transform`) over in-memory
 * records, with no log and no client — the ceiling neither pipeline can pass on this machine.
 *
 * Targets (issue text), the same for every workload under the workload's metric names: the DSL
 * pipeline ≥ 1M records/s end to end (stretch 2M); DSL overhead against the hand-written loop ≤ 20%.
 *
 * Each figure runs in its own process (`bench/run.ts`), so the workload's serdes and functions are
 * the only ones the hot call sites ever see.
 */
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Broker } from '../../src/log/broker.js'
import type { Consumer, ConsumerRecord, OffsetToCommit } from '../../src/log/client/consumer/consumer-api.js'
import type { Producer } from '../../src/log/client/producer/producer-api.js'
import type { ProducerRecord } from '../../src/log/client/producer/producer-record.js'
import type { Serde } from '../../src/serdes/index.js'
import { StreamsApp, StreamsBuilder } from '../../src/streams/index.js'
import { describeScratch, envInt, fmtRate, heading, interleaved, line, nowMs, printRatio, printTarget, printThroughput, withScratchDir, type Run } from './harness.js'
import { Window, partitionsOf } from './client-workload.js'

const RECORDS = envInt('BENCH_STREAMS_RECORDS', 1_000_000)
/** Timed rounds of each step (min 3; one warm-up round of each first). */
const REPS = Math.max(3, envInt('BENCH_STREAMS_REPS', 3))
const PARTITIONS = 4
const INPUT_TOPIC = 'orders'
/** The runtime's defaults, which the baseline copies: records per poll, producer linger, sends in flight. */
const MAX_POLL_RECORDS = 1000
const LINGER_MS = 5
const SENDS_IN_FLIGHT = 16
const POLL_MS = 100
const COMMIT_INTERVAL_MS = 100
/** Records of the transform-alone ceiling per round (the rate settles well before). */
const TRANSFORM_RECORDS = Math.min(RECORDS, 250_000)
/** Distinct input records cycled through while filling (a power of two: the index is masked). */
const POOL_SIZE = 4096
/** Records per `sendBatch` while filling the input topic. */
const FILL_CHUNK = 1000
/** A round that sees no new output for this long is broken: it throws rather than report a rate. */
const STALL_MS = 10_000
/** How often the watcher looks at the output topic's end offsets (ms; each look is a few µs). */
const WATCH_INTERVAL_MS = 1
/** The targets (issue text), the same for every workload: input records/s of the DSL pipeline, its overhead against the loop. */
const TARGETS = Object.freeze({ recordsPerSecond: 1_000_000, stretchRecordsPerSecond: 2_000_000, maxOverheadPercent: 20 })

/** The order every workload encodes its own way. */
export interface Order {
  id: string
  qty: number
  price: number
  sku: string
  customer: string
  ts: number
}

/** An input record of the pool, in the fields the per-record work reads. */
export interface PoolRecord {
  readonly topic: string
  readonly key: Uint8Array
  readonly value: Uint8Array
  readonly timestampMs: number
  /** Whether the order has a quantity, so the workload's filter must keep it. */
  readonly isKept: boolean
}

/** What a `stateless-pipeline` figure runs: its serdes, predicate and mapper, and the input they read. */
export interface StatelessWorkload<In, Out> {
  /** The figure's name, as printed in its heading (`stateless-pipeline`). */
  readonly name: string
  /** The heading's title. */
  readonly description: string
  /** The values, in the heading after their mean size: `JSON values, 10% with qty 0`. */
  readonly values: string
  /** The operators between `stream` and `to`, in the heading: `filter(qty > 0) → mapValues(+ total)`. */
  readonly topology: string
  /** One serde object each, shared by the DSL, the hand-written loop and the ceiling. */
  readonly keySerde: Serde<string>
  readonly valueSerde: Serde<In>
  readonly outputSerde: Serde<Out>
  /** Must keep exactly the pool records with `isKept`. */
  readonly filter: (key: string, value: In) => boolean
  readonly mapper: (value: In) => Out
  /** The input, from `orderPool` with `keySerde` and `valueSerde`. */
  readonly pool: readonly PoolRecord[]
  /** The summary's metric names of the throughput and the overhead targets. */
  readonly metrics: { readonly pipeline: string; readonly overhead: string }
}

/** The order at index `i` of the pool; every tenth has quantity 0. */
function orderAt(i: number): Order {
  return {
    id: `o-${String(i).padStart(7, '0')}`,
    qty: i % 10 === 0 ? 0 : 1 + (i % 7),
    price: 2.5 + (i % 40) * 0.25,
    sku: `SKU-${String(i % 997).padStart(6, '0')}`,
    customer: `c-${String(i % 5003).padStart(6, '0')}`,
    ts: 1_700_000_000_000 + i,
  }
}

/**
 * The input pool of a workload: `POOL_SIZE` orders as `encode` turns them into the value type,
 * serialized with the workload's serdes, under 16-byte keys (`order-0000000042`), timestamped
 * with the order's `ts`.
 */
export function orderPool<In>(keySerde: Serde<string>, valueSerde: Serde<In>, encode: (order: Order) => In): PoolRecord[] {
  const pool: PoolRecord[] = []
  for (let i = 0; i < POOL_SIZE; i++) {
    const order = orderAt(i)
    const key = keySerde.serialize(INPUT_TOPIC, `order-${String(i).padStart(10, '0')}`) as Uint8Array
    const value = valueSerde.serialize(INPUT_TOPIC, encode(order)) as Uint8Array
    pool.push({ topic: INPUT_TOPIC, key, value, timestampMs: order.ts, isKept: order.qty > 0 })
  }
  return pool
}

/** The per-record work of the loop and the ceiling: decode, filter, map, encode; `undefined` when the filter drops the record. */
type Transform = (input: Pick<ConsumerRecord, 'topic' | 'key' | 'value' | 'timestampMs'>, outputTopic: string) => ProducerRecord | undefined

function transformOf<In, Out>(workload: StatelessWorkload<In, Out>): Transform {
  const { keySerde, valueSerde, outputSerde, filter, mapper } = workload
  return function transform(input, outputTopic) {
    const key = keySerde.deserialize(input.topic, input.key) as string
    const value = valueSerde.deserialize(input.topic, input.value) as In
    if (!filter(key, value)) return undefined
    return {
      topic: outputTopic,
      key: keySerde.serialize(outputTopic, key),
      value: outputSerde.serialize(outputTopic, mapper(value)),
      timestampMs: input.timestampMs,
    }
  }
}

/**
 * A filter that disagrees with the pool would make every round stall (too few outputs) or stop
 * early (too many): a workload's hand-rolled predicate is checked on each pool record first.
 */
function checkFilter<In, Out>(workload: StatelessWorkload<In, Out>): void {
  const { keySerde, valueSerde, filter } = workload
  workload.pool.forEach((r, i) => {
    const kept = filter(keySerde.deserialize(r.topic, r.key) as string, valueSerde.deserialize(r.topic, r.value) as In)
    if (kept !== r.isKept) throw new Error(`${workload.name}: the filter ${kept ? 'keeps' : 'drops'} pool record ${i}, whose order has qty ${r.isKept ? '> 0' : '0'}`)
  })
}

/** Runs the whole figure for `workload`: fill, interleaved rounds, report, targets. */
export async function runStatelessPipelineFigure<In, Out>(workload: StatelessWorkload<In, Out>): Promise<void> {
  checkFilter(workload)
  const transform = transformOf(workload)
  const { pool } = workload
  await withScratchDir('streams-stateless', async (dir) => {
    const broker = await Broker.open({ dataDir: join(dir, 'broker') })
    const admin = broker.admin()
    try {
      let expectedOutput = 0
      let inputBytes = 0
      for (let i = 0; i < RECORDS; i++) {
        const entry = pool[i & (POOL_SIZE - 1)] as PoolRecord
        if (entry.isKept) expectedOutput++
        inputBytes += entry.key.length + entry.value.length
      }
      const fillSeconds = await fillInput(broker, pool)
      let roundNo = 0
      const closeRuns = { baseline: [] as Run[], dsl: [] as Run[] }

      /** Sums the output partitions' end offsets until every expected record is there; returns when. */
      async function waitForOutput(topic: string): Promise<number> {
        const partitions = partitionsOf(topic, PARTITIONS)
        let seen = 0
        let progressMs = nowMs()
        for (;;) {
          let appended = 0
          for (const tp of partitions) appended += broker.offsets(tp).logEndOffset
          const now = nowMs()
          if (appended >= expectedOutput) return now
          if (appended > seen) {
            seen = appended
            progressMs = now
          } else if (now - progressMs > STALL_MS) {
            throw new Error(`${topic} stalled at ${appended} of ${expectedOutput} records (nothing appended for ${STALL_MS} ms)`)
          }
          await sleep(WATCH_INTERVAL_MS)
        }
      }

      /** A figure must not report a rate for input it did not commit: the group's offsets must cover the topic. */
      async function checkCommitted(groupId: string): Promise<void> {
        let committed = 0
        for (const o of await admin.listGroupOffsets(groupId)) committed += o.offset ?? 0
        if (committed !== RECORDS) throw new Error(`group ${groupId} committed ${committed} of ${RECORDS} input records`)
      }

      async function round(step: 'baseline' | 'dsl'): Promise<Run> {
        const n = roundNo++
        const outputTopic = `priced-${step}-${n}`
        const groupId = `bench-${step}-${n}`
        broker.createTopic({ topic: outputTopic, partitions: PARTITIONS })
        try {
          const t0 = nowMs()
          const [appendedMs, closedMs] =
            step === 'dsl'
              ? await runDsl(broker, workload, groupId, outputTopic, waitForOutput)
              : await runBaseline(broker, transform, groupId, outputTopic, waitForOutput)
          await checkCommitted(groupId)
          closeRuns[step].push({ seconds: (closedMs - t0) / 1000, records: RECORDS, bytes: inputBytes })
          return { seconds: (appendedMs - t0) / 1000, records: RECORDS, bytes: inputBytes }
        } finally {
          broker.deleteTopic(outputTopic)
        }
      }

      heading(workload.name, workload.description, [
        `${RECORDS.toLocaleString('en')} input records (16 B string keys, ~${Math.round(inputBytes / RECORDS) - 16} B ${workload.values}), ${PARTITIONS} partitions, ` +
          `filled in ${fillSeconds.toFixed(1)} s before timing; ${expectedOutput.toLocaleString('en')} output records per round`,
        `stream → ${workload.topology} → to; at-least-once, commitIntervalMs ${COMMIT_INTERVAL_MS}, maxPollRecords ${MAX_POLL_RECORDS}, ` +
          `lingerMs ${LINGER_MS}, acks all; timed from start to the last output record appended; rates are input records/s`,
        `baseline: poll → same serdes and functions → sendBatch per poll (${SENDS_IN_FLIGHT} in flight) → flush + commit every ${COMMIT_INTERVAL_MS} ms; ${describeScratch(dir)}`,
      ])
      const runs = await interleaved(REPS, {
        baseline: () => round('baseline'),
        dsl: () => round('dsl'),
        transformAlone: () => transformAlone(pool, transform),
      })
      const baseline = printThroughput('hand-written loop', runs.baseline).recordsPerSecond
      const dsl = printThroughput('DSL (StreamsApp)', runs.dsl).recordsPerSecond
      // interleaved() runs one warm-up round of each step first: it is not among the timed runs.
      printThroughput('loop, to close', closeRuns.baseline.slice(1))
      printThroughput('DSL, to close', closeRuns.dsl.slice(1))
      printThroughput('transform alone (ceiling)', runs.transformAlone)
      const ratio = printRatio('DSL / loop', dsl, baseline, `(${fmtRate(dsl)} vs ${fmtRate(baseline)} rec/s)`)
      line('to close', 'includes the final flush, commit and close (and the app leaving its group)')
      line('ceiling', `the same decode → filter → map → encode over ${TRANSFORM_RECORDS.toLocaleString('en')} in-memory records: no log, no client`)
      printTarget({
        metric: workload.metrics.pipeline,
        value: dsl,
        target: TARGETS.recordsPerSecond,
        stretch: TARGETS.stretchRecordsPerSecond,
        direction: 'min',
        format: (v) => `${fmtRate(v)} rec/s`,
      })
      printTarget({
        metric: workload.metrics.overhead,
        value: (1 - ratio) * 100,
        target: TARGETS.maxOverheadPercent,
        direction: 'max',
        format: (v) => `${v.toFixed(1)}%`,
      })
    } finally {
      await admin.close()
      await broker.close()
    }
  })
}

/** Writes `RECORDS` records of the pool to the input topic; returns the seconds it took. */
async function fillInput(broker: Broker, pool: readonly PoolRecord[]): Promise<number> {
  const t0 = nowMs()
  broker.createTopic({ topic: INPUT_TOPIC, partitions: PARTITIONS })
  const producer = broker.producer({ acks: 1, lingerMs: LINGER_MS })
  try {
    const window = new Window(SENDS_IN_FLIGHT)
    for (let sent = 0; sent < RECORDS; ) {
      const chunk: ProducerRecord[] = []
      for (const end = Math.min(RECORDS, sent + FILL_CHUNK); sent < end; sent++) {
        const { key, value } = pool[sent & (POOL_SIZE - 1)] as PoolRecord
        chunk.push({ topic: INPUT_TOPIC, key, value })
      }
      await window.add(producer.sendBatch(chunk))
    }
    await window.drain()
    await producer.flush()
  } finally {
    await producer.close()
  }
  return (nowMs() - t0) / 1000
}

/** The ceiling of both pipelines: their per-record work over the pool, without the log or a client. */
function transformAlone(pool: readonly PoolRecord[], transform: Transform): Run {
  let bytes = 0
  const t0 = nowMs()
  for (let i = 0; i < TRANSFORM_RECORDS; i++) {
    const input = pool[i & (POOL_SIZE - 1)] as PoolRecord
    bytes += input.key.length + input.value.length
    transform(input, 'priced')
  }
  return { seconds: (nowMs() - t0) / 1000, records: TRANSFORM_RECORDS, bytes }
}

type WaitForOutput = (topic: string) => Promise<number>

/** The subject: the topology on a `StreamsApp`. Returns when the last output was appended, and when the app had closed. */
async function runDsl<In, Out>(
  broker: Broker,
  workload: StatelessWorkload<In, Out>,
  applicationId: string,
  outputTopic: string,
  waitForOutput: WaitForOutput,
): Promise<[number, number]> {
  const builder = new StreamsBuilder()
  builder
    .stream(INPUT_TOPIC, { key: workload.keySerde, value: workload.valueSerde })
    .filter(workload.filter)
    .mapValues(workload.mapper)
    .to(outputTopic, { key: workload.keySerde, value: workload.outputSerde })
  const app = new StreamsApp(builder.build(), {
    applicationId,
    client: broker,
    commitIntervalMs: COMMIT_INTERVAL_MS,
    maxPollRecords: MAX_POLL_RECORDS,
    lingerMs: LINGER_MS,
    pollMs: POLL_MS,
  })
  // An app that fails stops producing: report its error at once rather than wait out STALL_MS.
  const failed = new Promise<never>((_, reject) => app.state$.subscribe({ error: reject }))
  let appendedMs: number
  try {
    await app.start()
    appendedMs = await Promise.race([waitForOutput(outputTopic), failed])
  } finally {
    await app.close()
  }
  return [appendedMs, nowMs()]
}

/** The baseline: the hand-written loop on its own consumer and producer, run to the end of the input. */
async function runBaseline(broker: Broker, transform: Transform, groupId: string, outputTopic: string, waitForOutput: WaitForOutput): Promise<[number, number]> {
  const consumer = broker.consumer({ groupId, enableAutoCommit: false, autoOffsetReset: 'earliest', maxPollRecords: MAX_POLL_RECORDS })
  const producer = broker.producer({ acks: 'all', lingerMs: LINGER_MS })
  let appendedMs: number
  try {
    await consumer.subscribe({ topics: [INPUT_TOPIC] })
    ;[appendedMs] = await Promise.all([waitForOutput(outputTopic), handWrittenLoop(consumer, producer, transform, outputTopic)])
  } finally {
    await consumer.close()
    await producer.close()
  }
  return [appendedMs, nowMs()]
}

/** Consumes all `RECORDS` input records, transforms and produces them, committing every 100 ms and at the end. */
async function handWrittenLoop(consumer: Consumer, producer: Producer, transform: Transform, outputTopic: string): Promise<void> {
  const window = new Window(SENDS_IN_FLIGHT)
  const nextOffsets = new Array<number>(PARTITIONS).fill(-1)
  let consumed = 0
  let lastCommitMs = nowMs()
  let lastRecordMs = nowMs()

  async function commit(): Promise<void> {
    // At-least-once: every output acknowledged before the offsets that produced it are committed.
    await producer.flush()
    await window.drain()
    const offsets: OffsetToCommit[] = []
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const offset = nextOffsets[partition] as number
      if (offset >= 0) offsets.push({ topic: INPUT_TOPIC, partition, offset })
    }
    if (offsets.length > 0) await consumer.commit(offsets)
    lastCommitMs = nowMs()
  }

  while (consumed < RECORDS) {
    const polled = await consumer.poll({ timeoutMs: POLL_MS })
    if (polled.length === 0 && nowMs() - lastRecordMs > STALL_MS) throw new Error(`consumer stalled at ${consumed} of ${RECORDS} records`)
    const out: ProducerRecord[] = []
    for (let i = 0; i < polled.length; i++) {
      const r = polled[i] as ConsumerRecord
      const output = transform(r, outputTopic)
      if (output !== undefined) out.push(output)
      nextOffsets[r.partition] = r.offset + 1
    }
    if (polled.length > 0) {
      consumed += polled.length
      lastRecordMs = nowMs()
    }
    if (out.length > 0) await window.add(producer.sendBatch(out))
    if (nowMs() - lastCommitMs >= COMMIT_INTERVAL_MS) await commit()
  }
  await commit()
}
