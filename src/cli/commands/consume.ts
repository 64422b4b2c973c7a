/**
 * `millrace consume <topic>`: prints records with a kcat/rpk-style format string, after
 * `kafka-console-consumer`/`kcat -C`, read through the public `Consumer` client.
 *
 * Without `--follow` it stops at the end offsets captured at start (kcat `-e`); with `--follow`
 * it polls until `--count` records were printed or the signal aborts (SIGINT/SIGTERM in the
 * process entry point; exit code 0). Either way the consumer is closed, and with `--group` its
 * progress — the records printed, never more — is committed first.
 *
 * With `--group` and no `--partition` the consumer subscribes (a group member, shown by `groups
 * describe`); with `--partition` it is assigned that partition and uses the group for commits
 * only. `--from` then applies only to partitions where the group has no committed offset, as
 * `auto.offset.reset` does in Kafka. There is no order across partitions.
 */
import type { Consumer, ConsumerRecord, TopicPartition } from '../../log/index.js'
import {
  EXIT_OK,
  dataDirOf,
  expectPositionals,
  parseFlags,
  parseInteger,
  parseIsoTime,
  usageError,
  withAdmin,
  type CliIo,
} from '../args.js'
import { DEFAULT_FORMAT, compileFormat, type RecordFormatter } from '../record-format.js'
import { DATA_DIR_HELP } from './topics.js'

/**
 * How long one poll waits for records. Polls that find records return at once; this bounds the
 * first poll of a group member (the join) and how often `--follow` re-checks its state.
 */
const POLL_TIMEOUT_MS = 200
/** Records asked of one poll: one write to stdout per poll, bounded in size. */
const MAX_RECORDS_PER_POLL = 500

/** Help of `millrace consume`. */
export const CONSUME_HELP = `usage: millrace consume <topic> [--format <fmt>] [--from <position>] [--partition N] [--group <id>] [--count N] [--follow] [--null <text>] [--data-dir <dir>]

Prints records, by default up to the end offsets seen at start (like kcat -e).

  --format <fmt>      output per record (default '${DEFAULT_FORMAT}'):
                        %t topic  %p partition  %o offset  %T timestamp ms  %k key  %v value
                        %K/%V key/value bytes (-1 null)  %h headers k=v,k=v  %H header count
                        %% percent  \\n newline  \\t tab  \\\\ backslash
  --null <text>       printed for a null key, value or header value (default: nothing)
  --from <position>   beginning (default) | end | <offset> | <ISO-8601 time>
                      (an offset is clamped to the partition's log start and end; a time picks
                      the first record at or after it, a time without zone is local time)
  --partition N       read only partition N (default: all)
  --group <id>        consume as group <id>: subscribe (with --partition: assign), start at the
                      group's committed offsets, and commit what was printed on exit. --from
                      applies only to partitions without a committed offset.
  --count N           stop after N records
  --follow            keep waiting for new records until --count, Ctrl-C (SIGINT) or SIGTERM,
                      which end it cleanly (exit 0, offsets committed with --group). While it
                      runs it holds the data directory's lock: other millrace commands on the
                      same directory fail with LOG_DATA_DIR_LOCKED until it ends.
${DATA_DIR_HELP}
`

/** Where to start a partition without a committed offset. */
type StartPosition =
  | { readonly kind: 'beginning' }
  | { readonly kind: 'end' }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'time'; readonly timestampMs: number }

/** Runs `millrace consume …`; resolves with the exit code. @throws `CLI_USAGE` and the consumer's errors. */
export async function consume(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    'data-dir': { type: 'string' },
    format: { type: 'string' },
    from: { type: 'string' },
    partition: { type: 'string' },
    group: { type: 'string' },
    count: { type: 'string' },
    follow: { type: 'boolean' },
    null: { type: 'string' },
  })
  if (values.help) {
    await io.stdout(CONSUME_HELP)
    return EXIT_OK
  }
  const [topic] = expectPositionals(positionals, ['topic']) as [string]
  const format = compileFormat(values.format ?? DEFAULT_FORMAT, { nullText: values.null })
  const from = parseFrom(values.from ?? 'beginning')
  const partition = parseInteger('--partition', values.partition)
  const count = parseInteger('--count', values.count, 1) ?? Infinity
  const groupId = values.group
  if (groupId === '') throw usageError('--group must not be empty')
  await withAdmin(io, dataDirOf(values['data-dir'], io), async (admin, broker) => {
    const [info] = await admin.describeTopics([topic])
    const all = (info?.partitions ?? []).map((p) => ({ topic, partition: p.partition }))
    if (partition !== undefined && partition >= all.length) {
      await admin.listOffsets([{ topic, partition, spec: 'latest' }]) // raises LOG_UNKNOWN_PARTITION
    }
    const scope = partition === undefined ? all : [{ topic, partition }]
    const consumer = broker.consumer({
      groupId,
      clientId: 'millrace-cli',
      enableAutoCommit: false,
      // Only decides partitions left unpositioned; --from seeks them explicitly below.
      autoOffsetReset: from.kind === 'end' ? 'latest' : 'earliest',
    })
    try {
      await start(consumer, { scope, from, groupId, subscribe: groupId !== undefined && partition === undefined })
      const stopAt = values.follow ? undefined : new Map((await consumer.endOffsets(scope)).map((o) => [o.partition, o.offset]))
      await printRecords(consumer, { scope, stopAt, count, format, io })
      if (groupId !== undefined) await commitProgress(consumer, stopAt)
    } finally {
      await consumer.close()
    }
  })
  return EXIT_OK
}

