/**
 * Lazy decoding of Kafka record batches v2. Header layout in `record-batch-v2.ts`, record layout
 * in `record.ts`:
 *
 * ```
 * batch  = [61-byte header][records region]      region compressed as one blob unless codec 0
 * region = record{recordsCount}                  nothing may follow the last record
 * record = [length varint][attributes int8][timestampDelta varlong][offsetDelta varint]
 *          [keyLength varint][key][valueLength varint][value][headersCount varint][headers]
 * ```
 *
 * A `RecordBatch` is a view over `(buf, pos, size)`: header getters read the bytes in place; the
 * records region is decompressed (once, synchronously) on first record access, then each record
 * becomes a `LogRecord` that holds integers and materialises key/value/headers only on access.
 *
 * Framing is validated while records are produced: offset deltas strictly increase from ≥ 0 and
 * stay ≤ lastOffsetDelta, each record's length matches what its fields used, the count equals
 * recordsCount and nothing trails the last record (Kafka `DefaultRecordBatch`, `LogValidator`).
 * Violations and truncation raise `LOG_CORRUPT_BATCH` with an absolute position (the byte for
 * uncompressed batches, the batch start for compressed ones), never a RangeError.
 */
import { MillraceError, logError, type LogError } from '../errors.js'
import { Reader, readInt16At, readInt32At, readInt64At } from '../binary/reader.js'
import { DEFAULT_MAX_DECOMPRESSED_BYTES, compressionTypeOfId, decompress } from './compression/index.js'
import { LogRecord } from './log-record.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  batchSizeAt,
  corruptAt,
  producerIdAt,
  validateBatchAt,
  type CompressionType,
  type TimestampType,
} from './record-batch-v2.js'

/**
 * Smallest encoded record: length, attributes, timestampDelta, offsetDelta, keyLength,
 * valueLength and headersCount of one byte each. Bounds recordsCount before anything is
 * allocated from it.
 */
const MIN_RECORD_BYTES = 7
/** The same record without its length prefix. */
const MIN_RECORD_BODY_BYTES = 6

export interface RecordBatchOptions {
  /** Batch size in bytes; default: read from the batch's length field (checked against `buf`). */
  sizeBytes?: number
  /** Added to positions in errors, e.g. the file position of `buf[0]`. Default 0. */
  positionBase?: number
  /** Cap on the decompressed records region; default 64 MiB. */
  maxDecompressedBytes?: number
}

/** What `forEachRecord` calls; `index` is the record's position in the batch. */
export type RecordVisitor = (record: LogRecord, index: number) => void

export class RecordBatch {
  /** The bytes holding this batch (not copied; the batch is only valid while they are). */
  readonly buf: Uint8Array
  /** Index of the batch's first byte in `buf`. */
  readonly pos: number
  /** Total size of the batch in bytes (batchLength + 12). */
  readonly sizeBytes: number
  /** Absolute position of the batch, for errors (`positionBase + pos`). */
  readonly position: number
  private readonly maxDecompressedBytes: number
  private region: Uint8Array | undefined
  private regionStart = 0
  private regionEnd = 0

  /**
   * A view of the batch at `pos` in `buf`. Checks only what is needed to read the header safely:
   * 61 bytes present, size within `buf`, magic 2. CRC is checked by `validate()`.
   * @throws LOG_CORRUPT_BATCH with the batch position.
   */
  constructor(buf: Uint8Array, pos = 0, options: RecordBatchOptions = {}) {
    this.buf = buf
    this.pos = pos
    this.position = (options.positionBase ?? 0) + pos
    this.maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
    const available = buf.length - pos
    if (!Number.isInteger(pos) || pos < 0 || available < BATCH_HEADER_BYTES) {
      throw corruptAt(this.position, `truncated batch header (${Math.max(0, available)} bytes)`)
    }
    const declared = batchSizeAt(buf, pos)
    const size = options.sizeBytes ?? declared
    if (size !== declared) throw corruptAt(this.position, `batch length ${declared} differs from the given size ${size}`)
    if (size < BATCH_HEADER_BYTES) throw corruptAt(this.position, `batch length ${size - LOG_OVERHEAD} below the header size`)
    if (size > available) throw corruptAt(this.position, `batch of ${size} bytes runs past the end (${available} bytes left)`)
    if (buf[pos + MAGIC_OFFSET] !== MAGIC_V2) throw corruptAt(this.position, `magic ${buf[pos + MAGIC_OFFSET]}, expected 2`)
    this.sizeBytes = size
  }

