/**
 * A value with the timestamp it was last updated with (Kafka `ValueAndTimestamp`), as aggregations
 * and tables store it: an aggregate's output timestamp is the largest timestamp of the records that
 * contributed to it.
 *
 * Byte layout (Kafka's timestamped key-value store format):
 * ```
 *   [0, 8)   timestamp, int64 big-endian (ms)
 *   [8, n)   the value's bytes (its own serde)
 * ```
 * A `null` value is stored as `null` (a deletion), never as a timestamp alone.
 */
import type { RecordHeader } from '../../log/index.js'
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import { readInt64, writeInt64 } from './int64-number.js'

export interface ValueAndTimestamp<V> {
  readonly value: V
  readonly timestampMs: number
}

const TIMESTAMP_BYTES = 8

export function valueAndTimestampSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  return {
    serialize(topic: string, data: ValueAndTimestamp<V> | null, headers?: readonly RecordHeader[]): Uint8Array | null {
      if (data === null) return null
      const value = inner.serialize(topic, data.value, headers)
      if (value === null) return null
      const out = Buffer.allocUnsafe(TIMESTAMP_BYTES + value.length)
      writeInt64(out, 0, data.timestampMs)
      out.set(value, TIMESTAMP_BYTES)
      return out
    },
    deserialize(topic: string, bytes: Uint8Array | null, headers?: readonly RecordHeader[]): ValueAndTimestamp<V> | null {
      if (bytes === null) return null
      if (bytes.length < TIMESTAMP_BYTES) {
        throw streamsError('STREAMS_ILLEGAL_STATE', `a timestamped value in ${topic} has ${bytes.length} bytes, fewer than its 8-byte timestamp`, { topic })
      }
      const value = inner.deserialize(topic, bytes.subarray(TIMESTAMP_BYTES), headers)
      if (value === null) return null
      return { value, timestampMs: readInt64(bytes, 0) }
    },
  }
}
