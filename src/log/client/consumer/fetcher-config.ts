/**
 * Configuration of the consumer's {@link Fetcher} (Kafka's `max.partition.fetch.bytes`,
 * `fetch.max.bytes`, `max.poll.records`, `check.crcs`), in camelCase with units in the names.
 */
import { ConfigInvalidError, type ConfigProblem } from '../../topic-config.js'

export interface FetcherConfig {
  /**
   * Kafka `max.partition.fetch.bytes`: the most bytes read from one partition at a time, and so
   * the most the fetcher buffers per partition — except a single batch larger than this, which is
   * returned whole (as Kafka does) so a consumer can always make progress. Default 1 MiB.
   */
  readonly maxPartitionFetchBytes: number
  /**
   * Kafka `fetch.max.bytes`: the most bytes read across all partitions in one poll (the first
   * read of a poll always returns at least one batch). Default 50 MiB.
   */
  readonly fetchMaxBytes: number
  /** Kafka `max.poll.records`: the most records one `poll` returns. Default 500. */
  readonly maxPollRecords: number
  /**
   * Kafka `check.crcs`: verify each batch's CRC-32C before its records are returned. Default true;
   * off saves ~one pass over the bytes but lets silent disk corruption through.
   */
  readonly checkCrcs: boolean
}

export type FetcherConfigInput = Partial<FetcherConfig>

export const FETCHER_DEFAULTS: FetcherConfig = Object.freeze({
  maxPartitionFetchBytes: 1024 * 1024,
  fetchMaxBytes: 50 * 1024 * 1024,
  maxPollRecords: 500,
  checkCrcs: true,
})

/** Sizes and counts are int32 on the wire. */
const INT32_MAX = 0x7fff_ffff

type NumericField = Exclude<keyof FetcherConfig, 'checkCrcs'>

/** Inclusive bounds per numeric field. */
const BOUNDS: Readonly<Record<NumericField, readonly [min: number, max: number]>> = Object.freeze({
  maxPartitionFetchBytes: [1, INT32_MAX],
  fetchMaxBytes: [1, INT32_MAX],
  maxPollRecords: [1, INT32_MAX],
})

/**
 * Merges `input` over {@link FETCHER_DEFAULTS} (`undefined` values are ignored) and validates
 * everything at once.
 * @throws `CONFIG_INVALID` (a `ConfigInvalidError`) listing by field every unknown key,
 *   non-number, non-integer, out-of-range value and non-boolean `checkCrcs`.
 */
export function resolveFetcherConfig(input: FetcherConfigInput = {}): FetcherConfig {
  const problems: ConfigProblem[] = []
  const merged: Record<string, unknown> = { ...FETCHER_DEFAULTS }
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(FETCHER_DEFAULTS, name)) {
      problems.push({ path: name, reason: 'unknown-key', message: `${name.slice(0, 64)} is not a fetcher option` })
    } else if (value !== undefined) {
      merged[name] = value
    }
  }
  for (const field of Object.keys(BOUNDS) as NumericField[]) {
    const problem = checkInteger(field, merged[field], BOUNDS[field])
    if (problem !== undefined) problems.push(problem)
  }
  if (typeof merged['checkCrcs'] !== 'boolean') {
    problems.push({ path: 'checkCrcs', reason: 'wrong-type', message: 'checkCrcs must be a boolean' })
  }
  if (problems.length > 0) throw new ConfigInvalidError('fetcher', problems)
  return Object.freeze(merged) as unknown as FetcherConfig
}

/** The problem with `value` as an integer in `[min, max]`, or undefined when there is none. */
export function checkInteger(
  path: string,
  value: unknown,
  [min, max]: readonly [min: number, max: number],
): ConfigProblem | undefined {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    return { path, reason: 'not-number', message: `${path} must be a number` }
  }
  if (!Number.isInteger(value)) return { path, reason: 'not-integer', message: `${path} must be an integer` }
  if (value < min || value > max) return { path, reason: 'out-of-range', message: `${path} must be in [${min}, ${max}]` }
  return undefined
}
