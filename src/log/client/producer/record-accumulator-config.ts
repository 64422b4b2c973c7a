/**
 * Configuration of the producer's {@link RecordAccumulator} (Kafka's `batch.size`, `linger.ms`,
 * `buffer.memory`, `max.block.ms`, `max.request.size`, `compression.type`), in camelCase with
 * units in the names.
 */
import { ConfigInvalidError, type ConfigProblem } from '../../topic-config.js'
import { BATCH_HEADER_BYTES, CompressionCodecId, type CompressionType } from '../../record/record-batch-v2.js'

export interface RecordAccumulatorConfig {
  /**
   * Kafka `batch.size`: a batch is closed (and becomes ready) once its uncompressed size reaches
   * this, or when the next record would pass it. A record larger than this still gets a batch of
   * its own. Default 16384.
   */
  readonly batchBytes: number
  /**
   * Kafka `linger.ms`: how long a batch waits for more records after its first one. Default 5,
   * which is both Kafka's default since 4.0 (KIP-1030; 0 before) and the value in issue 3.
   */
  readonly lingerMs: number
  /**
   * Kafka `buffer.memory`: bytes of records accepted but not yet acknowledged (or failed). When
   * full, appends wait. Default 32 MiB.
   */
  readonly bufferMemoryBytes: number
  /** Kafka `max.block.ms`: how long an append waits for buffer memory. Default 60000. */
  readonly maxBlockMs: number
  /**
   * Kafka `max.request.size`: an upper bound for one record (batch header included); larger
   * records are rejected before buffering. Also bounds `batchBytes`. Default 1 MiB.
   */
  readonly maxRequestBytes: number
  /** Kafka `compression.type`: codec of every batch. Default `'none'`. */
  readonly compression: CompressionType
}

export type RecordAccumulatorConfigInput = Partial<RecordAccumulatorConfig>

export const RECORD_ACCUMULATOR_DEFAULTS: RecordAccumulatorConfig = Object.freeze({
  batchBytes: 16_384,
  lingerMs: 5,
  bufferMemoryBytes: 32 * 1024 * 1024,
  maxBlockMs: 60_000,
  maxRequestBytes: 1024 * 1024,
  compression: 'none',
})

const INT32_MAX = 0x7fff_ffff
/** Timers take int32 delays (Node fires longer ones at once, with a warning). */
const MAX_DELAY_MS = INT32_MAX

type NumericField = Exclude<keyof RecordAccumulatorConfig, 'compression'>

/** Inclusive bounds per numeric field. */
const BOUNDS: Readonly<Record<NumericField, readonly [min: number, max: number]>> = Object.freeze({
  // The builder needs room for its header; batch sizes are int32 on the wire.
  batchBytes: [BATCH_HEADER_BYTES, INT32_MAX],
  lingerMs: [0, MAX_DELAY_MS],
  // Nothing smaller than one batch header can hold a record.
  bufferMemoryBytes: [BATCH_HEADER_BYTES, Number.MAX_SAFE_INTEGER],
  maxBlockMs: [0, MAX_DELAY_MS],
  maxRequestBytes: [BATCH_HEADER_BYTES, INT32_MAX],
})

/**
 * Merges `input` over {@link RECORD_ACCUMULATOR_DEFAULTS} (`undefined` values are ignored) and
 * validates everything at once.
 * @throws `CONFIG_INVALID` (a `ConfigInvalidError`) listing by field every unknown key,
 *   non-number, non-integer, out-of-range value, unknown codec, and `batchBytes` >
 *   `maxRequestBytes`.
 */
export function resolveRecordAccumulatorConfig(input: RecordAccumulatorConfigInput = {}): RecordAccumulatorConfig {
  const problems: ConfigProblem[] = []
  const merged: Record<string, unknown> = { ...RECORD_ACCUMULATOR_DEFAULTS }
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(RECORD_ACCUMULATOR_DEFAULTS, name)) {
      problems.push({ path: name, reason: 'unknown-key', message: `${name.slice(0, 64)} is not a record accumulator option` })
    } else if (value !== undefined) {
      merged[name] = value
    }
  }

  let numbersValid = true
  for (const field of Object.keys(BOUNDS) as NumericField[]) {
    const value = merged[field]
    const [min, max] = BOUNDS[field]
    if (typeof value !== 'number' || Number.isNaN(value)) {
      problems.push({ path: field, reason: 'not-number', message: `${field} must be a number` })
    } else if (!Number.isInteger(value)) {
      problems.push({ path: field, reason: 'not-integer', message: `${field} must be an integer` })
    } else if (value < min || value > max) {
      problems.push({ path: field, reason: 'out-of-range', message: `${field} must be in [${min}, ${max}]` })
    } else {
      continue
    }
    numbersValid = false
  }

  const compression = merged['compression']
  if (typeof compression !== 'string' || !Object.hasOwn(CompressionCodecId, compression)) {
    problems.push({
      path: 'compression',
      reason: 'invalid-enum',
      message: `compression must be one of ${Object.keys(CompressionCodecId).join(', ')}`,
    })
  }

  // A batch may grow to batchBytes, and a batch must fit in one request.
  if (numbersValid && (merged['batchBytes'] as number) > (merged['maxRequestBytes'] as number)) {
    problems.push({ path: 'batchBytes', reason: 'conflict', message: 'batchBytes must not exceed maxRequestBytes' })
  }

  if (problems.length > 0) throw new ConfigInvalidError('record accumulator', problems)
  return Object.freeze(merged) as unknown as RecordAccumulatorConfig
}
