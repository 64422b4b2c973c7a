import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { murmur2, toPositive } from '../../../src/log/client/partitioner/index.js'
import { eventually } from '../../support/eventually.js'
import { tempDir } from '../../support/temp-dir.js'
import { runMain } from '../run-cli.js'

// In-process: one broker holds the data directory's lock, so produce and a following consume
// share it through the injected-broker option.
describe('consume (in process)', () => {
  let broker: Broker

  beforeEach(async () => {
    broker = await Broker.open({ dataDir: join(tempDir(), 'data') })
    broker.createTopic({ topic: 'events', partitions: 2 })
  })
  afterEach(async () => {
    await broker.close()
  })

  it('--follow --count 3 prints records appended after it started, then exits 0', async () => {
    const first = await runMain(['produce', 'events', '--partition', '1'], { broker, stdin: ['a', 'b'] })
    expect(first.stdout).toBe('produced 2 records to events\n')
    let seen = ''
    const following = runMain(['consume', 'events', '--follow', '--count', '3', '--format', '%p:%o:%v\\n'], {
      broker,
      onStdout: (text) => (seen += text),
    })
    await eventually(() => seen === '1:0:a\n1:1:b\n', 5_000, 'the first two records')
    await runMain(['produce', 'events', '--partition', '0'], { broker, stdin: ['c'] })
    const result = await following
    expect(result).toEqual({ code: 0, stdout: '1:0:a\n1:1:b\n0:0:c\n', stderr: '' })
  })

  it('--follow without --count ends cleanly when the signal aborts', async () => {
    const controller = new AbortController()
    let seen = ''
    const following = runMain(['consume', 'events', '--follow', '--from', 'end'], {
      broker,
      signal: controller.signal,
      onStdout: (text) => (seen += text),
    })
    await runMain(['produce', 'events'], { broker, stdin: ['late'] })
    await eventually(() => seen === 'late\n', 5_000, 'the late record')
    controller.abort()
    expect(await following).toEqual({ code: 0, stdout: 'late\n', stderr: '' })
  })

  it('without --follow stops at the log end seen at start', async () => {
    await runMain(['produce', 'events', '--key-separator', '=', '--partition', '0'], { broker, stdin: ['k1=v1', 'k2=v2'] })
    const result = await runMain(['consume', 'events', '--format', '%k %v;'], { broker })
    expect(result).toEqual({ code: 0, stdout: 'k1 v1;k2 v2;', stderr: '' })
  })

  it('spreads null-key input one batch per partition, in turn (sticky partitioning)', async () => {
    const lines = Array.from({ length: 501 }, (_, i) => `v${i}`)
    expect((await runMain(['produce', 'events'], { broker, stdin: lines })).code).toBe(0)
    expect(broker.offsets({ topic: 'events', partition: 0 }).logEndOffset).toBe(500)
    expect(broker.offsets({ topic: 'events', partition: 1 }).logEndOffset).toBe(1)
  })

  it('places keyed records where a Java client would: murmur2 of the key modulo the partitions', async () => {
    const lines = ['k1:a', 'k2:b', 'k3:c', 'k1:d']
    expect((await runMain(['produce', 'events', '--key-separator', ':'], { broker, stdin: lines })).code).toBe(0)
    const partitionOf = (key: string): number => toPositive(murmur2(Buffer.from(key))) % 2
    const expected = [0, 0]
    for (const line of lines) {
      const p = partitionOf(line.split(':')[0] as string)
      expected[p] = (expected[p] as number) + 1
    }
    expect([0, 1].map((p) => broker.offsets({ topic: 'events', partition: p }).logEndOffset)).toEqual(expected)
  })

  it('rejects a partition the topic does not have before reading input', async () => {
    const result = await runMain(['produce', 'events', '--partition', '7'], { broker, stdin: ['x'] })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: LOG_UNKNOWN_PARTITION: [^\n]+\n$/)
  })
})
