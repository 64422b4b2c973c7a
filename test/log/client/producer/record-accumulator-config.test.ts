import { describe, expect, it } from 'vitest'
import {
  RECORD_ACCUMULATOR_DEFAULTS,
  resolveRecordAccumulatorConfig,
  type RecordAccumulatorConfigInput,
} from '../../../../src/log/client/producer/record-accumulator-config.js'
import { ConfigInvalidError } from '../../../../src/log/topic-config.js'

function problemsOf(input: unknown): Record<string, string> {
  try {
    resolveRecordAccumulatorConfig(input as RecordAccumulatorConfigInput)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError)
    const e = err as ConfigInvalidError
    expect(e.code).toBe('CONFIG_INVALID')
    return Object.fromEntries(e.problems.map((p) => [p.path, p.reason]))
  }
  throw new Error('expected CONFIG_INVALID')
}

describe('resolveRecordAccumulatorConfig', () => {
  it("returns Kafka's defaults, frozen, when given nothing", () => {
    const config = resolveRecordAccumulatorConfig()
    expect(config).toEqual({
      batchBytes: 16_384,
      lingerMs: 5,
      bufferMemoryBytes: 33_554_432,
      maxBlockMs: 60_000,
      maxRequestBytes: 1_048_576,
      compression: 'none',
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(RECORD_ACCUMULATOR_DEFAULTS)).toBe(true)
  })

  it('merges overrides and ignores undefined values', () => {
    const config = resolveRecordAccumulatorConfig({ lingerMs: 0, compression: 'gzip', batchBytes: undefined })
    expect(config.lingerMs).toBe(0)
    expect(config.compression).toBe('gzip')
    expect(config.batchBytes).toBe(16_384)
  })

  it('lists every problem at once, unknown keys included', () => {
    expect(
      problemsOf({
        batchBytes: 1.5,
        lingerMs: -1,
        bufferMemoryBytes: 'big',
        maxBlockMs: Number.NaN,
        maxRequestBytes: 2 ** 31,
        compression: 'brotli',
        acks: 'all',
      }),
    ).toEqual({
      acks: 'unknown-key',
      batchBytes: 'not-integer',
      lingerMs: 'out-of-range',
      bufferMemoryBytes: 'not-number',
      maxBlockMs: 'not-number',
      maxRequestBytes: 'out-of-range',
      compression: 'invalid-enum',
    })
  })

  it('rejects batch sizes below one batch header and delays beyond int32', () => {
    expect(problemsOf({ batchBytes: 60, maxBlockMs: 2 ** 31, bufferMemoryBytes: 0 })).toEqual({
      batchBytes: 'out-of-range',
      maxBlockMs: 'out-of-range',
      bufferMemoryBytes: 'out-of-range',
    })
  })

  it('rejects a batchBytes larger than maxRequestBytes', () => {
    expect(problemsOf({ batchBytes: 2048, maxRequestBytes: 1024 })).toEqual({ batchBytes: 'conflict' })
  })
})
