/**
 * `millrace produce <topic>`: one record per line of standard input, after
 * `kafka-console-producer`/`kcat -P`.
 *
 * Partitioning: `--partition N` sends everything to N. Otherwise keyed records go to the
 * partition a Java client would choose (murmur2 of the key bytes), and null-key records to one
 * partition per batch in turn (sticky partitioning).
 */
import { RecordBatchBuilder, murmur2, systemClock, toPositive, type Broker, type RecordHeader } from '../../log/index.js'
import { EXIT_OK, dataDirOf, expectPositionals, parseFlags, parseInteger, parsePairs, withBroker, type CliIo } from '../args.js'

/** Lines per batch: small enough to keep a batch well under `max.message.bytes` for text lines. */
export const MAX_BATCH_RECORDS = 500
/** Soft byte limit of a batch (the default `max.message.bytes` is 1 MiB). */
const MAX_BATCH_BYTES = 512 * 1024

export const PRODUCE_HELP = `usage: millrace produce <topic> [--key-separator <sep>] [--header k=v …] [--partition N] [--data-dir <dir>]

Appends one record per line of standard input and prints 'produced N records to <topic>'.

  --key-separator <sep>   text before the first <sep> is the key, the rest the value
                          (a line without <sep> has a null key)
  --header k=v            a header added to every record (repeatable)
  --partition N           the partition to write (default: by key hash, like Kafka's Java client;
                          null keys: one partition per batch, in turn)
  --data-dir <dir>        data directory (default $MILLRACE_DATA_DIR or ./millrace-data)
`

const utf8 = new TextEncoder()

export async function produce(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    'data-dir': { type: 'string' },
    'key-separator': { type: 'string' },
    header: { type: 'string', multiple: true },
    partition: { type: 'string' },
  })
  if (values.help) {
    await io.stdout(PRODUCE_HELP)
    return EXIT_OK
  }
  const [topic] = expectPositionals(positionals, ['topic']) as [string]
  const fixedPartition = parseInteger('--partition', values.partition)
  const headers: RecordHeader[] = parsePairs('--header', values.header).map(([key, value]) => ({
    key,
    value: utf8.encode(value),
  }))
  const separator = values['key-separator']
  const count = await withBroker(io, dataDirOf(values['data-dir'], io), async (broker) => {
    const partitions = broker.describeTopic(topic).partitions.length
    // Checked before reading input so a wrong partition fails fast (LOG_UNKNOWN_PARTITION).
    if (fixedPartition !== undefined) broker.offsets({ topic, partition: fixedPartition })
    const writer = new BatchWriter(broker, topic, partitions, fixedPartition)
    for await (const line of io.stdin) {
      const sep = separator === undefined || separator === '' ? -1 : line.indexOf(separator)
      const key = sep < 0 ? null : utf8.encode(line.slice(0, sep))
      const value = utf8.encode(sep < 0 ? line : line.slice(sep + (separator as string).length))
      await writer.add(key, value, headers)
    }
    await writer.finish()
    return writer.count
  })
  await io.stdout(`produced ${count} records to ${topic}\n`)
  return EXIT_OK
}

/**
 * One open batch per partition; a full batch is appended durably. Keyed records go where a Java
 * client would put them (`toPositive(murmur2(key)) % partitions`); null-key records stick to one
 * partition until its batch is full, then move to the next (sticky partitioning, KIP-480).
 */
class BatchWriter {
  count = 0
  private readonly builders = new Map<number, RecordBatchBuilder>()
  private sticky = 0

  constructor(
    private readonly broker: Broker,
    private readonly topic: string,
    private readonly partitions: number,
    private readonly fixedPartition: number | undefined,
  ) {}

  async add(key: Uint8Array | null, value: Uint8Array, headers: readonly RecordHeader[]): Promise<void> {
    let partition =
      this.fixedPartition ?? (key === null ? this.sticky : toPositive(murmur2(key)) % this.partitions)
    let builder = this.builders.get(partition)
    if (
      builder !== undefined &&
      (builder.recordCount >= MAX_BATCH_RECORDS || !builder.hasRoomFor(key?.length ?? 0, value.length, headers))
    ) {
      await this.flush(partition)
      // A null-key record follows the sticky partition, which a full batch just moved on.
      if (this.fixedPartition === undefined && key === null) partition = this.sticky
      builder = this.builders.get(partition)
    }
    if (builder === undefined) {
      builder = newBuilder()
      this.builders.set(partition, builder)
    }
    builder.append({ key, value, headers }, systemClock.nowMs())
    this.count++
  }

  async finish(): Promise<void> {
    for (const partition of [...this.builders.keys()]) await this.flush(partition)
  }

  private async flush(partition: number): Promise<void> {
    const builder = this.builders.get(partition)
    if (builder === undefined || builder.recordCount === 0) return
    this.builders.delete(partition)
    await this.broker.appendDurable({ topic: this.topic, partition }, builder.build(), { trusted: true })
    if (partition === this.sticky) this.sticky = (this.sticky + 1) % this.partitions
  }
}

function newBuilder(): RecordBatchBuilder {
  return new RecordBatchBuilder({ maxBatchBytes: MAX_BATCH_BYTES })
}
