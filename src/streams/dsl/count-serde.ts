/**
 * The serde of `count()` results: a `number` as Kafka's `LongSerde` writes a long (8 bytes,
 * big-endian), so counts written by `toStream().to(…)` read as longs in any Kafka client.
 */
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'

const LONG_BYTES = 8

export const countSerde: Serde<number> = Object.freeze({
  serialize(topic: string, value: number | null): Uint8Array | null {
    if (value === null) return null
    const out = Buffer.allocUnsafe(LONG_BYTES)
    out.writeBigInt64BE(BigInt(value), 0)
    return out
  },
  deserialize(topic: string, bytes: Uint8Array | null): number | null {
    if (bytes === null) return null
    if (bytes.length !== LONG_BYTES) throw streamsError('STREAMS_ILLEGAL_STATE', `a count in ${topic} has ${bytes.length} bytes, not 8`, { topic })
    return Number(Buffer.from(bytes.buffer, bytes.byteOffset, LONG_BYTES).readBigInt64BE(0))
  },
})
