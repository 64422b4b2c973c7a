import { describe, expect, it } from 'vitest'
import { Broker, ConfigInvalidError } from '../../../src/log/index.js'
import { STREAMS_APP_DEFAULTS, resolveStreamsAppConfig, type StreamsAppConfigInput } from '../../../src/streams/index.js'

const client = {} as unknown as Broker
const fakeClient = { producer: () => undefined, consumer: () => undefined, admin: () => undefined } as unknown as Broker

function problems(input: unknown): string[] {
  try {
    resolveStreamsAppConfig(input as StreamsAppConfigInput)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError)
    expect((err as ConfigInvalidError).code).toBe('CONFIG_INVALID')
    return (err as ConfigInvalidError).problems.map((p) => `${p.path}:${p.reason}`)
  }
  return []
}

describe('resolveStreamsAppConfig', () => {
  it("fills Kafka's defaults: commit every 30 s at-least-once, every 100 ms exactly-once", () => {
    const alos = resolveStreamsAppConfig({ applicationId: 'app', client: fakeClient })
    expect(alos.commitIntervalMs).toBe(30_000)
    expect(alos.pollMs).toBe(STREAMS_APP_DEFAULTS.pollMs)
    expect(alos.deserializationExceptionHandler).toBe('fail')
    expect(resolveStreamsAppConfig({ applicationId: 'app', client: fakeClient, processingGuarantee: 'exactly-once' }).commitIntervalMs).toBe(100)
    expect(Object.isFrozen(alos)).toBe(true)
  })

  it('lists every problem at once, by option', () => {
    expect(
      problems({
        applicationId: 'has space',
        client,
        commitIntervalMs: 0,
        processingGuarantee: 'sometimes',
        deserializationExceptionHandler: 'dead-letter',
        uncaughtExceptionPolicy: 'shrug',
        pollMs: 1.5,
        nope: 1,
      }).sort(),
    ).toEqual(
      [
        'nope:unknown-key',
        'applicationId:wrong-type',
        'client:wrong-type',
        'processingGuarantee:invalid-enum',
        'commitIntervalMs:out-of-range',
        'pollMs:out-of-range',
        'deadLetterQueueTopic:conflict',
        'uncaughtExceptionPolicy:invalid-enum',
      ].sort(),
    )
  })

  it('accepts handler functions and a dead-letter topic', () => {
    expect(problems({ applicationId: 'a.b-c_1', client: fakeClient, deserializationExceptionHandler: () => 'continue', deadLetterQueueTopic: 'dlq' })).toEqual([])
  })
})
