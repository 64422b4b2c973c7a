/**
 * `millrace consume <topic>`: prints records with a kcat/rpk-style format string, after
 * `kafka-console-consumer`/`kcat -C`. Without `--follow` it stops at the log end seen at start
 * (kcat `-e`); with `--follow` it long-polls the broker (`waitForAppend`) until `--count` records
 * were printed or the signal aborts (SIGINT/SIGTERM in the process entry point; exit code 0).
 *
 * Partitions are read one after another, each in offset order; there is no order across them.
 * Control batches (transaction markers) are skipped; records of open or aborted transactions are
 * printed (read_uncommitted: the CLI has no transaction index reader yet).
 */
import { isMillraceError, iterateBatches, systemClock, type Broker, type TopicPartition } from '../../log/index.js'
import {
  EXIT_OK,
  dataDirOf,
  expectPositionals,
  parseFlags,
  parseInteger,
  usageError,
  withBroker,
  type CliIo,
} from '../args.js'
import { DEFAULT_FORMAT, compileFormat, type RecordFormatter } from '../record-format.js'

/** Bytes asked of one `read`: whole batches, so at least one even when larger. */
const READ_MAX_BYTES = 1024 * 1024
/** Longest delay a Node timer takes (2^31 − 1 ms); the keep-alive timer is re-armed each wait. */
const KEEP_ALIVE_MS = 2 ** 31 - 1

export const CONSUME_HELP = `usage: millrace consume <topic> [--format <fmt>] [--from <position>] [--partition N] [--count N] [--follow] [--data-dir <dir>]

  --format <fmt>      output per record (default '${DEFAULT_FORMAT}'):
                        %t topic  %p partition  %o offset  %T timestamp ms  %k key  %v value
                        %K/%V key/value bytes (-1 null)  %h headers k=v,k=v  %H header count
                        %% percent  \\n newline  \\t tab  \\\\ backslash; null prints as nothing
  --from <position>   beginning (default) | end | <offset> | <ISO-8601 time>
                      (an offset is clamped to the partition's log start and end; a time picks
                      the first record at or after it, a time without zone is local time)
  --partition N       read only partition N (default: all)
  --count N           stop after N records
  --follow            keep waiting for new records (until --count or Ctrl-C)
  --data-dir <dir>    data directory (default $MILLRACE_DATA_DIR or ./millrace-data)
`

type StartPosition = { kind: 'beginning' } | { kind: 'end' } | { kind: 'offset'; offset: number } | { kind: 'time'; timestampMs: number }

interface PartitionCursor {
  tp: TopicPartition
  /** Next offset to print. */
  offset: number
  /** Exclusive end: the log end at start, or Infinity when following. */
  stopAt: number
}

export async function consume(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    'data-dir': { type: 'string' },
    format: { type: 'string' },
    from: { type: 'string' },
    partition: { type: 'string' },
    count: { type: 'string' },
    follow: { type: 'boolean' },
  })
  if (values.help) {
    await io.stdout(CONSUME_HELP)
    return EXIT_OK
  }
  const [topic] = expectPositionals(positionals, ['topic']) as [string]
  const format = compileFormat(values.format ?? DEFAULT_FORMAT)
  const from = parseFrom(values.from ?? 'beginning')
  const partition = parseInteger('--partition', values.partition)
  const count = parseInteger('--count', values.count, 1) ?? Infinity
  const follow = values.follow ?? false
  await withBroker(io, dataDirOf(values['data-dir'], io), async (broker) => {
    const all = broker.describeTopic(topic).partitions.map((p) => p.partition)
    const cursors = (partition === undefined ? all : [partition]).map((p) => {
      const tp = { topic, partition: p }
      const { logEndOffset } = broker.offsets(tp)
      return { tp, offset: startOffset(broker, tp, from), stopAt: follow ? Infinity : logEndOffset }
    })
    let remaining = count
    for (;;) {
      for (const cursor of cursors) {
        remaining -= await drain(broker, cursor, format, remaining, io)
        if (remaining <= 0) return
      }
      if (!follow || !(await waitForAnyAppend(broker, cursors, io.signal))) return
    }
  })
  return EXIT_OK
}

function parseFrom(text: string): StartPosition {
  if (text === 'beginning' || text === 'start' || text === 'earliest') return { kind: 'beginning' }
  if (text === 'end' || text === 'latest') return { kind: 'end' }
  if (/^[0-9]+$/.test(text)) {
    const offset = Number(text)
    if (Number.isSafeInteger(offset)) return { kind: 'offset', offset }
  }
  // ISO-8601 only (a date first): Date.parse alone would accept many non-ISO spellings.
  const timestampMs = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN
  if (!Number.isNaN(timestampMs)) return { kind: 'time', timestampMs }
  throw usageError(`--from must be beginning, end, an offset or an ISO-8601 time, got '${text}'`, { flag: '--from' })
}

function startOffset(broker: Broker, tp: TopicPartition, from: StartPosition): number {
  const { logStartOffset, logEndOffset } = broker.offsets(tp)
  switch (from.kind) {
    case 'beginning':
      return logStartOffset
    case 'end':
      return logEndOffset
    case 'offset':
      return Math.min(Math.max(from.offset, logStartOffset), logEndOffset)
    case 'time':
      return broker.offsetForTimestamp(tp, from.timestampMs)?.offset ?? logEndOffset
  }
}

/** Prints the cursor's records up to its stop or the current log end, at most `limit`; returns how many. */
async function drain(broker: Broker, cursor: PartitionCursor, format: RecordFormatter, limit: number, io: CliIo): Promise<number> {
  const { tp } = cursor
  const { logStartOffset, logEndOffset } = broker.offsets(tp)
  // Retention or DeleteRecords may have moved the log start past us while following.
  if (cursor.offset < logStartOffset) cursor.offset = logStartOffset
  const stop = Math.min(cursor.stopAt, logEndOffset)
  let printed = 0
  while (cursor.offset < stop && printed < limit) {
    const before = cursor.offset
    const bytes = broker.read(tp, cursor.offset, READ_MAX_BYTES, stop)
    let out = ''
    // The read buffer may be pooled: records are turned into text before the next read.
    for (const batch of iterateBatches(bytes)) {
      if (!batch.isControl) {
        batch.forEachRecord((record) => {
          if (record.offset < cursor.offset || record.offset >= stop || printed >= limit) return
          out += format(tp.topic, tp.partition, record)
          printed++
          cursor.offset = record.offset + 1
        })
      }
      if (printed >= limit) break
      cursor.offset = Math.max(cursor.offset, Math.min(batch.lastOffset + 1, stop))
    }
    if (out) await io.stdout(out)
    if (cursor.offset === before) break
  }
  return printed
}

/** Long-polls every cursor's partition; false when `signal` aborted (a normal end of --follow). */
async function waitForAnyAppend(broker: Broker, cursors: PartitionCursor[], signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false
  const round = new AbortController()
  const roundSignal = signal ? AbortSignal.any([signal, round.signal]) : round.signal
  // A pending long poll holds no handle of its own: without this timer Node would exit mid-wait.
  const keepAlive = systemClock.setTimeout(() => undefined, KEEP_ALIVE_MS)
  try {
    // Promise.race subscribes to every wait, so the losers' LOG_ABORTED rejections are handled.
    await Promise.race(cursors.map((c) => broker.waitForAppend(c.tp, c.offset, roundSignal)))
    return true
  } catch (err) {
    if (signal?.aborted && isMillraceError(err, 'LOG_ABORTED')) return false
    throw err
  } finally {
    keepAlive.cancel()
    round.abort()
  }
}
