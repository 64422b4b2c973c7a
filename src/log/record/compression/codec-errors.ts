/**
 * Errors shared by the codecs. A codec does not know where its input sits in a segment, so these
 * carry no `position`; `RecordBatch` re-raises them with the batch position.
 */
import { logError, type LogError } from '../../errors.js'

/** Decompressed bytes are capped so a forged length field or a zip bomb cannot exhaust memory. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

/** The compressed bytes are malformed (the codec library rejected them or a frame is truncated). */
export function corruptCompressed(codec: string, reason: string, cause?: unknown): LogError {
  return logError('LOG_CORRUPT_BATCH', `corrupt ${codec} data: ${reason}`, { codec, reason }, cause)
}

/** The data would decompress to more than the caller's limit. */
export function decompressedTooLarge(codec: string, maxBytes: number): LogError {
  return logError(
    'LOG_CORRUPT_BATCH',
    `${codec} data decompresses to more than ${maxBytes} bytes`,
    { codec, maxBytes, reason: 'decompressed size above limit' },
  )
}

/** A zero-copy Buffer view of `data` (the codec bindings want Buffers, callers pass Uint8Arrays). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}
