/**
 * Runs real `StreamsApp`s on an embedded `Broker` in a temporary directory with a manual clock:
 * for tests that need partitions, repartition topics and rebalances, which the
 * `TopologyTestDriver` (one task, no log) does not have.
 *
 * ```ts
 * const harness = await StreamsHarness.open({ topics: { orders: 3, 'priced-orders': 3 } })
 * const app = await harness.startApp(topology, { applicationId: 'pricing' })
 * await harness.produce('orders', Serdes.string(), Serdes.json<Order>(), [{ key: 'o-1', value: order }])
 * const out = await harness.readUntil('priced-orders', Serdes.string(), Serdes.json<Priced>(), 1)
 * await harness.close()   // closes the apps, the broker, and deletes the directory
 * ```
 *
 * Time is the broker's `ManualClock`: commits (`commitIntervalMs`), session timeouts and
 * wall-clock punctuation happen when the harness moves it — `waitFor` advances it by up to `tickMs`
 * per turn of the event loop while it waits for its condition (up to a real-time deadline), never
 * faster than `timeScale` × real time: an app busy with real I/O (a RocksDB open, a restore) spins
 * the event loop many times, and a clock moved per turn would expire its group session meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broker, type ConsumerRecord, type RecordHeader } from '../log/index.js'
import { ManualClock } from '../log/clock.js'
import type { Deserializer, Serializer } from '../serdes/index.js'
import { StreamsApp, type StreamsAppConfigInput, type Topology } from '../streams/index.js'

export interface StreamsHarnessOptions {
  /** Topics to create: name → partition count. */
  readonly topics?: Readonly<Record<string, number>>
  /** Most manual clock milliseconds per event-loop turn while `waitFor` waits (default 10). */
  readonly tickMs?: number
  /** Manual time runs at most this many times faster than real time while `waitFor` waits (default 20). */
  readonly timeScale?: number
}

export interface HarnessRecord<K, V> {
  readonly key: K | null
  readonly value: V | null
  readonly timestampMs?: number
  readonly headers?: readonly RecordHeader[]
  readonly partition?: number
}

/** A record read back, with where it was. */
export interface ReadRecord<K, V> {
  readonly key: K | null
  readonly value: V | null
  readonly partition: number
  readonly offset: number
  readonly timestampMs: number
  readonly headers: readonly RecordHeader[]
}

const DEFAULT_DEADLINE_MS = 20_000

export class StreamsHarness {
  private readonly apps: StreamsApp[] = []
  private closed = false

  private constructor(
    readonly broker: Broker,
    readonly clock: ManualClock,
    readonly dataDir: string,
    private readonly tickMs: number,
    private readonly timeScale: number,
  ) {}

  static async open(options: StreamsHarnessOptions = {}): Promise<StreamsHarness> {
    const dataDir = mkdtempSync(join(tmpdir(), 'millrace-streams-'))
    const clock = new ManualClock()
    const broker = await Broker.open({ dataDir, clock })
    for (const [topic, partitions] of Object.entries(options.topics ?? {})) broker.createTopic({ topic, partitions })
    return new StreamsHarness(broker, clock, dataDir, options.tickMs ?? 10, options.timeScale ?? 20)
  }

  /** A new app on the harness's broker and clock (closed by `close()`); not started. */
  app(topology: Topology, config: Omit<StreamsAppConfigInput, 'client'>): StreamsApp {
    const app = new StreamsApp(topology, { stateDir: join(this.dataDir, 'state'), ...config, client: this.broker, clock: this.clock })
    this.apps.push(app)
    return app
  }

  /** A new app, started and waited for until `RUNNING`. */
  async startApp(topology: Topology, config: Omit<StreamsAppConfigInput, 'client'>): Promise<StreamsApp> {
    const app = this.app(topology, config)
    await app.start()
    await this.waitFor(() => app.state === 'RUNNING', `${config.applicationId} to be RUNNING`)
    return app
  }

