/**
 * Broker-side checks of appended records beyond batch framing (Kafka `LogValidator`).
 */
import { logError } from './errors.js'
import { iterateBatches } from './record/record-batch.js'
import type { TopicPartition } from './topic-partition.js'

/**
 * Compacted topics need a key on every record (Kafka returns INVALID_RECORD otherwise). Only the
 * key length of each record is decoded; control batches are exempt.
 * @throws `LOG_INVALID_RECORD` naming the batch position and record index; `LOG_CORRUPT_BATCH`.
 */
export function rejectNullKeys(tp: TopicPartition, batches: Uint8Array): void {
  for (const batch of iterateBatches(batches, 0, batches.length, { verifyCrc: false })) {
    if (batch.isControl) continue
    batch.forEachRecord((record, index) => {
      if (record.keySize >= 0) return
      throw logError(
        'LOG_INVALID_RECORD',
        `record ${index} of the batch at position ${batch.position} has no key; compacted topic ${tp.topic} requires keys`,
        { topic: tp.topic, partition: tp.partition, position: batch.position, recordIndex: index },
      )
    })
  }
}
