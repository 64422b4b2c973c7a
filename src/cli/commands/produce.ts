/**
 * `millrace produce <topic>`: one record per line of standard input, after
 * `kafka-console-producer`/`kcat -P`, sent through the public `Producer` client.
 *
 * Input is streamed: each line is sent as it arrives (a last line without a newline counts), with
 * at most {@link MAX_IN_FLIGHT_RECORDS} unacknowledged sends, so a large or endless input never
 * piles up in memory. Placement is the producer's default partitioner — murmur2 of the key, as a
 * Java client, and sticky partitions for null keys (KIP-794) — unless `--partition` is given.
 * The summary goes to stderr so that stdout stays free for pipelines.
 */
import type { CompressionType, Producer, RecordHeader } from '../../log/index.js'
import {
  EXIT_OK,
  dataDirOf,
  expectPositionals,
  parseFlags,
  parseInteger,
  parsePairs,
  usageError,
  withAdmin,
  type CliIo,
} from '../args.js'
import { DATA_DIR_HELP } from './topics.js'

/**
 * Sends awaiting acknowledgement before reading more input: enough to fill several batches per
 * partition (the producer batches by `lingerMs`), small enough to bound memory for long lines.
 */
export const MAX_IN_FLIGHT_RECORDS = 10_000

const COMPRESSIONS: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** Help of `millrace produce`. */
export const PRODUCE_HELP = `usage: millrace produce <topic> [--key-separator <sep>] [--header k=v …] [--partition N] [--compression <codec>] [--data-dir <dir>]

Sends one record per line of standard input (streamed; a last line without a newline counts),
flushes, and prints 'produced N records to <topic> (partitions: …)' on stderr. Ctrl-C (SIGINT)
or SIGTERM stops reading; what was read is still sent.

  --key-separator <sep>   text before the first <sep> is the key, the rest the value
                          (a line without <sep> has a null key)
  --header k=v            a header added to every record (repeatable)
  --partition N           the partition to write (default: murmur2 of the key, like Kafka's Java
                          client; null keys stick to one partition per batch)
  --compression <codec>   none (default), gzip, snappy, lz4 or zstd
${DATA_DIR_HELP}
`

const utf8 = new TextEncoder()

/** Runs `millrace produce …`; resolves with the exit code. @throws `CLI_USAGE` and the producer's errors. */
export async function produce(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    'data-dir': { type: 'string' },
    'key-separator': { type: 'string' },
    header: { type: 'string', multiple: true },
    partition: { type: 'string' },
    compression: { type: 'string' },
  })
  if (values.help) {
    await io.stdout(PRODUCE_HELP)
    return EXIT_OK
  }
  const [topic] = expectPositionals(positionals, ['topic']) as [string]
  const partition = parseInteger('--partition', values.partition)
  const compression = parseCompression(values.compression)
  const headers: RecordHeader[] = parsePairs('--header', values.header).map(([key, value]) => ({
    key,
    value: utf8.encode(value),
  }))
  const separator = values['key-separator'] || undefined
  const { count, partitions } = await withAdmin(io, dataDirOf(values['data-dir'], io), async (admin, broker) => {
    // Checked before reading input so a wrong topic or partition fails fast, not after stdin.
    const [info] = await admin.describeTopics([topic])
    if (partition !== undefined && partition >= (info?.partitions.length ?? 0)) {
      await admin.listOffsets([{ topic, partition, spec: 'latest' }]) // raises LOG_UNKNOWN_PARTITION
    }
    const producer = broker.producer({ compression })
    try {
      return await sendLines(producer, io, (line) => {
        const at = separator === undefined ? -1 : line.indexOf(separator)
        return {
          topic,
          partition,
          key: at < 0 ? null : utf8.encode(line.slice(0, at)),
          value: utf8.encode(at < 0 ? line : line.slice(at + (separator?.length ?? 0))),
          headers,
        }
      })
    } finally {
      await producer.close()
    }
  })
  const used = [...partitions].sort((a, b) => a - b).join(',')
  await io.stderr(`produced ${count} records to ${topic}${count > 0 ? ` (partitions: ${used})` : ''}\n`)
  return EXIT_OK
}

function parseCompression(text: string | undefined): CompressionType {
  if (text === undefined) return 'none'
  const found = COMPRESSIONS.find((c) => c === text)
  if (found === undefined) throw usageError(`--compression must be one of ${COMPRESSIONS.join(', ')}, got '${text}'`)
  return found
}

type ToRecord = (line: string) => Parameters<Producer['send']>[0]

/**
 * Sends a record per input line until the input ends or `io.signal` aborts, then flushes.
 * Resolves with the number acknowledged and the partitions written; rejects with the first
 * failed send (later lines are not read after a failure).
 */
async function sendLines(producer: Producer, io: CliIo, toRecord: ToRecord): Promise<{ count: number; partitions: Set<number> }> {
  const partitions = new Set<number>()
  let count = 0
  let inFlight = 0
  let failure: { error: unknown } | undefined
  let wakeReader: (() => void) | undefined
  const settled = (): void => {
    inFlight--
    wakeReader?.()
  }
  for await (const line of linesUntilAborted(io.stdin, io.signal)) {
    if (failure !== undefined) break
    inFlight++
    producer.send(toRecord(line)).then(
      (meta) => {
        count++
        partitions.add(meta.partition)
        settled()
      },
      (error: unknown) => {
        failure ??= { error }
        settled()
      },
    )
    while (inFlight >= MAX_IN_FLIGHT_RECORDS && failure === undefined) {
      await new Promise<void>((resolve) => (wakeReader = resolve))
    }
  }
  await producer.flush()
  // flush() settles every send's batch, but their callbacks run in later microtasks.
  while (inFlight > 0) await new Promise<void>((resolve) => (wakeReader = resolve))
  if (failure !== undefined) throw failure.error
  return { count, partitions }
}

/** `lines` until they end or `signal` aborts; a pending read is abandoned on abort. */
async function* linesUntilAborted(lines: AsyncIterable<string>, signal: AbortSignal | undefined): AsyncGenerator<string> {
  const iterator = lines[Symbol.asyncIterator]()
  const aborted = new Promise<IteratorResult<string>>((resolve) => {
    if (signal?.aborted) resolve({ done: true, value: undefined })
    signal?.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true })
  })
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted])
      if (next.done === true) return
      yield next.value
    }
  } finally {
    // Closes readline, which releases stdin so the process can exit.
    await iterator.return?.()
  }
}
