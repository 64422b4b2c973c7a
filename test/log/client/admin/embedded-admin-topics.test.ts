/**
 * EmbeddedAdmin topic and config administration against a real broker: Kafka's Admin
 * semantics, and batches that are checked as a whole before anything changes.
 */
import { describe, expect, it } from 'vitest'
import type { NewTopicSpec, TopicConfigChanges } from '../../../../src/log/client/admin/admin-api.js'
import { batchOf } from '../../../support/batches.js'
import { expectRejects, openTopicAdmin } from './helpers.js'

function configValue(entries: ReadonlyArray<{ name: string; value: string; isDefault: boolean }>, name: string) {
  return entries.find((e) => e.name === name)
}

describe('EmbeddedAdmin.createTopics', () => {
  it('creates every topic with its partitions and configs', async () => {
    const { broker, admin } = await openTopicAdmin()
    await admin.createTopics([
      { topic: 'orders', partitions: 3, configs: { 'retention.ms': 1000 } },
      { topic: 'audit', configs: { 'cleanup.policy': 'compact' } },
    ])
    expect(await admin.listTopics()).toEqual(['audit', 'orders'])
    const [orders, audit] = await admin.describeTopics(['orders', 'audit'])
    expect(orders?.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset])).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
    ])
    expect(orders?.topicId).toBe(broker.describeTopic('orders').topicId)
    expect(orders?.isInternal).toBe(false)
    expect(audit?.partitions).toHaveLength(1)
    expect(broker.topicConfig('orders').retentionMs).toBe(1000)
    expect(broker.topicConfig('audit').cleanupPolicy.compact).toBe(true)
  })

  it('accepts an empty batch', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([])
    expect(await admin.listTopics()).toEqual([])
  })

  const invalidBatches: ReadonlyArray<readonly [string, string, readonly NewTopicSpec[]]> = [
    ['an illegal name', 'LOG_INVALID_TOPIC', [{ topic: 'fine' }, { topic: 'bad/name' }]],
    ['an empty name', 'LOG_INVALID_TOPIC', [{ topic: 'fine' }, { topic: '' }]],
    ['names colliding through . and _', 'LOG_INVALID_TOPIC', [{ topic: 'a.b' }, { topic: 'a_b' }]],
    ['a name twice', 'LOG_INVALID_ARGUMENT', [{ topic: 'fine' }, { topic: 'twice' }, { topic: 'twice' }]],
    ['an existing topic', 'LOG_TOPIC_EXISTS', [{ topic: 'fine' }, { topic: 'ex_isting' }]],
    ['a name colliding with an existing topic', 'LOG_INVALID_TOPIC', [{ topic: 'fine' }, { topic: 'ex.isting' }]],
    ['zero partitions', 'LOG_INVALID_PARTITIONS', [{ topic: 'fine' }, { topic: 'none', partitions: 0 }]],
    ['a fractional partition count', 'LOG_INVALID_PARTITIONS', [{ topic: 'fine' }, { topic: 'x', partitions: 1.5 }]],
    ['an unknown config', 'CONFIG_INVALID', [{ topic: 'fine' }, { topic: 'x', configs: { 'retention.mss': 1 } }]],
    ['an invalid config value', 'CONFIG_INVALID', [{ topic: 'fine' }, { topic: 'x', configs: { 'segment.bytes': 'big' } }]],
    [
      'conflicting compaction lags',
      'CONFIG_INVALID',
      [{ topic: 'fine' }, { topic: 'x', configs: { 'min.compaction.lag.ms': 10, 'max.compaction.lag.ms': 5 } }],
    ],
  ]

  it.each(invalidBatches)('rejects a batch with %s with %s and creates none of it', async (_case, code, batch) => {
    const { broker, admin } = await openTopicAdmin()
    broker.createTopic({ topic: 'ex_isting' })
    await expectRejects(admin.createTopics(batch), code)
    expect(await admin.listTopics()).toEqual(['ex_isting'])
  })

  it('rejects arguments of the wrong shape with LOG_INVALID_ARGUMENT', async () => {
    const { admin } = await openTopicAdmin()
    await expectRejects(admin.createTopics('orders' as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.createTopics([null] as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.createTopics([{ topic: 7 }] as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.createTopics([{ topic: 'x', partitions: '3' }] as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.createTopics([{ topic: 'x', configs: 'retention.ms=1' }] as never), 'LOG_INVALID_ARGUMENT')
    expect(await admin.listTopics()).toEqual([])
  })
})

describe('EmbeddedAdmin.deleteTopics', () => {
  it('deletes every named topic', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }, { topic: 'b' }, { topic: 'c' }])
    await admin.deleteTopics(['a', 'c'])
    expect(await admin.listTopics()).toEqual(['b'])
  })

  it('deletes nothing when one topic is unknown or named twice', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }, { topic: 'b' }])
    await expectRejects(admin.deleteTopics(['a', 'missing']), 'LOG_UNKNOWN_TOPIC')
    await expectRejects(admin.deleteTopics(['a', 'b', 'a']), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.deleteTopics(['a', 3] as never), 'LOG_INVALID_ARGUMENT')
    expect(await admin.listTopics()).toEqual(['a', 'b'])
  })
})

