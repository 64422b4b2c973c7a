/**
 * Codec 0 (none): the records region is stored as is. Both directions return the input itself
 * (no copy); callers must not mutate what they pass in.
 */
import { decompressedTooLarge } from './codec-errors.js'

export function compressNone(data: Uint8Array): Uint8Array {
  return data
}

export function decompressNone(data: Uint8Array, maxBytes: number): Uint8Array {
  if (data.length > maxBytes) throw decompressedTooLarge('none', maxBytes)
  return data
}
