/** A record as the test driver's topics take and return it (Kafka `TestRecord`). */
import type { RecordHeader } from '../../log/index.js'

export interface TestRecord<K, V> {
  readonly key: K
  readonly value: V
  readonly timestampMs: number
  readonly headers: readonly RecordHeader[]
}

/** What `pipeRecord` takes: key, headers and timestamp optional. */
export interface TestRecordInput<K, V> {
  readonly key?: K | null
  readonly value: V | null
  /** Default: the input topic's current time, which then advances by its `autoAdvanceMs`. */
  readonly timestampMs?: number
  readonly headers?: readonly RecordHeader[]
}