  /**
   * Checks the CRC-32C and header invariants (`validateBatchAt`). Records are checked as they are
   * decoded. Returns this batch.
   * @throws LOG_CORRUPT_BATCH with the batch position.
   */
  validate(): this {
    validateBatchAt(this.buf, this.pos, this.pos + this.sizeBytes, this.position - this.pos)
    return this
  }

  get baseOffset(): number {
    return this.int64(BASE_OFFSET_OFFSET, 'baseOffset')
  }

  /** baseOffset + lastOffsetDelta: the offset after which the next batch starts. */
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta
  }

  get lastOffsetDelta(): number {
    return readInt32At(this.buf, this.pos + LAST_OFFSET_DELTA_OFFSET)
  }

  get recordsCount(): number {
    return readInt32At(this.buf, this.pos + RECORDS_COUNT_OFFSET)
  }

  /** Timestamp of the first record (the delete horizon instead, when `hasDeleteHorizon`). */
  get baseTimestamp(): number {
    return this.int64(BASE_TIMESTAMP_OFFSET, 'baseTimestamp')
  }

  get maxTimestamp(): number {
    return this.int64(MAX_TIMESTAMP_OFFSET, 'maxTimestamp')
  }

  /** KIP-534 delete horizon (ms) when attribute bit 6 is set, else `undefined`. */
  get deleteHorizonMs(): number | undefined {
    return this.hasDeleteHorizon ? this.baseTimestamp : undefined
  }

  get attributes(): number {
    return readInt16At(this.buf, this.pos + ATTRIBUTES_OFFSET)
  }

  get timestampType(): TimestampType {
    return (this.attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 'log-append-time' : 'create-time'
  }

  /** @throws LOG_UNSUPPORTED_COMPRESSION for codec ids 5–7. */
  get compression(): CompressionType {
    return compressionTypeOfId(this.attributes & COMPRESSION_CODEC_MASK)
  }

  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_FLAG_MASK) !== 0
  }

  get isControl(): boolean {
    return (this.attributes & CONTROL_FLAG_MASK) !== 0
  }

  get hasDeleteHorizon(): boolean {
    return (this.attributes & DELETE_HORIZON_FLAG_MASK) !== 0
  }

  get producerId(): bigint {
    return producerIdAt(this.buf, this.pos)
  }

  get producerEpoch(): number {
    return readInt16At(this.buf, this.pos + PRODUCER_EPOCH_OFFSET)
  }

  get baseSequence(): number {
    return readInt32At(this.buf, this.pos + BASE_SEQUENCE_OFFSET)
  }

  get partitionLeaderEpoch(): number {
    return readInt32At(this.buf, this.pos + PARTITION_LEADER_EPOCH_OFFSET)
  }

  /** The batch's bytes as a view (no copy), e.g. to append or serve them verbatim. */
  bytes(): Uint8Array {
    return this.buf.subarray(this.pos, this.pos + this.sizeBytes)
  }

  /**
   * All records, decoded lazily (see `LogRecord`).
   * @throws LOG_CORRUPT_BATCH on any framing violation; LOG_UNSUPPORTED_COMPRESSION.
   */
  records(): LogRecord[] {
    const out = new Array<LogRecord>(this.checkedRecordsCount())
    this.scan(out, undefined)
    return out
  }

  /**
   * Calls `visit` for each record in order without building an array. Records before a framing
   * violation have been visited when the error is thrown.
   * @throws LOG_CORRUPT_BATCH, LOG_UNSUPPORTED_COMPRESSION as `records()`.
   */
  forEachRecord(visit: RecordVisitor): void {
    this.scan(undefined, visit)
  }

  /** The records region, decompressed on first call and kept. */
  private recordsRegion(): Uint8Array {
    if (this.region !== undefined) return this.region
    const start = this.pos + BATCH_HEADER_BYTES
    const end = this.pos + this.sizeBytes
    const codec = this.compression
    if (codec === 'none') {
      this.regionStart = start
      this.regionEnd = end
      this.region = this.buf
      return this.buf
    }
    let region: Uint8Array
    try {
      region = decompress(codec, this.buf.subarray(start, end), this.maxDecompressedBytes)
    } catch (err) {
      throw this.reraise(err, `${codec} records region`)
    }
    this.regionStart = 0
    this.regionEnd = region.length
    this.region = region
    return region
  }

  /** recordsCount, refused when the region cannot possibly hold that many records. */
  private checkedRecordsCount(): number {
    const count = this.recordsCount
    this.recordsRegion()
    if (count < 0 || count > (this.regionEnd - this.regionStart) / MIN_RECORD_BYTES) {
      throw corruptAt(this.position, `record count ${count} does not fit the records region`)
    }
    return count
  }

  private scan(out: LogRecord[] | undefined, visit: RecordVisitor | undefined): void {
    const count = this.checkedRecordsCount()
    const region = this.region as Uint8Array
    const compressed = region !== this.buf
    const baseOffset = this.baseOffset
    const lastOffsetDelta = this.lastOffsetDelta
    if (baseOffset + lastOffsetDelta > Number.MAX_SAFE_INTEGER) {
      throw corruptAt(this.position, 'last offset beyond 2^53 − 1')
    }
    const baseTimestamp = this.baseTimestamp
    const logAppendTime = this.timestampType === 'log-append-time' ? this.maxTimestamp : undefined
    const regionEnd = this.regionEnd
    // Uncompressed: positions in errors are absolute bytes of `buf`. Compressed: positions inside
    // the decompressed region mean nothing in a file, so errors are re-raised at the batch start.
    const r = new Reader(region, this.regionStart, regionEnd, compressed ? 0 : this.position - this.pos, 'record')
    let previousDelta = -1
    try {
      for (let i = 0; i < count; i++) {
        r.end = regionEnd
        const bodyBytes = r.varint()
        if (bodyBytes < MIN_RECORD_BODY_BYTES || bodyBytes > regionEnd - r.pos) {
          throw r.corrupt(`record length ${bodyBytes} invalid or past the records region`)
        }
        const bodyEnd = r.pos + bodyBytes
        // Reads of this record's fields cannot run into the next record.
        r.end = bodyEnd
        r.pos++ // attributes: unused in v2
        const timestampDelta = r.varlong()
        const offsetDelta = r.varint()
        if (offsetDelta <= previousDelta || offsetDelta > lastOffsetDelta) {
          throw r.corrupt(`offset delta ${offsetDelta} after ${previousDelta} (lastOffsetDelta ${lastOffsetDelta})`)
        }
        previousDelta = offsetDelta
        const keySize = r.varint()
        if (keySize < -1) throw r.corrupt(`key length ${keySize}`)
        const keyStart = r.pos
        if (keySize > 0) r.skip(keySize)
        const valueSize = r.varint()
        if (valueSize < -1) throw r.corrupt(`value length ${valueSize}`)
        const valueStart = r.pos
        if (valueSize > 0) r.skip(valueSize)
        const headerCount = r.varint()
        if (headerCount < 0) throw r.corrupt(`header count ${headerCount}`)
        for (let h = 0; h < headerCount; h++) {
          const headerKeySize = r.varint()
          if (headerKeySize < 0) throw r.corrupt(`header key length ${headerKeySize}`)
          r.skip(headerKeySize)
          const headerValueSize = r.varint()
          if (headerValueSize < -1) throw r.corrupt(`header value length ${headerValueSize}`)
          if (headerValueSize > 0) r.skip(headerValueSize)
        }
        if (r.pos !== bodyEnd) throw r.corrupt(`record length ${bodyBytes} but its fields end ${bodyEnd - r.pos} bytes early`)
        let timestampMs: number
        if (logAppendTime !== undefined) {
          timestampMs = logAppendTime
        } else {
          timestampMs = baseTimestamp + timestampDelta
          if (timestampMs > Number.MAX_SAFE_INTEGER || timestampMs < Number.MIN_SAFE_INTEGER) {
            throw r.corrupt('record timestamp outside the safe integer range')
          }
        }
        const record = new LogRecord(region, baseOffset + offsetDelta, timestampMs, keyStart, keySize, valueStart, valueSize)
        if (out !== undefined) out[i] = record
        else (visit as RecordVisitor)(record, i)
      }
      r.end = regionEnd
      if (r.pos !== regionEnd) throw r.corrupt(`${regionEnd - r.pos} bytes after the last of ${count} records`)
    } catch (err) {
      if (compressed) throw this.reraise(err, 'decompressed records')
      throw err
    }
  }

  private int64(at: number, field: string): number {
    const v = readInt64At(this.buf, this.pos + at)
    if (v === undefined) throw corruptAt(this.position, `${field} outside the safe integer range`)
    return v
  }

  /** Re-raises a codec or region error as LOG_CORRUPT_BATCH at this batch's position. */
  private reraise(err: unknown, what: string): unknown {
    if (!(err instanceof MillraceError) || err.code !== 'LOG_CORRUPT_BATCH') return err
    const reason = `${what}: ${String(err.details['reason'] ?? err.message)}`
    const inner = err.details['position']
    return logError(
      'LOG_CORRUPT_BATCH',
      `corrupt batch at position ${this.position}: ${reason}`,
      { position: this.position, reason, ...(inner === undefined ? {} : { decompressedPosition: inner }) },
      err,
    ) satisfies LogError
  }
}

