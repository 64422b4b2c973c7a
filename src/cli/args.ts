/**
 * What every `millrace` command shares: the injected I/O, usage errors, flag parsing on
 * `node:util` `parseArgs`, value parsers, the data directory and the one-line error report.
 *
 * Exit codes: 0 success, 1 runtime error (a `LOG_…`/`CONFIG_…` error from the log, an I/O error),
 * 2 usage error (`CLI_USAGE`: unknown command or flag, missing or malformed argument). Errors are
 * one line on stderr, `millrace: <CODE>: <message>`; usage errors end with a hint to `--help`.
 */
import { createInterface } from 'node:readline'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { Broker, MillraceError, isMillraceError, type Admin } from '../log/index.js'

/** The command did what was asked. */
export const EXIT_OK = 0
/** A runtime error: a `MillraceError` from the log, or an I/O error. */
export const EXIT_RUNTIME_ERROR = 1
/** A malformed command line (`CLI_USAGE`). */
export const EXIT_USAGE = 2

/** Data directory when neither `--data-dir` nor `MILLRACE_DATA_DIR` is given. */
export const DEFAULT_DATA_DIR = './millrace-data'

/** Error codes raised by `src/cli` itself. */
export type CliErrorCode = 'CLI_USAGE'

/** A malformed command line; reported as one `error:` line with exit code 2. */
export function usageError(message: string, details: Record<string, string | number> = {}): MillraceError<CliErrorCode> {
  return new MillraceError('CLI_USAGE', message, { details })
}

/**
 * Where a command reads and writes. `stdout`/`stderr` take text as is (commands add newlines);
 * a returned promise is awaited, which is how the process streams apply back-pressure.
 */
export interface CliIo {
  stdout: (text: string) => void | Promise<void>
  stderr: (text: string) => void | Promise<void>
  /** Lines of standard input without their line terminators (read by `produce`). */
  stdin: AsyncIterable<string>
  env: Readonly<Record<string, string | undefined>>
  /** Ends `consume --follow` (the process entry point aborts it on SIGINT/SIGTERM). */
  signal?: AbortSignal
  /**
   * An already open broker to use instead of opening `--data-dir` (for running commands inside a
   * process that holds the data directory's lock, e.g. tests). The caller keeps ownership: the
   * commands never close it.
   */
  broker?: Broker
}

export type CliIoInput = Partial<CliIo>

/** Fills in the process streams for whatever `input` leaves out. */
export function resolveIo(input: CliIoInput): CliIo {
  return {
    stdout: input.stdout ?? ((text) => writeStream(process.stdout, text)),
    stderr: input.stderr ?? ((text) => writeStream(process.stderr, text)),
    // Created on first iteration only: a readline interface on process.stdin keeps the process
    // alive and consumes input, which commands other than `produce` must not do.
    stdin: input.stdin ?? {
      [Symbol.asyncIterator]: () => createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator](),
    },
    env: input.env ?? process.env,
    signal: input.signal,
    broker: input.broker,
  }
}

function writeStream(stream: NodeJS.WriteStream, text: string): void | Promise<void> {
  if (stream.write(text)) return
  return new Promise((resolve) => stream.once('drain', resolve))
}

type FlagOptions = NonNullable<ParseArgsConfig['options']>

/**
 * `parseArgs` in strict mode, with `--help` added to every command and its `TypeError`s
 * (unknown flag, missing value) turned into `CLI_USAGE`.
 */
export function parseFlags<const O extends FlagOptions>(args: string[], options: O) {
  const config = {
    args,
    options: { ...options, help: { type: 'boolean' as const } },
    allowPositionals: true as const,
    strict: true as const,
  }
  try {
    return parseArgs(config)
  } catch (err) {
    // parseArgs puts its advice on later lines ("use '--flag=-XYZ'"); keep it, on one line.
    if (err instanceof TypeError) throw usageError(err.message.replace(/\s*\n\s*/g, ' '))
    throw err
  }
}

/** A non-negative (or, with `min: 1`, positive) safe integer given in decimal. @throws `CLI_USAGE`. */
export function parseInteger(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(value) || value < min) {
    throw usageError(`${flag} must be an integer ≥ ${min}, got '${text}'`, { flag })
  }
  return value
}

