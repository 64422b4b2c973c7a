/**
 * Test-only, pure-JS decoders for snappy (raw and xerial framing) and LZ4 frames, written from
 * the format specs and independent of the native bindings the codec uses. They are deliberately
 * as strict as Kafka's Java reader: LZ4 frames must verify their header checksum (xxHash32) and
 * must not reference data of a previous block (`KafkaLZ4BlockInputStream` decodes every block on
 * its own).
 */

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])

export function oracleSnappyDecompress(data: Uint8Array): Buffer {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (buf.length >= 16 && buf.subarray(0, 8).equals(XERIAL_MAGIC)) {
    if (buf.readInt32BE(8) !== 1 || buf.readInt32BE(12) !== 1) throw new Error('unexpected xerial version')
    const parts: Buffer[] = []
    for (let pos = 16; pos < buf.length; ) {
      const length = buf.readInt32BE(pos)
      parts.push(snappyRawDecompress(buf.subarray(pos + 4, pos + 4 + length)))
      pos += 4 + length
    }
    return Buffer.concat(parts)
  }
  return snappyRawDecompress(buf)
}

/** Input sizes of each xerial block (from each raw block's length preamble). */
export function xerialBlockInputSizes(data: Uint8Array): number[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const sizes: number[] = []
  for (let pos = 16; pos < buf.length; ) {
    const length = buf.readInt32BE(pos)
    sizes.push(readUvarint(buf, pos + 4).value)
    pos += 4 + length
  }
  return sizes
}

function readUvarint(buf: Uint8Array, start: number): { value: number; next: number } {
  let value = 0
  let shift = 0
  let pos = start
  for (;;) {
    const b = buf[pos++] as number
    value += (b & 0x7f) * 2 ** shift
    if (b < 0x80) return { value, next: pos }
    shift += 7
  }
}

function snappyRawDecompress(src: Buffer): Buffer {
  const { value: length, next } = readUvarint(src, 0)
  const out = Buffer.alloc(length)
  let o = 0
  let i = next
  while (i < src.length) {
    const tag = src[i++] as number
    const kind = tag & 3
    if (kind === 0) {
      let len = tag >> 2
      if (len >= 60) {
        const extra = len - 59
        len = 0
        for (let k = 0; k < extra; k++) len |= (src[i + k] as number) << (8 * k)
        i += extra
      }
      len += 1
      src.copy(out, o, i, i + len)
      i += len
      o += len
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      len = ((tag >> 2) & 7) + 4
      offset = ((tag >> 5) << 8) | (src[i++] as number)
    } else if (kind === 2) {
      len = (tag >> 2) + 1
      offset = src.readUInt16LE(i)
      i += 2
    } else {
      len = (tag >> 2) + 1
      offset = src.readUInt32LE(i)
      i += 4
    }
    if (offset === 0 || offset > o) throw new Error('snappy copy before the start of the output')
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset] as number
  }
  if (o !== length) throw new Error('snappy output length mismatch')
  return out
}

const P1 = 2654435761
const P2 = 2246822519
const P3 = 3266489917
const P4 = 668265263
const P5 = 374761393

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0

/** xxHash32 (the LZ4 frame checksum). */
export function xxh32(buf: Uint8Array, seed = 0): number {
  const len = buf.length
  const read32 = (at: number): number =>
    ((buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16) | ((buf[at + 3] as number) << 24)) >>> 0
  const round = (acc: number, input: number): number => Math.imul(rotl((acc + Math.imul(input, P2)) >>> 0, 13), P1) >>> 0
  let i = 0
  let h: number
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0
    let v2 = (seed + P2) >>> 0
    let v3 = seed >>> 0
    let v4 = (seed - P1) >>> 0
    while (i <= len - 16) {
      v1 = round(v1, read32(i))
      v2 = round(v2, read32(i + 4))
      v3 = round(v3, read32(i + 8))
      v4 = round(v4, read32(i + 12))
      i += 16
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0
  } else {
    h = (seed + P5) >>> 0
  }
  h = (h + len) >>> 0
  while (i + 4 <= len) {
    h = Math.imul(rotl((h + Math.imul(read32(i), P3)) >>> 0, 17), P4) >>> 0
    i += 4
  }
  while (i < len) {
    h = Math.imul(rotl((h + Math.imul(buf[i] as number, P5)) >>> 0, 11), P1) >>> 0
    i++
  }
  h ^= h >>> 15
  h = Math.imul(h, P2) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, P3) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

export interface Lz4FrameInfo {
  flg: number
  bd: number
  blockIndependent: boolean
  blockCount: number
}

export function oracleLz4FrameDecompress(data: Uint8Array): { output: Buffer; info: Lz4FrameInfo } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (buf.readUInt32LE(0) !== 0x184d2204) throw new Error('bad lz4 magic')
  const flg = buf[4] as number
  const bd = buf[5] as number
  if (flg >> 6 !== 1) throw new Error('lz4 frame version is not 01')
  let pos = 6
  if ((flg & 0x08) !== 0) pos += 8
  if ((flg & 0x01) !== 0) pos += 4
  const hc = (xxh32(buf.subarray(4, pos)) >>> 8) & 0xff
  if (buf[pos] !== hc) throw new Error('lz4 header checksum mismatch')
  pos += 1
  const blockIndependent = (flg & 0x20) !== 0
  const out: number[] = []
  let blockCount = 0
  for (;;) {
    const word = buf.readUInt32LE(pos)
    pos += 4
    if (word === 0) break
    blockCount++
    const size = word & 0x7fffffff
    const block = buf.subarray(pos, pos + size)
    if ((word & 0x80000000) !== 0) for (const b of block) out.push(b)
    else lz4BlockDecode(block, out, blockIndependent)
    pos += size + ((flg & 0x10) !== 0 ? 4 : 0)
  }
  return { output: Buffer.from(out), info: { flg, bd, blockIndependent, blockCount } }
}

function lz4BlockDecode(src: Buffer, out: number[], independent: boolean): void {
  const blockStart = out.length
  let i = 0
  for (;;) {
    const token = src[i++] as number
    let litLen = token >> 4
    if (litLen === 15) {
      let b: number
      do {
        b = src[i++] as number
        litLen += b
      } while (b === 255)
    }
    for (let k = 0; k < litLen; k++) out.push(src[i++] as number)
    if (i >= src.length) return
    const offset = (src[i] as number) | ((src[i + 1] as number) << 8)
    i += 2
    let matchLen = token & 15
    if (matchLen === 15) {
      let b: number
      do {
        b = src[i++] as number
        matchLen += b
      } while (b === 255)
    }
    matchLen += 4
    const from = out.length - offset
    if (offset === 0 || from < 0) throw new Error('lz4 match before the start of the output')
    if (independent && from < blockStart) throw new Error('lz4 match reaches into a previous block')
    for (let k = 0; k < matchLen; k++) out.push(out[from + k] as number)
  }
}
