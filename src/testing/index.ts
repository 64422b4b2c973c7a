/**
 * `millrace/testing` — doubles for tests of code built on Millrace: a clock that moves only when
 * told to, a file system that injects crashes, power loss, torn writes and I/O errors, and the
 * `TopologyTestDriver` that runs a streams topology without a broker, and `StreamsHarness`, which
 * runs real streams apps on an embedded broker with a manual clock.
 */
export { ManualClock } from '../log/clock.js'
export { FaultFileIO } from '../log/storage/fault-file-io.js'
export { TopologyTestDriver } from '../streams/test-driver/topology-test-driver.js'
export type { TopologyTestDriverOptions } from '../streams/test-driver/topology-test-driver.js'
export { TestInputTopic } from '../streams/test-driver/test-input-topic.js'
export type { TestInputTopicOptions } from '../streams/test-driver/test-input-topic.js'
export { TestOutputTopic } from '../streams/test-driver/test-output-topic.js'
export type { TestRecord, TestRecordInput } from '../streams/test-driver/test-record.js'
export { StreamsHarness } from './streams-harness.js'
export type { StreamsHarnessOptions, HarnessRecord, ReadRecord } from './streams-harness.js'
