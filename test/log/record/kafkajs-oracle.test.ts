/**
 * An independent implementation must agree with ours. kafkajs 2.2.4 (devDependency, used only
 * here) decodes our bytes with its own record batch decoder, and encodes batches we decode.
 * kafkajs does not check CRCs, so its pure-JS CRC-32C checks ours. It has no snappy/lz4 codec,
 * so the pure-JS decoders in oracle-codecs.ts are registered in its codec map.
 */
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { encodeControlBatch } from '../../../src/log/record/control-record.js'
import { decodeBatches } from '../../../src/log/record/record-batch.js'
import type { RecordInput } from '../../../src/log/record/record.js'
import { readHexFixture, utf8 } from './helpers.js'
import { oracleLz4FrameDecompress, oracleSnappyDecompress, xxh32 } from './oracle-codecs.js'

const require = createRequire(import.meta.url)

interface KafkajsRecord {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | null | (Buffer | null)[]>
  isControlRecord: boolean
}
interface KafkajsBatch {
  firstOffset: string
  firstTimestamp: string
  maxTimestamp: string
  partitionLeaderEpoch: number
  inTransaction: boolean
  isControlBatch: boolean
  lastOffsetDelta: number
  producerId: string
  producerEpoch: number
  firstSequence: number
  timestampType: number
  records: KafkajsRecord[]
}
interface KafkajsEncoder {
  buffer: Buffer
}
type Codec = { compress(encoder: KafkajsEncoder): Promise<Buffer>; decompress(buf: Buffer): Promise<Buffer> }

const Decoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<KafkajsBatch>
const { RecordBatch: encodeKafkajsBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<KafkajsEncoder>
}
const encodeKafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  args: Record<string, unknown>,
) => KafkajsEncoder
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (buf: Buffer) => number
const { Codecs, Types } = require('kafkajs/src/protocol/message/compression') as {
  Codecs: Record<number, () => Codec>
  Types: Record<'None' | 'GZIP' | 'Snappy' | 'LZ4' | 'ZSTD', number>
}
const Long = require('kafkajs/src/utils/long') as { fromValue(v: string | number): unknown }

beforeAll(() => {
  const unused = (): Promise<Buffer> => Promise.reject(new Error('oracle codecs only decompress'))
  Codecs[Types.Snappy] = () => ({ compress: unused, decompress: async (buf) => oracleSnappyDecompress(buf) })
  Codecs[Types.LZ4] = () => ({ compress: unused, decompress: async (buf) => oracleLz4FrameDecompress(buf).output })
})

async function kafkajsDecode(bytes: Buffer): Promise<KafkajsBatch> {
  return decodeKafkajsBatch(new Decoder(bytes))
}

/** kafkajs folds headers into an object (repeats become arrays); fold ours the same way. */
function foldHeaders(headers: readonly { key: string; value: Uint8Array | null }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { key, value } of headers) {
    const v = value === null ? null : Buffer.from(value)
    const prev = out[key]
    out[key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

const bytesOrNull = (v: Uint8Array | null): Buffer | null => (v === null ? null : Buffer.from(v))

const T0 = 1_700_000_000_000

const nullableBytes = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null, freq: 4 })
const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: nullableBytes,
  value: nullableBytes,
  headers: fc.array(
    fc.record({ key: fc.constantFrom('h', 'trace', 'ü'), value: nullableBytes }),
    { maxLength: 4 },
  ),
  timestampMs: fc.integer({ min: T0 - 100_000, max: T0 + 100_000 }),
})