describe('EmbeddedAdmin.listTopics and describeTopics', () => {
  it('hides internal topics unless asked to include them', async () => {
    const { broker, admin } = await openTopicAdmin()
    broker.createTopic({ topic: '__consumer_offsets' })
    broker.createTopic({ topic: '__transaction_state' })
    broker.createTopic({ topic: '_user_topic' })
    expect(await admin.listTopics()).toEqual(['_user_topic'])
    expect(await admin.listTopics({ includeInternal: false })).toEqual(['_user_topic'])
    expect(await admin.listTopics({ includeInternal: true })).toEqual(['__consumer_offsets', '__transaction_state', '_user_topic'])
    const described = await admin.describeTopics(['__consumer_offsets', '_user_topic'])
    expect(described.map((t) => t.isInternal)).toEqual([true, false])
  })

  it('rejects options of the wrong shape', async () => {
    const { admin } = await openTopicAdmin()
    await expectRejects(admin.listTopics({ includeInternal: 'yes' } as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.listTopics(null as never), 'LOG_INVALID_ARGUMENT')
  })

  it('describes partitions with their log start and end, in the order asked', async () => {
    const { broker, admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a', partitions: 2 }, { topic: 'b' }])
    broker.append({ topic: 'a', partition: 1 }, batchOf(5, 'x'))
    broker.deleteRecordsBefore({ topic: 'a', partition: 1 }, 2)
    const described = await admin.describeTopics(['b', 'a'])
    expect(described.map((t) => t.topic)).toEqual(['b', 'a'])
    expect(described[1]?.partitions).toEqual([
      { partition: 0, logStartOffset: 0, logEndOffset: 0 },
      { partition: 1, logStartOffset: 2, logEndOffset: 5 },
    ])
  })

  it('rejects unknown topics with LOG_UNKNOWN_TOPIC', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }])
    await expectRejects(admin.describeTopics(['a', 'missing']), 'LOG_UNKNOWN_TOPIC')
    await expectRejects(admin.describeTopics({} as never), 'LOG_INVALID_ARGUMENT')
  })
})

describe('EmbeddedAdmin.createPartitions', () => {
  it('grows every topic to its new count', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }, { topic: 'b', partitions: 2 }])
    await admin.createPartitions([
      { topic: 'a', count: 3 },
      { topic: 'b', count: 4 },
    ])
    const described = await admin.describeTopics(['a', 'b'])
    expect(described.map((t) => t.partitions.length)).toEqual([3, 4])
  })

  it.each([
    ['a shrink', 'LOG_INVALID_PARTITIONS', { topic: 'b', count: 1 }],
    ['no growth', 'LOG_INVALID_PARTITIONS', { topic: 'b', count: 2 }],
    ['a count over the limit', 'LOG_INVALID_PARTITIONS', { topic: 'b', count: 1_000_000 }],
    ['an unknown topic', 'LOG_UNKNOWN_TOPIC', { topic: 'missing', count: 3 }],
    ['a topic twice', 'LOG_INVALID_ARGUMENT', { topic: 'a', count: 4 }],
    ['a count that is not a number', 'LOG_INVALID_ARGUMENT', { topic: 'b', count: '3' }],
  ])('rejects a batch with %s with %s and grows nothing', async (_case, code, second) => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }, { topic: 'b', partitions: 2 }])
    await expectRejects(admin.createPartitions([{ topic: 'a', count: 3 }, second] as never), code)
    const described = await admin.describeTopics(['a', 'b'])
    expect(described.map((t) => t.partitions.length)).toEqual([1, 2])
  })
})

