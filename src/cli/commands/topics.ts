/**
 * `millrace topics create|list|describe|delete|alter-config` on a data directory, after
 * `kafka-topics`/`kafka-configs` and `rpk topic` (Kafka's dotted config names).
 */
import type { Broker } from '../../log/index.js'
import {
  EXIT_OK,
  dataDirOf,
  expectPositionals,
  parseFlags,
  parseInteger,
  parsePairs,
  usageError,
  withBroker,
  type CliIo,
} from '../args.js'

const DATA_DIR_HELP = '  --data-dir <dir>    data directory (default $MILLRACE_DATA_DIR or ./millrace-data)'

export const TOPICS_HELP = `usage: millrace topics <command> [--data-dir <dir>]

  create <name> [--partitions N] [--config k=v …]    create a topic (default 1 partition)
  list                                              topic names, one a line
  describe [name]                                   partitions, offsets and config overrides
  delete <name>                                     delete a topic and its data
  alter-config <name> [--config k=v …] [--delete-config k …]
                                                    set or remove topic config overrides

${DATA_DIR_HELP}
Run 'millrace topics <command> --help' for a command's flags.
`

const HELP: Readonly<Record<string, string>> = {
  create: `usage: millrace topics create <name> [--partitions N] [--config k=v …] [--data-dir <dir>]

  --partitions N      partition count, ≥ 1 (default 1)
  --config k=v        a topic config override with its Kafka name, e.g. cleanup.policy=compact (repeatable)
${DATA_DIR_HELP}
`,
  list: `usage: millrace topics list [--data-dir <dir>]

${DATA_DIR_HELP}
`,
  describe: `usage: millrace topics describe [name] [--data-dir <dir>]

Every topic, or the one named: topic id, per-partition log start/end offsets, size and
segments, and config overrides.

${DATA_DIR_HELP}
`,
  delete: `usage: millrace topics delete <name> [--data-dir <dir>]

${DATA_DIR_HELP}
`,
  'alter-config': `usage: millrace topics alter-config <name> [--config k=v …] [--delete-config k …] [--data-dir <dir>]

All changes are validated together before any is applied.

  --config k=v        set an override (repeatable)
  --delete-config k   remove an override, back to the default (repeatable)
${DATA_DIR_HELP}
`,
}

const DATA_DIR_FLAG = { 'data-dir': { type: 'string' } } as const

export async function topics(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'create':
      return create(rest, io)
    case 'list':
      return list(rest, io)
    case 'describe':
      return describe(rest, io)
    case 'delete':
      return remove(rest, io)
    case 'alter-config':
      return alterConfig(rest, io)
    case '--help':
    case '-h':
    case 'help':
      await io.stdout(TOPICS_HELP)
      return EXIT_OK
    case undefined:
      throw usageError("missing topics command (run 'millrace topics --help')")
    default:
      throw usageError(`unknown topics command '${sub}' (run 'millrace topics --help')`)
  }
}

async function create(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    ...DATA_DIR_FLAG,
    partitions: { type: 'string' },
    config: { type: 'string', multiple: true },
  })
  if (values.help) return help('create', io)
  const [topic] = expectPositionals(positionals, ['name']) as [string]
  const partitions = parseInteger('--partitions', values.partitions, 1) ?? 1
  const configs = Object.fromEntries(parsePairs('--config', values.config))
  const created = await withBroker(io, dataDirOf(values['data-dir'], io), (broker) =>
    broker.createTopic({ topic, partitions, configs }),
  )
  await io.stdout(`created topic ${topic} with ${created.partitions.length} partition(s)\n`)
  return EXIT_OK
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, DATA_DIR_FLAG)
  if (values.help) return help('list', io)
  expectPositionals(positionals, [])
  const names = await withBroker(io, dataDirOf(values['data-dir'], io), (broker) => broker.listTopics())
  if (names.length > 0) await io.stdout(names.join('\n') + '\n')
  return EXIT_OK
}

async function describe(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, DATA_DIR_FLAG)
  if (values.help) return help('describe', io)
  const [name] = expectPositionals(positionals, ['name'], 1)
  const lines = await withBroker(io, dataDirOf(values['data-dir'], io), (broker) =>
    (name === undefined ? broker.listTopics() : [name]).flatMap((topic) => describeLines(broker, topic)),
  )
  if (lines.length > 0) await io.stdout(lines.join('\n') + '\n')
  return EXIT_OK
}

function describeLines(broker: Broker, topic: string): string[] {
  const d = broker.describeTopic(topic)
  const lines = [`Topic: ${topic}\tTopicId: ${d.topicId}\tPartitionCount: ${d.partitions.length}`]
  for (const p of d.partitions) {
    lines.push(
      `\tPartition: ${p.partition}\tLogStartOffset: ${p.logStartOffset}\tLogEndOffset: ${p.logEndOffset}` +
        `\tSize: ${p.sizeBytes}\tSegments: ${p.segments}${p.error ? `\tError: ${p.error.code}` : ''}`,
    )
  }
  const overrides = d.configs.filter((c) => !c.isDefault)
  if (overrides.length > 0) lines.push(`\tConfigs: ${overrides.map((c) => `${c.name}=${c.value}`).join(',')}`)
  return lines
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, DATA_DIR_FLAG)
  if (values.help) return help('delete', io)
  const [topic] = expectPositionals(positionals, ['name']) as [string]
  await withBroker(io, dataDirOf(values['data-dir'], io), (broker) => broker.deleteTopic(topic))
  await io.stdout(`deleted topic ${topic}\n`)
  return EXIT_OK
}

async function alterConfig(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    ...DATA_DIR_FLAG,
    config: { type: 'string', multiple: true },
    'delete-config': { type: 'string', multiple: true },
  })
  if (values.help) return help('alter-config', io)
  const [topic] = expectPositionals(positionals, ['name']) as [string]
  const changes: Record<string, string | null> = Object.fromEntries(parsePairs('--config', values.config))
  for (const key of values['delete-config'] ?? []) {
    if (key in changes) throw usageError(`config ${key} is both set and deleted`, { config: key })
    changes[key] = null
  }
  if (Object.keys(changes).length === 0) throw usageError('alter-config needs --config k=v or --delete-config k')
  await withBroker(io, dataDirOf(values['data-dir'], io), (broker) => broker.alterTopicConfigs(topic, changes))
  await io.stdout(`altered config of topic ${topic}\n`)
  return EXIT_OK
}

async function help(command: string, io: CliIo): Promise<number> {
  await io.stdout(HELP[command] ?? TOPICS_HELP)
  return EXIT_OK
}
