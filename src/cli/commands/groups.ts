/**
 * `millrace groups list|describe|reset-offsets`, after `kafka-consumer-groups` and `rpk group`,
 * through the public `Admin` client.
 *
 * `reset-offsets` prints its plan (current → new per partition) and changes nothing unless
 * `--execute` is given, as `kafka-consumer-groups --reset-offsets` does (`--dry-run` is its
 * default too). Offsets of a group with active members cannot be altered (`LOG_GROUP_NOT_EMPTY`).
 */
import { MillraceError, type Admin, type GroupDescription, type ListOffsetsQuery, type OffsetSpec } from '../../log/index.js'
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
import { formatTable, orDash } from '../table.js'
import { DATA_DIR_HELP } from './topics.js'

/** Help of `millrace groups`. */
export const GROUPS_HELP = `usage: millrace groups <command> [--data-dir <dir>]

  list                              groups with their state and member count
  describe <group>                  committed offset, log end and lag per partition; members
  reset-offsets <group> --topic T   plan (and with --execute apply) new committed offsets

${DATA_DIR_HELP}
Run 'millrace groups <command> --help' for a command's flags.
`

const HELP: Readonly<Record<string, string>> = {
  list: `usage: millrace groups list [--data-dir <dir>]

${DATA_DIR_HELP}
`,
  describe: `usage: millrace groups describe <group> [--data-dir <dir>]

Per committed partition: topic, partition, committed offset, log end offset, lag and the
member that owns it ('-' when none); then the group's members. An unknown group is
LOG_UNKNOWN_GROUP.

${DATA_DIR_HELP}
`,
  'reset-offsets': `usage: millrace groups reset-offsets <group> --topic T [--partition N] <strategy> [--execute] [--data-dir <dir>]

Prints the plan (current → new offset per partition). Nothing changes without --execute; the
group must then have no active members (else LOG_GROUP_NOT_EMPTY).

strategy (exactly one):
  --to-earliest          the log start offset
  --to-latest            the log end offset
  --to-datetime <ISO>    the first offset at or after the time (the log end when none)
  --to-offset N          offset N, clamped to [log start, log end]
  --shift-by ±N          the committed offset moved by N (use --shift-by=-N for negative N),
                         clamped to [log start, log end]; without a committed offset it shifts
                         from the log end (Kafka's default auto.offset.reset, latest)

  --topic T              the topic whose offsets to reset (required)
  --partition N          only partition N (default: every partition of the topic)
  --execute              apply the plan
${DATA_DIR_HELP}
`,
}

const DATA_DIR_FLAG = { 'data-dir': { type: 'string' } } as const

/** Runs `millrace groups <command> …`; resolves with the exit code. @throws `CLI_USAGE` and the admin's errors. */
export async function groups(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'list':
      return list(rest, io)
    case 'describe':
      return describe(rest, io)
    case 'reset-offsets':
      return resetOffsets(rest, io)
    case '--help':
    case '-h':
    case 'help':
      await io.stdout(GROUPS_HELP)
      return EXIT_OK
    case undefined:
      throw usageError("missing groups command (run 'millrace groups --help')")
    default:
      throw usageError(`unknown groups command '${sub}' (run 'millrace groups --help')`)
  }
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, DATA_DIR_FLAG)
  if (values.help) return help('list', io)
  expectPositionals(positionals, [])
  const described = await withAdmin(io, dataDirOf(values['data-dir'], io), async (admin) => {
    const listed = await admin.listGroups()
    return admin.describeGroups(listed.map((g) => g.groupId))
  })
  const rows = described.map((g) => [g.groupId, g.state, String(g.members.length)])
  await io.stdout(formatTable(['GROUP', 'STATE', 'MEMBERS'], rows))
  return EXIT_OK
}

async function describe(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, DATA_DIR_FLAG)
  if (values.help) return help('describe', io)
  const [groupId] = expectPositionals(positionals, ['group']) as [string]
  const [group] = await withAdmin(io, dataDirOf(values['data-dir'], io), (admin) => admin.describeGroups([groupId]))
  if (group === undefined || isUnknown(group)) {
    throw new MillraceError('LOG_UNKNOWN_GROUP', `unknown group ${groupId}`, { details: { groupId } })
  }
  const summary =
    `GROUP: ${group.groupId}  STATE: ${group.state}  PROTOCOL: ${orDash(group.protocol)}  ` +
    `GENERATION: ${group.generationId}  MEMBERS: ${group.members.length}\n\n`
  const offsets = formatTable(
    ['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'MEMBER'],
    group.offsets.map((o) => [
      o.topic,
      String(o.partition),
      String(o.committedOffset),
      o.logEndOffset < 0 ? '-' : String(o.logEndOffset),
      String(o.lag),
      orDash(o.memberId),
    ]),
  )
  const members = formatTable(
    ['MEMBER', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'],
    group.members.map((m) => [
      m.memberId,
      m.clientId,
      m.clientHost,
      orDash(m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(',')),
    ]),
  )
  await io.stdout(summary + offsets + '\n' + members)
  return EXIT_OK
}

/** The admin describes a group it has never seen as Dead with nothing in it. */
function isUnknown(group: GroupDescription): boolean {
  return group.state === 'Dead' && group.members.length === 0 && group.offsets.length === 0
}

type ResetStrategy =
  | { readonly kind: 'earliest' | 'latest' }
  | { readonly kind: 'datetime'; readonly timestampMs: number }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'shift'; readonly by: number }

