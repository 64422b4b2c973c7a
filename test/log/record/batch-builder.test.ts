import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  RECORD_BATCH_BUILDER_DEFAULTS,
  RecordBatchBuilder,
  encodeRecordBatch,
} from '../../../src/log/record/batch-builder.js'
import { decodeBatches, type RecordBatch } from '../../../src/log/record/record-batch.js'
import type { RecordInput } from '../../../src/log/record/record.js'
import { expectLogError, patternBytes, utf8 } from './helpers.js'

describe('RecordBatchBuilder', () => {
  it('assigns offset deltas 0, 1, 2, … and reports count and size as records are appended', () => {
    const builder = new RecordBatchBuilder()
    expect([builder.recordCount, builder.sizeBytes]).toEqual([0, 61])
    expect(builder.append({ key: null, value: utf8('a') }, 10)).toBe(0)
    expect(builder.append({ key: null, value: utf8('b') }, 11)).toBe(1)
    expect(builder.recordCount).toBe(2)
    const bytes = builder.build()
    expect(bytes.length).toBe(builder.sizeBytes)
    expect((decodeBatches(bytes)[0] as RecordBatch).records().map((r) => r.offset)).toEqual([0, 1])
  })

  it('sets baseTimestamp to the first record and maxTimestamp to the largest', () => {
    const builder = new RecordBatchBuilder()
    for (const ts of [500, 200, 900, 100]) builder.append({ key: null, value: null }, ts)
    const batch = decodeBatches(builder.build())[0] as RecordBatch
    expect([batch.baseTimestamp, batch.maxTimestamp]).toEqual([500, 900])
    expect(batch.records().map((r) => r.timestampMs)).toEqual([500, 200, 900, 100])
  })

  it('always has room for the first record, even one larger than maxBatchBytes', () => {
    const builder = new RecordBatchBuilder({ maxBatchBytes: 100 })
    expect(builder.hasRoomFor(16, 10_000)).toBe(true)
    builder.append({ key: patternBytes(16, 1), value: patternBytes(10_000, 2) }, 1)
    expect(builder.hasRoomFor(-1, 0)).toBe(false)
  })

  it('keeps batches within maxBatchBytes when appends follow hasRoomFor', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            keyBytes: fc.integer({ min: -1, max: 64 }),
            valueBytes: fc.integer({ min: -1, max: 900 }),
            headers: fc.array(fc.record({ key: fc.string({ maxLength: 6 }), value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }) }), {
              maxLength: 3,
            }),
            timestampMs: fc.integer({ min: 0, max: 2 ** 42 }),
          }),
          { minLength: 1, maxLength: 200 },
        ),
        fc.integer({ min: 200, max: 4096 }),
        (records, maxBatchBytes) => {
          const sizes: number[] = []
          let builder = new RecordBatchBuilder({ maxBatchBytes })
          for (const r of records) {
            if (!builder.hasRoomFor(r.keyBytes, r.valueBytes, r.headers)) {
              sizes.push(builder.build().length)
              builder = new RecordBatchBuilder({ maxBatchBytes })
            }
            const before = builder.sizeBytes
            const estimate = builder.estimateRecordBytes(r.keyBytes, r.valueBytes, r.headers)
            const record: RecordInput = {
              key: r.keyBytes < 0 ? null : new Uint8Array(r.keyBytes),
              value: r.valueBytes < 0 ? null : new Uint8Array(r.valueBytes),
              headers: r.headers,
            }
            builder.append(record, r.timestampMs)
            expect(builder.sizeBytes - before).toBeLessThanOrEqual(estimate)
            if (builder.recordCount > 1) expect(builder.sizeBytes).toBeLessThanOrEqual(maxBatchBytes)
          }
          sizes.push(builder.build().length)
          expect(sizes.length).toBeGreaterThan(0)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('keeps batches of interleaved builders independent (shared buffer slab)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            builder: fc.integer({ min: 0, max: 5 }),
            valueBytes: fc.integer({ min: 0, max: 3000 }),
            action: fc.constantFrom('append', 'append', 'append', 'build'),
          }),
          { minLength: 1, maxLength: 150 },
        ),
        (steps) => {
          const compressions = ['none', 'none', 'lz4', 'none', 'gzip', 'none'] as const
          const open = compressions.map((compression, i) => ({
            builder: new RecordBatchBuilder({ compression, maxBatchBytes: 200 + i * 1000 }),
            inputs: [] as Buffer[],
          }))
          const built: { bytes: Buffer; inputs: Buffer[] }[] = []
          let seed = 1
          for (const step of steps) {
            const slot = open[step.builder] as (typeof open)[number]
            if (step.action === 'build' && slot.inputs.length > 0) {
              built.push({ bytes: slot.builder.build(), inputs: slot.inputs })
              slot.builder = new RecordBatchBuilder({ compression: compressions[step.builder], maxBatchBytes: 300 })
              slot.inputs = []
            } else {
              const value = patternBytes(step.valueBytes, seed++)
              slot.inputs.push(value)
              slot.builder.append({ key: null, value }, seed)
            }
          }
          for (const slot of open) if (slot.inputs.length > 0) built.push({ bytes: slot.builder.build(), inputs: slot.inputs })
          for (const { bytes, inputs } of built) {
            const values = (decodeBatches(bytes)[0] as RecordBatch).records().map((r) => Buffer.from(r.value ?? []))
            expect(values.map((v) => v.toString('hex'))).toEqual(inputs.map((v) => v.toString('hex')))
          }
        },
      ),
      { numRuns: 100 },
    )
  })

  it('copies record bytes and never mutates the record it is given', () => {
    const key = utf8('key')
    const value = utf8('value')
    const headers = Object.freeze([Object.freeze({ key: 'h', value: utf8('x') })])
    const record: RecordInput = Object.freeze({ key, value, headers })
    const builder = new RecordBatchBuilder({ compression: 'gzip' })
    builder.append(record, 1)
    key.fill(0)
    value.fill(0)
    const [decoded] = (decodeBatches(builder.build())[0] as RecordBatch).records()
    expect(Buffer.from(decoded?.key ?? []).toString()).toBe('key')
    expect(Buffer.from(decoded?.value ?? []).toString()).toBe('value')
    expect(record.headers).toBe(headers)
  })

  it('sets the LogAppendTime bit and its records read the batch maxTimestamp', () => {
    const bytes = encodeRecordBatch(
      [
        { key: null, value: null, timestampMs: 7_000 },
        { key: null, value: null, timestampMs: 7_000 },
      ],
      { timestampType: 'log-append-time' },
    )
    expect(bytes.readInt16BE(21) & 0x08).toBe(0x08)
    const batch = decodeBatches(bytes)[0] as RecordBatch
    expect(batch.timestampType).toBe('log-append-time')
    expect(batch.records().map((r) => r.timestampMs)).toEqual([7_000, 7_000])
  })

  it('refuses to build an empty batch with LOG_INVALID_RECORD', () => {
    expectLogError(() => new RecordBatchBuilder().build(), 'LOG_INVALID_RECORD')
  })

  it('refuses appends and builds after build() with LOG_CLOSED', () => {
    const builder = new RecordBatchBuilder()
    builder.append({ key: null, value: null }, 1)
    builder.build()
    expectLogError(() => builder.append({ key: null, value: null }, 1), 'LOG_CLOSED')
    expectLogError(() => builder.build(), 'LOG_CLOSED')
    expect(builder.hasRoomFor(0, 0)).toBe(false)
  })

  it('refuses non-integer timestamps and deltas beyond 2^52 with LOG_INVALID_RECORD', () => {
    const builder = new RecordBatchBuilder()
    expectLogError(() => builder.append({ key: null, value: null }, 1.5), 'LOG_INVALID_RECORD')
    builder.append({ key: null, value: null }, -(2 ** 51))
    expectLogError(() => builder.append({ key: null, value: null }, 2 ** 52), 'LOG_INVALID_RECORD')
    expect(builder.recordCount).toBe(1)
  })

  it('reports every invalid option at once with CONFIG_INVALID', () => {
    const err = expectLogError(
      () =>
        new RecordBatchBuilder({
          producerEpoch: 40_000,
          baseSequence: 1.5,
          baseOffset: -1,
          compression: 'brotli' as 'gzip',
          producerId: 2n ** 63n,
        }),
      'CONFIG_INVALID',
    )
    const problems = String(err.details['problems'])
    for (const name of ['producerEpoch', 'baseSequence', 'baseOffset', 'compression', 'producerId']) {
      expect(problems).toContain(`${name}:`)
    }
  })

  it('keeps its defaults frozen', () => {
    expect(Object.isFrozen(RECORD_BATCH_BUILDER_DEFAULTS)).toBe(true)
    expect(RECORD_BATCH_BUILDER_DEFAULTS).toMatchObject({ producerId: -1n, producerEpoch: -1, baseSequence: -1, baseOffset: 0 })
  })
})

describe('encodeRecordBatch', () => {
  it('uses nowMs for records without their own timestamp', () => {
    const bytes = encodeRecordBatch(
      [
        { key: null, value: null },
        { key: null, value: null, timestampMs: 3 },
      ],
      { nowMs: 42 },
    )
    expect((decodeBatches(bytes)[0] as RecordBatch).records().map((r) => r.timestampMs)).toEqual([42, 3])
  })

  it('refuses a record without a timestamp when no nowMs is given, with LOG_INVALID_RECORD', () => {
    const err = expectLogError(() => encodeRecordBatch([{ key: null, value: null, timestampMs: 1 }, { key: null, value: null }]), 'LOG_INVALID_RECORD')
    expect(err.details['index']).toBe(1)
  })

  it('does not mutate the records array', () => {
    const records = Object.freeze([Object.freeze({ key: utf8('k'), value: utf8('v') })]) as readonly RecordInput[]
    expect(() => encodeRecordBatch(records, { nowMs: 1, compression: 'lz4' })).not.toThrow()
  })
})
