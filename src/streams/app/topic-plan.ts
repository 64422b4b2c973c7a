/**
 * What the app checks and creates on the log before it joins its group (Kafka Streams'
 * `InternalTopicManager` and `RepartitionTopics`):
 * - every named source topic exists, global stores' topics included (else
 *   `STREAMS_MISSING_SOURCE_TOPIC`, listing them all);
 * - every internal topic exists as `<applicationId>-<name>`, created with its partition count —
 *   the declared one, else that of the source topics of the sub-topology writing it (the largest;
 *   through chains of repartition topics) — and Kafka's repartition settings (`delete`, kept until
 *   the app purges what it committed); an existing one with another count is refused;
 * - the named source topics of one sub-topology have the same number of partitions
 *   (`STREAMS_COPARTITION_MISMATCH`): its tasks read partition p of each;
 * - the subscription: the source topics by name, or one RegExp when any source uses a pattern
 *   (global stores' topics are not subscribed: every instance reads them whole, without the group).
 */
import type { Admin, TopicInfo } from '../../log/index.js'
import { streamsError } from '../errors.js'
import type { TopologyDefinition } from '../topology/topology-definition.js'
import type { SubtopologySources } from './streams-assignor.js'
import { matchesWhole } from '../runtime/stream-task.js'
import { changelogTopicOf } from '../state/stores.js'

/** Kafka's repartition topic settings: time-based retention off; the app deletes what it committed. */
export const REPARTITION_TOPIC_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'delete',
  'retention.ms': '-1',
  'message.timestamp.type': 'CreateTime',
})

/** Kafka's key-value changelog settings: compacted (the latest value per key is the store). */
export const CHANGELOG_TOPIC_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
  'message.timestamp.type': 'CreateTime',
})

export interface TopicPlan {
  /** A topology topic name → its name on the log. */
  readonly resolve: (topic: string) => string
  readonly subtopologies: readonly SubtopologySources[]
  /** Internal topics (repartition topics and changelogs) by real name, with their partition counts. */
  readonly internalTopics: ReadonlyMap<string, number>
  /** Partition counts of every existing topic the topology names (sources, sinks, internal). */
  readonly partitionCounts: ReadonlyMap<string, number>
  readonly subscription: readonly string[] | RegExp
}