interface PlannedOffset {
  readonly topic: string
  readonly partition: number
  readonly current: number | null
  readonly next: number
}

async function resetOffsets(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    ...DATA_DIR_FLAG,
    topic: { type: 'string' },
    partition: { type: 'string' },
    'to-earliest': { type: 'boolean' },
    'to-latest': { type: 'boolean' },
    'to-datetime': { type: 'string' },
    'to-offset': { type: 'string' },
    'shift-by': { type: 'string' },
    execute: { type: 'boolean' },
  })
  if (values.help) return help('reset-offsets', io)
  const [groupId] = expectPositionals(positionals, ['group']) as [string]
  const topic = values.topic
  if (topic === undefined) throw usageError('reset-offsets needs --topic <topic>')
  const partition = parseInteger('--partition', values.partition)
  const strategies: ResetStrategy[] = []
  if (values['to-earliest']) strategies.push({ kind: 'earliest' })
  if (values['to-latest']) strategies.push({ kind: 'latest' })
  const datetime = values['to-datetime']
  if (datetime !== undefined) strategies.push({ kind: 'datetime', timestampMs: parseIsoTime('--to-datetime', datetime) })
  const offset = parseInteger('--to-offset', values['to-offset'])
  if (offset !== undefined) strategies.push({ kind: 'offset', offset })
  const shift = values['shift-by']
  if (shift !== undefined) strategies.push({ kind: 'shift', by: parseShift(shift) })
  const [strategy, ...others] = strategies
  if (strategy === undefined || others.length > 0) {
    throw usageError('reset-offsets needs exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by')
  }
  const execute = values.execute ?? false
  const plan = await withAdmin(io, dataDirOf(values['data-dir'], io), async (admin) => {
    const planned = await planReset(admin, { groupId, topic, partition, strategy })
    if (execute) await admin.alterGroupOffsets(groupId, planned.map(({ topic: t, partition: p, next }) => ({ topic: t, partition: p, offset: next })))
    return planned
  })
  const rows = plan.map((p) => [groupId, p.topic, String(p.partition), orDash(p.current), String(p.next)])
  await io.stdout(formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT', 'NEW'], rows))
  await io.stderr(execute ? `reset ${plan.length} offset(s) of group ${groupId}\n` : 'dry run: nothing changed (add --execute to apply)\n')
  return EXIT_OK
}

function parseShift(text: string): number {
  const by = /^[+-]?[0-9]+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(by)) throw usageError(`--shift-by expects a signed integer such as +5 or -5, got '${text}'`)
  return by
}

/** The new offset of each partition, from one round of offset look-ups. */
async function planReset(
  admin: Admin,
  options: { groupId: string; topic: string; partition: number | undefined; strategy: ResetStrategy },
): Promise<PlannedOffset[]> {
  const { groupId, topic, partition, strategy } = options
  const [info] = await admin.describeTopics([topic])
  const count = info?.partitions.length ?? 0
  const tps = partition === undefined ? Array.from({ length: count }, (_, p) => ({ topic, partition: p })) : [{ topic, partition }]
  const lookup = (spec: OffsetSpec): Promise<(number | null)[]> =>
    admin.listOffsets(tps.map((tp): ListOffsetsQuery => ({ ...tp, spec }))).then((found) => found.map((o) => o.offset))
  // listOffsets raises LOG_UNKNOWN_PARTITION for a --partition the topic does not have.
  const [starts, ends, current] = await Promise.all([lookup('earliest'), lookup('latest'), admin.listGroupOffsets(groupId, tps)])
  const byTime = strategy.kind === 'datetime' ? await lookup({ timestampMs: strategy.timestampMs }) : []
  return tps.map((tp, i) => {
    const start = starts[i] ?? 0
    const end = ends[i] ?? 0
    const committed = current[i]?.offset ?? null
    const clamp = (o: number): number => Math.min(Math.max(o, start), end)
    let next: number
    switch (strategy.kind) {
      case 'earliest':
        next = start
        break
      case 'latest':
        next = end
        break
      case 'datetime':
        next = byTime[i] ?? end
        break
      case 'offset':
        next = clamp(strategy.offset)
        break
      case 'shift':
        next = clamp((committed ?? end) + strategy.by)
        break
    }
    return { ...tp, current: committed, next }
  })
}

async function help(command: string, io: CliIo): Promise<number> {
  await io.stdout(HELP[command] ?? GROUPS_HELP)
  return EXIT_OK
}
