import { describe, expect, it, onTestFinished } from 'vitest'
import { join } from 'node:path'
import { Broker } from '../../../../src/log/broker.js'
import type { Consumer, ConsumerRecord, RebalanceListener } from '../../../../src/log/client/consumer/consumer-api.js'
import type { ConsumerConfigInput } from '../../../../src/log/client/consumer/consumer-config.js'
import { ManualClock } from '../../../../src/log/clock.js'
import { topicPartitionKey, type TopicPartition } from '../../../../src/log/topic-partition.js'
import { tempDir } from '../../../support/temp-dir.js'

const SESSION_MS = 10_000
const HEARTBEAT_MS = 1_000

async function openBroker(clock: ManualClock, dataDir = join(tempDir(), 'data')): Promise<Broker> {
  const broker = await Broker.open({ dataDir, clock })
  onTestFinished(async () => {
    if (!broker.isClosed) await broker.close()
  })
  return broker
}

function consumerOf(broker: Broker, config: ConsumerConfigInput = {}): Consumer {
  const consumer = broker.consumer({
    groupId: 'g',
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
    sessionTimeoutMs: SESSION_MS,
    heartbeatIntervalMs: HEARTBEAT_MS,
    maxPollRecords: 7,
    ...config,
  })
  onTestFinished(() => consumer.close({ leaveGroup: false }).catch(() => undefined))
  return consumer
}

async function produce(broker: Broker, topic: string, partitions: number, perPartition: number, from = 0): Promise<void> {
  const producer = broker.producer({ lingerMs: 0 })
  const records = []
  for (let p = 0; p < partitions; p++) {
    for (let i = from; i < from + perPartition; i++) {
      records.push({ topic, partition: p, key: null, value: Buffer.from(`${p}-${i}`) })
    }
  }
  await producer.sendBatch(records)
  await producer.close()
}

/**
 * Polls every consumer (without waiting) round after round, handing records to `sink`, until
 * `done` holds; each round yields to the event loop so joins parked at the coordinator progress.
 */
