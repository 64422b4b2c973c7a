import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Broker } from '../../../src/log/broker.js'
import { murmur2, toPositive } from '../../../src/log/client/partitioner/index.js'
import { eventually } from '../../support/eventually.js'
import { tempDir } from '../../support/temp-dir.js'
import { runBinary, runMain } from '../run-cli.js'

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
    expect(first).toEqual({ code: 0, stdout: '', stderr: 'produced 2 records to events (partitions: 1)\n' })
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

  it('sends null-key input through the sticky partitioner: every record lands, on whole batches', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `value-${i}`)
    const result = await runMain(['produce', 'events', '--compression', 'lz4'], { broker, stdin: lines })
    expect(result.stderr).toMatch(/^produced 3000 records to events \(partitions: [01](,1)?\)\n$/)
    const ends = [0, 1].map((p) => broker.offsets({ topic: 'events', partition: p }).logEndOffset)
    expect(ends[0]! + ends[1]!).toBe(3000) // reason: both partitions exist
    const all = await runMain(['consume', 'events', '--format', '%v\\n'], { broker })
    expect(all.stdout.split('\n').filter(Boolean).sort()).toEqual([...lines].sort())
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
    expect(result.stderr).toMatch(/^millrace: LOG_UNKNOWN_PARTITION: [^\n]+\n$/)
  })

  it('consumes one partition with --partition and prints null keys as the --null text', async () => {
    await runMain(['produce', 'events', '--partition', '1', '--key-separator', '='], { broker, stdin: ['k=v', 'plain'] })
    await runMain(['produce', 'events', '--partition', '0'], { broker, stdin: ['other'] })
    const result = await runMain(['consume', 'events', '--partition', '1', '--null', 'NULL', '--format', '%k %v %K\\n'], { broker })
    expect(result).toEqual({ code: 0, stdout: 'k v 1\nNULL plain -1\n', stderr: '' })
  })
})

describe('produce and consume (binary)', () => {
  it('produces stdin lines with keys and headers and consumes them back from the beginning, an offset, the end and a time', async () => {
    const dir = ['--data-dir', join(tempDir(), 'data')]
    await runBinary(['topics', 'create', 'chat', ...dir])
    // The last line has no newline and still counts.
    const first = await runBinary(['produce', 'chat', '--key-separator', ':', '--header', 'src=cli', '--header', 'v=1', ...dir], {
      input: 'alice:hi\nbob:hello: there\nno key here',
    })
    expect(first).toEqual({ code: 0, stdout: '', stderr: 'produced 3 records to chat (partitions: 0)\n' })
    expect((await runBinary(['produce', 'chat', ...dir], { input: 'later\n' })).code).toBe(0)

    const all = await runBinary(['consume', 'chat', '--from', 'beginning', '--format', '%t %p %o [%k] [%v] [%h]\\n', ...dir])
    expect(all).toEqual({
      code: 0,
      stdout:
        'chat 0 0 [alice] [hi] [src=cli,v=1]\n' +
        'chat 0 1 [bob] [hello: there] [src=cli,v=1]\n' +
        'chat 0 2 [] [no key here] [src=cli,v=1]\n' +
        'chat 0 3 [] [later] []\n',
      stderr: '',
    })
    expect((await runBinary(['consume', 'chat', '--from', '2', ...dir])).stdout).toBe('no key here\nlater\n')
    expect((await runBinary(['consume', 'chat', '--count', '2', '--format', '%o\\t', ...dir])).stdout).toBe('0\t1\t')
    expect((await runBinary(['consume', 'chat', '--from', 'end', ...dir])).stdout).toBe('')

    // The second produce ran in a later process, so its record is the only one at or after its time.
    const timestamps = (await runBinary(['consume', 'chat', '--format', '%T\\n', ...dir])).stdout.trim().split('\n').map(Number)
    expect(timestamps[3]).toBeGreaterThan(timestamps[2]!) // reason: four records were printed
    const laterIso = new Date(timestamps[3]!).toISOString() // reason: as above
    expect((await runBinary(['consume', 'chat', '--from', laterIso, '--format', '%o %v\\n', ...dir])).stdout).toBe('3 later\n')
    expect((await runBinary(['consume', 'chat', '--from', '2999-01-01T00:00:00Z', ...dir])).stdout).toBe('')
  })
})
