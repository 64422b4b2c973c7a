/**
 * The serde of `count()` results: a `number` as Kafka's `LongSerde` writes a long (8 bytes,
 * big-endian), so counts written by `toStream().to(…)` read as longs in any Kafka client.
 */
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import { readInt64, writeInt64 } from '../state/int64-number.js'

const LONG_BYTES = 8

export const countSerde: Serde<number> = Object.freeze({
  serialize(topic: string, value: number | null): Uint8Array | null {
    if (value === null) return null
    const out = Buffer.allocUnsafe(LONG_BYTES)
    writeInt64(out, 0, value)
    return out
  },
  deserialize(topic: string, bytes: Uint8Array | null): number | null {
    if (bytes === null) return null
    if (bytes.length !== LONG_BYTES) throw streamsError('STREAMS_ILLEGAL_STATE', `a count in ${topic} has ${bytes.length} bytes, not 8`, { topic })
    return readInt64(bytes, 0)
  },
})
