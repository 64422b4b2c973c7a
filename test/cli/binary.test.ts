import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/temp-dir.js'
import { runBinary } from './run-cli.js'

// The real command line: a child process per invocation.
describe('millrace binary: topics, help and bad input', () => {
  it('creates, lists, describes, alters and deletes topics', async () => {
    const dataDir = join(tempDir(), 'data')
    const dir = ['--data-dir', dataDir]
    expect(await runBinary(['topics', 'create', 'orders', '--partitions', '3', '--config', 'cleanup.policy=compact', ...dir])).toEqual({
      code: 0,
      stdout: 'created topic orders with 3 partition(s)\n',
      stderr: '',
    })
    // The data directory also comes from MILLRACE_DATA_DIR.
    expect((await runBinary(['topics', 'create', 'audit'], { env: { MILLRACE_DATA_DIR: dataDir } })).code).toBe(0)
    expect((await runBinary(['topics', 'list', ...dir])).stdout).toBe('audit\norders\n')

    const described = await runBinary(['topics', 'describe', 'orders', ...dir])
    expect(described.stdout).toMatch(
      /^Topic: orders\tTopicId: \S{22}\tPartitionCount: 3\n(\tPartition: \d\tLogStartOffset: 0\tLogEndOffset: 0\n){3}\tConfigs: cleanup.policy=compact\n$/,
    )

    const altered = await runBinary(['topics', 'alter-config', 'orders', '--set', 'retention.ms=60000', '--delete', 'cleanup.policy', ...dir])
    expect(altered).toEqual({ code: 0, stdout: 'altered config of topic orders\n', stderr: '' })
    const after = (await runBinary(['topics', 'describe', 'orders', ...dir])).stdout
    expect(after).toContain('\tConfigs: retention.ms=60000\n')
    expect(after).not.toContain('cleanup.policy')

    expect((await runBinary(['topics', 'delete', 'orders', ...dir])).stdout).toBe('deleted topic orders\n')
    expect((await runBinary(['topics', 'list', ...dir])).stdout).toBe('audit\n')
  })

  it('exits 2 for usage errors and 1 for runtime errors, with one line naming the code', async () => {
    const dir = ['--data-dir', join(tempDir(), 'data')]
    const cases: [string[], number, string][] = [
      [['frobnicate'], 2, 'CLI_USAGE'],
      [['topics', 'create', 'x', '--partitions', 'three', ...dir], 2, 'CLI_USAGE'],
      [['consume', 'x', '--from', 'yesterday', ...dir], 2, 'CLI_USAGE'],
      [['consume', 'unknown', ...dir], 1, 'LOG_UNKNOWN_TOPIC'],
    ]
    for (const [args, code, errorCode] of cases) {
      const result = await runBinary(args)
      expect(result.code, args.join(' ')).toBe(code)
      expect(result.stdout, args.join(' ')).toBe('')
      expect(result.stderr, args.join(' ')).toMatch(new RegExp(`^millrace: ${errorCode}: [^\\n]+\\n$`))
      if (code === 2) expect(result.stderr, args.join(' ')).toContain('--help')
    }
  })

  it('prints usage with --help, also when run from the sources as npm run millrace does', async () => {
    const help = await runBinary(['--help'], { viaTsx: true })
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage: millrace /)
    const consumeHelp = await runBinary(['consume', '--help'])
    expect(consumeHelp.code).toBe(0)
    expect(consumeHelp.stdout).toContain('LOG_DATA_DIR_LOCKED')
  })
})
