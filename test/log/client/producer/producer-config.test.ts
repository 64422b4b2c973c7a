import { describe, expect, it } from 'vitest'
import { PRODUCER_DEFAULTS, resolveProducerConfig, type ProducerConfigInput } from '../../../../src/log/client/producer/producer-config.js'
import { RECORD_ACCUMULATOR_DEFAULTS } from '../../../../src/log/client/producer/record-accumulator-config.js'
import { ConfigInvalidError } from '../../../../src/log/topic-config.js'

function problemsOf(input: ProducerConfigInput): Record<string, string> {
  try {
    resolveProducerConfig(input)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError)
    expect((err as ConfigInvalidError).code).toBe('CONFIG_INVALID')
    return Object.fromEntries((err as ConfigInvalidError).problems.map((p) => [p.path, p.reason]))
  }
  throw new Error('expected CONFIG_INVALID')
}

describe('resolveProducerConfig', () => {
  it('defaults to acks all, idempotence, no durable acks, the default partitioner and the accumulator defaults', () => {
    const config = resolveProducerConfig()
    expect(config).toEqual({
      ...RECORD_ACCUMULATOR_DEFAULTS,
      acks: 'all',
      durableAcks: false,
      partitioner: undefined,
      enableIdempotence: true,
      transactionalId: undefined,
      transactionTimeoutMs: 60_000,
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(PRODUCER_DEFAULTS)).toBe(true)
  })

  it('turns default idempotence off for acks 0 and 1, and refuses it when asked for with them (as Kafka)', () => {
    expect(resolveProducerConfig({ acks: 1 }).enableIdempotence).toBe(false)
    expect(resolveProducerConfig({ acks: 0 }).enableIdempotence).toBe(false)
    expect(resolveProducerConfig({ acks: 'all', enableIdempotence: false }).enableIdempotence).toBe(false)
    expect(problemsOf({ acks: 1, enableIdempotence: true })).toEqual({ enableIdempotence: 'conflict' })
    expect(problemsOf({ enableIdempotence: 'yes' } as unknown as ProducerConfigInput)).toEqual({ enableIdempotence: 'wrong-type' })
  })

  it('merges given values and ignores undefined ones', () => {
    const partitioner = (): number => 0
    const config = resolveProducerConfig({ acks: 1, durableAcks: true, lingerMs: 0, compression: 'lz4', partitioner, batchBytes: undefined })
    expect(config).toMatchObject({ acks: 1, durableAcks: true, lingerMs: 0, compression: 'lz4', batchBytes: 16_384 })
    expect(config.partitioner).toBe(partitioner)
  })

  it('lists every problem at once, accumulator options included', () => {
    const input = {
      acks: 'some',
      durableAcks: 'yes',
      partitioner: 'murmur',
      lingerMs: -1,
      compression: 'rar',
      maxBlockMs: 1.5,
      retries: 3,
    } as unknown as ProducerConfigInput
    expect(problemsOf(input)).toEqual({
      acks: 'invalid-enum',
      durableAcks: 'wrong-type',
      partitioner: 'wrong-type',
      lingerMs: 'out-of-range',
      compression: 'invalid-enum',
      maxBlockMs: 'not-integer',
      retries: 'unknown-key',
    })
  })

  it('rejects durableAcks with acks 0, which waits for nothing', () => {
    expect(problemsOf({ acks: 0, durableAcks: true })).toEqual({ durableAcks: 'conflict' })
  })
})
