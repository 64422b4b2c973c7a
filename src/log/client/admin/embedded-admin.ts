/**
 * The {@link Admin} of the embedded broker: Kafka's Admin client semantics over an
 * {@link AdminLog} (topics, configs, offsets, records) and the in-process group coordinator
 * (consumer groups).
 *
 * Batch calls run in two phases: every entry is checked (shape, names, existence, counts,
 * configs) before the first change. The log's methods are synchronous, so nothing can change the
 * topics between the two phases. Two limits remain, both shared with Kafka, whose batch calls are
 * per-entry and not atomic:
 * - configs are checked against Kafka's defaults plus the topic's current values; broker-wide
 *   defaults (`BrokerOptions.topicDefaults`) are applied, and checked again, by the log as each
 *   entry is applied, so a conflict with them fails that entry after earlier ones were applied;
 * - an I/O error (`LOG_IO_ERROR`) while applying leaves earlier entries applied.
 */
import { logError } from '../../errors.js'
import type { GroupCoordinatorApi, OffsetCommitEntry } from '../../group/coordinator-api.js'
import { checkPartitionCount, stringifyConfigs } from '../../broker-topics.js'
import {
  ConfigInvalidError,
  TOPIC_CONFIG_NAMES,
  resolveTopicConfig,
  type TopicConfigOverrides,
} from '../../topic-config.js'
import { topicCollisionKey, validateTopicName } from '../../topic-name.js'
import type { TopicPartition } from '../../topic-partition.js'
import type { CommittedOffset, OffsetToCommit, TopicPartitionOffset } from '../consumer/consumer-api.js'
import type {
  Admin,
  DeletedRecords,
  GroupDescription,
  GroupListing,
  ListedOffset,
  ListOffsetsQuery,
  ListTopicsOptions,
  NewPartitionsSpec,
  NewTopicSpec,
  OffsetSpec,
  TopicConfigChanges,
  TopicConfigs,
  TopicInfo,
} from './admin-api.js'
import {
  invalidArgument,
  partitionKey,
  rejectDuplicates,
  requireArray,
  requireObject,
  requireString,
  requireStrings,
  requireTopicPartition,
} from './admin-arguments.js'
import type { AdminLog, AdminLogNewTopic, AdminLogTopicDescription } from './admin-log.js'
import { describeGroupSnapshot, UNKNOWN_LOG_END_OFFSET } from './group-description.js'
import { isInternalTopic } from './internal-topics.js'

/** Kafka's `-1` of DeleteRecords: delete up to the log end (high watermark). */
const DELETE_TO_LOG_END = -1
/** Generation and member id of a commit made outside group management (log-anchor §5.2). */
const ADMIN_GENERATION_ID = -1
const ADMIN_MEMBER_ID = ''

/** What an {@link EmbeddedAdmin} administers; it owns neither. */
export interface EmbeddedAdminOptions {
  /** The log administered; not owned (closing the admin leaves it open). */
  readonly log: AdminLog
  /**
   * The group coordinator, asked for only by the group methods, so that topic administration
   * never brings the coordinator (and its internal topic) into being.
   */
  readonly coordinator: () => GroupCoordinatorApi
}

/**
 * The embedded broker's {@link Admin} (see the file comment). Every method is async and rejects
 * with `LOG_CLOSED` after `close()`, with `LOG_INVALID_ARGUMENT` for arguments of the wrong
 * shape (naming the argument's path), and with the codes listed on {@link Admin}. Holds no
 * resources: it does not own the log or the coordinator.
 */
export class EmbeddedAdmin implements Admin {
  private readonly log: AdminLog
  private readonly coordinator: () => GroupCoordinatorApi
  private closed = false

  constructor(options: EmbeddedAdminOptions) {
    this.log = options.log
    this.coordinator = options.coordinator
  }

  // ---------------------------------------------------------------- topics

