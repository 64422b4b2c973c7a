/**
 * Damaged bytes must surface as LOG_CORRUPT_BATCH (or LOG_UNSUPPORTED_COMPRESSION when the codec
 * bits themselves are damaged into a reserved id), never as RangeError or a codec library error.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MillraceError } from '../../../src/log/errors.js'
import { encodeRecordBatch } from '../../../src/log/record/batch-builder.js'
import { decodeBatches, type DecodeBatchesOptions } from '../../../src/log/record/record-batch.js'
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  type CompressionType,
} from '../../../src/log/record/record-batch-v2.js'
import { expectLogError, patternBytes, restamped, utf8 } from './helpers.js'

const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

function sampleBatch(compression: CompressionType): Buffer {
  return encodeRecordBatch(
    [
      { key: utf8('key-0'), value: patternBytes(300, 1), headers: [{ key: 'h', value: utf8('v') }, { key: 'h', value: null }] },
      { key: null, value: null, timestampMs: 990 },
      { key: new Uint8Array(0), value: patternBytes(40, 2), headers: [{ key: 'ü', value: new Uint8Array(0) }] },
    ],
    { compression, nowMs: 1_000, producerId: 5n, producerEpoch: 1, baseSequence: 0, isTransactional: true },
  )
}

/** Decodes everything, touching every lazy accessor, so any deferred failure shows up. */
function decodeFully(bytes: Uint8Array, options: DecodeBatchesOptions = {}): number {
  let n = 0
  for (const batch of decodeBatches(bytes, 0, bytes.length, options)) {
    batch.forEachRecord((r) => {
      n += r.offset + r.timestampMs + (r.key?.length ?? 0) + (r.value?.length ?? 0) + r.headers.length
    })
  }
  return n
}

/** Either decodes, or fails with one of `codes`; any other error fails the test. */
function decodesOrFailsWith(bytes: Uint8Array, codes: string[], options: DecodeBatchesOptions = {}): 'ok' | string {
  try {
    decodeFully(bytes, options)
    return 'ok'
  } catch (err) {
    if (!(err instanceof MillraceError)) throw err
    expect(codes).toContain(err.code)
    return err.code
  }
}

/** Copy of `batch` with its records region cut to `regionBytes`, length field and CRC fixed up. */
function withRegionCut(batch: Buffer, regionBytes: number): Buffer {
  const cut = Buffer.from(batch.subarray(0, BATCH_HEADER_BYTES + regionBytes))
  cut.writeInt32BE(cut.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  return restamped(cut)
}

describe('corrupt record batches', () => {
  for (const compression of CODECS) {
    it(`rejects every truncation of a ${compression} batch with LOG_CORRUPT_BATCH at position 0`, () => {
      const batch = sampleBatch(compression)
      expect(decodeBatches(batch.subarray(0, 0))).toEqual([]) // an empty range holds no batch
      for (let length = 1; length < batch.length; length++) {
        const err = expectLogError(() => decodeFully(batch.subarray(0, length)), 'LOG_CORRUPT_BATCH')
        expect(err.details['position']).toBe(0)
      }
    })

    it(`stops cleanly before every truncated ${compression} tail when a partial tail is allowed`, () => {
      const batch = sampleBatch(compression)
      const two = Buffer.concat([batch, batch])
      for (let length = batch.length; length < two.length; length++) {
        expect(decodeBatches(two.subarray(0, length), 0, length, { allowPartialTail: true })).toHaveLength(1)
      }
    })

    it(`rejects every cut of the ${compression} records region behind a valid CRC`, () => {
      const batch = sampleBatch(compression)
      const regionBytes = batch.length - BATCH_HEADER_BYTES
      for (let cut = 0; cut < regionBytes; cut++) {
        expectLogError(() => decodeFully(withRegionCut(batch, cut)), 'LOG_CORRUPT_BATCH')
      }
    })

    it(`rejects a single bit flip in the CRC-covered bytes of a ${compression} batch`, () => {
      const batch = sampleBatch(compression)
      fc.assert(
        fc.property(fc.integer({ min: 0, max: batch.length * 8 - 1 }), (bit) => {
          const copy = Buffer.from(batch)
          const at = bit >> 3
          copy[at] = (copy[at] as number) ^ (1 << (bit & 7))
          const outcome = decodesOrFailsWith(copy, ['LOG_CORRUPT_BATCH'])
          // Only baseOffset (0–7) and partitionLeaderEpoch (12–15) lie outside the CRC and are
          // free-form; a flip elsewhere must be detected.
          if (outcome === 'ok') expect(at < 8 || (at >= 12 && at < 16)).toBe(true)
        }),
        { numRuns: 400 },
      )
    })

    it(`never throws anything but log errors for random damage behind a valid CRC (${compression})`, () => {
      const batch = sampleBatch(compression)
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: ATTRIBUTES_OFFSET, max: batch.length - 1 }), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          (edits) => {
            const copy = Buffer.from(batch)
            for (const [at, mask] of edits) copy[at] = (copy[at] as number) ^ mask
            decodesOrFailsWith(restamped(copy), ['LOG_CORRUPT_BATCH', 'LOG_UNSUPPORTED_COMPRESSION'], {
              maxDecompressedBytes: 1 << 20,
            })
          },
        ),
        { numRuns: 400 },
      )
    })
  }

  it('reports the absolute position of a bad batch after good ones, offset by positionBase', () => {
    const good = sampleBatch('none')
    const bad = Buffer.from(good)
    bad[ATTRIBUTES_OFFSET + 5] = (bad[ATTRIBUTES_OFFSET + 5] as number) ^ 1
    const err = expectLogError(
      () => decodeBatches(Buffer.concat([good, good, bad]), 0, good.length * 3, { positionBase: 4096 }),
      'LOG_CORRUPT_BATCH',
    )
    expect(err.details['position']).toBe(4096 + 2 * good.length)
  })

  it('reports framing errors of an uncompressed batch at the offending byte', () => {
    const batch = encodeRecordBatch([{ key: null, value: utf8('abc'), timestampMs: 1 }])
    // Record starts at 61: [length][attributes][timestampDelta][offsetDelta=0 at 64]
    const copy = Buffer.from(batch)
    copy[64] = 0x04 // offsetDelta 2 > lastOffsetDelta 0
    const err = expectLogError(() => decodeFully(restamped(copy), { positionBase: 1000 }), 'LOG_CORRUPT_BATCH')
    expect(err.details['position']).toBe(1000 + 65)
  })

  it('reports framing errors of a compressed batch at the batch start', () => {
    const batch = encodeRecordBatch([{ key: null, value: utf8('abc'), timestampMs: 1 }], { compression: 'gzip' })
    const copy = Buffer.from(batch)
    copy.writeInt32BE(2, 57) // recordsCount 2, region holds 1 record
    const err = expectLogError(() => decodeFully(restamped(copy), { positionBase: 1000 }), 'LOG_CORRUPT_BATCH')
    expect(err.details['position']).toBe(1000)
  })
})
