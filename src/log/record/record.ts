/**
 * The record types producers hand to the log. Their bytes follow Kafka's record v2 layout
 * (apache/kafka `DefaultRecord.java`); all varints are zigzag:
 *
 * ```
 * length          varint   bytes of the rest of this record
 * attributes      int8     unused, written 0
 * timestampDelta  varlong  timestamp − batch baseTimestamp
 * offsetDelta     varint   offset − batch baseOffset
 * keyLength       varint   −1 = null key
 * key             bytes
 * valueLength     varint   −1 = null value (tombstone)
 * value           bytes
 * headersCount    varint
 * headers         [keyLength varint, key UTF-8 (not nullable), valueLength varint (−1 = null), value]
 * ```
 */

/**
 * One record header. Headers are ordered and a key may repeat (Kafka semantics), so they are a
 * list, never a map.
 */
export interface RecordHeader {
  key: string
  value: Uint8Array | null
}

/**
 * A record to append. Encoders only read it: keys, values and header arrays are never mutated
 * or retained after the call returns (their bytes are copied into the batch).
 */
export interface RecordInput {
  /** `null` for no key (the default partitioner then uses the sticky partition). */
  key: Uint8Array | null
  /** `null` is a tombstone on compacted topics. */
  value: Uint8Array | null
  headers?: readonly RecordHeader[]
  /** Create time in ms; when absent the encoder uses the caller's clock (`nowMs`). */
  timestampMs?: number
}

/** Bytes of a record with no key, value or headers at most (Kafka `MAX_RECORD_OVERHEAD`). */
export const MAX_RECORD_OVERHEAD_BYTES = 21
