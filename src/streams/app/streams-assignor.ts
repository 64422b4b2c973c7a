/**
 * The app's consumer-group assignor (Kafka's `StreamsPartitionAssignor`, simplified to one
 * thread per instance): partitions are handed out as whole tasks, so every partition a task reads
 * (partition p of each of its sub-topology's source topics) goes to the same instance.
 *
 * Balance first, then stickiness: every instance gets ⌊T/N⌋ or ⌈T/N⌉ of the T tasks; within
 * that, a task stays with the instance that ran it before, which each instance reports in its
 * subscription's userData (under the eager protocol nothing is "owned" while rejoining). Ties are
 * broken by member id, so the result is a pure function of the subscriptions.
 */
import type { AssignmentCluster, MemberAssignment, MemberSubscription, PartitionAssignor, RebalanceProtocol, TopicPartition } from '../../log/index.js'
import { matchesWhole } from '../runtime/stream-task.js'

/** What the assignor needs of a sub-topology: its source topics (real names) and patterns. */
export interface SubtopologySources {
  readonly id: number
  readonly topics: readonly string[]
  readonly patterns: readonly RegExp[]
}

export interface AssignedTask {
  readonly subtopology: number
  readonly partition: number
}

/** The task `subtopology_partition` (Kafka's TaskId format). */
export const taskKey = (subtopology: number, partition: number): string => `${subtopology}_${partition}`

const USER_DATA_VERSION = 1
const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

export class StreamsAssignor implements PartitionAssignor {
  readonly name = 'millrace-streams'
  readonly supportedProtocols: ReadonlyArray<RebalanceProtocol> = ['eager']
  /** Tasks this instance runs now: reported in the next subscription. */
  private currentTasks: readonly string[] = []

  constructor(private readonly subtopologies: readonly SubtopologySources[]) {}

  setCurrentTasks(tasks: readonly string[]): void {
    this.currentTasks = [...tasks]
  }

  subscriptionUserData(): Uint8Array {
    return utf8.encode(JSON.stringify({ v: USER_DATA_VERSION, tasks: this.currentTasks }))
  }

  /** The topics a sub-topology reads in `cluster` (named ones that exist, and pattern matches). */
  topicsOf(subtopology: SubtopologySources, topicNames: Iterable<string>): string[] {
    const out = new Set<string>()
    const names = [...topicNames]
    for (const t of subtopology.topics) if (names.includes(t)) out.add(t)
    for (const p of subtopology.patterns) for (const t of names) if (matchesWhole(p, t)) out.add(t)
    return [...out].sort()
  }

  assign(cluster: AssignmentCluster, subscriptions: ReadonlyMap<string, MemberSubscription>): Map<string, MemberAssignment> {
    const members = [...subscriptions.keys()].sort()
    const result = new Map<string, MemberAssignment>(members.map((m) => [m, { partitions: [] }]))
    if (members.length === 0) return result
    // Every task with its partitions, in (sub-topology, partition) order.
    const tasks: Array<{ key: string; partitions: TopicPartition[] }> = []
    for (const s of this.subtopologies) {
      const topics = this.topicsOf(s, cluster.partitionsPerTopic.keys())
      const count = Math.max(0, ...topics.map((t) => cluster.partitionsPerTopic.get(t) ?? 0))
      for (let p = 0; p < count; p++) {
        tasks.push({ key: taskKey(s.id, p), partitions: topics.filter((t) => p < (cluster.partitionsPerTopic.get(t) ?? 0)).map((topic) => ({ topic, partition: p })) })
      }
    }
    const previousOwner = new Map<string, string>()
    const previousCount = new Map<string, number>(members.map((m) => [m, 0]))
    for (const m of members) {
      for (const t of previousTasks(subscriptions.get(m))) {
        if (!previousOwner.has(t)) {
          previousOwner.set(t, m)
          previousCount.set(m, (previousCount.get(m) ?? 0) + 1)
        }
      }
    }
    // Quotas: ⌊T/N⌋ each, one more for the T mod N members that ran the most tasks before.
    const base = Math.floor(tasks.length / members.length)
    const extra = tasks.length % members.length
    const byPrevious = [...members].sort((a, b) => (previousCount.get(b) ?? 0) - (previousCount.get(a) ?? 0) || (a < b ? -1 : 1))
    const quota = new Map<string, number>(members.map((m) => [m, base]))
    for (let i = 0; i < extra; i++) quota.set(byPrevious[i] as string, base + 1)
    const load = new Map<string, number>(members.map((m) => [m, 0]))
    const owner = new Map<string, string>()
    for (const task of tasks) {
      const prev = previousOwner.get(task.key)
      if (prev !== undefined && (load.get(prev) ?? 0) < (quota.get(prev) ?? 0)) {
        owner.set(task.key, prev)
        load.set(prev, (load.get(prev) ?? 0) + 1)
      }
    }
    for (const task of tasks) {
      if (owner.has(task.key)) continue
      let best: string | undefined
      for (const m of members) {
        if ((load.get(m) ?? 0) >= (quota.get(m) ?? 0)) continue
        if (best === undefined || (load.get(m) ?? 0) < (load.get(best) ?? 0)) best = m
      }
      const chosen = best as string
      owner.set(task.key, chosen)
      load.set(chosen, (load.get(chosen) ?? 0) + 1)
    }
    for (const task of tasks) result.get(owner.get(task.key) as string)?.partitions.push(...task.partitions)
    return result
  }
}

/** The tasks a member reported running; nothing for unreadable userData (a member of another version). */
function previousTasks(subscription: MemberSubscription | undefined): string[] {
  const data = subscription?.userData
  if (data === null || data === undefined) return []
  try {
    const parsed = JSON.parse(fromUtf8.decode(data)) as { v?: unknown; tasks?: unknown }
    if (parsed.v !== USER_DATA_VERSION || !Array.isArray(parsed.tasks)) return []
    return parsed.tasks.filter((t): t is string => typeof t === 'string')
  } catch {
    // Not ours to read: the member is treated as running nothing, which only costs stickiness.
    return []
  }
}