describe('EmbeddedAdmin configs', () => {
  it('describes every config with its value and whether it is the default', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a', configs: { 'retention.ms': 1000 } }])
    const [configs] = await admin.describeConfigs(['a'])
    expect(configs?.topic).toBe('a')
    expect(configValue(configs?.entries ?? [], 'retention.ms')).toEqual({ name: 'retention.ms', value: '1000', isDefault: false })
    expect(configValue(configs?.entries ?? [], 'segment.bytes')?.isDefault).toBe(true)
    await expectRejects(admin.describeConfigs(['a', 'missing']), 'LOG_UNKNOWN_TOPIC')
  })

  it('sets overrides and removes them with null', async () => {
    const { broker, admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a', configs: { 'retention.ms': 1000 } }, { topic: 'b' }])
    await admin.alterConfigs([
      { topic: 'a', configs: { 'retention.ms': null, 'segment.bytes': '1048576' } },
      { topic: 'b', configs: { 'cleanup.policy': 'compact' } },
    ])
    const [a] = await admin.describeConfigs(['a'])
    expect(configValue(a?.entries ?? [], 'retention.ms')?.isDefault).toBe(true)
    expect(broker.topicConfig('a').segmentBytes).toBe(1_048_576)
    expect(broker.topicConfig('b').cleanupPolicy.compact).toBe(true)
  })

  const invalidChanges: ReadonlyArray<readonly [string, string, TopicConfigChanges]> = [
    ['an unknown topic', 'LOG_UNKNOWN_TOPIC', { topic: 'missing', configs: { 'retention.ms': 5 } }],
    ['an invalid value', 'CONFIG_INVALID', { topic: 'b', configs: { 'retention.ms': 'soon' } }],
    ['an unknown config', 'CONFIG_INVALID', { topic: 'b', configs: { 'retention.mss': 5 } }],
    ['the removal of an unknown config', 'CONFIG_INVALID', { topic: 'b', configs: { 'retention.mss': null } }],
    // b already overrides max.compaction.lag.ms = 100: the conflict only shows with its current configs.
    ['a conflict with the current configs', 'CONFIG_INVALID', { topic: 'b', configs: { 'min.compaction.lag.ms': 1000 } }],
    ['the topic of another entry', 'LOG_INVALID_ARGUMENT', { topic: 'a', configs: { 'retention.ms': 7 } }],
  ]

  it.each(invalidChanges)('rejects a batch with %s with %s and changes nothing', async (_case, code, second) => {
    const { broker, admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }, { topic: 'b', configs: { 'max.compaction.lag.ms': 100 } }])
    await expectRejects(admin.alterConfigs([{ topic: 'a', configs: { 'retention.ms': 5000 } }, second]), code)
    expect(broker.topicConfig('a').retentionMs).toBe(604_800_000)
    expect(broker.topicConfig('b').maxCompactionLagMs).toBe(100)
  })

  it('rejects changes of the wrong shape with LOG_INVALID_ARGUMENT', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }])
    await expectRejects(admin.alterConfigs([{ topic: 'a', configs: { 'retention.ms': true } }] as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.alterConfigs([{ topic: 'a' }] as never), 'LOG_INVALID_ARGUMENT')
    await expectRejects(admin.alterConfigs({ topic: 'a', configs: {} } as never), 'LOG_INVALID_ARGUMENT')
  })
})

describe('EmbeddedAdmin.close', () => {
  it('makes every later call reject with LOG_CLOSED, and is idempotent', async () => {
    const { admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }])
    await admin.close()
    await admin.close()
    await expectRejects(admin.createTopics([{ topic: 'b' }]), 'LOG_CLOSED')
    await expectRejects(admin.deleteTopics(['a']), 'LOG_CLOSED')
    await expectRejects(admin.listTopics(), 'LOG_CLOSED')
    await expectRejects(admin.describeTopics(['a']), 'LOG_CLOSED')
    await expectRejects(admin.createPartitions([{ topic: 'a', count: 2 }]), 'LOG_CLOSED')
    await expectRejects(admin.describeConfigs(['a']), 'LOG_CLOSED')
    await expectRejects(admin.alterConfigs([{ topic: 'a', configs: {} }]), 'LOG_CLOSED')
    await expectRejects(admin.listOffsets([{ topic: 'a', partition: 0, spec: 'latest' }]), 'LOG_CLOSED')
    await expectRejects(admin.deleteRecords([{ topic: 'a', partition: 0, offset: 0 }]), 'LOG_CLOSED')
    await expectRejects(admin.listGroups(), 'LOG_CLOSED')
    await expectRejects(admin.describeGroups(['g']), 'LOG_CLOSED')
    await expectRejects(admin.listGroupOffsets('g'), 'LOG_CLOSED')
    await expectRejects(admin.alterGroupOffsets('g', []), 'LOG_CLOSED')
    await expectRejects(admin.deleteGroups(['g']), 'LOG_CLOSED')
  })

  it('rejects with LOG_CLOSED once the broker is closed', async () => {
    const { broker, admin } = await openTopicAdmin()
    await admin.createTopics([{ topic: 'a' }])
    await broker.close()
    await expectRejects(admin.listTopics(), 'LOG_CLOSED')
    await expectRejects(admin.createTopics([{ topic: 'b' }]), 'LOG_CLOSED')
    await expectRejects(admin.deleteTopics(['a']), 'LOG_CLOSED')
    await expectRejects(admin.listOffsets([{ topic: 'a', partition: 0, spec: 'earliest' }]), 'LOG_CLOSED')
  })
})
