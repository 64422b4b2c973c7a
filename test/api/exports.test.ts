import { describe, expect, it } from 'vitest'
import * as root from '../../src/index.js'
import * as log from '../../src/log/index.js'
import * as serdes from '../../src/serdes/index.js'
import * as streams from '../../src/streams/index.js'
import * as connect from '../../src/connect/index.js'
import * as testing from '../../src/testing/index.js'

// The public API is what the entry points export: any change to these lists is an API change.
describe('public entry points', () => {
  it('millrace exports exactly these names', () => {
    expect(Object.keys(root).sort()).toEqual(['Broker', 'MillraceError', 'encodeRecordBatch', 'isMillraceError', 'iterateBatches'])
  })

  it('millrace/log exports exactly these names', () => {
    expect(Object.keys(log).sort()).toEqual([
      'Broker',
      'ConfigInvalidError',
      'LogRecord',
      'MillraceError',
      'NodeFileIO',
      'Reader',
      'RecordBatch',
      'RecordBatchBuilder',
      'TOPIC_CONFIG_DEFAULTS',
      'TOPIC_CONFIG_NAMES',
      'Writer',
      'createDefaultPartitioner',
      'decodeBatches',
      'encodeControlBatch',
      'encodeRecordBatch',
      'isCompressionAvailable',
      'isMillraceError',
      'isValidTopicName',
      'iterateBatches',
      'murmur2',
      'readControlRecord',
      'resolveTopicConfig',
      'systemClock',
      'toPositive',
      'validateTopicName',
    ])
  })

  it('millrace/testing exports the test doubles, the topology test driver and the streams harness', () => {
    expect(Object.keys(testing).sort()).toEqual(['FaultFileIO', 'ManualClock', 'StreamsHarness', 'TestInputTopic', 'TestOutputTopic', 'TopologyTestDriver'])
  })

  it('millrace/serdes exports exactly these names', () => {
    expect(Object.keys(serdes).sort()).toEqual(['InMemorySchemaRegistry', 'Serdes', 'decodeWireFormat', 'encodeWireFormat'])
  })

  it('millrace/streams exports exactly these names', () => {
    expect(Object.keys(streams).sort()).toEqual([
      'BufferConfig',
      'DLQ_HEADERS',
      'Record',
      'STREAMS_APP_DEFAULTS',
      'SessionWindows',
      'SlidingWindows',
      'Stores',
      'StreamsApp',
      'StreamsBuilder',
      'Suppressed',
      'TimeWindows',
      'Topology',
      'TopologyDescription',
      'resolveStreamsAppConfig',
      'taskIdToString',
    ])
  })

  it('millrace/connect exports nothing until its layer lands', () => {
    expect(Object.keys(connect)).toEqual([])
  })
})
