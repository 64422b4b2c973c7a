/**
 * An input topic of a {@link TopologyTestDriver} (Kafka `TestInputTopic`): serializes what it is
 * given with its serdes and pipes it into the topology, which processes it before the call
 * returns. Records without a timestamp get the topic's current time, which starts at the
 * driver's `startTimeMs` and advances by `autoAdvanceMs` after each such record.
 */
import type { RecordHeader } from '../../log/index.js'
import type { Serializer } from '../../serdes/index.js'
import type { TestRecordInput } from './test-record.js'

export interface TestInputTopicOptions {
  /** The time of the first record piped without one (default: the driver's `startTimeMs`). */
  readonly startTimeMs?: number
  /** How far the topic's time moves after each record piped without a timestamp (default 0). */
  readonly autoAdvanceMs?: number
}

/** How the driver takes a serialized record. */
export type PipeRaw = (topic: string, key: Uint8Array | null, value: Uint8Array | null, timestampMs: number, headers: readonly RecordHeader[]) => void

export class TestInputTopic<K, V> {
  private currentTimeMs: number
  private readonly autoAdvanceMs: number

  /** @internal made by `TopologyTestDriver.createInputTopic`. */
  constructor(
    readonly topic: string,
    private readonly keySerializer: Serializer<K>,
    private readonly valueSerializer: Serializer<V>,
    private readonly pipeRaw: PipeRaw,
    startTimeMs: number,
    options: TestInputTopicOptions,
  ) {
    this.currentTimeMs = options.startTimeMs ?? startTimeMs
    this.autoAdvanceMs = options.autoAdvanceMs ?? 0
  }

  /** Pipes one record: `(key, value)` or `(key, value, timestampMs)`. */
  pipeInput(key: K | null, value: V | null, timestampMs?: number): void {
    this.pipeRecord({ key, value, timestampMs })
  }

  pipeRecord(record: TestRecordInput<K, V>): void {
    const timestampMs = record.timestampMs ?? this.nextTime()
    const headers = record.headers ?? []
    const key = this.keySerializer.serialize(this.topic, record.key ?? null, headers)
    const value = this.valueSerializer.serialize(this.topic, record.value, headers)
    this.pipeRaw(this.topic, key, value, timestampMs, headers)
  }

  /** Pipes values with `null` keys, in order. */
  pipeValueList(values: Iterable<V | null>): void {
    for (const value of values) this.pipeRecord({ key: null, value })
  }

  /** Pipes `{ key, value }` pairs in order. */
  pipeKeyValueList(pairs: Iterable<{ readonly key: K | null; readonly value: V | null }>): void {
    for (const { key, value } of pairs) this.pipeRecord({ key, value })
  }

  pipeRecordList(records: Iterable<TestRecordInput<K, V>>): void {
    for (const record of records) this.pipeRecord(record)
  }

  /** Moves the topic's time (for records piped without a timestamp). */
  advanceTime(ms: number): void {
    this.currentTimeMs += ms
  }

  private nextTime(): number {
    const t = this.currentTimeMs
    this.currentTimeMs += this.autoAdvanceMs
    return t
  }
}
