/**
 * Encodes records into one Kafka record batch v2 (header layout in `record-batch-v2.ts`, record
 * layout in `record.ts`):
 *
 * ```
 * [61-byte header][record 0][record 1]…          codec none
 * [61-byte header][compress(record 0 … record n)] any other codec; recordsCount stays plain
 * ```
 *
 * Records are written straight into one growing buffer as they are appended: sizes are computed
 * first (so the length prefix needs no back-patching), varints go directly into the buffer and
 * keys/values are copied with `TypedArray.set`. No per-record object, array or closure is
 * created, which is what lets the producer append several million records per second.
 * The header is filled in by `build()`, which also compresses the records region and stamps
 * the CRC-32C.
 *
 * One builder per batch, used by one writer; it is not reusable after `build()`.
 */
import { MillraceError, logError } from '../errors.js'
import { sizeOfVarint, sizeOfVarlong, writeInt64At, writeZigZag32, writeZigZag64 } from '../binary/writer.js'
import { compress, compressionIdOf } from './compression/index.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CONTROL_FLAG_MASK,
  CompressionCodecId,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  stampBatchCrc,
  type CompressionType,
  type TimestampType,
} from './record-batch-v2.js'
import type { RecordHeader, RecordInput } from './record.js'

export interface RecordBatchBuilderOptions {
  /** Codec of the records region; default `'none'`. */
  compression?: CompressionType
  /** Default `'create-time'`. With `'log-append-time'` callers pass the append time as every record's timestamp. */
  timestampType?: TimestampType
  /** −1n (default) when the producer is not idempotent. */
  producerId?: bigint
  /** int16; −1 (default) when not idempotent. */
  producerEpoch?: number
  /** int32 sequence of the first record; −1 (default) when not idempotent. */
  baseSequence?: number
  /** Default false. */
  isTransactional?: boolean
  /** Transaction markers only (see `encodeControlBatch`); default false. */
  isControl?: boolean
  /** Producers send 0 (default); the partition log overwrites it on append. */
  baseOffset?: number
  /** Producers send −1 (default); the partition log stamps it on append. */
  partitionLeaderEpoch?: number
  /**
   * Soft limit used by `hasRoomFor` (uncompressed bytes, header included). `append` never refuses
   * a record: the first record of a batch is always accepted, as in Kafka. Default 16 KiB, which
   * is also the largest initial buffer (it grows by doubling).
   */
  maxBatchBytes?: number
}

export const RECORD_BATCH_BUILDER_DEFAULTS: Readonly<Required<RecordBatchBuilderOptions>> = Object.freeze({
  compression: 'none',
  timestampType: 'create-time',
  producerId: -1n,
  producerEpoch: -1,
  baseSequence: -1,
  isTransactional: false,
  isControl: false,
  baseOffset: 0,
  partitionLeaderEpoch: -1,
  maxBatchBytes: 16 * 1024,
})

const INT16_MIN = -0x8000
const INT16_MAX = 0x7fff
const INT32_MIN = -0x8000_0000
const INT32_MAX = 0x7fff_ffff
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
/** Bytes a varlong timestamp delta may take; `hasRoomFor` does not know the timestamp yet. */
const MAX_VARLONG_BYTES = 10
/**
 * Largest |timestamp delta| we encode: `writeZigZag64` is exact while 2·|delta| < 2^53. Real
 * deltas within a batch are milliseconds to minutes.
 */
const MAX_TIMESTAMP_DELTA_MS = 2 ** 52 - 1

/**
 * Builders take their buffers from a shared slab rather than one `Buffer.allocUnsafe` per batch:
 * a fresh 16 KiB ArrayBuffer costs ~2 µs plus GC work, ~15% of the whole append path at 145
 * records per batch. As with Node's own Buffer pool, a batch view keeps its slab alive; the slab
 * is small enough (16 batches) for that to be harmless, and larger buffers are not pooled.
 */
