import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { MemberSubscription } from '../../../src/log/index.js'
import { StreamsAssignor, taskKey, type SubtopologySources } from '../../../src/streams/app/streams-assignor.js'

const subscription = (tasks: readonly string[] | null): MemberSubscription => ({
  topics: [],
  ownedPartitions: [],
  userData: tasks === null ? null : new TextEncoder().encode(JSON.stringify({ v: 1, tasks })),
})

/** Task keys per member, from an assignment (a task = its sub-topology's topic set at partition p). */
function tasksByMember(subtopologies: readonly SubtopologySources[], assignment: Map<string, { partitions: { topic: string; partition: number }[] }>): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const [member, { partitions }] of assignment) {
    const keys = new Set<string>()
    for (const tp of partitions) {
      const s = subtopologies.find((x) => x.topics.includes(tp.topic))
      if (s !== undefined) keys.add(taskKey(s.id, tp.partition))
    }
    out.set(member, [...keys].sort())
  }
  return out
}

describe('StreamsAssignor', () => {
  it('gives every partition of a task to one member, every task once, balanced to within one task', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (partitionCounts, memberCount, previousPicks) => {
          const subtopologies: SubtopologySources[] = partitionCounts.map((_, id) => ({ id, topics: [`a${id}`, `b${id}`], patterns: [] }))
          const cluster = { partitionsPerTopic: new Map(partitionCounts.flatMap((n, id) => [[`a${id}`, n] as const, [`b${id}`, n] as const])) }
          const allTasks = partitionCounts.flatMap((n, id) => Array.from({ length: n }, (_, p) => taskKey(id, p)))
          const members = Array.from({ length: memberCount }, (_, i) => `m${i}`)
          // Arbitrary (even overlapping or stale) previous tasks per member.
          const previous = new Map(members.map((m) => [m, [] as string[]]))
          previousPicks.forEach((pick, i) => previous.get(members[i % memberCount] as string)?.push(allTasks[pick % allTasks.length] as string))
          const assignor = new StreamsAssignor(subtopologies)
          const assignment = assignor.assign(cluster, new Map(members.map((m) => [m, subscription(previous.get(m) ?? [])])))
          // Partitions of one task (a_i and b_i at p) land on the same member, and nothing twice.
          const seen = new Set<string>()
          for (const { partitions } of assignment.values()) {
            for (const tp of partitions) {
              const key = `${tp.topic}/${tp.partition}`
              expect(seen.has(key)).toBe(false)
              seen.add(key)
            }
          }
          expect(seen.size).toBe(allTasks.length * 2)
          const byMember = tasksByMember(subtopologies, assignment)
          for (const [member, { partitions }] of assignment) expect(partitions.length).toBe((byMember.get(member)?.length ?? 0) * 2)
          const loads = [...byMember.values()].map((t) => t.length)
          expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1)
          // A pure function of its input.
          expect(assignor.assign(cluster, new Map([...members].reverse().map((m) => [m, subscription(previous.get(m) ?? [])])))).toEqual(assignment)
        },
      ),
    )
  })

  it('keeps tasks where they ran when the balance allows', () => {
    const subtopologies: SubtopologySources[] = [{ id: 0, topics: ['t'], patterns: [] }]
    const assignor = new StreamsAssignor(subtopologies)
    const cluster = { partitionsPerTopic: new Map([['t', 6]]) }
    const assignment = assignor.assign(
      cluster,
      new Map([
        ['a', subscription(['0_1', '0_3', '0_5'])],
        ['b', subscription(['0_0', '0_2', '0_4'])],
      ]),
    )
    expect(assignment.get('a')?.partitions.map((p) => p.partition)).toEqual([1, 3, 5])
    expect(assignment.get('b')?.partitions.map((p) => p.partition)).toEqual([0, 2, 4])
    // A third member takes two tasks; the others keep two of theirs each.
    const three = assignor.assign(
      cluster,
      new Map([
        ['a', subscription(['0_1', '0_3', '0_5'])],
        ['b', subscription(['0_0', '0_2', '0_4'])],
        ['c', subscription(null)],
      ]),
    )
    expect(three.get('a')?.partitions.map((p) => p.partition)).toEqual([1, 3])
    expect(three.get('b')?.partitions.map((p) => p.partition)).toEqual([0, 2])
    expect(three.get('c')?.partitions.map((p) => p.partition)).toEqual([4, 5])
  })

  it('reads topics matching a pattern from the cluster metadata, and ignores unreadable userData', () => {
    const assignor = new StreamsAssignor([{ id: 0, topics: [], patterns: [/logs-.*/] }])
    const assignment = assignor.assign(
      { partitionsPerTopic: new Map([['logs-a', 2], ['logs-b', 1], ['other', 3]]) },
      new Map([['m', { topics: [], ownedPartitions: [], userData: new Uint8Array([0xff, 0x00]) }]]),
    )
    expect(assignment.get('m')?.partitions).toEqual([
      { topic: 'logs-a', partition: 0 },
      { topic: 'logs-b', partition: 0 },
      { topic: 'logs-a', partition: 1 },
    ])
  })
})
