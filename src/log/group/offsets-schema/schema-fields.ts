/**
 * Field encodings of Kafka's generated message schemas, as used by the `__consumer_offsets`
 * records, on top of the one binary `Writer`/`Reader` pair:
 *
 * ```
 * type      classic (non-flexible) version      flexible version (KIP-482)
 * string    int16 length, UTF-8 (−1 = null)     uvarint(length + 1), UTF-8 (0 = null)
 * bytes     int32 length                        uvarint(length + 1)
 * array     int32 count                         uvarint(count + 1)
 * struct    fields                              fields, then tagged fields:
 *                                               uvarint n, n × (uvarint tag, uvarint size, bytes)
 * ```
 *
 * Reads raise `LOG_CORRUPT_BATCH` (from the `Reader`) for truncated or malformed bytes.
 * Encoders validate values first (see `FieldProblems`) so that no `RangeError` escapes.
 */
import { MillraceError } from '../../errors.js'
import type { Reader } from '../../binary/reader.js'
import type { Writer } from '../../binary/writer.js'

const MAX_INT16_STRING_BYTES = 0x7fff
const INT32_MIN = -0x8000_0000
const INT32_MAX = 0x7fff_ffff

/** Collects every invalid field of an encode call, then throws them together. */
export class FieldProblems {
  private readonly problems: string[] = []

  int32(path: string, v: unknown): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
      this.problems.push(`${path} must be an int32`)
    }
  }

  /** int64 fields are numbers in memory: safe integers only. */
  int64(path: string, v: unknown): void {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.problems.push(`${path} must be a safe integer`)
  }

  string(path: string, v: unknown, nullable: boolean, flexible: boolean): void {
    if (v === null && nullable) return
    if (typeof v !== 'string') {
      this.problems.push(`${path} must be a ${nullable ? 'string or null' : 'string'}`)
    } else if (!flexible && Buffer.byteLength(v) > MAX_INT16_STRING_BYTES) {
      this.problems.push(`${path} must be at most ${MAX_INT16_STRING_BYTES} UTF-8 bytes`)
    }
  }

  bytes(path: string, v: unknown): void {
    if (!(v instanceof Uint8Array)) this.problems.push(`${path} must be a Uint8Array`)
  }

  version(path: string, v: unknown, min: number, max: number): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.problems.push(`${path} must be an integer in [${min}, ${max}]`)
    }
  }

  other(message: string): void {
    this.problems.push(message)
  }

  /** @throws `CONFIG_INVALID` naming every problem found, with `details.record`. */
  throwIfAny(record: string): void {
    if (this.problems.length === 0) return
    throw new MillraceError('CONFIG_INVALID', `invalid ${record}: ${this.problems.join('; ')}`, {
      details: { record, problems: this.problems.length },
    })
  }
}

export function writeString(w: Writer, s: string, flexible: boolean): void {
  const length = Buffer.byteLength(s)
  if (flexible) w.uvarint(length + 1)
  else w.int16(length)
  w.utf8(s)
}

export function writeNullableString(w: Writer, s: string | null, flexible: boolean): void {
  if (s !== null) writeString(w, s, flexible)
  else if (flexible) w.uvarint(0)
  else w.int16(-1)
}

export function writeBytes(w: Writer, b: Uint8Array, flexible: boolean): void {
  if (flexible) w.uvarint(b.length + 1)
  else w.int32(b.length)
  w.bytes(b)
}

export function writeArrayLength(w: Writer, count: number, flexible: boolean): void {
  if (flexible) w.uvarint(count + 1)
  else w.int32(count)
}

/** We write no tagged fields: an empty section. */
export function writeNoTaggedFields(w: Writer): void {
  w.uvarint(0)
}

export function readNullableString(r: Reader, flexible: boolean, field: string): string | null {
  const at = r.pos
  let length: number
  if (flexible) {
    length = r.uvarint() - 1
  } else {
    length = r.int16()
    if (length < -1) throw r.corrupt(`${field} has negative length ${length}`, at)
  }
  if (length === -1) return null
  return r.utf8(length)
}

export function readString(r: Reader, flexible: boolean, field: string): string {
  const at = r.pos
  const s = readNullableString(r, flexible, field)
  if (s === null) throw r.corrupt(`non-nullable ${field} is null`, at)
  return s
}

/** A copy: decoded records never alias the bytes they were read from. */
export function readBytes(r: Reader, flexible: boolean, field: string): Uint8Array {
  const at = r.pos
  const length = flexible ? r.uvarint() - 1 : r.int32()
  if (length < 0) throw r.corrupt(`non-nullable ${field} has length ${length}`, at)
  // new Uint8Array(view), not view.slice(): Buffer#slice is a view, not a copy.
  return new Uint8Array(r.view(length))
}

export function readArrayLength(r: Reader, flexible: boolean, field: string): number {
  const at = r.pos
  const count = flexible ? r.uvarint() - 1 : r.int32()
  if (count < 0) throw r.corrupt(`non-nullable ${field} has length ${count}`, at)
  // Every element takes at least one byte: a larger count is garbage, whatever follows.
  if (count > r.remaining) throw r.corrupt(`${field} claims ${count} elements in ${r.remaining} bytes`, at)
  return count
}

/** Skips a tagged-field section; none of our schemas' versions define tags, so all are unknown. */
export function skipTaggedFields(r: Reader): void {
  const count = r.uvarint()
  for (let i = 0; i < count; i++) {
    r.uvarint() // tag
    r.skip(r.uvarint())
  }
}

/** Decoding must consume the whole key or value: trailing bytes mean a garbled record. */
export function expectEnd(r: Reader): void {
  if (r.remaining !== 0) throw r.corrupt(`${r.remaining} trailing bytes`)
}