const SLAB_BYTES = 256 * 1024
const MAX_SLAB_CARVE_BYTES = 32 * 1024
let slab: Buffer = Buffer.alloc(0)
let slabUsed = 0

function carveBuffer(size: number): Buffer {
  if (size > MAX_SLAB_CARVE_BYTES) return Buffer.allocUnsafe(size)
  if (slab.length - slabUsed < size) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    slabUsed = 0
  }
  const buf = slab.subarray(slabUsed, slabUsed + size)
  slabUsed = alignTo8(slabUsed + size)
  return buf
}

/** Gives back the unused tail of `buf` when it is the slab's most recent carve. */
function returnUnusedTail(buf: Buffer, usedBytes: number): void {
  if (buf.buffer === slab.buffer && alignTo8(buf.byteOffset - slab.byteOffset + buf.length) === slabUsed) {
    slabUsed = alignTo8(buf.byteOffset - slab.byteOffset + usedBytes)
  }
}

function alignTo8(n: number): number {
  return (n + 7) & ~7
}

export class RecordBatchBuilder {
  private readonly options: Readonly<Required<RecordBatchBuilderOptions>>
  private buf: Buffer
  private pos = BATCH_HEADER_BYTES
  private count = 0
  private baseTimestampMs = -1
  private maxTimestampMs = -1
  private built = false
  /** The options' `baseSequence` until {@link setBaseSequence} changes it. */
  private baseSequence: number
  /** UTF-8 sizes of the current record's header keys, reused across appends. */
  private readonly headerKeyBytes: number[] = []

  /** @throws CONFIG_INVALID listing every invalid option. */
  constructor(options: RecordBatchBuilderOptions = {}) {
    this.options = resolveBuilderOptions(options)
    this.baseSequence = this.options.baseSequence
    // Start at most at the default batch size: a 1 MiB limit should not cost 1 MiB per open batch.
    this.buf = carveBuffer(
      Math.max(BATCH_HEADER_BYTES, Math.min(this.options.maxBatchBytes, RECORD_BATCH_BUILDER_DEFAULTS.maxBatchBytes)),
    )
  }

  /** Records appended so far. */
  get recordCount(): number {
    return this.count
  }

  /** Size of the batch if built now without compression (header included). */
  get sizeBytes(): number {
    return this.pos
  }

  /**
   * Upper bound of the bytes one record adds to this builder's batch (uncompressed).
   * `keyBytes`/`valueBytes` are lengths, −1 for null.
   */
  estimateRecordBytes(keyBytes: number, valueBytes: number, headers?: readonly RecordHeader[]): number {
    const hc = headers === undefined ? 0 : headers.length
    let body =
      1 +
      MAX_VARLONG_BYTES +
      sizeOfVarint(this.count) +
      sizeOfVarint(keyBytes) +
      (keyBytes > 0 ? keyBytes : 0) +
      sizeOfVarint(valueBytes) +
      (valueBytes > 0 ? valueBytes : 0) +
      sizeOfVarint(hc)
    for (let i = 0; i < hc; i++) {
      const h = (headers as readonly RecordHeader[])[i] as RecordHeader
      const kb = Buffer.byteLength(h.key, 'utf8')
      const vb = h.value === null ? -1 : h.value.length
      body += sizeOfVarint(kb) + kb + sizeOfVarint(vb) + (vb > 0 ? vb : 0)
    }
    return sizeOfVarint(body) + body
  }

  /**
   * True when a record of these sizes (−1 for null) keeps the batch within `maxBatchBytes`, or
   * when the batch is still empty (a batch always takes its first record, as in Kafka).
   */
  hasRoomFor(keyBytes: number, valueBytes: number, headers?: readonly RecordHeader[]): boolean {
    if (this.built) return false
    if (this.count === 0) return true
    return this.pos + this.estimateRecordBytes(keyBytes, valueBytes, headers) <= this.options.maxBatchBytes
  }

