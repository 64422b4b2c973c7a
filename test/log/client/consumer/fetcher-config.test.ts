import { describe, expect, it } from 'vitest'
import { FETCHER_DEFAULTS, resolveFetcherConfig } from '../../../../src/log/client/consumer/fetcher-config.js'
import type { ConfigInvalidError } from '../../../../src/log/topic-config.js'

describe('resolveFetcherConfig', () => {
  it('defaults to Kafka consumer defaults', () => {
    expect(resolveFetcherConfig()).toEqual({
      maxPartitionFetchBytes: 1024 * 1024,
      fetchMaxBytes: 50 * 1024 * 1024,
      maxPollRecords: 500,
      checkCrcs: true,
    })
    expect(Object.isFrozen(FETCHER_DEFAULTS)).toBe(true)
    expect(resolveFetcherConfig({ maxPollRecords: 7, checkCrcs: undefined })).toMatchObject({ maxPollRecords: 7, checkCrcs: true })
  })

  it('lists every problem by path with CONFIG_INVALID', () => {
    let error: ConfigInvalidError | undefined
    try {
      resolveFetcherConfig({
        maxPartitionFetchBytes: 0,
        fetchMaxBytes: 1.5,
        maxPollRecords: '5' as unknown as number,
        checkCrcs: 'yes' as unknown as boolean,
        maxPollMs: 3,
      } as never)
    } catch (err) {
      error = err as ConfigInvalidError
    }
    expect(error?.code).toBe('CONFIG_INVALID')
    expect(error?.details).toEqual({
      maxPollMs: 'unknown-key',
      maxPartitionFetchBytes: 'out-of-range',
      fetchMaxBytes: 'not-integer',
      maxPollRecords: 'not-number',
      checkCrcs: 'wrong-type',
    })
  })
})
