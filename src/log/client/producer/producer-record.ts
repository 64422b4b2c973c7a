/**
 * What `Producer.send` takes, and the shape check that runs before a record is placed or
 * buffered. The check exists because the producer is the boundary where untyped JavaScript
 * callers meet the encoder: a string value would otherwise fail deep in the batch builder (or,
 * worse, be encoded as something else).
 */
import { logError } from '../../errors.js'
import type { RecordHeader } from '../../record/record.js'

/** One record to send (Kafka `ProducerRecord`). Read only; never retained after buffering. */
export interface ProducerRecord {
  topic: string
  /** `null`: placed by the sticky partition (unless `partition` is given). */
  key: Uint8Array | null
  /** `null` is a tombstone on compacted topics. */
  value: Uint8Array | null
  /** Ordered; a key may repeat (Kafka semantics). */
  headers?: readonly RecordHeader[]
  /** An explicit partition wins over the partitioner. */
  partition?: number
  /** Create time; default: the producer's clock at buffering. */
  timestampMs?: number
}

const isBytesOrNull = (v: unknown): boolean => v === null || v instanceof Uint8Array

/**
 * Checks the types of `record`'s fields (not whether its topic or partition exists).
 * @throws `LOG_INVALID_RECORD` naming the field (never its content).
 */
export function checkProducerRecord(record: ProducerRecord): void {
  if (typeof record !== 'object' || record === null) {
    throw logError('LOG_INVALID_RECORD', 'a producer record must be an object', { field: 'record' })
  }
  const topic: unknown = record.topic
  if (typeof topic !== 'string') throw logError('LOG_INVALID_RECORD', 'record topic must be a string', { field: 'topic' })
  if (!isBytesOrNull(record.key)) {
    throw logError('LOG_INVALID_RECORD', `record key for ${topic} must be a Uint8Array or null`, { topic, field: 'key' })
  }
  if (!isBytesOrNull(record.value)) {
    throw logError('LOG_INVALID_RECORD', `record value for ${topic} must be a Uint8Array or null`, { topic, field: 'value' })
  }
  const timestampMs: unknown = record.timestampMs
  if (timestampMs !== undefined && !(Number.isSafeInteger(timestampMs) && (timestampMs as number) >= 0)) {
    throw logError('LOG_INVALID_RECORD', `record timestamp for ${topic} must be a non-negative integer`, {
      topic,
      field: 'timestampMs',
    })
  }
  const partition: unknown = record.partition
  if (partition !== undefined && !Number.isInteger(partition)) {
    throw logError('LOG_INVALID_RECORD', `record partition for ${topic} must be an integer`, { topic, field: 'partition' })
  }
  const headers: unknown = record.headers
  if (headers === undefined) return
  if (!Array.isArray(headers)) {
    throw logError('LOG_INVALID_RECORD', `record headers for ${topic} must be an array`, { topic, field: 'headers' })
  }
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as { key?: unknown; value?: unknown } | null
    if (typeof h !== 'object' || h === null || typeof h.key !== 'string' || !isBytesOrNull(h.value)) {
      throw logError('LOG_INVALID_RECORD', `record header ${i} for ${topic} must be { key: string, value: Uint8Array | null }`, {
        topic,
        field: `headers.${i}`,
      })
    }
  }
}