  /**
   * `hasRoomFor` with the record's size already estimated (an upper bound from
   * `estimateRecordBytes` plus slack for a longer offset delta), for callers that need the
   * estimate anyway.
   */
  hasRoomForBytes(recordBytes: number): boolean {
    if (this.built) return false
    if (this.count === 0) return true
    return this.pos + recordBytes <= this.options.maxBatchBytes
  }

  /**
   * Appends `record` with timestamp `timestampMs` (the record's own `timestampMs` is ignored here:
   * the caller resolves it, e.g. `record.timestampMs ?? clock.nowMs()`). Offset deltas are
   * assigned 0, 1, 2, … Returns the record's offset delta. Copies the record's bytes; never
   * mutates or keeps `record`.
   * @throws LOG_INVALID_RECORD when the timestamp is not an integer or too far from the first.
   * @throws LOG_CLOSED after `build()`.
   */
  append(record: RecordInput, timestampMs: number): number {
    if (this.built) throw logError('LOG_CLOSED', 'record batch builder already built')
    const count = this.count
    const baseTimestampMs = count === 0 ? timestampMs : this.baseTimestampMs
    const timestampDelta = timestampMs - baseTimestampMs
    if (
      !Number.isInteger(timestampMs) ||
      timestampDelta > MAX_TIMESTAMP_DELTA_MS ||
      timestampDelta < -MAX_TIMESTAMP_DELTA_MS
    ) {
      throw logError('LOG_INVALID_RECORD', `invalid record timestamp ${timestampMs}`, { timestampMs })
    }
    const key = record.key
    const value = record.value
    const headers = record.headers
    const keySize = key === null || key === undefined ? -1 : key.length
    const valueSize = value === null || value === undefined ? -1 : value.length
    const headerCount = headers === undefined ? 0 : headers.length

    let bodyBytes =
      1 +
      sizeOfVarlong(timestampDelta) +
      sizeOfVarint(count) +
      sizeOfVarint(keySize) +
      (keySize > 0 ? keySize : 0) +
      sizeOfVarint(valueSize) +
      (valueSize > 0 ? valueSize : 0) +
      sizeOfVarint(headerCount)
    if (headerCount > 0) bodyBytes += this.sizeHeaders(headers as RecordHeader[])
    const recordBytes = sizeOfVarint(bodyBytes) + bodyBytes
    if (this.pos + recordBytes > this.buf.length) this.grow(recordBytes)

    const buf = this.buf
    let pos = writeZigZag32(buf, this.pos, bodyBytes)
    buf[pos++] = 0 // record attributes: unused in v2
    pos = writeZigZag64(buf, pos, timestampDelta)
    pos = writeZigZag32(buf, pos, count)
    pos = writeZigZag32(buf, pos, keySize)
    if (keySize > 0) {
      buf.set(key as Uint8Array, pos)
      pos += keySize
    }
    pos = writeZigZag32(buf, pos, valueSize)
    if (valueSize > 0) {
      buf.set(value as Uint8Array, pos)
      pos += valueSize
    }
    pos = writeZigZag32(buf, pos, headerCount)
    if (headerCount > 0) pos = this.writeHeaders(headers as RecordHeader[], pos)

    this.pos = pos
    this.count = count + 1
    if (count === 0) {
      this.baseTimestampMs = timestampMs
      this.maxTimestampMs = timestampMs
    } else if (timestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = timestampMs
    }
    return count
  }

  /**
   * Sets the batch's base sequence before `build()`: an idempotent producer numbers a batch when
   * it is sent, not when it is opened, so a batch that failed before reaching the log gives its
   * sequence numbers back.
   * @throws LOG_INVALID_RECORD for a value outside [−1, 2^31 − 1]; LOG_CLOSED after `build()`.
   */
  setBaseSequence(sequence: number): void {
    if (this.built) throw logError('LOG_CLOSED', 'record batch builder already built')
    if (!Number.isInteger(sequence) || sequence < -1 || sequence > INT32_MAX) {
      throw logError('LOG_INVALID_RECORD', `base sequence ${sequence} is outside [-1, 2^31 - 1]`, { sequence })
    }
    this.baseSequence = sequence
  }

