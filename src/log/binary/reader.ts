import { logError, type LogError } from '../errors.js'

const TWO_32 = 0x1_0000_0000
const MAX_SAFE_HI = 0x1f_ffff // high word of 2^53 − 1

/**
 * The one binary reader of Millrace, over `[start, end)` of a byte array. Every read is bounds
 * checked: truncated or malformed input raises `LOG_CORRUPT_BATCH` with the absolute position
 * (`positionBase` + index), never a raw `RangeError`.
 *
 * `positionBase` lets a reader over a slice of a segment report file positions.
 */
export class Reader {
  readonly buf: Uint8Array
  pos: number
  end: number
  positionBase: number
  /** What is being read, for error messages (`batch`, `record`, file name, …). */
  context: string

  constructor(buf: Uint8Array, start = 0, end = buf.length, positionBase = 0, context = 'batch') {
    this.buf = buf
    this.pos = start
    this.end = end
    this.positionBase = positionBase
    this.context = context
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** A `LOG_CORRUPT_BATCH` error at the current (or given) position. */
  corrupt(reason: string, at = this.pos): LogError {
    return logError('LOG_CORRUPT_BATCH', `corrupt ${this.context} at position ${this.positionBase + at}: ${reason}`, {
      position: this.positionBase + at,
      reason,
    })
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw this.corrupt(`needs ${n} bytes, ${this.end - this.pos} left`)
  }

  skip(n: number): void {
    this.need(n)
    this.pos += n
  }

  int8(): number {
    this.need(1)
    const b = this.buf[this.pos++] as number
    return (b << 24) >> 24
  }

  uint8(): number {
    this.need(1)
    return this.buf[this.pos++] as number
  }

  int16(): number {
    this.need(2)
    const b = this.buf
    const v = ((b[this.pos] as number) << 8) | (b[this.pos + 1] as number)
    this.pos += 2
    return (v << 16) >> 16
  }

  int32(): number {
    this.need(4)
    const v = readInt32At(this.buf, this.pos)
    this.pos += 4
    return v
  }

  uint32(): number {
    return this.int32() >>> 0
  }

  /** int64 as a number; values beyond ±(2^53 − 1) raise `LOG_CORRUPT_BATCH`. */
  int64(): number {
    this.need(8)
    const at = this.pos
    const v = readInt64At(this.buf, at)
    if (v === undefined) throw this.corrupt('int64 outside the safe integer range', at)
    this.pos += 8
    return v
  }

  /** int64 as a bigint (producer ids). */
  bigInt64(): bigint {
    this.need(8)
    const v = readBigInt64At(this.buf, this.pos)
    this.pos += 8
    return v
  }

  /** Zigzag varint (Kafka `varint`, int32). */
  varint(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    let u = 0
    let shift = 0
    for (;;) {
      if (pos >= end) throw this.corrupt('truncated varint')
      const b = buf[pos++] as number
      if (shift === 28) {
        if (b > 0x0f) throw this.corrupt('varint longer than 5 bytes')
        u |= b << 28
        break
      }
      u |= (b & 0x7f) << shift
      if (b < 0x80) break
      shift += 7
    }
    this.pos = pos
    return (u >>> 1) ^ -(u & 1)
  }

  /** Zigzag varlong (Kafka `varlong`) as a number; beyond 2^53 raises `LOG_CORRUPT_BATCH`. */
  varlong(): number {
    const u = this.uvarint()
    // zigzag decode in double arithmetic: even → u/2, odd → −(u+1)/2
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2
  }

  /** Unsigned varint up to 2^53 − 1. */
  uvarint(): number {
    const buf = this.buf
    let pos = this.pos
    let value = 0
    let mul = 1
    for (let i = 0; ; i++) {
      if (pos >= this.end) throw this.corrupt('truncated varint')
      if (i === 8) throw this.corrupt('varint longer than 8 bytes')
      const b = buf[pos++] as number
      value += (b & 0x7f) * mul
      if (b < 0x80) break
      mul *= 0x80
    }
    this.pos = pos
    return value
  }

  /** A view of the next `n` bytes (no copy). */
  view(n: number): Uint8Array {
    this.need(n)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }

  /** UTF-8 string of `n` bytes. */
  utf8(n: number): string {
    this.need(n)
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n).toString('utf8')
    this.pos += n
    return s
  }
}

export function readInt32At(buf: Uint8Array, at: number): number {
  return (
    ((buf[at] as number) << 24) |
    ((buf[at + 1] as number) << 16) |
    ((buf[at + 2] as number) << 8) |
    (buf[at + 3] as number)
  )
}

export function readUint32At(buf: Uint8Array, at: number): number {
  return readInt32At(buf, at) >>> 0
}

export function readInt16At(buf: Uint8Array, at: number): number {
  return ((((buf[at] as number) << 8) | (buf[at + 1] as number)) << 16) >> 16
}

/** int64 at `at` as a number, or `undefined` when outside the safe integer range. */
export function readInt64At(buf: Uint8Array, at: number): number | undefined {
  const hi = readInt32At(buf, at)
  const lo = readUint32At(buf, at + 4)
  if (hi > MAX_SAFE_HI || hi < -MAX_SAFE_HI - 1) return undefined
  if (hi === -MAX_SAFE_HI - 1 && lo === 0) return undefined // −2^53 itself is not safe
  return hi * TWO_32 + lo
}

export function readBigInt64At(buf: Uint8Array, at: number): bigint {
  const hi = readInt32At(buf, at)
  const lo = readUint32At(buf, at + 4)
  return (BigInt(hi) << 32n) | BigInt(lo)
}
