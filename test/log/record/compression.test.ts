import { gzipSync } from 'node:zlib'
import { compressSync as snappyRawCompress } from 'snappy'
import { describe, expect, it } from 'vitest'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import {
  compress,
  compressionTypeOfId,
  decompress,
  isCompressionAvailable,
} from '../../../src/log/record/compression/index.js'
import { zstdBackendName } from '../../../src/log/record/compression/zstd.js'
import { RecordBatch, decodeBatches } from '../../../src/log/record/record-batch.js'
import { ATTRIBUTES_OFFSET, type CompressionType } from '../../../src/log/record/record-batch-v2.js'
import { expectLogError, patternBytes, restamped, utf8 } from './helpers.js'
import { oracleSnappyDecompress, xerialBlockInputSizes } from './oracle-codecs.js'

const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const ZEROS = Buffer.alloc(1 << 20)

describe('compression codecs', () => {
  it('has a zstd backend on this runtime', () => {
    expect(zstdBackendName()).toMatch(/^(node:zlib|@bokuweb\/zstd-wasm)$/)
    expect(CODECS.every(isCompressionAvailable)).toBe(true)
  })

  for (const type of CODECS) {
    it(`round-trips empty, small and multi-block inputs with ${type}`, () => {
      for (const input of [new Uint8Array(0), utf8('x'), patternBytes(200_000, 9)]) {
        expect(Buffer.from(decompress(type, compress(type, input))).equals(input)).toBe(true)
      }
    })

    it(`does not mutate the input when compressing with ${type}`, () => {
      const input = patternBytes(5000, 3)
      const before = Buffer.from(input)
      compress(type, input)
      expect(input.equals(before)).toBe(true)
    })

    it(`refuses ${type} data that decompresses past the limit with LOG_CORRUPT_BATCH`, () => {
      const packed = compress(type, ZEROS)
      expectLogError(() => decompress(type, packed, 64 * 1024), 'LOG_CORRUPT_BATCH')
    })

    if (type !== 'none') {
      it(`turns ${type} garbage into LOG_CORRUPT_BATCH`, () => {
        for (const garbage of [new Uint8Array(0), utf8('not compressed at all'), patternBytes(100, 4)]) {
          expectLogError(() => decompress(type, garbage), 'LOG_CORRUPT_BATCH')
        }
      })
    }
  }

  it('writes snappy in xerial framing with blocks of at most 32 KiB of input', () => {
    const input = patternBytes(100_000, 5)
    const packed = Buffer.from(compress('snappy', input))
    expect(packed.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001')
    expect(xerialBlockInputSizes(packed)).toEqual([32768, 32768, 32768, 1696])
    expect(oracleSnappyDecompress(packed).equals(input)).toBe(true)
  })

  it('reads raw snappy as librdkafka writes it', () => {
    const input = patternBytes(10_000, 6)
    expect(Buffer.from(decompress('snappy', snappyRawCompress(input))).equals(input)).toBe(true)
  })

  it('refuses a raw snappy block whose length preamble exceeds the limit before decoding it', () => {
    const forged = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]) // preamble 2^32 − 1
    const err = expectLogError(() => decompress('snappy', forged), 'LOG_CORRUPT_BATCH')
    expect(err.details['reason']).toBe('decompressed size above limit')
  })

  it('refuses an xerial block length that runs past the data', () => {
    const packed = Buffer.from(compress('snappy', utf8('hello hello')))
    packed.writeInt32BE(1000, 16)
    expectLogError(() => decompress('snappy', packed), 'LOG_CORRUPT_BATCH')
  })

  it('writes lz4 frames with the block-independence flag that Kafka readers require', () => {
    for (const size of [10, 70_000, 5_000_000]) {
      const frame = compress('lz4', patternBytes(size, 7))
      expect(Buffer.from(frame.subarray(0, 4)).toString('hex')).toBe('04224d18')
      expect((frame[4] as number) & 0xc0).toBe(0x40) // version 01
      expect((frame[4] as number) & 0x20).toBe(0x20) // independent blocks
    }
  })

  it('refuses an lz4 frame whose declared content size exceeds the limit', () => {
    // magic, FLG (version 01, independent, content size), BD (64 KiB), content size 2^40, HC
    const forged = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x68, 0x40, 0, 0, 0, 0, 0, 1, 0, 0, 0x00, 0, 0, 0, 0])
    expectLogError(() => decompress('lz4', forged), 'LOG_CORRUPT_BATCH')
  })

  it('reads a zstd frame without a content size, as the Java client writes it', () => {
    const input = patternBytes(300_000, 8)
    const frame = Buffer.from(compress('zstd', input))
    const stripped = withoutZstdContentSize(frame)
    expect(((stripped[4] as number) >> 6) === 0 && ((stripped[4] as number) & 0x20) === 0).toBe(true)
    expect(Buffer.from(decompress('zstd', stripped)).equals(input)).toBe(true)
    expectLogError(() => decompress('zstd', stripped, 100_000), 'LOG_CORRUPT_BATCH')
  })

  it('refuses a zstd frame whose declared content size exceeds the limit', () => {
    const frame = Buffer.from(compress('zstd', utf8('small')))
    expectLogError(() => decompress('zstd', frame, 4), 'LOG_CORRUPT_BATCH')
  })

  it('reads gzip written by another gzip writer (concatenated members included)', () => {
    const a = utf8('first member ')
    const b = utf8('second member')
    expect(Buffer.from(decompress('gzip', Buffer.concat([gzipSync(a), gzipSync(b, { level: 1 })]))).toString()).toBe(
      'first member second member',
    )
  })

  it('maps codec ids 0–4 to codecs and rejects 5–7 with LOG_UNSUPPORTED_COMPRESSION', () => {
    expect([0, 1, 2, 3, 4].map(compressionTypeOfId)).toEqual(CODECS)
    for (const id of [5, 6, 7]) expectLogError(() => compressionTypeOfId(id), 'LOG_UNSUPPORTED_COMPRESSION')
  })

  it('rejects a batch whose attributes name a reserved codec with LOG_UNSUPPORTED_COMPRESSION', () => {
    for (const id of [5, 6, 7]) {
      const bytes = Buffer.from(encodeRecordBatch([{ key: null, value: utf8('v'), timestampMs: 1 }]))
      bytes.writeInt16BE(id, ATTRIBUTES_OFFSET)
      const batch = decodeBatches(restamped(bytes))[0] as RecordBatch
      expectLogError(() => batch.compression, 'LOG_UNSUPPORTED_COMPRESSION')
      expectLogError(() => batch.records(), 'LOG_UNSUPPORTED_COMPRESSION')
    }
  })

  it('caps a batch decompression bomb with LOG_CORRUPT_BATCH at the batch position', () => {
    const bytes = encodeRecordBatch([{ key: null, value: ZEROS, timestampMs: 1 }], { compression: 'gzip' })
    const batch = new RecordBatch(bytes, 0, { maxDecompressedBytes: 100_000, positionBase: 512 })
    const err = expectLogError(() => batch.records(), 'LOG_CORRUPT_BATCH')
    expect(err.details['position']).toBe(512)
  })
})

/**
 * Rewrites a zstd frame header to omit the content size (as zstd-jni's streaming encoder does):
 * clears the single-segment flag and the size code, and inserts a 1 MiB window descriptor.
 */
function withoutZstdContentSize(frame: Buffer): Buffer {
  const fhd = frame[4] as number
  const singleSegment = (fhd & 0x20) !== 0
  const fcsCode = fhd >> 6
  const fcsBytes = fcsCode === 0 ? (singleSegment ? 1 : 0) : 1 << fcsCode
  const didBytes = [0, 1, 2, 4][fhd & 0x03] as number
  const windowBytes = singleSegment ? 0 : 1
  const headerEnd = 5 + windowBytes + didBytes + fcsBytes
  const newFhd = fhd & 0x1f & ~0x20
  const WINDOW_1_MIB = (20 - 10) << 3
  return Buffer.concat([
    frame.subarray(0, 4),
    Buffer.from([newFhd, singleSegment ? WINDOW_1_MIB : (frame[5] as number)]),
    frame.subarray(5 + windowBytes, 5 + windowBytes + didBytes),
    frame.subarray(headerEnd),
  ])
}