  /**
   * Finishes the batch: fills the header, compresses the records region when a codec is set,
   * stamps the CRC-32C. The builder is spent afterwards. The returned Buffer is owned by the caller.
   * @throws LOG_INVALID_RECORD when no record was appended (Kafka never writes empty producer batches),
   *   or the last offset would pass 2^53 − 1.
   * @throws LOG_UNSUPPORTED_COMPRESSION when the codec has no backend here.
   * @throws LOG_CLOSED when called twice.
   */
  build(): Buffer {
    if (this.built) throw logError('LOG_CLOSED', 'record batch builder already built')
    if (this.count === 0) throw logError('LOG_INVALID_RECORD', 'cannot build a record batch without records')
    if (this.options.baseOffset + this.count - 1 > Number.MAX_SAFE_INTEGER) {
      throw logError('LOG_INVALID_RECORD', 'last offset of the batch beyond 2^53 − 1', { baseOffset: this.options.baseOffset })
    }
    this.built = true
    const opts = this.options
    let out: Buffer
    if (opts.compression === 'none') {
      // Hand out the buffer itself unless most of it is unused slack that would stay pinned.
      out = this.pos * 2 >= this.buf.length ? this.buf.subarray(0, this.pos) : Buffer.from(this.buf.subarray(0, this.pos))
      returnUnusedTail(this.buf, out.buffer === this.buf.buffer ? this.pos : 0)
    } else {
      const compressed = compress(opts.compression, this.buf.subarray(BATCH_HEADER_BYTES, this.pos))
      returnUnusedTail(this.buf, 0)
      out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + compressed.length)
      out.set(compressed, BATCH_HEADER_BYTES)
    }
    let attributes = compressionIdOf(opts.compression)
    if (opts.timestampType === 'log-append-time') attributes |= TIMESTAMP_TYPE_MASK
    if (opts.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK
    if (opts.isControl) attributes |= CONTROL_FLAG_MASK

    writeInt64At(out, BASE_OFFSET_OFFSET, opts.baseOffset)
    out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
    out.writeInt32BE(opts.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
    out[MAGIC_OFFSET] = MAGIC_V2
    out.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
    out.writeInt32BE(this.count - 1, LAST_OFFSET_DELTA_OFFSET)
    writeInt64At(out, BASE_TIMESTAMP_OFFSET, this.baseTimestampMs)
    writeInt64At(out, MAX_TIMESTAMP_OFFSET, this.maxTimestampMs)
    writeInt64At(out, PRODUCER_ID_OFFSET, opts.producerId)
    out.writeInt16BE(opts.producerEpoch, PRODUCER_EPOCH_OFFSET)
    out.writeInt32BE(this.baseSequence, BASE_SEQUENCE_OFFSET)
    out.writeInt32BE(this.count, RECORDS_COUNT_OFFSET)
    stampBatchCrc(out, 0, out.length)
    return out
  }

  private grow(recordBytes: number): void {
    let size = this.buf.length * 2
    while (size < this.pos + recordBytes) size *= 2
    const next = carveBuffer(size)
    next.set(this.buf.subarray(0, this.pos), 0)
    this.buf = next
  }

  /** Encoded size of `headers`; remembers each key's UTF-8 size for `writeHeaders`. */
  private sizeHeaders(headers: readonly RecordHeader[]): number {
    const keyBytes = this.headerKeyBytes
    let total = 0
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i] as RecordHeader
      const kb = Buffer.byteLength(h.key, 'utf8')
      keyBytes[i] = kb
      const vb = h.value === null || h.value === undefined ? -1 : h.value.length
      total += sizeOfVarint(kb) + kb + sizeOfVarint(vb) + (vb > 0 ? vb : 0)
    }
    return total
  }

  private writeHeaders(headers: readonly RecordHeader[], start: number): number {
    const buf = this.buf
    let pos = start
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i] as RecordHeader
      const kb = this.headerKeyBytes[i] as number
      pos = writeZigZag32(buf, pos, kb)
      if (kb > 0) pos += buf.write(h.key, pos, kb, 'utf8')
      const v = h.value
      if (v === null || v === undefined) {
        pos = writeZigZag32(buf, pos, -1)
      } else {
        pos = writeZigZag32(buf, pos, v.length)
        buf.set(v, pos)
        pos += v.length
      }
    }
    return pos
  }
}

