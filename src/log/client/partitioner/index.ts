export { murmur2, toPositive } from './murmur2.js'
export type { Partitioner, PartitionerInput } from './partitioner.js'
export {
  DEFAULT_PARTITIONER_DEFAULTS,
  createDefaultPartitioner,
  resolveDefaultPartitionerConfig,
} from './default-partitioner.js'
export type {
  DefaultPartitioner,
  DefaultPartitionerConfig,
  DefaultPartitionerInput,
  StickyBytesProduced,
  StickySwitchPolicy,
} from './default-partitioner.js'