function parseFrom(text: string): StartPosition {
  if (text === 'beginning' || text === 'earliest') return { kind: 'beginning' }
  if (text === 'end' || text === 'latest') return { kind: 'end' }
  if (/^[0-9]+$/.test(text)) return { kind: 'offset', offset: parseInteger('--from', text) ?? 0 }
  if (/^\d{4}-/.test(text)) return { kind: 'time', timestampMs: parseIsoTime('--from', text) }
  throw usageError(`--from must be beginning, end, an offset or an ISO-8601 time, got '${text}'`, { flag: '--from' })
}

/**
 * Subscribes or assigns. Partitions the group has no offset for (all of them without a group)
 * start at `from`; a subscribing member does this as partitions are assigned to it.
 */
async function start(
  consumer: Consumer,
  options: { scope: TopicPartition[]; from: StartPosition; groupId: string | undefined; subscribe: boolean },
): Promise<void> {
  const { scope, from, groupId } = options
  const uncommitted = async (tps: TopicPartition[]): Promise<TopicPartition[]> =>
    groupId === undefined ? tps : (await consumer.committed(tps)).filter((c) => c.offset === null)
  if (options.subscribe) {
    await consumer.subscribe({
      topics: [scope[0]?.topic ?? ''],
      listener: { onPartitionsAssigned: async (assigned) => seekFrom(consumer, await uncommitted(assigned), from) },
    })
  } else {
    await consumer.assign(scope)
    await seekFrom(consumer, await uncommitted(scope), from)
  }
}

async function seekFrom(consumer: Consumer, tps: TopicPartition[], from: StartPosition): Promise<void> {
  if (tps.length === 0) return
  switch (from.kind) {
    case 'beginning':
      return consumer.seekToBeginning(tps)
    case 'end':
      return consumer.seekToEnd(tps)
    case 'offset': {
      const [starts, ends] = await Promise.all([consumer.beginningOffsets(tps), consumer.endOffsets(tps)])
      tps.forEach((tp, i) => {
        consumer.seek(tp, Math.min(Math.max(from.offset, starts[i]?.offset ?? 0), ends[i]?.offset ?? 0))
      })
      return
    }
    case 'time': {
      const [found, ends] = await Promise.all([
        consumer.offsetsForTimes(tps.map((tp) => ({ ...tp, timestampMs: from.timestampMs }))),
        consumer.endOffsets(tps),
      ])
      // No record at or after the time: start at the end, as kcat and Kafka's reset do.
      tps.forEach((tp, i) => consumer.seek(tp, found[i]?.offset ?? ends[i]?.offset ?? 0))
      return
    }
  }
}

/**
 * Polls and prints until `count` records were printed, every partition in scope reached
 * `stopAt` (when given), or the signal aborts. Records at or past `stopAt` are not printed.
 */
async function printRecords(
  consumer: Consumer,
  options: { scope: TopicPartition[]; stopAt: Map<number, number> | undefined; count: number; format: RecordFormatter; io: CliIo },
): Promise<void> {
  const { scope, stopAt, format, io } = options
  let remaining = options.count
  while (remaining > 0 && io.signal?.aborted !== true) {
    if (stopAt !== undefined && (await reachedStop(consumer, scope.length, stopAt))) return
    const maxRecords = Math.min(remaining, MAX_RECORDS_PER_POLL)
    const records = await consumer.poll({ timeoutMs: POLL_TIMEOUT_MS, signal: io.signal, maxRecords })
    let out = ''
    for (const record of records) {
      if (stopAt !== undefined && !isBefore(record, stopAt)) continue
      out += format(record)
      remaining--
    }
    if (out) await io.stdout(out)
  }
}

function isBefore(record: ConsumerRecord, stopAt: Map<number, number>): boolean {
  return record.offset < (stopAt.get(record.partition) ?? 0)
}

/** True once every partition in scope is assigned and positioned at or past its stop offset. */
async function reachedStop(consumer: Consumer, scopeSize: number, stopAt: Map<number, number>): Promise<boolean> {
  const assigned = consumer.assignment()
  // A subscribing member has no partitions until its first poll has joined the group.
  if (assigned.length < scopeSize) return false
  for (const tp of assigned) {
    if ((await consumer.position(tp)) < (stopAt.get(tp.partition) ?? 0)) return false
  }
  return true
}

/**
 * Commits each assigned partition's position — capped at `stopAt`, as records past it were
 * fetched but not printed. Polls ask for at most the remaining `--count`, so the position never
 * runs ahead of what was printed otherwise.
 */
async function commitProgress(consumer: Consumer, stopAt: Map<number, number> | undefined): Promise<void> {
  const offsets = []
  for (const tp of consumer.assignment()) {
    const position = await consumer.position(tp)
    offsets.push({ ...tp, offset: Math.min(position, stopAt?.get(tp.partition) ?? Infinity) })
  }
  if (offsets.length > 0) await consumer.commit(offsets)
}
