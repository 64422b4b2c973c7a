/**
 * `millrace` — the command line, noun-verb in the style of `rpk`:
 *
 *   millrace topics create|list|describe|delete|alter-config …   topics of a data directory
 *   millrace produce <topic> …                                    stdin lines → records
 *   millrace consume <topic> …                                    records → formatted text
 *   millrace groups list|describe|reset-offsets …                 consumer groups and their lag
 *   millrace dump-log <segment.log> [--records]                   batches of a segment file
 *
 * Every command but dump-log goes through the public clients (`Admin`, `Producer`, `Consumer`)
 * of the embedded broker, which it opens on the data directory and closes on every path — so the
 * next run finds a clean shutdown. `main` is the testable core: I/O, the abort signal and
 * optionally an open broker are injected (see `CliIo`).
 */
import { EXIT_OK, reportError, resolveIo, usageError, type CliIo, type CliIoInput } from './args.js'
import { consume } from './commands/consume.js'
import { dumpLog } from './commands/dump-log.js'
import { groups } from './commands/groups.js'
import { produce } from './commands/produce.js'
import { topics } from './commands/topics.js'

export type { CliIo, CliIoInput } from './args.js'

/** Help of `millrace` itself. */
export const USAGE = `usage: millrace <command> [args] [--help]

commands:
  topics create|list|describe|delete|alter-config   manage topics of a data directory
  produce <topic>                                   send stdin lines as records
  consume <topic>                                   print records with a format string
  groups list|describe|reset-offsets                consumer groups, their lag and offsets
  dump-log <segment.log>                            print the batches of a segment file

Every command takes --help. Data directory: --data-dir <dir>, else $MILLRACE_DATA_DIR, else
./millrace-data. A command holds the data directory's lock while it runs (consume --follow until
it ends): a second command on the same directory meanwhile fails with LOG_DATA_DIR_LOCKED.
Exit codes: 0 ok, 1 runtime error, 2 usage error; errors are one line on stderr:
'millrace: <CODE>: <message>'.
`

const COMMANDS: Readonly<Record<string, (args: string[], io: CliIo) => Promise<number>>> = {
  topics,
  produce,
  consume,
  groups,
  'dump-log': dumpLog,
}

/** Commands with subcommands: their usage errors point to `millrace <command> <sub> --help`. */
const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  topics: ['create', 'list', 'describe', 'delete', 'alter-config'],
  groups: ['list', 'describe', 'reset-offsets'],
}

/** Runs one command line; resolves with the exit code and never rejects. */
export async function main(argv: string[], ioInput: CliIoInput = {}): Promise<number> {
  const io = resolveIo(ioInput)
  try {
    const [command, ...rest] = argv
    if (command === '--help' || command === '-h' || command === 'help') {
      await io.stdout(USAGE)
      return EXIT_OK
    }
    if (command === undefined) throw usageError("missing command (run 'millrace --help')")
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
    if (!run) throw usageError(`unknown command '${command}' (run 'millrace --help')`, { command })
    return await run(rest, io)
  } catch (err) {
    return reportError(err, io, helpCommand(argv))
  }
}

/** The most specific command line whose `--help` explains `argv`. */
function helpCommand(argv: readonly string[]): string {
  const [command, sub] = argv
  if (command === undefined || !Object.hasOwn(COMMANDS, command)) return 'millrace'
  const subs = Object.hasOwn(SUBCOMMANDS, command) ? SUBCOMMANDS[command] : undefined
  if (subs === undefined) return `millrace ${command}`
  return sub !== undefined && subs.includes(sub) ? `millrace ${command} ${sub}` : `millrace ${command}`
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))
if (isEntryPoint || process.env.MILLRACE_CLI === '1') {
  const controller = new AbortController()
  // The first SIGINT/SIGTERM ends the command cleanly — consume --follow stops and commits,
  // produce stops reading stdin and flushes — and the broker is closed, so the next run sees a
  // clean shutdown. A second signal exits at once (128 + signal number, as shells report it).
  for (const [name, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(name, () => {
      if (controller.signal.aborted) process.exit(code)
      controller.abort()
    })
  }
  // A closed pipe (`millrace consume t | head`) ends the command rather than crashing.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(0)
  })
  void main(process.argv.slice(2), { signal: controller.signal }).then((code) => {
    process.exitCode = code
  })
}
