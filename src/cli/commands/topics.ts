/**
 * `millrace topics create|list|describe|delete|alter-config` on a data directory, after
 * `kafka-topics`/`kafka-configs` and `rpk topic` (Kafka's dotted config names). Everything goes
 * through the public `Admin` client, so the same code would administer a Kafka cluster.
 */
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

/** The `--data-dir` line every command's help shares. */
export const DATA_DIR_HELP = '  --data-dir <dir>    data directory (default $MILLRACE_DATA_DIR or ./millrace-data)'

/** Help of `millrace topics`. */
export const TOPICS_HELP = `usage: millrace topics <command> [--data-dir <dir>]

  create <name> [--partitions N] [--config k=v …]    create a topic (default 1 partition)
  list [--internal]                                 topic names, one a line
  describe [name]                                   partitions, offsets and config overrides
  delete <name>                                     delete a topic and its data
  alter-config <name> [--set k=v …] [--delete k …]  set or remove topic config overrides

${DATA_DIR_HELP}
Run 'millrace topics <command> --help' for a command's flags.
`

const HELP: Readonly<Record<string, string>> = {
  create: `usage: millrace topics create <name> [--partitions N] [--config k=v …] [--data-dir <dir>]

  --partitions N      partition count, ≥ 1 (default 1)
  --config k=v        a topic config override with its Kafka name, e.g. cleanup.policy=compact (repeatable)
${DATA_DIR_HELP}
`,
  list: `usage: millrace topics list [--internal] [--data-dir <dir>]

  --internal          also list internal topics (__consumer_offsets)
${DATA_DIR_HELP}
`,
  describe: `usage: millrace topics describe [name] [--data-dir <dir>]

Every topic (internal ones only when named), or the one named: topic id, per-partition log
start and end offsets, and config overrides (configs that differ from Kafka's defaults).

${DATA_DIR_HELP}
`,
  delete: `usage: millrace topics delete <name> [--data-dir <dir>]

${DATA_DIR_HELP}
`,
  'alter-config': `usage: millrace topics alter-config <name> [--set k=v …] [--delete k …] [--data-dir <dir>]

All changes are validated together before any is applied.

  --set k=v           set an override (repeatable)
  --delete k          remove an override, back to the default (repeatable)
${DATA_DIR_HELP}
`,
}

const DATA_DIR_FLAG = { 'data-dir': { type: 'string' } } as const

/** Runs `millrace topics <command> …`; resolves with the exit code. @throws `CLI_USAGE` and the admin's errors. */
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
  await withAdmin(io, dataDirOf(values['data-dir'], io), (admin) => admin.createTopics([{ topic, partitions, configs }]))
  await io.stdout(`created topic ${topic} with ${partitions} partition(s)\n`)
  return EXIT_OK
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...DATA_DIR_FLAG, internal: { type: 'boolean' } })
  if (values.help) return help('list', io)
  expectPositionals(positionals, [])
  const includeInternal = values.internal ?? false
  const names = await withAdmin(io, dataDirOf(values['data-dir'], io), (admin) => admin.listTopics({ includeInternal }))
  if (names.length > 0) await io.stdout(names.join('\n') + '\n')
  return EXIT_OK
}

async function describe(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, DATA_DIR_FLAG)
  if (values.help) return help('describe', io)
  const [name] = expectPositionals(positionals, ['name'], 1)
  const lines = await withAdmin(io, dataDirOf(values['data-dir'], io), async (admin) => {
    const names = name === undefined ? await admin.listTopics() : [name]
    const [infos, configs] = await Promise.all([admin.describeTopics(names), admin.describeConfigs(names)])
    return infos.flatMap((info, i) => {
      const out = [`Topic: ${info.topic}\tTopicId: ${info.topicId}\tPartitionCount: ${info.partitions.length}`]
      for (const p of info.partitions) {
        out.push(
          `\tPartition: ${p.partition}\tLogStartOffset: ${p.logStartOffset}\tLogEndOffset: ${p.logEndOffset}` +
            (p.error ? `\tError: ${p.error.code}` : ''),
        )
      }
      const overrides = (configs[i]?.entries ?? []).filter((c) => !c.isDefault)
      if (overrides.length > 0) out.push(`\tConfigs: ${overrides.map((c) => `${c.name}=${c.value}`).join(',')}`)
      return out
    })
  })
  if (lines.length > 0) await io.stdout(lines.join('\n') + '\n')
  return EXIT_OK
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, DATA_DIR_FLAG)
  if (values.help) return help('delete', io)
  const [topic] = expectPositionals(positionals, ['name']) as [string]
  await withAdmin(io, dataDirOf(values['data-dir'], io), (admin) => admin.deleteTopics([topic]))
  await io.stdout(`deleted topic ${topic}\n`)
  return EXIT_OK
}

async function alterConfig(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    ...DATA_DIR_FLAG,
    set: { type: 'string', multiple: true },
    delete: { type: 'string', multiple: true },
  })
  if (values.help) return help('alter-config', io)
  const [topic] = expectPositionals(positionals, ['name']) as [string]
  const configs: Record<string, string | null> = Object.fromEntries(parsePairs('--set', values.set))
  for (const key of values.delete ?? []) {
    if (Object.hasOwn(configs, key)) throw usageError(`config ${key} is both set and deleted`, { config: key })
    configs[key] = null
  }
  if (Object.keys(configs).length === 0) throw usageError('alter-config needs --set k=v or --delete k')
  await withAdmin(io, dataDirOf(values['data-dir'], io), (admin) => admin.alterConfigs([{ topic, configs }]))
  await io.stdout(`altered config of topic ${topic}\n`)
  return EXIT_OK
}

async function help(command: string, io: CliIo): Promise<number> {
  await io.stdout(HELP[command] ?? TOPICS_HELP)
  return EXIT_OK
}
