/**
 * An output topic of a {@link TopologyTestDriver} (Kafka `TestOutputTopic`): reads, in order, the
 * records the topology wrote to the topic, deserialized with its serdes. Each record is read
 * once. Reading an empty topic throws `STREAMS_ILLEGAL_STATE` (check `isEmpty()` first).
 */
import type { Deserializer } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { OutputRecord } from '../runtime/record-collector.js'
import type { TestRecord } from './test-record.js'

export class TestOutputTopic<K, V> {
  /** @internal made by `TopologyTestDriver.createOutputTopic`. */
  constructor(
    readonly topic: string,
    private readonly keyDeserializer: Deserializer<K>,
    private readonly valueDeserializer: Deserializer<V>,
    private readonly queue: OutputRecord[],
  ) {}

  readRecord(): TestRecord<K | null, V | null> {
    const record = this.queue.shift()
    if (record === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', `output topic ${this.topic} is empty`, { topic: this.topic })
    return {
      key: this.keyDeserializer.deserialize(this.topic, record.key, record.headers),
      value: this.valueDeserializer.deserialize(this.topic, record.value, record.headers),
      timestampMs: record.timestampMs,
      headers: record.headers,
    }
  }

  readKeyValue(): { key: K | null; value: V | null } {
    const { key, value } = this.readRecord()
    return { key, value }
  }

  readValue(): V | null {
    return this.readRecord().value
  }

  readRecordsToList(): TestRecord<K | null, V | null>[] {
    const out: TestRecord<K | null, V | null>[] = []
    while (!this.isEmpty()) out.push(this.readRecord())
    return out
  }

  readKeyValuesToList(): { key: K | null; value: V | null }[] {
    return this.readRecordsToList().map(({ key, value }) => ({ key, value }))
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value)
  }

  /** The latest value per key (a table's view of the topic); a `null` value removes the key. */
  readKeyValuesToMap(): Map<K | null, V> {
    const out = new Map<K | null, V>()
    for (const { key, value } of this.readRecordsToList()) {
      if (value === null) out.delete(key)
      else out.set(key, value)
    }
    return out
  }

  isEmpty(): boolean {
    return this.queue.length === 0
  }

  /** Records not read yet. */
  getQueueSize(): number {
    return this.queue.length
  }
}
