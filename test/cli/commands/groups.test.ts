import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Broker, CLEAN_SHUTDOWN_FILE } from '../../../src/log/broker.js'
import { tempDir } from '../../support/temp-dir.js'
import { runBinary, runMain } from '../run-cli.js'

/** The data rows of a table (header dropped), each split into its cells. */
function rows(table: string): string[][] {
  return table
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/))
}

/** The offsets table of `groups describe`: the block after the summary line. */
function offsetRows(describeOutput: string): string[][] {
  return rows(describeOutput.split('\n\n')[1] ?? '')
}

describe('millrace binary: consumer groups', () => {
  it('consumes as a group, shows lag 0, and resets offsets only with --execute', async () => {
    const dir = ['--data-dir', join(tempDir(), 'data')]
    await runBinary(['topics', 'create', 'jobs', '--partitions', '2', ...dir])
    await runBinary(['produce', 'jobs', '--partition', '0', ...dir], { input: 'a\nb\nc\n' })
    await runBinary(['produce', 'jobs', '--partition', '1', ...dir], { input: 'd\ne\n' })

    const consumed = await runBinary(['consume', 'jobs', '--group', 'workers', '--format', '%p:%o:%v\\n', ...dir])
    expect(consumed.code).toBe(0)
    expect(consumed.stdout.trimEnd().split('\n').sort()).toEqual(['0:0:a', '0:1:b', '0:2:c', '1:0:d', '1:1:e'])

    const described = await runBinary(['groups', 'describe', 'workers', ...dir])
    expect(described.stdout).toMatch(/^GROUP: workers {2}STATE: Empty {2}.* MEMBERS: 0\n/)
    expect(offsetRows(described.stdout)).toEqual([
      ['jobs', '0', '3', '3', '0', '-'],
      ['jobs', '1', '2', '2', '0', '-'],
    ])
    expect((await runBinary(['groups', 'list', ...dir])).stdout).toBe('GROUP    STATE  MEMBERS\nworkers  Empty  0\n')

    const dryRun = await runBinary(['groups', 'reset-offsets', 'workers', '--topic', 'jobs', '--to-earliest', ...dir])
    expect(dryRun.code).toBe(0)
    expect(rows(dryRun.stdout)).toEqual([
      ['workers', 'jobs', '0', '3', '0'],
      ['workers', 'jobs', '1', '2', '0'],
    ])
    expect(dryRun.stderr).toContain('dry run')
    const future = await runBinary(['groups', 'reset-offsets', 'workers', '--topic', 'jobs', '--to-datetime', '2999-01-01T00:00:00Z', ...dir])
    expect(rows(future.stdout).map((r) => r[4])).toEqual(['3', '2'])
    expect(offsetRows((await runBinary(['groups', 'describe', 'workers', ...dir])).stdout).map((r) => r[2])).toEqual(['3', '2'])

    const executed = await runBinary(
      ['groups', 'reset-offsets', 'workers', '--topic', 'jobs', '--partition', '0', '--shift-by=-5', '--execute', ...dir],
    )
    expect(executed.code).toBe(0)
    // -5 from 3 is clamped to the log start.
    expect(rows(executed.stdout)).toEqual([['workers', 'jobs', '0', '3', '0']])
    expect(offsetRows((await runBinary(['groups', 'describe', 'workers', ...dir])).stdout)).toEqual([
      ['jobs', '0', '0', '3', '3', '-'],
      ['jobs', '1', '2', '2', '0', '-'],
    ])
    // The group resumes from its committed offsets; --from only applies where it has none.
    const resumed = await runBinary(['consume', 'jobs', '--group', 'workers', '--from', 'end', '--format', '%p:%o ', ...dir])
    expect(resumed.stdout).toBe('0:0 0:1 0:2 ')
  })

  it('consume --follow --group ends with exit code 0 on SIGTERM, commits what it printed and closes the broker', async () => {
    const dataDir = join(tempDir(), 'data')
    const dir = ['--data-dir', dataDir]
    await runBinary(['topics', 'create', 'tail', ...dir])
    await runBinary(['produce', 'tail', ...dir], { input: 'one\ntwo' })
    const result = await runBinary(['consume', 'tail', '--follow', '--group', 'tailers', ...dir], {
      onStdout: (stdout, child) => {
        if (stdout === 'one\ntwo\n') child.kill('SIGTERM')
      },
    })
    expect(result).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' })
    expect(existsSync(join(dataDir, CLEAN_SHUTDOWN_FILE))).toBe(true)
    expect(offsetRows((await runBinary(['groups', 'describe', 'tailers', ...dir])).stdout)).toEqual([['tail', '0', '2', '2', '0', '-']])
  })
})

