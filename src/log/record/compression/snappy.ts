/**
 * Codec 2 (snappy). Two framings exist in Kafka logs and we read both:
 *
 * Raw snappy block (librdkafka writes this):
 * ```
 * uvarint  uncompressed length (little-endian base-128)
 * …        literal / copy elements
 * ```
 *
 * snappy-java "xerial" stream (the Java client's `SnappyOutputStream`, which we write so a Java
 * consumer reading our segments sees exactly what a Java producer would have written):
 * ```
 *  0  8  magic 82 53 4e 41 50 50 59 00   (0x82 "SNAPPY" 0x00)
 *  8  4  version            int32 BE = 1
 * 12  4  compatible version int32 BE = 1
 * 16  …  repeated: [int32 BE compressed length][raw snappy block of ≤ 32 KiB of input]
 * ```
 *
 * Detection follows librdkafka (`rdkafka_msgset_reader.c`): the 8-byte magic means xerial,
 * anything else is a raw block. Every length is checked against the input and the output cap
 * before the binding sees it, because the binding allocates the preamble's length up front.
 */
import { compressSync, uncompressSync } from 'snappy'
import { readInt32At } from '../../binary/reader.js'
import { corruptCompressed, decompressedTooLarge } from './codec-errors.js'

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00] as const
const XERIAL_HEADER_BYTES = 16
const XERIAL_VERSION = 1
const XERIAL_COMPATIBLE_VERSION = 1
/**
 * Most output one input byte can produce: a 3-byte copy element emits at most 64 bytes. A
 * preamble beyond this ratio is forged, so it is refused before the binding allocates it.
 */
const SNAPPY_MAX_RATIO = 22
/** snappy-java's default block size: each block compresses at most this much input. */
const XERIAL_BLOCK_INPUT_BYTES = 32 * 1024

export function compressSnappy(data: Uint8Array): Uint8Array {
  const blockCount = Math.max(1, Math.ceil(data.length / XERIAL_BLOCK_INPUT_BYTES))
  const blocks: Buffer[] = new Array<Buffer>(blockCount)
  let total = XERIAL_HEADER_BYTES
  for (let i = 0; i < blockCount; i++) {
    const from = i * XERIAL_BLOCK_INPUT_BYTES
    const block = compressSync(data.subarray(from, Math.min(data.length, from + XERIAL_BLOCK_INPUT_BYTES)))
    blocks[i] = block
    total += 4 + block.length
  }
  const out = Buffer.allocUnsafe(total)
  out.set(XERIAL_MAGIC, 0)
  out.writeInt32BE(XERIAL_VERSION, 8)
  out.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12)
  let pos = XERIAL_HEADER_BYTES
  for (const block of blocks) {
    out.writeInt32BE(block.length, pos)
    out.set(block, pos + 4)
    pos += 4 + block.length
  }
  return out
}

export function decompressSnappy(data: Uint8Array, maxBytes: number): Uint8Array {
  return isXerialFramed(data) ? decompressXerial(data, maxBytes) : decompressRawBlock(data, maxBytes)
}

/** True when `data` starts with snappy-java's stream magic. */
export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < XERIAL_MAGIC.length) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false
  return true
}

function decompressXerial(data: Uint8Array, maxBytes: number): Uint8Array {
  if (data.length < XERIAL_HEADER_BYTES) throw corruptCompressed('snappy', 'truncated xerial header')
  // First pass: check every block's framing and declared size, so nothing is allocated or
  // decompressed unless the whole stream fits the cap.
  let total = 0
  let blockCount = 0
  for (let pos = XERIAL_HEADER_BYTES; pos < data.length; ) {
    if (data.length - pos < 4) throw corruptCompressed('snappy', `truncated xerial block length at ${pos}`)
    const length = readInt32At(data, pos)
    if (length < 0 || length > data.length - pos - 4) {
      throw corruptCompressed('snappy', `xerial block length ${length} at ${pos} runs past the end`)
    }
    total += uncompressedLength(data.subarray(pos + 4, pos + 4 + length))
    if (total > maxBytes) throw decompressedTooLarge('snappy', maxBytes)
    blockCount++
    pos += 4 + length
  }
  if (blockCount === 1) return decompressRawBlock(data.subarray(XERIAL_HEADER_BYTES + 4), maxBytes)
  const out = Buffer.allocUnsafe(total)
  let at = 0
  for (let pos = XERIAL_HEADER_BYTES; pos < data.length; ) {
    const length = readInt32At(data, pos)
    const block = decompressRawBlock(data.subarray(pos + 4, pos + 4 + length), maxBytes)
    out.set(block, at)
    at += block.length
    pos += 4 + length
  }
  return out
}

function decompressRawBlock(block: Uint8Array, maxBytes: number): Uint8Array {
  const expected = uncompressedLength(block)
  if (expected > maxBytes) throw decompressedTooLarge('snappy', maxBytes)
  if (expected > block.length * SNAPPY_MAX_RATIO) {
    throw corruptCompressed('snappy', `length preamble ${expected} impossible for a ${block.length}-byte block`)
  }
  let out: string | Buffer
  try {
    out = uncompressSync(block, { asBuffer: true })
  } catch (err) {
    throw corruptCompressed('snappy', 'snappy rejected the block', err)
  }
  if (typeof out === 'string' || out.length !== expected) {
    throw corruptCompressed('snappy', 'block decompressed to an unexpected length')
  }
  return out
}

/** The uvarint preamble of a raw snappy block (at most 32 bits, as in the snappy format). */
function uncompressedLength(block: Uint8Array): number {
  let value = 0
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw corruptCompressed('snappy', 'truncated length preamble')
    const b = block[i] as number
    value += (b & 0x7f) * 2 ** (7 * i)
    if (b < 0x80) {
      if (value > 0xffff_ffff) break
      return value
    }
  }
  throw corruptCompressed('snappy', 'length preamble longer than 32 bits')
}
