/**
 * `millrace` — the package root re-exports the most used names of each layer. Import from
 * `millrace/log` (and later `millrace/streams`, `millrace/connect`) for everything else.
 */
export { Broker, MillraceError, isMillraceError, encodeRecordBatch, iterateBatches } from './log/index.js'
export type { BrokerOptions, TopicPartition, RecordInput, LogErrorCode } from './log/index.js'