async function pollUntil(
  consumers: readonly Consumer[],
  done: () => boolean,
  sink: (consumer: Consumer, records: ConsumerRecord[]) => void = () => undefined,
  what = 'condition',
): Promise<void> {
  const start = performance.now()
  while (!done()) {
    if (performance.now() - start > 10_000) throw new Error(`${what} did not hold while polling`)
    for (const consumer of consumers) sink(consumer, await consumer.poll({ timeoutMs: 0 }))
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

function keys(partitions: readonly TopicPartition[]): string[] {
  return partitions.map(topicPartitionKey).sort()
}

/** Every partition of `topic` is owned by exactly one of `consumers`. */
function ownedOnce(consumers: readonly Consumer[], topic: string, partitions: number): boolean {
  const all = consumers.flatMap((c) => keys(c.assignment()))
  const expected = Array.from({ length: partitions }, (_, p) => `${topic}-${p}`).sort()
  return JSON.stringify(all.sort()) === JSON.stringify(expected)
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('consumer groups', () => {
  it('splits partitions between members that join, and gives them back when one leaves', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 4 })
    const a = consumerOf(broker)
    const b = consumerOf(broker)
    await a.subscribe({ topics: ['t'] })
    await pollUntil([a], () => a.assignment().length === 4, undefined, 'a owns all')
    await b.subscribe({ topics: ['t'] })
    await pollUntil([a, b], () => a.assignment().length === 2 && b.assignment().length === 2, undefined, 'split')
    expect(ownedOnce([a, b], 't', 4)).toBe(true)
    await a.close()
    await pollUntil([b], () => b.assignment().length === 4, undefined, 'b owns all')
  })

  it('expires a crashed member after the session timeout and hands its partitions over', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 3 })
    const a = consumerOf(broker)
    const b = consumerOf(broker)
    await a.subscribe({ topics: ['t'] })
    await b.subscribe({ topics: ['t'] })
    await pollUntil([a, b], () => ownedOnce([a, b], 't', 3) && a.assignment().length > 0 && b.assignment().length > 0)
    await a.close({ leaveGroup: false }) // a crash: no LeaveGroup, no more heartbeats
    clock.advance(SESSION_MS / 2)
    await pollUntil([b], () => true)
    expect(b.assignment().length).toBeLessThan(3)
    clock.advance(SESSION_MS)
    await pollUntil([b], () => b.assignment().length === 3, undefined, 'b takes over')
  })

  for (const strategy of ['cooperative-sticky', 'range'] as const) {
    it(`delivers every record exactly once across ${strategy} rebalances when committing on revoke`, async () => {
      const clock = new ManualClock()
      const broker = await openBroker(clock)
      const partitions = 4
      broker.createTopic({ topic: 't', partitions })
      const seen = new Map<string, number>()
      const sink = (_: Consumer, records: ConsumerRecord[]): void => {
        for (const r of records) {
          const key = Buffer.from(r.value as Uint8Array).toString()
          seen.set(key, (seen.get(key) ?? 0) + 1)
        }
      }
      const committing = (consumer: () => Consumer): RebalanceListener => ({
        onPartitionsRevoked: async () => {
          await consumer().commit()
        },
      })
      const config = { partitionAssignmentStrategy: [strategy] }
      const a: Consumer = consumerOf(broker, config)
      const b: Consumer = consumerOf(broker, config)
      const c: Consumer = consumerOf(broker, config)
      await a.subscribe({ topics: ['t'], listener: committing(() => a) })
      let produced = 0
      const produceRound = async (): Promise<void> => {
        await produce(broker, 't', partitions, 5, produced)
        produced += 5
      }
      await produceRound()
      await pollUntil([a], () => seen.size >= 10, sink)
      await b.subscribe({ topics: ['t'], listener: committing(() => b) })
      await produceRound()
      await pollUntil([a, b], () => b.assignment().length > 0, sink, 'b assigned')
      await produceRound()
      await c.subscribe({ topics: ['t'], listener: committing(() => c) })
      await pollUntil([a, b, c], () => c.assignment().length > 0 && ownedOnce([a, b, c], 't', partitions), sink, 'c assigned')
      await produceRound()
      await a.commit()
      await a.close() // revokes (commits) and leaves
      await pollUntil([b, c], () => ownedOnce([b, c], 't', partitions) && seen.size === produced * partitions, sink, 'all read')
      expect(seen.size).toBe(produced * partitions)
      expect([...seen.values()].every((n) => n === 1)).toBe(true)
    })
  }

  it('resumes from committed offsets after the broker restarts', async () => {
    const clock = new ManualClock()
    const dataDir = join(tempDir(), 'data')
    const broker = await openBroker(clock, dataDir)
    broker.createTopic({ topic: 't', partitions: 2 })
    await produce(broker, 't', 2, 10)
    const a = consumerOf(broker)
    await a.subscribe({ topics: ['t'] })
    const got: ConsumerRecord[] = []
    await pollUntil([a], () => got.length >= 20, (_, r) => got.push(...r))
    await a.commit([
      { topic: 't', partition: 0, offset: 6 },
      { topic: 't', partition: 1, offset: 10 },
    ])
    await a.close()
    await broker.close()
    const reopened = await openBroker(clock, dataDir)
    await produce(reopened, 't', 2, 2, 10)
    const b = consumerOf(reopened)
    await b.subscribe({ topics: ['t'] })
    const after: ConsumerRecord[] = []
    await pollUntil([b], () => after.length >= 8, (_, r) => after.push(...r))
    expect(after.map((r) => `${r.partition}:${r.offset}`).sort()).toEqual(
      ['0:6', '0:7', '0:8', '0:9', '0:10', '0:11', '1:10', '1:11'].sort(),
    )
  })

  it('refuses the commit of a member that stopped polling and was replaced (a zombie) with LOG_COMMIT_FAILED', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 2 })
    const zombie = consumerOf(broker, { maxPollIntervalMs: 5_000 })
    const live = consumerOf(broker)
    await zombie.subscribe({ topics: ['t'] })
    await live.subscribe({ topics: ['t'] })
    await pollUntil([zombie, live], () => ownedOnce([zombie, live], 't', 2) && zombie.assignment().length === 1)
    const stale = zombie.assignment()
    clock.advance(6_000) // the zombie misses its poll deadline and is taken out of the group
    await pollUntil([live], () => live.assignment().length === 2, undefined, 'live takes over')
    let error: unknown
    try {
      await zombie.commit(stale.map((tp) => ({ ...tp, offset: 1 })))
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ code: 'LOG_COMMIT_FAILED' })
    expect((error as { cause: { code: string } }).cause.code).toBe('LOG_UNKNOWN_MEMBER_ID')
    expect(await live.committed(stale)).toEqual(stale.map((tp) => ({ ...tp, offset: null, metadata: '' })))
  })

  it('fences the older of two static members with the same instance id', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 2 })
    const first = consumerOf(broker, { groupInstanceId: 'instance-1' })
    await first.subscribe({ topics: ['t'] })
    await pollUntil([first], () => first.assignment().length === 2)
    const generation = first.groupMetadata().generationId
    const second = consumerOf(broker, { groupInstanceId: 'instance-1' })
    await second.subscribe({ topics: ['t'] })
    await pollUntil([second], () => second.assignment().length === 2)
    expect(second.groupMetadata().generationId).toBe(generation) // no rebalance
    const error = await codeOf(() => first.commit([{ topic: 't', partition: 0, offset: 1 }]))
    expect(error).toBe('LOG_COMMIT_FAILED')
    expect(await codeOf(() => first.poll({ timeoutMs: 0 }))).toBe('LOG_FENCED_INSTANCE_ID')
  })

  it('calls the listener with assigned, revoked and lost partitions', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 2 })
    const events: string[] = []
    const listener: RebalanceListener = {
      onPartitionsAssigned: (p) => void events.push(`assigned ${keys(p).join(',')}`),
      onPartitionsRevoked: (p) => void events.push(`revoked ${keys(p).join(',')}`),
      onPartitionsLost: (p) => void events.push(`lost ${keys(p).join(',')}`),
    }
    const a = consumerOf(broker, { partitionAssignmentStrategy: ['cooperative-sticky'], maxPollIntervalMs: 5_000 })
    await a.subscribe({ topics: ['t'], listener })
    await pollUntil([a], () => a.assignment().length === 2)
    expect(events).toEqual(['assigned t-0,t-1'])
    clock.advance(6_000) // poll interval exceeded: the member leaves; its partitions are lost
    await pollUntil([a], () => events.length >= 3 && a.assignment().length === 2, undefined, 'rejoined')
    expect(events.slice(1)).toEqual(['lost t-0,t-1', 'assigned t-0,t-1'])
    await a.close()
    expect(events.at(-1)).toBe('revoked t-0,t-1')
  })

  it('closes a member whose join is still parked, without disturbing the group', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 2 })
    const a = consumerOf(broker)
    await a.subscribe({ topics: ['t'] })
    await pollUntil([a], () => a.assignment().length === 2)
    const generation = a.groupMetadata().generationId
    const b = consumerOf(broker)
    await b.subscribe({ topics: ['t'] })
    expect(await b.poll({ timeoutMs: 0 })).toEqual([]) // its join waits for a to rejoin
    await b.close()
    await pollUntil([a], () => a.groupMetadata().generationId > generation && a.assignment().length === 2, undefined, 'a rejoined')
    const [group] = await broker.admin().describeGroups(['g'])
    expect(group?.members.map((m) => m.memberId)).toEqual([a.groupMetadata().memberId])
  })

  it('joins again after unsubscribe, and can switch to assign in between', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 2 })
    broker.createTopic({ topic: 'u', partitions: 1 })
    const a = consumerOf(broker)
    await a.subscribe({ topics: ['t'] })
    await pollUntil([a], () => a.assignment().length === 2)
    await a.unsubscribe()
    expect(a.assignment()).toEqual([])
    expect((await broker.admin().describeGroups(['g']))[0]?.members).toEqual([])
    await a.assign([{ topic: 'u', partition: 0 }])
    expect(a.assignment()).toEqual([{ topic: 'u', partition: 0 }])
    await a.unsubscribe()
    await a.subscribe({ topics: ['u'] })
    await pollUntil([a], () => a.assignment().length === 1, undefined, 'rejoined')
    expect(a.assignment()).toEqual([{ topic: 'u', partition: 0 }])
  })

  it('subscribes by pattern and picks up topics created later', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 'orders-eu', partitions: 1 })
    broker.createTopic({ topic: 'payments', partitions: 1 })
    const a = consumerOf(broker)
    await a.subscribe({ topics: /^orders-/ })
    await pollUntil([a], () => a.assignment().length === 1)
    expect(a.subscription()).toEqual(['orders-eu'])
    broker.createTopic({ topic: 'orders-us', partitions: 2 })
    await pollUntil([a], () => a.assignment().length === 3, undefined, 'new topic assigned')
    expect(keys(a.assignment())).toEqual(['orders-eu-0', 'orders-us-0', 'orders-us-1'])
  })

  it('auto-commits positions on the clock and on close', async () => {
    const clock = new ManualClock()
    const broker = await openBroker(clock)
    broker.createTopic({ topic: 't', partitions: 1 })
    await produce(broker, 't', 1, 10)
    const a = consumerOf(broker, { enableAutoCommit: true, autoCommitIntervalMs: 2_000 })
    await a.subscribe({ topics: ['t'] })
    const got: ConsumerRecord[] = []
    await pollUntil([a], () => got.length >= 10, (_, r) => got.push(...r))
    expect(await a.committed([{ topic: 't', partition: 0 }])).toEqual([{ topic: 't', partition: 0, offset: null, metadata: '' }])
    clock.advance(2_000)
    await a.poll({ timeoutMs: 0 })
    expect((await a.committed([{ topic: 't', partition: 0 }]))[0]?.offset).toBe(10)
    await produce(broker, 't', 1, 3, 10)
    await pollUntil([a], () => got.length >= 13, (_, r) => got.push(...r))
    await a.close()
    const b = consumerOf(broker)
    await b.assign([{ topic: 't', partition: 0 }])
    expect(await b.position({ topic: 't', partition: 0 })).toBe(13)
  })
})
