/**
 * An int64 big-endian field holding a JS number (timestamps, counts; |n| ≤ 2^53 − 1), read and
 * written as two 32-bit halves: no BigInt and no Buffer view per call (the store's hot path
 * converts two of these per record).
 */
const TWO_POW_32 = 4294967296

export function writeInt64(target: Uint8Array, offset: number, n: number): void {
  const high = Math.floor(n / TWO_POW_32)
  const low = n - high * TWO_POW_32
  target[offset] = (high >>> 24) & 0xff
  target[offset + 1] = (high >>> 16) & 0xff
  target[offset + 2] = (high >>> 8) & 0xff
  target[offset + 3] = high & 0xff
  target[offset + 4] = (low >>> 24) & 0xff
  target[offset + 5] = (low >>> 16) & 0xff
  target[offset + 6] = (low >>> 8) & 0xff
  target[offset + 7] = low & 0xff
}

export function readInt64(bytes: Uint8Array, offset: number): number {
  const high = (((bytes[offset] as number) << 24) | ((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number)) | 0
  const low = (((bytes[offset + 4] as number) << 24) | ((bytes[offset + 5] as number) << 16) | ((bytes[offset + 6] as number) << 8) | (bytes[offset + 7] as number)) >>> 0
  return high * TWO_POW_32 + low
}