  /**
   * Creates topics after checking all of them: names (`LOG_INVALID_TOPIC`, also for names that
   * collide through `.`/`_` with each other or an existing topic), no name twice
   * (`LOG_INVALID_ARGUMENT`), none existing (`LOG_TOPIC_EXISTS`), partition counts
   * (`LOG_INVALID_PARTITIONS`) and configs (`CONFIG_INVALID`).
   */
  async createTopics(topics: readonly NewTopicSpec[]): Promise<void> {
    this.ensureOpen()
    const specs = requireArray(topics, 'topics').map((t, i) => checkNewTopic(t, `topics[${i}]`))
    rejectDuplicates(
      specs.map((s) => s.topic),
      'topics',
    )
    const existing = new Set(this.log.listTopics())
    const byCollisionKey = new Map([...existing].map((t) => [topicCollisionKey(t), t]))
    for (const { topic } of specs) {
      if (existing.has(topic)) throw logError('LOG_TOPIC_EXISTS', `topic ${topic} already exists`, { topic })
      const key = topicCollisionKey(topic)
      const other = byCollisionKey.get(key)
      if (other !== undefined) {
        throw logError('LOG_INVALID_TOPIC', `topic ${topic} collides with ${other} ('.' and '_' are equivalent)`, {
          topic,
          reason: 'collision',
        })
      }
      byCollisionKey.set(key, topic)
    }
    for (const spec of specs) this.log.createTopic(spec)
  }

  /** Deletes topics once all are known to exist. @throws `LOG_UNKNOWN_TOPIC`, `LOG_INVALID_ARGUMENT` (a name twice). */
  async deleteTopics(topics: readonly string[]): Promise<void> {
    this.ensureOpen()
    const names = requireStrings(topics, 'topics')
    rejectDuplicates(names, 'topics')
    this.requireTopics(names)
    for (const name of names) this.log.deleteTopic(name)
  }

  /** Topic names, sorted; internal topics only with `includeInternal`. */
  async listTopics(options?: ListTopicsOptions): Promise<string[]> {
    this.ensureOpen()
    const includeInternal = options === undefined ? undefined : requireObject(options, 'options')['includeInternal']
    if (includeInternal !== undefined && typeof includeInternal !== 'boolean') {
      throw invalidArgument('options.includeInternal', 'must be a boolean')
    }
    const all = this.log.listTopics()
    return includeInternal === true ? all : all.filter((t) => !isInternalTopic(t))
  }

  /** Topics in the order asked. @throws `LOG_UNKNOWN_TOPIC` (checked for all first). */
  async describeTopics(topics: readonly string[]): Promise<TopicInfo[]> {
    this.ensureOpen()
    const names = requireStrings(topics, 'topics')
    this.requireTopics(names)
    return names.map((name) => toTopicInfo(this.log.describeTopic(name)))
  }

  /**
   * Grows topics after checking all of them. @throws `LOG_UNKNOWN_TOPIC`, `LOG_INVALID_PARTITIONS`
   * (not larger than the current count, or over the limit), `LOG_INVALID_ARGUMENT` (a topic twice).
   */
  async createPartitions(specs: readonly NewPartitionsSpec[]): Promise<void> {
    this.ensureOpen()
    const checked = requireArray(specs, 'specs').map((s, i) => {
      const o = requireObject(s, `specs[${i}]`)
      const topic = requireString(o['topic'], `specs[${i}].topic`)
      const count = o['count']
      if (typeof count !== 'number') throw invalidArgument(`specs[${i}].count`, 'must be a number')
      return { topic, count }
    })
    rejectDuplicates(
      checked.map((s) => s.topic),
      'specs',
    )
    this.requireTopics(checked.map((s) => s.topic))
    for (const { topic, count } of checked) {
      checkPartitionCount(topic, count)
      const current = this.log.describeTopic(topic).partitions.length
      if (count <= current) {
        throw logError('LOG_INVALID_PARTITIONS', `topic ${topic} has ${current} partitions; it can only grow`, {
          topic,
          partitions: count,
        })
      }
    }
    for (const { topic, count } of checked) this.log.createPartitions(topic, count)
  }

  // ---------------------------------------------------------------- configs

  /** Every config of each topic, by Kafka name. @throws `LOG_UNKNOWN_TOPIC` (checked for all first). */
  async describeConfigs(topics: readonly string[]): Promise<TopicConfigs[]> {
    this.ensureOpen()
    const names = requireStrings(topics, 'topics')
    this.requireTopics(names)
    return names.map((topic) => ({ topic, entries: [...this.log.describeTopic(topic).configs] }))
  }