describe('groups (in process)', () => {
  it('refuses to reset the offsets of a group with active members (LOG_GROUP_NOT_EMPTY)', async () => {
    const broker = await Broker.open({ dataDir: join(tempDir(), 'data') })
    const consumer = broker.consumer({ groupId: 'busy', autoOffsetReset: 'earliest' })
    try {
      broker.createTopic({ topic: 'events', partitions: 1 })
      await consumer.subscribe({ topics: ['events'] })
      // The member joins inside poll; a poll with a timeout returns once it has joined (no records).
      const joinDeadline = performance.now() + 5_000
      while (consumer.assignment().length === 0 && performance.now() < joinDeadline) await consumer.poll({ timeoutMs: 50 })
      expect(consumer.assignment()).toEqual([{ topic: 'events', partition: 0 }])
      const described = await runMain(['groups', 'describe', 'busy'], { broker })
      expect(described.stdout).toMatch(/STATE: Stable .* MEMBERS: 1\n/)
      expect(described.stdout).toContain('events-0')
      const reset = await runMain(['groups', 'reset-offsets', 'busy', '--topic', 'events', '--to-earliest', '--execute'], { broker })
      expect(reset.code).toBe(1)
      expect(reset.stderr).toMatch(/^millrace: LOG_GROUP_NOT_EMPTY: [^\n]+\n$/)
      // Without --execute the plan is still shown.
      expect((await runMain(['groups', 'reset-offsets', 'busy', '--topic', 'events', '--to-latest'], { broker })).code).toBe(0)
    } finally {
      await consumer.close()
      await broker.close()
    }
  })

  it.each([
    [['groups', 'reset-offsets', 'g', '--to-earliest'], 'CLI_USAGE'],
    [['groups', 'reset-offsets', 'g', '--topic', 'events'], 'CLI_USAGE'],
    [['groups', 'reset-offsets', 'g', '--topic', 'events', '--to-earliest', '--to-latest'], 'CLI_USAGE'],
    [['groups', 'reset-offsets', 'g', '--topic', 'events', '--shift-by', 'x'], 'CLI_USAGE'],
    [['groups', 'reset-offsets', 'g', '--topic', 'events', '--to-datetime', 'noon'], 'CLI_USAGE'],
    [['groups', 'rename'], 'CLI_USAGE'],
    [['groups', 'describe', 'nobody'], 'LOG_UNKNOWN_GROUP'],
    [['groups', 'reset-offsets', 'g', '--topic', 'missing', '--to-earliest'], 'LOG_UNKNOWN_TOPIC'],
    [['groups', 'reset-offsets', 'g', '--topic', 'events', '--partition', '3', '--to-earliest'], 'LOG_UNKNOWN_PARTITION'],
  ])('reports %j as %s', async (args, code) => {
    const broker = await Broker.open({ dataDir: join(tempDir(), 'data') })
    try {
      broker.createTopic({ topic: 'events', partitions: 1 })
      const result = await runMain(args, { broker })
      expect(result.code).toBe(code === 'CLI_USAGE' ? 2 : 1)
      expect(result.stderr).toMatch(new RegExp(`^millrace: ${code}: [^\\n]+\\n$`))
    } finally {
      await broker.close()
    }
  })
})
