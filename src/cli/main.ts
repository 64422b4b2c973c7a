/**
 * `millrace` — the command line, noun-verb in the style of `rpk`:
 *
 *   millrace topics create|list|describe|delete|alter-config …   topics of a data directory
 *   millrace produce <topic> …                                    stdin lines → records
 *   millrace consume <topic> …                                    records → formatted text
 *   millrace dump-log <segment.log> [--records]                   batches of a segment file
 *
 * Consumer groups, running apps and `serve` arrive with their issues. `main` is the testable
 * core: I/O, the abort signal and optionally an open broker are injected (see `CliIo`).
 */
import { EXIT_OK, reportError, resolveIo, usageError, type CliIo, type CliIoInput } from './args.js'
import { consume } from './commands/consume.js'
import { dumpLog } from './commands/dump-log.js'
import { produce } from './commands/produce.js'
import { topics } from './commands/topics.js'

export type { CliIo, CliIoInput } from './args.js'

export const USAGE = `usage: millrace <command> [args] [--help]

commands:
  topics create|list|describe|delete|alter-config   manage topics of a data directory
  produce <topic>                                   append stdin lines as records
  consume <topic>                                   print records with a format string
  dump-log <segment.log>                            print the batches of a segment file

Every command takes --help. Data directory: --data-dir <dir>, else $MILLRACE_DATA_DIR, else
./millrace-data. Exit codes: 0 ok, 1 runtime error, 2 usage error; errors are one line on stderr:
'error: <CODE>: <message>'.
`

const COMMANDS: Readonly<Record<string, (args: string[], io: CliIo) => Promise<number>>> = {
  topics,
  produce,
  consume,
  'dump-log': dumpLog,
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
    return reportError(err, io)
  }
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))
if (isEntryPoint || process.env.MILLRACE_CLI === '1') {
  const controller = new AbortController()
  const argv = process.argv.slice(2)
  // For consume, the first signal ends it cleanly (exit 0) and a second one exits at once; other
  // commands keep Node's default (terminate), e.g. Ctrl-C on an interactive produce.
  for (const name of argv[0] === 'consume' ? (['SIGINT', 'SIGTERM'] as const) : []) {
    process.on(name, () => {
      if (controller.signal.aborted) process.exit(name === 'SIGINT' ? 130 : 143)
      controller.abort()
    })
  }
  // A closed pipe (`millrace consume t | head`) ends the command rather than crashing.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(0)
  })
  void main(argv, { signal: controller.signal }).then((code) => {
    process.exitCode = code
  })
}
