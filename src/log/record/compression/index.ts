/**
 * Synchronous compression of a batch's records region, one codec per file. Kafka compresses the
 * whole region after the 61-byte header as one blob; the codec id lives in attribute bits 0–2:
 *
 * ```
 * id  codec   framing
 * 0   none    —
 * 1   gzip    RFC 1952
 * 2   snappy  snappy-java "xerial" stream (written), raw block (also read)
 * 3   lz4     LZ4 frame with independent blocks (KIP-57)
 * 4   zstd    zstd frame
 * 5–7 —       reserved: LOG_UNSUPPORTED_COMPRESSION
 * ```
 *
 * Synchronous because a batch is compressed once by the producer and decompressed once on first
 * record access; the per-call cost (µs for a 16 KiB batch) is below a thread hop's.
 */
import { MillraceError, logError } from '../../errors.js'
import { CompressionCodecId, type CompressionType } from '../record-batch-v2.js'
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './codec-errors.js'
import { compressGzip, decompressGzip } from './gzip.js'
import { compressLz4, decompressLz4 } from './lz4.js'
import { compressNone, decompressNone } from './none.js'
import { compressSnappy, decompressSnappy } from './snappy.js'
import { compressZstd, decompressZstd, zstdBackendName } from './zstd.js'

export { DEFAULT_MAX_DECOMPRESSED_BYTES }

const CODEC_BY_ID: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/**
 * The codec of attribute bits 0–2.
 * @throws LOG_UNSUPPORTED_COMPRESSION for ids 5–7 (reserved by Kafka).
 */
export function compressionTypeOfId(id: number): CompressionType {
  const type = CODEC_BY_ID[id]
  if (type === undefined) {
    throw logError('LOG_UNSUPPORTED_COMPRESSION', `unknown compression codec id ${id}`, { codecId: id })
  }
  return type
}

/** The attribute bits 0–2 value of `type`. */
export function compressionIdOf(type: CompressionType): number {
  return CompressionCodecId[type]
}

/** True when this runtime can encode and decode `type` (zstd needs a backend; see `zstd.ts`). */
export function isCompressionAvailable(type: CompressionType): boolean {
  return type !== 'zstd' || zstdBackendName() !== undefined
}

/**
 * Compresses `data` with `type`; returns a new array (or `data` itself for `none`). Never
 * mutates `data`.
 * @throws LOG_UNSUPPORTED_COMPRESSION when the codec is unknown or has no backend here.
 */
export function compress(type: CompressionType, data: Uint8Array): Uint8Array {
  switch (type) {
    case 'none':
      return compressNone(data)
    case 'gzip':
      return compressGzip(data)
    case 'snappy':
      return compressSnappy(data)
    case 'lz4':
      return compressLz4(data)
    case 'zstd':
      return compressZstd(data)
    default:
      throw unknownType(type)
  }
}

/**
 * Decompresses `data`, refusing output larger than `maxBytes` (default 64 MiB) before allocating
 * it where the format declares a size, and by bounded decoding otherwise.
 * @throws LOG_CORRUPT_BATCH when the data is malformed or exceeds `maxBytes` (no position: the
 *   caller knows where the data came from).
 * @throws LOG_UNSUPPORTED_COMPRESSION when the codec is unknown or has no backend here.
 * @throws CONFIG_INVALID when `maxBytes` is not a positive integer.
 */
export function decompress(
  type: CompressionType,
  data: Uint8Array,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Uint8Array {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new MillraceError('CONFIG_INVALID', `maxDecompressedBytes: expected a positive integer, got ${maxBytes}`, {
      details: { maxBytes },
    })
  }
  switch (type) {
    case 'none':
      return decompressNone(data, maxBytes)
    case 'gzip':
      return decompressGzip(data, maxBytes)
    case 'snappy':
      return decompressSnappy(data, maxBytes)
    case 'lz4':
      return decompressLz4(data, maxBytes)
    case 'zstd':
      return decompressZstd(data, maxBytes)
    default:
      throw unknownType(type)
  }
}

function unknownType(type: never): Error {
  return logError('LOG_UNSUPPORTED_COMPRESSION', `unknown compression type ${String(type)}`, {
    codec: String(type),
  })
}
