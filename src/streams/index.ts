/**
 * `millrace/streams` — Kafka Streams for TypeScript (DESIGN.md §4): the typed DSL
 * (`StreamsBuilder`, `KStream`), the Processor API, `Topology` with Kafka's `describe()`, and
 * `StreamsApp`, which runs a topology on any `LogClient`. Topologies are unit-tested with
 * `TopologyTestDriver` from `millrace/testing`.
 */
export { StreamsApp } from './app/streams-app.js'
export { STREAMS_APP_DEFAULTS, resolveStreamsAppConfig } from './app/streams-config.js'
export type { StreamsAppConfig, StreamsAppConfigInput, ProcessingGuarantee, UncaughtExceptionPolicy } from './app/streams-config.js'
export type { StreamsAppState } from './app/app-state.js'
export type { RestoreReport } from './app/state-manager.js'

export { StreamsBuilder } from './dsl/streams-builder.js'
export type {
  KStream,
  BranchedKStream,
  Branches,
  BranchKey,
  KGroupedStream,
  KGroupedTable,
  CogroupedKStream,
  TimeWindowedCogroupedKStream,
  SessionWindowedCogroupedKStream,
  KTable,
  TimeWindowedKStream,
} from './dsl/kstream.js'
export type { GlobalKTable } from './dsl/global-ktable.js'
export { TimeWindows } from './dsl/time-windows.js'
export { SessionWindows } from './dsl/session-windows.js'
export type { SessionWindowedKStream } from './dsl/kstream.js'
export { SlidingWindows } from './dsl/sliding-windows.js'
export type { EmitStrategy } from './dsl/operators/window-aggregate.js'
export { Suppressed, BufferConfig } from './dsl/suppressed.js'
export type { StrictBufferConfig, EagerBufferConfig, BufferFullPolicy, SuppressOptions } from './dsl/suppressed.js'
export type { Windowed, TimeWindow } from '../serdes/index.js'
export type { KeyValue, Named, Consumed, Produced, Repartitioned, Processed, Grouped, Materialized } from './dsl/options.js'

export { Topology } from './topology/topology.js'
export type { AddSourceOptions, AddProcessorOptions, AddSinkOptions, AddGlobalStoreOptions } from './topology/topology.js'
export { TopologyDescription } from './topology/topology-description.js'
export type { NodeDescription, SubtopologyDescription, GlobalStoreDescription } from './topology/topology-description.js'
export type { TimestampExtractor, ExtractableRecord, TopicNameExtractor, StreamPartitioner } from './topology/node-spec.js'

export { Record } from './processor/record.js'
export type { FixedKeyRecord } from './processor/record.js'
export { taskIdToString } from './processor/processor.js'
export type {
  Processor,
  FixedKeyProcessor,
  ProcessorSupplier,
  FixedKeyProcessorSupplier,
  ProcessorContext,
  FixedKeyProcessorContext,
  ProcessingContextBase,
  TaskId,
  RecordMetadata,
  PunctuationType,
  Punctuator,
  Cancellable,
} from './processor/processor.js'
export type { StateStore } from './processor/state-store.js'
export { Stores } from './state/stores.js'
export type { KeyValueStoreSpec, KeyValueStoreOptions, StoreBackendKind } from './state/stores.js'
export type { KeyValueStore, ReadOnlyKeyValueStore, KeyValueIterator } from './state/key-value-store.js'
export type { WindowStoreSpec, WindowStoreOptions, SessionStoreSpec, SessionStoreOptions, AnyStoreSpec } from './state/stores.js'
export type { WindowStore, ReadOnlyWindowStore, WindowStoreIterator } from './state/window-store.js'
export type { SessionStore, ReadOnlySessionStore } from './state/session-store.js'
export type { ValueAndTimestamp } from './state/value-and-timestamp.js'
export type { StreamsMetrics } from './runtime/task-metrics.js'
export type { StoreMetrics } from './state/key-value-store-impl.js'

export type {
  ErrorContext,
  ErrorResponse,
  DeserializationExceptionHandler,
  ProcessingExceptionHandler,
  ProductionExceptionHandler,
  WarningListener,
} from './runtime/error-handlers.js'
export { DLQ_HEADERS } from './runtime/error-handlers.js'
export type { StreamsErrorCode, StreamsError } from './errors.js'