export interface DecodeBatchesOptions {
  /** Stop without error at a trailing batch that is cut short (a torn tail); default false. */
  allowPartialTail?: boolean
  /** Check each batch's CRC-32C; default true. */
  verifyCrc?: boolean
  /** Added to positions in errors, e.g. the file position of `buf[0]`. Default 0. */
  positionBase?: number
  /** Cap on each batch's decompressed records region; default 64 MiB. */
  maxDecompressedBytes?: number
}

/**
 * Iterates the consecutive batches in `buf[start, end)`. Stops at `end`, or, with
 * `allowPartialTail`, at the first batch whose header or body is cut off by `end`.
 * Batches are views over `buf`; nothing is copied.
 * @throws LOG_CORRUPT_BATCH with the absolute position of the first bad batch.
 */
export function* iterateBatches(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  options: DecodeBatchesOptions = {},
): Generator<RecordBatch, void, undefined> {
  const positionBase = options.positionBase ?? 0
  const verifyCrc = options.verifyCrc ?? true
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) {
    throw corruptAt(positionBase + start, `invalid range [${start}, ${end}) of ${buf.length} bytes`)
  }
  const view = end === buf.length ? buf : buf.subarray(0, end)
  let pos = start
  while (pos < end) {
    const left = end - pos
    if (options.allowPartialTail === true) {
      if (left < LOG_OVERHEAD) return
      const size = batchSizeAt(view, pos)
      if (size > left) return
    }
    const batch = new RecordBatch(view, pos, {
      positionBase,
      maxDecompressedBytes: options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
    })
    if (verifyCrc) batch.validate()
    yield batch
    pos += batch.sizeBytes
  }
}

/** `iterateBatches` collected into an array. */
export function decodeBatches(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  options: DecodeBatchesOptions = {},
): RecordBatch[] {
  const batches: RecordBatch[] = []
  for (const batch of iterateBatches(buf, start, end, options)) batches.push(batch)
  return batches
}
