import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Broker } from '../../src/log/broker.js'
import { batchOf } from '../support/batches.js'
import { tempDir } from '../support/temp-dir.js'
import { runMain } from './run-cli.js'

describe('millrace CLI', () => {
  it('dump-log prints every batch of a segment with its offsets, and records on request', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await Broker.open({ dataDir })
    broker.createTopic({ topic: 'cli', partitions: 1 })
    broker.append({ topic: 'cli', partition: 0 }, batchOf(3, 'a'))
    broker.append({ topic: 'cli', partition: 0 }, batchOf(2, 'b'))
    await broker.close()
    const { code, stdout } = await runMain(['dump-log', join(dataDir, 'cli-0', '00000000000000000000.log'), '--records'])
    const lines = stdout.split('\n')
    expect(code).toBe(0)
    expect(lines.filter((l) => l.startsWith('baseOffset:'))).toHaveLength(2)
    expect(lines.some((l) => l.startsWith('baseOffset: 3 lastOffset: 4 count: 2'))).toBe(true)
    expect(lines.filter((l) => l.startsWith('| offset:'))).toHaveLength(5)
    expect(lines.filter((l) => l.endsWith('crcValid: true'))).toHaveLength(2)
  })

  it('dump-log reports a batch whose CRC does not match as crcValid: false and keeps going', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await Broker.open({ dataDir })
    broker.createTopic({ topic: 'cli', partitions: 1 })
    broker.append({ topic: 'cli', partition: 0 }, batchOf(3, 'a'))
    broker.append({ topic: 'cli', partition: 0 }, batchOf(2, 'b'))
    await broker.close()
    const file = join(dataDir, 'cli-0', '00000000000000000000.log')
    const bytes = readFileSync(file)
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff // a value byte of the last batch
    writeFileSync(file, bytes)
    const { code, stdout } = await runMain(['dump-log', file, '--records'])
    const batches = stdout.split('\n').filter((l) => l.startsWith('baseOffset:'))
    expect(code).toBe(0)
    expect(batches.map((l) => l.endsWith('crcValid: true'))).toEqual([true, false])
    expect(stdout).toContain('| records not decoded')
  })

  it('topics describe lists partitions with their offsets and config overrides', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await Broker.open({ dataDir })
    broker.createTopic({ topic: 'one', partitions: 2, configs: { 'cleanup.policy': 'compact' } })
    broker.append({ topic: 'one', partition: 1 }, batchOf(4, 'x'))
    await broker.close()
    const { code, stdout } = await runMain(['topics', 'describe', '--data-dir', dataDir])
    expect(stdout).not.toContain('__consumer_offsets')
    const lines = stdout.split('\n')
    expect(code).toBe(0)
    expect(lines[0]).toMatch(/^Topic: one\tTopicId: \S{22}\tPartitionCount: 2$/)
    expect(lines.some((l) => l.includes('Partition: 1\tLogStartOffset: 0\tLogEndOffset: 4'))).toBe(true)
    expect(lines.some((l) => l.includes('cleanup.policy=compact'))).toBe(true)
  })

  it('uses an injected broker without closing it', async () => {
    const broker = await Broker.open({ dataDir: join(tempDir(), 'data') })
    try {
      expect((await runMain(['topics', 'create', 'injected', '--partitions', '3'], { broker })).code).toBe(0)
      expect(broker.isClosed).toBe(false)
      expect(broker.describeTopic('injected').partitions).toHaveLength(3)
    } finally {
      await broker.close()
    }
  })

  it('prints the tool usage and each command usage with --help, exit code 0', async () => {
    const commands = [
      ['--help'],
      ['help'],
      ['topics', '--help'],
      ...['create', 'list', 'describe', 'delete', 'alter-config'].map((c) => ['topics', c, '--help']),
      ['produce', '--help'],
      ['consume', '--help'],
      ['dump-log', '--help'],
      ['groups', '--help'],
      ...['list', 'describe', 'reset-offsets'].map((c) => ['groups', c, '--help']),
    ]
    for (const args of commands) {
      const { code, stdout, stderr } = await runMain(args)
      expect(code, args.join(' ')).toBe(0)
      expect(stdout, args.join(' ')).toMatch(/^usage: millrace /)
      expect(stderr).toBe('')
    }
  })

  it.each([
    [[], 'CLI_USAGE'],
    [['frobnicate'], 'CLI_USAGE'],
    [['topics'], 'CLI_USAGE'],
    [['topics', 'rename', 'x'], 'CLI_USAGE'],
    [['topics', 'create'], 'CLI_USAGE'],
    [['topics', 'create', 'x', '--partitions', '0'], 'CLI_USAGE'],
    [['topics', 'create', 'x', '--partitions=-2'], 'CLI_USAGE'],
    [['topics', 'create', 'x', '--partitions', 'two'], 'CLI_USAGE'],
    [['topics', 'create', 'x', '--config', 'novalue'], 'CLI_USAGE'],
    [['topics', 'list', '--verbose'], 'CLI_USAGE'],
    [['topics', 'list', 'extra'], 'CLI_USAGE'],
    [['topics', 'alter-config', 'x'], 'CLI_USAGE'],
    [['topics', 'alter-config', 'x', '--set', 'a=1', '--delete', 'a'], 'CLI_USAGE'],
    [['consume', 't', '--group', ''], 'CLI_USAGE'],
    [['consume', 't', '--from', '-1'], 'CLI_USAGE'],
    [['produce', 't', '--compression', 'brotli'], 'CLI_USAGE'],
    [['consume', 't', '--count', 'ten'], 'CLI_USAGE'],
    [['consume', 't', '--from', 'yesterday'], 'CLI_USAGE'],
    [['consume', 't', '--format', '%q'], 'CLI_USAGE'],
    [['consume', 't', '--format', 'tail\\'], 'CLI_USAGE'],
    [['produce', 't', '--header', 'x'], 'CLI_USAGE'],
  ])('exits with 2 and one CLI_USAGE line for %j', async (args, code) => {
    const result = await runMain([...args, '--data-dir', join(tempDir(), 'data')])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(new RegExp(`^millrace: ${code}: [^\\n]+\\n$`))
  })

  it.each([
    [['topics', 'create', 'bad name'], 'LOG_INVALID_TOPIC'],
    [['topics', 'create', 'x', '--config', 'bogus.key=1'], 'CONFIG_INVALID'],
    [['topics', 'create', 'x', '--config', 'retention.ms=soon'], 'CONFIG_INVALID'],
    [['topics', 'describe', 'missing'], 'LOG_UNKNOWN_TOPIC'],
    [['topics', 'delete', 'missing'], 'LOG_UNKNOWN_TOPIC'],
    [['topics', 'alter-config', 'missing', '--set', 'retention.ms=1'], 'LOG_UNKNOWN_TOPIC'],
    [['consume', 'missing', '--group', 'g'], 'LOG_UNKNOWN_TOPIC'],
    [['produce', 'missing'], 'LOG_UNKNOWN_TOPIC'],
    [['consume', 'missing'], 'LOG_UNKNOWN_TOPIC'],
  ])('exits with 1 and one error line for %j', async (args, code) => {
    const result = await runMain([...args, '--data-dir', join(tempDir(), 'data')])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`^millrace: ${code}: [^\\n]+\\n$`))
  })

  it('ends usage errors with a hint to the most specific --help', async () => {
    const { stderr } = await runMain(['topics', 'create', 'x', '--partitions', 'two'])
    expect(stderr).toBe("millrace: CLI_USAGE: --partitions must be an integer ≥ 1, got 'two' (run 'millrace topics create --help')\n")
  })

  it('lists internal topics only with --internal', async () => {
    const broker = await Broker.open({ dataDir: join(tempDir(), 'data') })
    try {
      broker.createTopic({ topic: 'visible', partitions: 1 })
      // A group commit brings __consumer_offsets into being.
      await broker.admin().alterGroupOffsets('g', [{ topic: 'visible', partition: 0, offset: 0 }])
      expect((await runMain(['topics', 'list'], { broker })).stdout).toBe('visible\n')
      expect((await runMain(['topics', 'list', '--internal'], { broker })).stdout).toBe('__consumer_offsets\nvisible\n')
    } finally {
      await broker.close()
    }
  })

  it('reports a missing segment file with its system error code', async () => {
    const result = await runMain(['dump-log', join(tempDir(), 'none.log')])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^millrace: ENOENT: no such file[^\n]+\n$/)
  })
})
