import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RecordBatchBuilder, encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { decodeBatches, type RecordBatch } from '../../../src/log/record/record-batch.js'
import type { CompressionType, TimestampType } from '../../../src/log/record/record-batch-v2.js'
import type { RecordHeader, RecordInput } from '../../../src/log/record/record.js'
import { patternBytes } from './helpers.js'

const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

const smallBytes = fc.uint8Array({ maxLength: 48 })
const largeBytes = fc
  .tuple(fc.integer({ min: 1_000, max: 120_000 }), fc.integer())
  .map(([length, seed]) => new Uint8Array(patternBytes(length, seed)))
const bytesArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 8, arbitrary: smallBytes },
  { weight: 1, arbitrary: largeBytes },
)
const headerArb: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.oneof(fc.constantFrom('h', 'trace-id', ''), fc.string({ unit: 'grapheme', maxLength: 12 })),
  value: fc.oneof(fc.constant(null), smallBytes),
})
const recordArb = fc.record({
  key: bytesArb,
  value: bytesArb,
  headers: fc.oneof(fc.constant(undefined), fc.array(headerArb, { maxLength: 5 })),
  // Deltas from the first record's timestamp, negative ones included.
  timestampDeltaMs: fc.integer({ min: -10_000_000, max: 10_000_000 }),
})
const batchOptionsArb = fc.record({
  compression: fc.constantFrom(...CODECS),
  timestampType: fc.constantFrom<TimestampType>('create-time', 'log-append-time'),
  isTransactional: fc.boolean(),
  producerId: fc.oneof(fc.constant(-1n), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })),
  producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
  baseSequence: fc.integer({ min: -1, max: 0x7fff_ffff }),
  baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fff_ffff }),
})

function sameBytes(actual: Uint8Array | null, expected: Uint8Array | null | undefined): boolean {
  if (actual === null || expected === null || expected === undefined) return actual === null && (expected ?? null) === null
  return Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)
}

function expectRecordsMatch(batch: RecordBatch, inputs: RecordInput[], timestamps: number[], baseOffset: number): void {
  const logAppend = batch.timestampType === 'log-append-time'
  const maxTs = Math.max(...timestamps)
  const records = batch.records()
  expect(records).toHaveLength(inputs.length)
  records.forEach((record, i) => {
    const input = inputs[i] as RecordInput
    expect(record.offset).toBe(baseOffset + i)
    expect(record.timestampMs).toBe(logAppend ? maxTs : timestamps[i])
    expect(sameBytes(record.key, input.key)).toBe(true)
    expect(sameBytes(record.value, input.value)).toBe(true)
    expect(record.keySize).toBe(input.key === null ? -1 : input.key.length)
    expect(record.valueSize).toBe(input.value === null ? -1 : input.value.length)
    const headers = record.headers
    const expected = input.headers ?? []
    expect(headers.map((h) => h.key)).toEqual(expected.map((h) => h.key))
    headers.forEach((h, j) => expect(sameBytes(h.value, expected[j]?.value)).toBe(true))
  })
}

describe('record batch round trip', () => {
  it('decodes random records back to the same keys, values, headers, offsets and timestamps for every codec', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: -(2 ** 40), max: 2 ** 45 }),
        batchOptionsArb,
        (records, firstTimestampMs, options) => {
          const timestamps = records.map((r, i) => (i === 0 ? firstTimestampMs : firstTimestampMs + r.timestampDeltaMs))
          const inputs: RecordInput[] = records.map((r, i) => ({
            key: r.key,
            value: r.value,
            ...(r.headers === undefined ? {} : { headers: r.headers }),
            timestampMs: timestamps[i] as number,
          }))
          const bytes = encodeRecordBatch(inputs, options)
          const [batch, ...rest] = decodeBatches(bytes)
          expect(rest).toHaveLength(0)
          if (batch === undefined) throw new Error('no batch decoded')
          expect({
            compression: batch.compression,
            timestampType: batch.timestampType,
            isTransactional: batch.isTransactional,
            isControl: batch.isControl,
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            baseSequence: batch.baseSequence,
            baseOffset: batch.baseOffset,
            partitionLeaderEpoch: batch.partitionLeaderEpoch,
            lastOffsetDelta: batch.lastOffsetDelta,
            recordsCount: batch.recordsCount,
            baseTimestamp: batch.baseTimestamp,
            maxTimestamp: batch.maxTimestamp,
            sizeBytes: batch.sizeBytes,
          }).toEqual({
            ...options,
            isControl: false,
            lastOffsetDelta: inputs.length - 1,
            recordsCount: inputs.length,
            baseTimestamp: timestamps[0],
            maxTimestamp: Math.max(...timestamps),
            sizeBytes: bytes.length,
          })
          expectRecordsMatch(batch, inputs, timestamps, options.baseOffset)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('decodes consecutive batches of mixed codecs from one buffer in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...CODECS), fc.array(recordArb, { minLength: 1, maxLength: 5 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (batches) => {
          let nextOffset = 0
          const expected: { inputs: RecordInput[]; timestamps: number[]; baseOffset: number }[] = []
          const encoded = batches.map(([compression, records]) => {
            const timestamps = records.map((r) => 1_000_000 + r.timestampDeltaMs)
            const inputs = records.map((r, i) => ({ key: r.key, value: r.value, timestampMs: timestamps[i] as number }))
            const bytes = encodeRecordBatch(inputs, { compression, baseOffset: nextOffset })
            expected.push({ inputs, timestamps, baseOffset: nextOffset })
            nextOffset += records.length
            return bytes
          })
          const decoded = decodeBatches(Buffer.concat(encoded))
          expect(decoded).toHaveLength(batches.length)
          decoded.forEach((batch, i) => {
            const e = expected[i] as (typeof expected)[number]
            expectRecordsMatch(batch, e.inputs, e.timestamps, e.baseOffset)
          })
        },
      ),
      { numRuns: 100 },
    )
  })

  it('gives the same records through forEachRecord as through records()', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 10 }), fc.constantFrom(...CODECS), (records, compression) => {
        const bytes = encodeRecordBatch(
          records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? [] })),
          { compression, nowMs: 5 },
        )
        const batch = decodeBatches(bytes)[0] as RecordBatch
        const hex = (v: Uint8Array | null): string | null => (v === null ? null : Buffer.from(v).toString('hex'))
        const visited: unknown[] = []
        batch.forEachRecord((r, index) => visited.push([index, r.offset, r.timestampMs, hex(r.key), hex(r.value), r.headers.length]))
        expect(visited).toEqual(batch.records().map((r, i) => [i, r.offset, r.timestampMs, hex(r.key), hex(r.value), r.headers.length]))
      }),
      { numRuns: 100 },
    )
  })

  it('round-trips a batch built incrementally past its initial buffer size', () => {
    const builder = new RecordBatchBuilder({ maxBatchBytes: 61 })
    const inputs: RecordInput[] = []
    for (let i = 0; i < 500; i++) {
      const input = { key: patternBytes(i % 40, i), value: patternBytes((i * 37) % 3000, i + 1) }
      inputs.push(input)
      builder.append(input, 10_000 + i)
    }
    const batch = decodeBatches(builder.build())[0] as RecordBatch
    expectRecordsMatch(batch, inputs, inputs.map((_, i) => 10_000 + i), 0)
  })
})