describe('kafkajs as an independent decoder', () => {
  it('proves the oracle xxHash32 against the reference vectors', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05)
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff)
    expect(xxh32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f)
  })

  it('computes the same CRC-32C as kafkajs for every golden fixture', () => {
    for (const name of [
      'plain-batch.hex',
      'keyed-headers-batch.hex',
      'snappy-batch.hex',
      'transactional-batch.hex',
      'commit-control-batch.hex',
    ]) {
      const bytes = readHexFixture(name)
      expect(kafkajsCrc32c(bytes.subarray(21)) >>> 0, name).toBe(bytes.readUInt32BE(17))
    }
  })

  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    it(`reads our ${compression} batches with the same keys, values, headers, offsets, timestamps and producer fields`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(recordArb, { minLength: 1, maxLength: 12 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 2 ** 40 }),
          async (records, transactional, baseOffset) => {
            const bytes = encodeRecordBatch(records, {
              compression,
              baseOffset,
              isTransactional: transactional,
              producerId: transactional ? 77n : -1n,
              producerEpoch: transactional ? 2 : -1,
              baseSequence: transactional ? 40 : -1,
            })
            expect(kafkajsCrc32c(bytes.subarray(21)) >>> 0).toBe(bytes.readUInt32BE(17))
            const theirs = await kafkajsDecode(bytes)
            expect({
              firstOffset: theirs.firstOffset,
              inTransaction: theirs.inTransaction,
              isControlBatch: theirs.isControlBatch,
              producerId: theirs.producerId,
              producerEpoch: theirs.producerEpoch,
              firstSequence: theirs.firstSequence,
              lastOffsetDelta: theirs.lastOffsetDelta,
              maxTimestamp: theirs.maxTimestamp,
            }).toEqual({
              firstOffset: String(baseOffset),
              inTransaction: transactional,
              isControlBatch: false,
              producerId: transactional ? '77' : '-1',
              producerEpoch: transactional ? 2 : -1,
              firstSequence: transactional ? 40 : -1,
              lastOffsetDelta: records.length - 1,
              maxTimestamp: String(Math.max(...records.map((r) => r.timestampMs as number))),
            })
            expect(
              theirs.records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })),
            ).toEqual(
              records.map((r, i) => ({
                offset: String(baseOffset + i),
                timestamp: String(r.timestampMs),
                key: bytesOrNull(r.key),
                value: bytesOrNull(r.value),
                headers: foldHeaders(r.headers ?? []),
              })),
            )
          },
        ),
        { numRuns: 60 },
      )
    })
  }

  it('writes lz4 frames whose header checksum verifies and whose blocks are independent', () => {
    // 5 MB makes the binding write more than one (4 MiB) block, so independence is observable.
    const big = Buffer.alloc(5_000_000)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251 === 0 ? i & 0xff : 0x41
    const bytes = encodeRecordBatch([{ key: null, value: big, timestampMs: T0 }], { compression: 'lz4' })
    const { output, info } = oracleLz4FrameDecompress(bytes.subarray(61))
    expect(info.blockIndependent).toBe(true)
    expect(info.flg >> 6).toBe(1)
    expect(info.blockCount).toBeGreaterThan(1)
    expect(output.length).toBeGreaterThan(big.length)
    const [record] = decodeBatches(bytes)[0]?.records() ?? []
    expect(Buffer.from(record?.value ?? []).equals(big)).toBe(true)
  })

  it('reads our COMMIT and ABORT control batches as control batches with the transaction fields', async () => {
    for (const [type, typeId] of [
      ['COMMIT', 1],
      ['ABORT', 0],
    ] as const) {
      const bytes = encodeControlBatch({ type, producerId: 9007199254740991n, producerEpoch: 12, coordinatorEpoch: 3, timestampMs: T0 })
      const theirs = await kafkajsDecode(bytes)
      expect([theirs.isControlBatch, theirs.inTransaction, theirs.producerId, theirs.producerEpoch, theirs.firstSequence]).toEqual([
        true,
        true,
        '9007199254740991',
        12,
        -1,
      ])
      const [record] = theirs.records
      expect(record?.isControlRecord).toBe(true)
      expect(record?.key?.readInt16BE(0)).toBe(0)
      expect(record?.key?.readInt16BE(2)).toBe(typeId)
      expect(record?.value?.readInt16BE(0)).toBe(0)
      expect(record?.value?.readInt32BE(2)).toBe(3)
    }
  })
})

describe('kafkajs as an independent encoder', () => {
  for (const [name, type] of [
    ['uncompressed', Types.None],
    ['gzip', Types.GZIP],
  ] as const) {
    it(`decodes ${name} batches written by kafkajs, CRC included`, async () => {
      const inputs = [
        { key: utf8('k0'), value: utf8('v0'), headers: { a: utf8('1'), b: [utf8('2'), utf8('3')] }, delta: 0 },
        { key: null, value: utf8('v1'), headers: {}, delta: 7 },
        { key: utf8('k2'), value: null, headers: { c: utf8('') }, delta: -2 },
      ]
      const records = inputs.map((r, i) =>
        encodeKafkajsRecord({ offsetDelta: i, timestampDelta: r.delta, key: r.key, value: r.value, headers: r.headers }),
      )
      const encoder = await encodeKafkajsBatch({
        compression: type,
        firstOffset: Long.fromValue(500),
        firstTimestamp: T0,
        maxTimestamp: T0 + 7,
        partitionLeaderEpoch: 4,
        lastOffsetDelta: records.length - 1,
        transactional: true,
        producerId: Long.fromValue(31),
        producerEpoch: 1,
        firstSequence: 10,
        records,
      })
      const [batch] = decodeBatches(encoder.buffer)
      expect(batch).toBeDefined()
      if (batch === undefined) return
      expect([batch.baseOffset, batch.partitionLeaderEpoch, batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([
        500, 4, 31n, 1, 10,
      ])
      expect(batch.isTransactional).toBe(true)
      expect(
        batch.records().map((r) => ({
          offset: r.offset,
          timestampMs: r.timestampMs,
          key: bytesOrNull(r.key),
          value: bytesOrNull(r.value),
          headers: foldHeaders(r.headers),
        })),
      ).toEqual(
        inputs.map((r, i) => ({
          offset: 500 + i,
          timestampMs: T0 + r.delta,
          key: r.key,
          value: r.value,
          headers: r.headers,
        })),
      )
    })
  }
})