  /**
   * Sets (`string`/`number`) and removes (`null`) config overrides after checking every topic:
   * existence (`LOG_UNKNOWN_TOPIC`), no topic twice (`LOG_INVALID_ARGUMENT`), and the topic's
   * resulting configs (`CONFIG_INVALID`, also for removing a config name that does not exist —
   * a typo must not pass as a no-op). See the file comment for broker-wide defaults.
   */
  async alterConfigs(changes: readonly TopicConfigChanges[]): Promise<void> {
    this.ensureOpen()
    const checked = requireArray(changes, 'changes').map((c, i) => checkConfigChanges(c, `changes[${i}]`))
    rejectDuplicates(
      checked.map((c) => c.topic),
      'changes',
    )
    this.requireTopics(checked.map((c) => c.topic))
    for (const { topic, configs } of checked) checkAlteredConfigs(this.log.describeTopic(topic), configs)
    for (const { topic, configs } of checked) this.log.alterTopicConfigs(topic, configs)
  }

  // ---------------------------------------------------------------- offsets and records

  /**
   * Kafka ListOffsets: `earliest` is the log start, `latest` the log end, a timestamp the first
   * record at or after it (`null` offset and timestamp when every record is older).
   * @throws `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`, `LOG_INVALID_ARGUMENT` (a negative or
   *   non-integer `timestampMs`, an unknown spec).
   */
  async listOffsets(queries: readonly ListOffsetsQuery[]): Promise<ListedOffset[]> {
    this.ensureOpen()
    const checked = requireArray(queries, 'queries').map((q, i) => {
      const tp = requireTopicPartition(q, `queries[${i}]`)
      return { ...tp, spec: checkOffsetSpec(requireObject(q, `queries[${i}]`)['spec'], `queries[${i}].spec`) }
    })
    for (const q of checked) this.log.offsets(q)
    return checked.map(({ topic, partition, spec }): ListedOffset => {
      const tp = { topic, partition }
      if (spec === 'earliest') return { topic, partition, offset: this.log.offsets(tp).logStartOffset, timestampMs: null }
      if (spec === 'latest') return { topic, partition, offset: this.log.offsets(tp).logEndOffset, timestampMs: null }
      const found = this.log.offsetForTimestamp(tp, spec.timestampMs)
      return { topic, partition, offset: found?.offset ?? null, timestampMs: found?.timestampMs ?? null }
    })
  }

