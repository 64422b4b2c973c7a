/**
 * Reading an internal topic's partition from its log start to its end, batch by batch — how the
 * group and transaction coordinators rebuild their state at open. Yields to I/O between reads so
 * a long replay does not starve the event loop.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises'
import { logError } from './errors.js'
import { iterateBatches, type RecordBatch } from './record/record-batch.js'
import type { TopicPartition } from './topic-partition.js'

/** Bytes per read while replaying; any size works, whole batches are returned. */
const REPLAY_READ_BYTES = 1024 * 1024

export interface ReplaySource {
  read(tp: TopicPartition, offset: number, maxBytes: number): Uint8Array
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
}

/**
 * Calls `onBatch` for every batch of `tp` in offset order, with `from`: the offset the read began
 * at (records below it were already seen — a read returns the whole batch holding its offset).
 * @throws `LOG_CORRUPT_BATCH` when a read makes no progress; the source's read errors.
 */
export async function replayPartition(source: ReplaySource, tp: TopicPartition, onBatch: (batch: RecordBatch, from: number) => void): Promise<void> {
  const { logStartOffset, logEndOffset } = source.offsets(tp)
  let next = logStartOffset
  while (next < logEndOffset) {
    const bytes = source.read(tp, next, REPLAY_READ_BYTES)
    const from = next
    for (const batch of iterateBatches(bytes)) {
      onBatch(batch, from)
      next = Math.max(next, batch.lastOffset + 1)
    }
    if (next === from) throw logError('LOG_CORRUPT_BATCH', `${tp.topic}-${tp.partition} made no progress at offset ${from}`, { ...tp, offset: from })
    await yieldToIo()
  }
}