  /** Sends records (durably) and resolves once they are appended. */
  async produce<K, V>(topic: string, key: Serializer<K>, value: Serializer<V>, records: readonly HarnessRecord<K, V>[]): Promise<void> {
    const producer = this.broker.producer({ lingerMs: 0 })
    try {
      await producer.sendBatch(
        records.map((r) => ({
          topic,
          key: key.serialize(topic, r.key, r.headers),
          value: value.serialize(topic, r.value, r.headers),
          headers: r.headers,
          timestampMs: r.timestampMs ?? this.clock.nowMs(),
          partition: r.partition,
        })),
      )
    } finally {
      await producer.close()
    }
  }

  /** Every record of `topic` now (read_uncommitted unless told), in partition then offset order. */
  async readAll<K, V>(topic: string, key: Deserializer<K>, value: Deserializer<V>, isolationLevel: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<ReadRecord<K, V>[]> {
    const consumer = this.broker.consumer({ isolationLevel, autoOffsetReset: 'earliest' })
    try {
      const partitions = this.broker.describeTopic(topic).partitions.map((p) => ({ topic, partition: p.partition }))
      await consumer.assign(partitions)
      const out: ReadRecord<K, V>[] = []
      for (;;) {
        const batch: ConsumerRecord[] = await consumer.poll({ timeoutMs: 0 })
        if (batch.length === 0) break
        for (const r of batch) {
          out.push({
            key: key.deserialize(topic, r.key, r.headers),
            value: value.deserialize(topic, r.value, r.headers),
            partition: r.partition,
            offset: r.offset,
            timestampMs: r.timestampMs,
            headers: r.headers,
          })
        }
      }
      return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    } finally {
      await consumer.close()
    }
  }

  /** Waits (advancing the clock) until `topic` holds at least `count` records, then returns them all. */
  async readUntil<K, V>(topic: string, key: Deserializer<K>, value: Deserializer<V>, count: number, deadlineMs = DEFAULT_DEADLINE_MS): Promise<ReadRecord<K, V>[]> {
    await this.waitFor(() => this.broker.describeTopic(topic).partitions.reduce((n, p) => n + p.logEndOffset - p.logStartOffset, 0) >= count, `${count} records in ${topic}`, deadlineMs)
    return this.readAll(topic, key, value)
  }

  /**
   * Waits until `condition` holds, moving the manual clock by up to `tickMs` each turn of the
   * event loop (at most `timeScale` × the real time waited); fails after `deadlineMs` of real time.
   */
  async waitFor(condition: () => boolean | Promise<boolean>, what = 'condition', deadlineMs = DEFAULT_DEADLINE_MS): Promise<void> {
    const start = performance.now()
    let advanced = 0
    while (!(await condition())) {
      const elapsed = performance.now() - start
      if (elapsed > deadlineMs) throw new Error(`${what} did not hold within ${deadlineMs} ms`)
      const step = Math.min(this.tickMs, Math.floor(elapsed * this.timeScale) - advanced)
      if (step > 0) {
        this.clock.advance(step)
        advanced += step
      }
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }

  /** Waits (advancing the clock) until group `groupId` has committed the end of every partition of `topic`. */
  async waitForCommitted(groupId: string, topic: string, deadlineMs = DEFAULT_DEADLINE_MS): Promise<void> {
    const admin = this.broker.admin()
    try {
      await this.waitFor(
        async () => {
          const ends = new Map(this.broker.describeTopic(topic).partitions.map((p) => [p.partition, p.logEndOffset]))
          const committed = (await admin.listGroupOffsets(groupId)).filter((c) => c.topic === topic)
          return [...ends].every(([partition, end]) => committed.some((c) => c.partition === partition && c.offset === end))
        },
        `${groupId} to commit the end of ${topic}`,
        deadlineMs,
      )
    } finally {
      await admin.close()
    }
  }

  /** Closes every app (in parallel), the broker, and deletes the directory. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await Promise.allSettled(this.apps.map((a) => a.close()))
      await this.broker.close()
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true })
    }
  }
}