export async function prepareTopics(definition: TopologyDefinition, applicationId: string, admin: Admin): Promise<TopicPlan> {
  const internal = new Set(definition.internalTopics.keys())
  const resolve = (topic: string): string => (internal.has(topic) ? `${applicationId}-${topic}` : topic)
  const subtopologies: SubtopologySources[] = definition.subtopologies().map((s) => ({
    id: s.id,
    topics: s.sources.flatMap((src) => src.topics.map(resolve)),
    patterns: s.sources.flatMap((src) => (src.pattern === undefined ? [] : [src.pattern])),
  }))
  // By id, not by position: ids skip those of global stores.
  const byId = new Map(subtopologies.map((s) => [s.id, s]))

  const existing = new Set(await admin.listTopics())
  const counts = new Map<string, number>()
  const describe = async (topics: Iterable<string>): Promise<void> => {
    const wanted = [...new Set(topics)].filter((t) => existing.has(t) && !counts.has(t))
    if (wanted.length === 0) return
    for (const info of (await admin.describeTopics(wanted)) as TopicInfo[]) counts.set(info.topic, info.partitions.length)
  }
  const patterns = subtopologies.flatMap((s) => s.patterns)
  const matched = [...existing].filter((t) => patterns.some((p) => matchesWhole(p, t)))
  const sinkTopics = [...definition.nodes.values()].flatMap((n) => (n.kind === 'sink' && typeof n.topic === 'string' ? [resolve(n.topic)] : []))
  const globalTopics = [...definition.globalStores.values()].map((g) => g.topic)
  await describe([...subtopologies.flatMap((s) => s.topics), ...matched, ...sinkTopics, ...globalTopics])

  const missing = [...new Set([...subtopologies.flatMap((s) => s.topics), ...globalTopics])].filter((t) => !internalName(t, applicationId, internal) && !existing.has(t))
  if (missing.length > 0) {
    throw streamsError('STREAMS_MISSING_SOURCE_TOPIC', `source topic(s) ${missing.join(', ')} do not exist: create them before starting the app`, {
      topics: missing.join(','),
    })
  }

  // Partition counts of internal topics, resolved through chains (a repartition of a repartition).
  const internalCounts = new Map<string, number>()
  const pending = new Map([...definition.internalTopics.values()].map((spec) => [resolve(spec.name), spec]))
  for (const [name, spec] of pending) {
    if (spec.partitions !== undefined) {
      internalCounts.set(name, spec.partitions)
      pending.delete(name)
    }
  }
  const countOf = (topic: string): number | undefined => internalCounts.get(topic) ?? (pending.has(topic) ? undefined : counts.get(topic))
  for (let progress = true; pending.size > 0 && progress; ) {
    progress = false
    for (const [name] of pending) {
      const writers = definition.subtopologies().filter((s) => s.sinks.some((k) => typeof k.topic === 'string' && resolve(k.topic) === name))
      const inputs = writers.flatMap((w) => byId.get(w.id)?.topics ?? []).concat(writers.flatMap((w) => matched.filter((t) => byId.get(w.id)?.patterns.some((p) => matchesWhole(p, t)))))
      const known = inputs.map(countOf)
      if (inputs.length > 0 && known.every((c) => c !== undefined)) {
        internalCounts.set(name, Math.max(...(known as number[])))
        pending.delete(name)
        progress = true
      }
    }
  }
  if (pending.size > 0) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `cannot tell how many partitions internal topic(s) ${[...pending.keys()].join(', ')} need: give them partitions`, {
      topics: [...pending.keys()].join(','),
    })
  }

  // A task reads partition p of every named source topic of its sub-topology: they must have the
  // same number of partitions, or some partitions would be read alone (stricter than Kafka, which
  // enforces this for join inputs only; RegExp subscriptions are exempt, as their topics vary).
  for (const s of subtopologies) {
    const named = [...new Set(s.topics)]
    const sizes = named.map((t) => [t, internalCounts.get(t) ?? counts.get(t)] as const)
    if (new Set(sizes.map(([, n]) => n)).size > 1) {
      throw streamsError(
        'STREAMS_COPARTITION_MISMATCH',
        `sub-topology ${s.id} reads topics with different partition counts (${sizes.map(([t, n]) => `${t}: ${n}`).join(', ')}); repartition one of them`,
        { subtopology: s.id, topics: named.join(',') },
      )
    }
  }

  const toCreate: Array<{ topic: string; partitions: number; configs: Record<string, string> }> = []
  // Changelogs: one partition per task of the sub-topology owning the store, compacted.
  const changelogs = new Map<string, { partitions: number; configs: Record<string, string> }>()
  for (const spec of definition.stores.values()) {
    if (!spec.logging) continue
    const owner = definition.subtopologies().find((s) => s.nodes.some((n) => n.kind === 'processor' && n.stores.includes(spec.name)))
    if (owner === undefined) continue
    const own = byId.get(owner.id)
    const inputs = [...(own?.topics ?? []), ...matched.filter((t) => own?.patterns.some((p) => matchesWhole(p, t)) === true)]
    const partitions = Math.max(0, ...inputs.map((t) => internalCounts.get(t) ?? counts.get(t) ?? 0))
    if (partitions > 0) changelogs.set(changelogTopicOf(applicationId, spec.name), { partitions, configs: { ...CHANGELOG_TOPIC_CONFIGS, ...spec.changelogConfigs } })
  }
  for (const [name, { partitions, configs }] of changelogs) {
    internalCounts.set(name, partitions)
    if (!existing.has(name)) toCreate.push({ topic: name, partitions, configs })
  }
  for (const [name, partitions] of internalCounts) {
    if (!existing.has(name)) {
      if (!changelogs.has(name)) toCreate.push({ topic: name, partitions, configs: { ...REPARTITION_TOPIC_CONFIGS } })
      continue
    }
    await describe([name])
    const actual = counts.get(name)
    if (actual !== partitions) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `internal topic ${name} has ${actual} partitions, the topology needs ${partitions}`, { topic: name, partitions, actual })
    }
  }
  if (toCreate.length > 0) await admin.createTopics(toCreate)
  for (const t of toCreate) counts.set(t.topic, t.partitions)

  const named = [...new Set(subtopologies.flatMap((s) => s.topics))]
  const subscription =
    patterns.length === 0 ? named : new RegExp([...named.map(escapeRegExp), ...patterns.map((p) => `(?:${p.source})`)].join('|'))
  return { resolve, subtopologies, internalTopics: internalCounts, partitionCounts: counts, subscription }
}

function internalName(topic: string, applicationId: string, internal: ReadonlySet<string>): boolean {
  return topic.startsWith(`${applicationId}-`) && internal.has(topic.slice(applicationId.length + 1))
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
