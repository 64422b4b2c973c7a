/**
 * The one binary writer of Millrace: big-endian fixed-width integers, zigzag varints (Kafka
 * record fields), unsigned varints (compact lengths of flexible protocol versions), raw bytes.
 * It grows its buffer by doubling; `finish()` returns a view of what was written (no copy).
 *
 * Offsets and timestamps are `number` in memory; int64 fields accept numbers up to 2^53 − 1 or
 * bigints (producer ids).
 */
export class Writer {
  private buf: Buffer
  private pos: number

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes))
    this.pos = 0
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n
    if (need <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < need) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  /** Skips `n` bytes (to be patched later with the `set…At` methods); returns their position. */
  reserve(n: number): number {
    this.ensure(n)
    const at = this.pos
    this.pos += n
    return at
  }

  int8(v: number): this {
    this.ensure(1)
    this.buf[this.pos++] = v & 0xff
    return this
  }

  int16(v: number): this {
    this.ensure(2)
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
    return this
  }

  int32(v: number): this {
    this.ensure(4)
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
    return this
  }

  uint32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32BE(v >>> 0, this.pos)
    this.pos += 4
    return this
  }

  /** int64 from a safe integer number or a bigint. */
  int64(v: number | bigint): this {
    this.ensure(8)
    writeInt64At(this.buf, this.pos, v)
    this.pos += 8
    return this
  }

  /** Zigzag varint of a 32-bit signed integer (Kafka `varint`). */
  varint(v: number): this {
    this.ensure(5)
    this.pos = writeZigZag32(this.buf, this.pos, v)
    return this
  }

  /** Zigzag varint of a 64-bit signed integer held in a safe-integer number (Kafka `varlong`). */
  varlong(v: number): this {
    this.ensure(10)
    this.pos = writeZigZag64(this.buf, this.pos, v)
    return this
  }

  /** Unsigned varint (protocol compact lengths). */
  uvarint(v: number): this {
    this.ensure(10)
    this.pos = writeUnsignedVarint(this.buf, this.pos, v)
    return this
  }

  bytes(src: Uint8Array): this {
    this.ensure(src.length)
    this.buf.set(src, this.pos)
    this.pos += src.length
    return this
  }

  /** UTF-8 string without a length prefix. */
  utf8(s: string): this {
    this.ensure(Buffer.byteLength(s))
    this.pos += this.buf.write(s, this.pos, 'utf8')
    return this
  }

  setInt32At(at: number, v: number): void {
    this.buf.writeInt32BE(v, at)
  }

  setUint32At(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at)
  }

  setInt64At(at: number, v: number | bigint): void {
    writeInt64At(this.buf, at, v)
  }

  /** A view of the written bytes; the writer must not be used afterwards. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos)
  }

  /** A view of bytes `[from, to)` written so far (still owned by the writer). */
  view(from = 0, to = this.pos): Buffer {
    return this.buf.subarray(from, to)
  }
}

const TWO_32 = 0x1_0000_0000

/** Writes an int64 big-endian from a safe integer or bigint without allocating for numbers. */
export function writeInt64At(buf: Uint8Array, at: number, v: number | bigint): void {
  let hi: number
  let lo: number
  if (typeof v === 'bigint') {
    hi = Number((v >> 32n) & 0xffffffffn) | 0
    lo = Number(v & 0xffffffffn) >>> 0
  } else {
    lo = v >>> 0 // low 32 bits of the two's complement value
    hi = Math.floor(v / TWO_32) | 0
  }
  buf[at] = hi >>> 24
  buf[at + 1] = (hi >>> 16) & 0xff
  buf[at + 2] = (hi >>> 8) & 0xff
  buf[at + 3] = hi & 0xff
  buf[at + 4] = lo >>> 24
  buf[at + 5] = (lo >>> 16) & 0xff
  buf[at + 6] = (lo >>> 8) & 0xff
  buf[at + 7] = lo & 0xff
}

export function writeZigZag32(buf: Uint8Array, pos: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80
    u >>>= 7
  }
  buf[pos++] = u
  return pos
}

export function writeZigZag64(buf: Uint8Array, pos: number, v: number): number {
  // zigzag on doubles: 2n for n ≥ 0, −2n − 1 for n < 0 (exact below 2^52).
  let u = v >= 0 ? v * 2 : -v * 2 - 1
  while (u >= 0x80) {
    buf[pos++] = (u % 0x80) | 0x80
    u = Math.floor(u / 0x80)
  }
  buf[pos++] = u
  return pos
}

export function writeUnsignedVarint(buf: Uint8Array, pos: number, v: number): number {
  let u = v
  while (u >= 0x80) {
    buf[pos++] = (u % 0x80) | 0x80
    u = Math.floor(u / 0x80)
  }
  buf[pos++] = u
  return pos
}

/** Bytes a zigzag varint of `v` (int32) takes. */
export function sizeOfVarint(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0
  let n = 1
  while (u >= 0x80) {
    u >>>= 7
    n++
  }
  return n
}

/** Bytes a zigzag varlong of `v` takes. */
export function sizeOfVarlong(v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1
  let n = 1
  while (u >= 0x80) {
    u = Math.floor(u / 0x80)
    n++
  }
  return n
}