/**
 * Encodes `records` into one batch. A record without `timestampMs` gets `nowMs` (time comes from
 * the caller's clock, never from here). Inputs are not mutated.
 * @throws LOG_INVALID_RECORD when `records` is empty, or a record has no timestamp and `nowMs` is absent.
 * @throws CONFIG_INVALID, LOG_UNSUPPORTED_COMPRESSION as `RecordBatchBuilder`.
 */
export function encodeRecordBatch(
  records: readonly RecordInput[],
  options: RecordBatchBuilderOptions & { nowMs?: number } = {},
): Buffer {
  const { nowMs, ...builderOptions } = options
  const builder = new RecordBatchBuilder(builderOptions)
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as RecordInput
    const timestampMs = record.timestampMs ?? nowMs
    if (timestampMs === undefined) {
      throw logError('LOG_INVALID_RECORD', `record ${i} has no timestamp and no nowMs was given`, { index: i })
    }
    builder.append(record, timestampMs)
  }
  return builder.build()
}

function resolveBuilderOptions(input: RecordBatchBuilderOptions): Readonly<Required<RecordBatchBuilderOptions>> {
  const merged: Required<RecordBatchBuilderOptions> = { ...RECORD_BATCH_BUILDER_DEFAULTS }
  for (const [name, value] of Object.entries(input) as [keyof RecordBatchBuilderOptions, unknown][]) {
    if (value !== undefined) (merged as Record<string, unknown>)[name] = value
  }
  const problems: string[] = []
  const intIn = (name: keyof RecordBatchBuilderOptions, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`${name}: expected an integer in [${min}, ${max}]`)
  }
  if (!Object.hasOwn(CompressionCodecId, merged.compression)) problems.push('compression: unknown codec')
  if (merged.timestampType !== 'create-time' && merged.timestampType !== 'log-append-time') {
    problems.push("timestampType: expected 'create-time' or 'log-append-time'")
  }
  if (typeof merged.producerId !== 'bigint' || merged.producerId < INT64_MIN || merged.producerId > INT64_MAX) {
    problems.push('producerId: expected an int64 bigint')
  }
  intIn('producerEpoch', merged.producerEpoch, INT16_MIN, INT16_MAX)
  intIn('baseSequence', merged.baseSequence, INT32_MIN, INT32_MAX)
  intIn('baseOffset', merged.baseOffset, 0, Number.MAX_SAFE_INTEGER)
  intIn('partitionLeaderEpoch', merged.partitionLeaderEpoch, INT32_MIN, INT32_MAX)
  intIn('maxBatchBytes', merged.maxBatchBytes, BATCH_HEADER_BYTES, INT32_MAX)
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(RECORD_BATCH_BUILDER_DEFAULTS, name)) problems.push(`${name}: unknown option`)
  }
  if (problems.length > 0) {
    throw new MillraceError('CONFIG_INVALID', `invalid record batch builder options: ${problems.join('; ')}`, {
      details: { problems: problems.join('; ') },
    })
  }
  return Object.freeze(merged)
}
