export {
  decodeConsumerOffsetsKey,
  decodeConsumerOffsetsRecord,
  encodeGroupMetadataRecord,
  encodeOffsetCommitRecord,
} from './consumer-offsets-record.js'
export type {
  ConsumerOffsetsKey,
  ConsumerOffsetsRecord,
  EncodedConsumerOffsetsRecord,
} from './consumer-offsets-record.js'
export {
  GROUP_METADATA_KEY_VERSION,
  GROUP_METADATA_VALUE_VERSION,
  decodeGroupMetadataValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
} from './group-metadata.js'
export type {
  DecodedGroupMetadataValue,
  GroupMemberMetadata,
  GroupMetadataKey,
  GroupMetadataValue,
  GroupMetadataValueVersion,
} from './group-metadata.js'
export {
  OFFSET_COMMIT_KEY_VERSION,
  OFFSET_COMMIT_VALUE_VERSION,
  OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY,
  decodeOffsetCommitValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  offsetCommitValueVersionFor,
} from './offset-commit.js'
export type {
  DecodedOffsetCommitValue,
  OffsetCommitKey,
  OffsetCommitKeyVersion,
  OffsetCommitValue,
  OffsetCommitValueInput,
  OffsetCommitValueVersion,
} from './offset-commit.js'
export { javaStringHashCode, kafkaAbs, partitionForGroup } from './group-partition.js'
