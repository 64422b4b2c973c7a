import { describe, expect, it } from 'vitest'
import {
  decodeConsumerOffsetsKey,
  decodeConsumerOffsetsRecord,
  encodeGroupMetadataRecord,
  encodeOffsetCommitRecord,
} from '../../../../src/log/group/offsets-schema/consumer-offsets-record.js'
import { expectCode, hex } from './helpers.js'

const T = 1_700_000_000_000

describe('__consumer_offsets records', () => {
  it('dispatches on the key version and decodes the matching value', () => {
    const commit = encodeOffsetCommitRecord({ group: 'g', topic: 't', partition: 0 }, { offset: 10, metadata: '', commitTimestampMs: T })
    expect(decodeConsumerOffsetsRecord(commit.key, commit.value)).toEqual({
      type: 'offset-commit',
      key: { group: 'g', topic: 't', partition: 0 },
      value: { version: 3, offset: 10, leaderEpoch: -1, metadata: '', commitTimestampMs: T, expireTimestampMs: -1 },
    })
    const meta = encodeGroupMetadataRecord(
      { group: 'g' },
      { protocolType: 'consumer', generation: 0, protocol: null, leader: null, currentStateTimestampMs: T, members: [] },
    )
    expect(decodeConsumerOffsetsRecord(meta.key, meta.value)).toEqual({
      type: 'group-metadata',
      key: { group: 'g' },
      value: { version: 3, protocolType: 'consumer', generation: 0, protocol: null, leader: null, currentStateTimestampMs: T, members: [] },
    })
  })

  it('writes and reads tombstones as a null value', () => {
    const commit = encodeOffsetCommitRecord({ group: 'g', topic: 't', partition: 1 }, null)
    expect(commit.value).toBeNull()
    expect(decodeConsumerOffsetsRecord(commit.key, null)).toEqual({ type: 'offset-commit', key: { group: 'g', topic: 't', partition: 1 }, value: null })
    const meta = encodeGroupMetadataRecord({ group: 'g' }, null)
    expect(meta.value).toBeNull()
    expect(decodeConsumerOffsetsRecord(meta.key, null)).toEqual({ type: 'group-metadata', key: { group: 'g' }, value: null })
  })

  it('reports KIP-848 and share-group record types as other without reading them', () => {
    for (const version of [3, 8, 15, 0x7fff]) {
      const key = hex(version.toString(16).padStart(4, '0'), 'deadbeef')
      expect(decodeConsumerOffsetsKey(key)).toEqual({ type: 'other', version })
      expect(decodeConsumerOffsetsRecord(key, hex('00'))).toEqual({ type: 'other', version })
    }
  })

  it('rejects a negative key version and a value that does not match its key type', () => {
    expectCode(() => decodeConsumerOffsetsKey(hex('ffff 0001 67')), 'LOG_CORRUPT_BATCH')
    const commit = encodeOffsetCommitRecord({ group: 'g', topic: 't', partition: 0 }, { offset: 10, metadata: '', commitTimestampMs: T })
    const meta = encodeGroupMetadataRecord(
      { group: 'g' },
      { protocolType: 'consumer', generation: 0, protocol: null, leader: null, currentStateTimestampMs: T, members: [] },
    )
    expectCode(() => decodeConsumerOffsetsRecord(commit.key, meta.value), 'LOG_CORRUPT_BATCH')
    expectCode(() => decodeConsumerOffsetsRecord(meta.key, commit.value), 'LOG_CORRUPT_BATCH')
  })

  it('reports the position of the corruption', () => {
    let thrown: unknown
    try {
      decodeConsumerOffsetsKey(hex('0001 0005 6731'))
    } catch (err) {
      thrown = err
    }
    expect(thrown).toMatchObject({ code: 'LOG_CORRUPT_BATCH', details: { position: 4 } })
  })
})
