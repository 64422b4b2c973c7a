import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/temp-dir.js'
import { runBinary } from './run-cli.js'

// The real command line: a child process per invocation, so each test has a generous timeout.
const TIMEOUT_MS = 60_000

describe('millrace binary', () => {
  it(
    'creates, lists, describes, alters and deletes topics',
    async () => {
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
      expect(described.stdout).toMatch(/^Topic: orders\tTopicId: \S{22}\tPartitionCount: 3\n/)
      expect(described.stdout).toContain('\tConfigs: cleanup.policy=compact\n')

      const altered = await runBinary(['topics', 'alter-config', 'orders', '--config', 'retention.ms=60000', '--delete-config', 'cleanup.policy', ...dir])
      expect(altered).toEqual({ code: 0, stdout: 'altered config of topic orders\n', stderr: '' })
      const after = (await runBinary(['topics', 'describe', 'orders', ...dir])).stdout
      expect(after).toContain('\tConfigs: retention.ms=60000\n')
      expect(after).not.toContain('cleanup.policy')

      expect((await runBinary(['topics', 'delete', 'orders', ...dir])).stdout).toBe('deleted topic orders\n')
      expect((await runBinary(['topics', 'list', ...dir])).stdout).toBe('audit\n')
    },
    TIMEOUT_MS,
  )

  it(
    'produces stdin lines with keys and headers and consumes them back from the beginning, an offset and a time',
    async () => {
      const dir = ['--data-dir', join(tempDir(), 'data')]
      await runBinary(['topics', 'create', 'chat', ...dir])
      const first = await runBinary(['produce', 'chat', '--key-separator', ':', '--header', 'src=cli', '--header', 'v=1', ...dir], {
        input: 'alice:hi\nbob:hello: there\nno key here\n',
      })
      expect(first).toEqual({ code: 0, stdout: 'produced 3 records to chat\n', stderr: '' })
      const second = await runBinary(['produce', 'chat', ...dir], { input: 'later\n' })
      expect(second.stdout).toBe('produced 1 records to chat\n')

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
      expect((await runBinary(['consume', 'chat', '--count', '2', '--format', '%o,', ...dir])).stdout).toBe('0,1,')
      expect((await runBinary(['consume', 'chat', '--from', 'end', ...dir])).stdout).toBe('')

      // The second produce ran in a later process, so its record is the only one at or after its time.
      const timestamps = (await runBinary(['consume', 'chat', '--format', '%T\\n', ...dir])).stdout.trim().split('\n').map(Number)
      const laterIso = new Date(timestamps[3] as number).toISOString()
      expect(timestamps[3]).toBeGreaterThan(timestamps[2] as number)
      expect((await runBinary(['consume', 'chat', '--from', laterIso, '--format', '%o %v\\n', ...dir])).stdout).toBe('3 later\n')
      expect((await runBinary(['consume', 'chat', '--from', '2999-01-01T00:00:00Z', ...dir])).stdout).toBe('')
    },
    TIMEOUT_MS,
  )

  it(
    'consume --follow waits for appends and ends with exit code 0 on SIGINT',
    async () => {
      const dir = ['--data-dir', join(tempDir(), 'data')]
      await runBinary(['topics', 'create', 'tail', ...dir])
      await runBinary(['produce', 'tail', ...dir], { input: 'one\n' })
      const result = await runBinary(['consume', 'tail', '--follow', ...dir], {
        // The record is printed before the first long poll starts, so the signal lands mid-wait.
        onStdout: (stdout, child) => {
          if (stdout === 'one\n') child.kill('SIGINT')
        },
      })
      expect(result).toEqual({ code: 0, stdout: 'one\n', stderr: '' })
    },
    TIMEOUT_MS,
  )

  it(
    'exits with one error line and no stack trace on bad input',
    async () => {
      const dir = ['--data-dir', join(tempDir(), 'data')]
      const cases: [string[], number, string][] = [
        [['frobnicate'], 2, 'CLI_USAGE'],
        [['topics', 'create', 'x', '--partitions=-1', ...dir], 2, 'CLI_USAGE'],
        [['consume', 'x', '--count', 'many', ...dir], 2, 'CLI_USAGE'],
        [['consume', 'x', '--nope', ...dir], 2, 'CLI_USAGE'],
        [['topics', 'create', 'no/slash', ...dir], 1, 'LOG_INVALID_TOPIC'],
        [['topics', 'create', 'x', '--config', 'cleanup.policy=sometimes', ...dir], 1, 'CONFIG_INVALID'],
        [['consume', 'unknown', ...dir], 1, 'LOG_UNKNOWN_TOPIC'],
      ]
      for (const [args, code, errorCode] of cases) {
        const result = await runBinary(args)
        expect(result.code, args.join(' ')).toBe(code)
        expect(result.stdout, args.join(' ')).toBe('')
        expect(result.stderr, args.join(' ')).toMatch(new RegExp(`^error: ${errorCode}: [^\\n]+\\n$`))
      }
      const help = await runBinary(['--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(/^usage: millrace /)
    },
    TIMEOUT_MS,
  )
})
