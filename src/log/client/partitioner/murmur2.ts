/**
 * Kafka's 32-bit murmur2 (apache/kafka `Utils.murmur2`, `Utils.toPositive`), the hash behind the
 * Java producer's keyed partitioning. Matching it bit for bit is what lets a key produced by
 * Millrace land in the same partition as the same key produced by a Java client (co-partitioning
 * for joins and tables).
 *
 * ```
 * h = seed ^ len
 * for each 4-byte little-endian word k:  k *= m; k ^= k >>> r; k *= m; h *= m; h ^= k
 * tail (len % 4 = 3, 2, 1, falling through): h ^= b[2] << 16; h ^= b[1] << 8; h ^= b[0]; h *= m
 * h ^= h >>> 13; h *= m; h ^= h >>> 15
 * ```
 *
 * All arithmetic is Java's 32-bit wrap-around: `Math.imul` for `*`, `>>>` for Java's `>>>`.
 */

/** Kafka's seed (`Utils.murmur2`). */
const MURMUR2_SEED = 0x9747b28c
/** Mixing multiplier (`m`). */
const MURMUR2_M = 0x5bd1e995
/** Mixing shift (`r`). */
const MURMUR2_R = 24

/**
 * Kafka's `Utils.murmur2` of `bytes`, as a signed 32-bit integer (what Java returns).
 * Pure, allocation-free; never throws.
 */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length
  let h = (MURMUR2_SEED ^ length) | 0
  const words = length >>> 2
  for (let i = 0; i < words; i++) {
    const at = i << 2
    let k =
      (bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)
    k = Math.imul(k, MURMUR2_M)
    k ^= k >>> MURMUR2_R
    k = Math.imul(k, MURMUR2_M)
    h = Math.imul(h, MURMUR2_M) ^ k
  }
  const tail = length & ~3
  // Kafka's switch falls through 3 → 2 → 1; the same as cumulative ifs.
  const rest = length & 3
  if (rest !== 0) {
    if (rest === 3) h ^= (bytes[tail + 2] as number) << 16
    if (rest >= 2) h ^= (bytes[tail + 1] as number) << 8
    h ^= bytes[tail] as number
    h = Math.imul(h, MURMUR2_M)
  }
  h ^= h >>> 13
  h = Math.imul(h, MURMUR2_M)
  h ^= h >>> 15
  return h | 0
}

/**
 * Kafka's `Utils.toPositive`: clears the sign bit. Not `Math.abs`, whose result for
 * −2^31 would stay negative in Java and differs from Kafka's for every other negative input.
 */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}