  /**
   * Kafka DeleteRecords, after checking every partition: `offset` −1 means the log end; an
   * offset at or below the log start changes nothing. Answers each partition's log start after.
   * @throws `LOG_OFFSET_OUT_OF_RANGE` (past the log end, or negative other than −1),
   *   `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`, `LOG_INVALID_ARGUMENT` (a non-integer offset, a
   *   partition twice).
   */
  async deleteRecords(before: readonly TopicPartitionOffset[]): Promise<DeletedRecords[]> {
    this.ensureOpen()
    const checked = requireArray(before, 'before').map((e, i) => {
      const tp = requireTopicPartition(e, `before[${i}]`)
      const offset = requireObject(e, `before[${i}]`)['offset']
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
        throw invalidArgument(`before[${i}].offset`, 'must be an integer')
      }
      return { tp, offset }
    })
    rejectDuplicates(
      checked.map((e) => partitionKey(e.tp)),
      'before',
    )
    const planned = checked.map(({ tp, offset }) => {
      const { logEndOffset } = this.log.offsets(tp)
      const target = offset === DELETE_TO_LOG_END ? logEndOffset : offset
      if (target < 0 || target > logEndOffset) {
        throw logError(
          'LOG_OFFSET_OUT_OF_RANGE',
          `cannot delete records of ${tp.topic}-${tp.partition} before ${offset}: the log ends at ${logEndOffset}`,
          { topic: tp.topic, partition: tp.partition, offset },
        )
      }
      return { tp, target }
    })
    for (const { tp, target } of planned) this.log.deleteRecordsBefore(tp, target)
    return planned.map(({ tp }) => ({ ...tp, lowWatermark: this.log.offsets(tp).logStartOffset }))
  }

  // ---------------------------------------------------------------- groups

  /** Groups with members or committed offsets, sorted by id. */
  async listGroups(): Promise<GroupListing[]> {
    this.ensureOpen()
    return this.coordinator()
      .listGroups()
      .map(({ groupId, state, protocolType }) => ({ groupId, state, protocolType }))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
  }

  /**
   * Groups in the order asked, with members (subscription and assignment parsed from their
   * consumer protocol bytes; a member whose bytes do not parse is shown with empty ones) and
   * committed offsets with lag. An offset of a partition that no longer exists or failed to open
   * has `logEndOffset` −1 and lag 0. @throws `LOG_INVALID_GROUP_ID`.
   */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    this.ensureOpen()
    const ids = requireStrings(groupIds, 'groupIds')
    const coordinator = this.coordinator()
    const logEndOf = this.logEndLookup()
    return ids.map((id) => describeGroupSnapshot(coordinator.describeGroup(id), coordinator.fetchOffsets(id), logEndOf))
  }

  /**
   * Committed offsets of a group: all of them sorted by topic and partition, or one entry per
   * asked partition in the order asked (offset `null` where none is committed).
   * @throws `LOG_INVALID_GROUP_ID`.
   */
  async listGroupOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    this.ensureOpen()
    const id = requireString(groupId, 'groupId')
    const wanted =
      partitions === undefined
        ? undefined
        : requireArray(partitions, 'partitions').map((tp, i) => requireTopicPartition(tp, `partitions[${i}]`))
    const stored = this.coordinator().fetchOffsets(id, wanted)
    if (wanted === undefined) {
      return stored
        .map(({ topic, partition, offset, metadata }) => ({ topic, partition, offset, metadata }))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    }
    const byKey = new Map(stored.map((o) => [partitionKey(o), o]))
    return wanted.map(({ topic, partition }) => {
      const o = byKey.get(partitionKey({ topic, partition }))
      return { topic, partition, offset: o?.offset ?? null, metadata: o?.metadata ?? '' }
    })
  }

  /**
   * Overwrites committed offsets of a group without members (Kafka alterConsumerGroupOffsets),
   * committed as an admin: generation −1, member id `''`. Checks everything first.
   * @throws `LOG_GROUP_NOT_EMPTY`, `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`,
   *   `LOG_INVALID_ARGUMENT` (a negative or non-integer offset, a non-string metadata, a partition
   *   twice; metadata over the coordinator's limit), `LOG_INVALID_GROUP_ID`.
   */
  async alterGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    this.ensureOpen()
    const id = requireString(groupId, 'groupId')
    const entries = requireArray(offsets, 'offsets').map((e, i) => checkOffsetToCommit(e, `offsets[${i}]`))
    rejectDuplicates(entries.map(partitionKey), 'offsets')
    const coordinator = this.coordinator()
    if (coordinator.describeGroup(id).members.length > 0) {
      throw logError('LOG_GROUP_NOT_EMPTY', `group ${id} has active members; its offsets can only be altered once it is empty`, {
        groupId: id,
      })
    }
    const partitionCounts = new Map<string, number>()
    for (const { topic, partition } of entries) {
      let count = partitionCounts.get(topic)
      if (count === undefined) {
        this.requireTopics([topic])
        count = this.log.describeTopic(topic).partitions.length
        partitionCounts.set(topic, count)
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
        throw logError('LOG_UNKNOWN_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition })
      }
    }
    if (entries.length === 0) return
    await coordinator.commitOffsets({
      groupId: id,
      generationId: ADMIN_GENERATION_ID,
      memberId: ADMIN_MEMBER_ID,
      groupInstanceId: undefined,
      offsets: entries,
    })
  }

  /**
   * Deletes empty groups and their offsets; the coordinator checks all before deleting anything
   * (and, like Kafka's admin, treats a group named twice as once).
   * @throws `LOG_UNKNOWN_GROUP`, `LOG_GROUP_NOT_EMPTY`, `LOG_INVALID_GROUP_ID`.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    this.ensureOpen()
    await this.coordinator().deleteGroups(requireStrings(groupIds, 'groupIds'))
  }

  /** Makes later calls fail with `LOG_CLOSED`. Idempotent; closes neither the log nor the coordinator. */
  async close(): Promise<void> {
    this.closed = true
  }

  // ---------------------------------------------------------------- helpers

  private ensureOpen(): void {
    if (this.closed) throw logError('LOG_CLOSED', 'admin is closed')
  }

  /** @throws `LOG_UNKNOWN_TOPIC` for the first name that is not a topic (`LOG_CLOSED` from the log). */
  private requireTopics(names: readonly string[]): void {
    const existing = new Set(this.log.listTopics())
    for (const topic of names) {
      if (!existing.has(topic)) throw logError('LOG_UNKNOWN_TOPIC', `unknown topic ${topic}`, { topic })
    }
  }

  /** Log ends for one describe call, one topic description per topic. */
  private logEndLookup(): (tp: TopicPartition) => number {
    const existing = new Set(this.log.listTopics())
    const described = new Map<string, AdminLogTopicDescription>()
    return ({ topic, partition }) => {
      if (!existing.has(topic)) return UNKNOWN_LOG_END_OFFSET
      let d = described.get(topic)
      if (d === undefined) {
        d = this.log.describeTopic(topic)
        described.set(topic, d)
      }
      // A partition that failed to open is described with offsets −1: unknown as well.
      return d.partitions[partition]?.logEndOffset ?? UNKNOWN_LOG_END_OFFSET
    }
  }
}

