/**
 * The value serde of a table aggregation's repartition topic (Kafka `ChangedSerializer` /
 * `ChangedDeserializer`, the 3.4+ format, so the topic's bytes are Kafka's): a record carries the
 * old value to subtract from its key's aggregate, the new value to add to it, or both (KIP-904:
 * the row's grouping key did not change), each as the grouped table's value serde writes it.
 *
 * Byte layout (the flag is the last byte):
 * ```
 *   flag 0:  [0, n)          old value                         [n] 0x00
 *   flag 1:  [0, n)          new value                         [n] 0x01
 *   flag 2:  [0, 4)          new value's length L, uint32 BE
 *            [4, 4 + L)      new value
 *            [4 + L, n)      old value                         [n] 0x02
 * ```
 * Kafka's flags 3-5 (the same with an `isLatest` byte before the flag) are written only for
 * versioned tables, which Millrace does not have; they are rejected on read, as any other flag.
 */
import type { RecordHeader } from '../../log/index.js'
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { Change } from './operators/aggregate.js'

const FLAG_OLD = 0
const FLAG_NEW = 1
const FLAG_BOTH = 2
const FLAG_BYTES = 1
const LENGTH_BYTES = 4

/** @throws `STREAMS_ILLEGAL_STATE` for a change with neither value, or bytes that are no change (the inner serde's own errors pass through). */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  const bytesOf = (topic: string, value: V, headers: readonly RecordHeader[] | undefined): Uint8Array => {
    const bytes = inner.serialize(topic, value, headers)
    // A non-null value the inner serde writes as null could not be told apart from no value.
    if (bytes === null) throw streamsError('STREAMS_ILLEGAL_STATE', `a change for ${topic} has a value its serde writes as null`, { topic })
    return bytes
  }
  return {
    serialize(topic: string, change: Change<V> | null, headers?: readonly RecordHeader[]): Uint8Array | null {
      if (change === null) return null
      const { newValue, oldValue } = change
      if (newValue === null && oldValue === null) throw streamsError('STREAMS_ILLEGAL_STATE', `a change for ${topic} has neither a new nor an old value`, { topic })
      if (newValue === null || oldValue === null) {
        const value = bytesOf(topic, (newValue ?? oldValue) as V, headers)
        const out = Buffer.allocUnsafe(value.length + FLAG_BYTES)
        out.set(value, 0)
        out[value.length] = newValue === null ? FLAG_OLD : FLAG_NEW
        return out
      }
      const newBytes = bytesOf(topic, newValue, headers)
      const oldBytes = bytesOf(topic, oldValue, headers)
      const out = Buffer.allocUnsafe(LENGTH_BYTES + newBytes.length + oldBytes.length + FLAG_BYTES)
      out.writeUInt32BE(newBytes.length, 0)
      out.set(newBytes, LENGTH_BYTES)
      out.set(oldBytes, LENGTH_BYTES + newBytes.length)
      out[out.length - 1] = FLAG_BOTH
      return out
    },
    deserialize(topic: string, bytes: Uint8Array | null, headers?: readonly RecordHeader[]): Change<V> | null {
      if (bytes === null) return null
      if (bytes.length < FLAG_BYTES) throw corrupt(topic, 'has no flag byte')
      const end = bytes.length - FLAG_BYTES
      const flag = bytes[end]
      if (flag === FLAG_OLD) return { newValue: null, oldValue: inner.deserialize(topic, bytes.subarray(0, end), headers) }
      if (flag === FLAG_NEW) return { newValue: inner.deserialize(topic, bytes.subarray(0, end), headers), oldValue: null }
      if (flag !== FLAG_BOTH) throw corrupt(topic, `has flag ${String(flag)}, not 0, 1 or 2`)
      if (end < LENGTH_BYTES) throw corrupt(topic, `has ${bytes.length} bytes, too few for flag 2`)
      const newLength = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readUInt32BE(0)
      if (LENGTH_BYTES + newLength > end) throw corrupt(topic, `gives its new value ${newLength} bytes of the ${end - LENGTH_BYTES} there are`)
      return {
        newValue: inner.deserialize(topic, bytes.subarray(LENGTH_BYTES, LENGTH_BYTES + newLength), headers),
        oldValue: inner.deserialize(topic, bytes.subarray(LENGTH_BYTES + newLength, end), headers),
      }
    },
  }
}

function corrupt(topic: string, reason: string): Error {
  return streamsError('STREAMS_ILLEGAL_STATE', `a change record of ${topic} ${reason}`, { topic })
}
