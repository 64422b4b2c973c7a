/**
 * Codec 1 (gzip), RFC 1952 as written by Java's `GZIPOutputStream`:
 *
 * ```
 * 0  2  magic 1f 8b
 * 2  1  method 08 (deflate)
 * 3  1  flags
 * 4  4  mtime (we write 0, so output depends only on the input and zlib)
 * 8  1  extra flags, 9 1 OS
 * 10 …  deflate stream, then crc32 (LE u32) and input size mod 2^32 (LE u32)
 * ```
 *
 * Level 6 is zlib's default and Kafka's (`Deflater.DEFAULT_COMPRESSION`).
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import { corruptCompressed, decompressedTooLarge } from './codec-errors.js'

export function compressGzip(data: Uint8Array): Uint8Array {
  return gzipSync(data)
}

export function decompressGzip(data: Uint8Array, maxBytes: number): Uint8Array {
  try {
    // maxOutputLength makes zlib stop instead of growing its output past the cap.
    return gunzipSync(data, { maxOutputLength: maxBytes })
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw decompressedTooLarge('gzip', maxBytes)
    throw corruptCompressed('gzip', 'zlib rejected the data', err)
  }
}
