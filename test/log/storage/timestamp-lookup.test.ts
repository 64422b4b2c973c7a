import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { PartitionLog } from '../../../src/log/storage/partition-log.js'
import { offsetForTimestamp } from '../../../src/log/storage/timestamp-lookup.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'

function open(io: FaultFileIO): PartitionLog {
  return PartitionLog.open({
    io,
    dir: '/d/t-0',
    topic: 't',
    partition: 0,
    config: {
      segmentBytes: 700,
      segmentMs: Number.MAX_SAFE_INTEGER,
      segmentIndexBytes: 4096,
      indexIntervalBytes: 80,
      maxMessageBytes: 1 << 20,
      messageTimestampType: 'CreateTime',
      flushMessages: Number.MAX_SAFE_INTEGER,
    },
    clock: new ManualClock(),
    recoveryPoint: 0,
    cleanShutdown: false,
  })
}

describe('offsetForTimestamp', () => {
  it('returns the earliest offset whose timestamp is at or after the target, like a full scan', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -5, max: 10_005 }),
        (batches, target) => {
          const io = new FaultFileIO()
          io.mkdir('/d')
          const log = open(io)
          const all: number[] = []
          for (const timestamps of batches) {
            log.append(encodeRecordBatch(timestamps.map((t) => ({ key: null, value: Buffer.from('v'), timestampMs: t }))))
            all.push(...timestamps)
          }
          const expected = all.findIndex((t) => t >= target)
          const got = offsetForTimestamp(log, target)
          if (expected < 0) expect(got).toBeUndefined()
          else expect(got).toEqual({ offset: expected, timestampMs: all[expected] })
          log.close()
        },
      ),
      { numRuns: 300 },
    )
  })
})