function checkNewTopic(value: unknown, path: string): AdminLogNewTopic {
  const o = requireObject(value, path)
  const topic = requireString(o['topic'], `${path}.topic`)
  validateTopicName(topic)
  const partitions = o['partitions'] ?? 1
  if (typeof partitions !== 'number') throw invalidArgument(`${path}.partitions`, 'must be a number')
  checkPartitionCount(topic, partitions)
  const configs = o['configs'] === undefined ? {} : (requireObject(o['configs'], `${path}.configs`) as TopicConfigOverrides)
  // Stringified as the log stores them, so that what we validate is what it will resolve.
  resolveTopicConfig(stringifyConfigs(configs))
  return { topic, partitions, configs }
}

function toTopicInfo(d: AdminLogTopicDescription): TopicInfo {
  return {
    topic: d.topic,
    topicId: d.topicId,
    isInternal: isInternalTopic(d.topic),
    partitions: d.partitions.map((p) => ({
      partition: p.partition,
      logStartOffset: p.logStartOffset,
      logEndOffset: p.logEndOffset,
      ...(p.error === undefined ? {} : { error: { code: p.error.code, message: p.error.message } }),
    })),
  }
}

function checkConfigChanges(value: unknown, path: string): TopicConfigChanges {
  const o = requireObject(value, path)
  const topic = requireString(o['topic'], `${path}.topic`)
  const configs = requireObject(o['configs'], `${path}.configs`)
  // The config name stays out of the error: it is user input of any length.
  for (const v of Object.values(configs)) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') {
      throw invalidArgument(`${path}.configs`, 'values must be strings, numbers or null')
    }
  }
  return { topic, configs: configs as TopicConfigChanges['configs'] }
}

/**
 * Resolves the topic's configs as they would be after `changes`: its current non-default values
 * (overrides, and broker-wide defaults, which resolve the same), then the changes.
 * @throws `CONFIG_INVALID` listing every problem.
 */
function checkAlteredConfigs(current: AdminLogTopicDescription, changes: TopicConfigChanges['configs']): void {
  const next: Record<string, string> = {}
  for (const e of current.configs) if (!e.isDefault) next[e.name] = e.value
  for (const [name, value] of Object.entries(changes)) {
    if (value !== null) {
      next[name] = String(value)
    } else if (TOPIC_CONFIG_NAMES.includes(name)) {
      delete next[name]
    } else {
      throw new ConfigInvalidError('topic', [
        { path: name, reason: 'unknown-key', message: `cannot remove ${name}: not a supported topic config` },
      ])
    }
  }
  resolveTopicConfig(next)
}

function checkOffsetSpec(value: unknown, path: string): OffsetSpec {
  if (value === 'earliest' || value === 'latest') return value
  const timestampMs = requireObject(value, path)['timestampMs']
  if (typeof timestampMs !== 'number' || !Number.isSafeInteger(timestampMs) || timestampMs < 0) {
    throw invalidArgument(`${path}.timestampMs`, 'must be a non-negative integer')
  }
  return { timestampMs }
}

function checkOffsetToCommit(value: unknown, path: string): OffsetCommitEntry {
  const tp = requireTopicPartition(value, path)
  const o = requireObject(value, path)
  const offset = o['offset']
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidArgument(`${path}.offset`, 'must be a non-negative integer')
  }
  const metadata = o['metadata'] === undefined ? '' : requireString(o['metadata'], `${path}.metadata`)
  return { ...tp, offset, metadata }
}
