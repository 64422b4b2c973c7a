/**
 * Byte-array helpers shared by the serdes. Records arrive as `Uint8Array` views (often `Buffer`s
 * over pooled read buffers); the codecs below want Node `Buffer` methods without copying.
 */
import { invalidBytes } from '../errors.js'

/** `bytes` as a `Buffer` over the same memory: no copy, so the result must not outlive the call. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * A copy of `bytes` in a `Buffer` that owns its memory. Deserializers hand out copies where a
 * decoded value would otherwise be a view of the record's bytes: the serde contract forbids
 * retaining them, because the log reads into pooled buffers that are reused after the call.
 * (`Buffer.from(bytes)` is not used: small copies land in Node's shared 8 KiB pool, and a value
 * kept in a cache would pin the whole slab.)
 */
export function ownedCopy(bytes: Uint8Array): Buffer {
  const copy = new Uint8Array(bytes)
  return Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength)
}

/** `typeof`, with `null` and arrays told apart, for error reasons that name a type, not a value. */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (value instanceof Uint8Array) return 'Uint8Array'
  return typeof value
}

/** Raises `SERDES_INVALID_BYTES` unless `bytes` has exactly `expectedBytes` (fixed-width formats). */
export function expectLength(serde: string, topic: string, bytes: Uint8Array, expectedBytes: number): void {
  if (bytes.length !== expectedBytes) {
    throw invalidBytes(serde, topic, `expected ${expectedBytes} bytes, got ${bytes.length}`, undefined, {
      expectedBytes,
      actualBytes: bytes.length,
    })
  }
}