/** `k=v` pairs (repeatable flags such as `--config`, `--header`) in the order given. */
export function parsePairs(flag: string, texts: readonly string[] | undefined): [string, string][] {
  return (texts ?? []).map((text) => {
    const eq = text.indexOf('=')
    if (eq <= 0) throw usageError(`${flag} expects key=value, got '${text}'`, { flag })
    return [text.slice(0, eq), text.slice(eq + 1)]
  })
}

/** The positionals `names` (the last `optional` of them may be absent); a missing or extra one is `CLI_USAGE`. */
export function expectPositionals(positionals: string[], names: readonly string[], optional = 0): string[] {
  const required = names.length - optional
  if (positionals.length < required) throw usageError(`missing <${names[positionals.length]}>`)
  if (positionals.length > names.length) throw usageError(`unexpected argument '${positionals[names.length]}'`)
  return positionals
}

/**
 * An ISO-8601 time (a date first; without a zone it is local time, as `Date.parse` reads it) as
 * epoch milliseconds. @throws `CLI_USAGE`.
 */
export function parseIsoTime(flag: string, text: string): number {
  // The date-first check keeps out the many non-ISO spellings Date.parse would also accept.
  const timestampMs = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN
  if (Number.isNaN(timestampMs) || timestampMs < 0) {
    throw usageError(`${flag} expects an ISO-8601 time such as 2026-01-31T12:00:00Z, got '${text}'`, { flag })
  }
  return timestampMs
}

/** The data directory: `--data-dir`, else `$MILLRACE_DATA_DIR`, else {@link DEFAULT_DATA_DIR}. */
export function dataDirOf(flag: string | undefined, io: CliIo): string {
  // An empty variable counts as unset, as in most shells' ${VAR:-default}.
  return flag ?? (io.env.MILLRACE_DATA_DIR || DEFAULT_DATA_DIR)
}

/**
 * Runs `use` with the injected broker, or with one opened on `dataDir` and closed afterwards
 * (also after an error; a close failure then does not hide the first error).
 */
export async function withBroker<T>(io: CliIo, dataDir: string, use: (broker: Broker) => Promise<T> | T): Promise<T> {
  if (io.broker) return use(io.broker)
  const broker = await Broker.open({ dataDir })
  let result: T
  try {
    result = await use(broker)
  } catch (err) {
    await broker.close().catch((closeErr: unknown) => {
      // Named decision: the first error is what the user needs; the close error is attached as cause.
      if (err instanceof Error && err.cause === undefined) err.cause = closeErr
    })
    throw err
  }
  await broker.close()
  return result
}

/** {@link withBroker} with the broker's admin client, which is closed before the broker. */
export function withAdmin<T>(io: CliIo, dataDir: string, use: (admin: Admin, broker: Broker) => Promise<T>): Promise<T> {
  return withBroker(io, dataDir, async (broker) => {
    const admin = broker.admin()
    try {
      return await use(admin, broker)
    } finally {
      await admin.close()
    }
  })
}

/**
 * Prints `millrace: <CODE>: <message>` (one line, no stack) and returns the exit code. A usage
 * error that does not already point to `--help` gets `(run '<helpCommand> --help')` appended.
 */
export async function reportError(err: unknown, io: Pick<CliIo, 'stderr'>, helpCommand = 'millrace'): Promise<number> {
  const code = errorCode(err)
  const message = firstLine(err instanceof Error ? err.message : String(err))
  // Node system errors repeat their code at the start of the message ("ENOENT: no such file…").
  let text = message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message
  if (code === 'CLI_USAGE' && !text.includes('--help')) text += ` (run '${helpCommand} --help')`
  await io.stderr(`millrace: ${code}: ${text}\n`)
  return code === 'CLI_USAGE' ? EXIT_USAGE : EXIT_RUNTIME_ERROR
}

function errorCode(err: unknown): string {
  if (isMillraceError(err)) return err.code
  // Node system errors (ENOENT, EACCES, …) carry a string code.
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'CLI_INTERNAL'
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? ''
}
