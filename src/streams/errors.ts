/**
 * Error codes raised by `src/streams` (STYLE.md: one closed union per package). Messages name
 * topics, nodes, stores and tasks, never record payloads.
 */
import { MillraceError } from '../log/index.js'

export type StreamsErrorCode =
  /** A topology that cannot run: a missing serde, an unknown parent, a name used twice, no sources. */
  | 'STREAMS_TOPOLOGY_INVALID'
  /** Inputs that must be co-partitioned (one task reads them together) have different partition counts. */
  | 'STREAMS_COPARTITION_MISMATCH'
  /** Source topics of the topology do not exist when the app starts. */
  | 'STREAMS_MISSING_SOURCE_TOPIC'
  /** A record's key or value could not be deserialized and the handler said `'fail'`. */
  | 'STREAMS_DESERIALIZATION_FAILED'
  /** A processor threw and the processing exception handler said `'fail'`. */
  | 'STREAMS_PROCESSING_FAILED'
  /** An output record could not be serialized or sent and the production handler said `'fail'`. */
  | 'STREAMS_PRODUCTION_FAILED'
  /** A record's timestamp is negative (Kafka's FailOnInvalidTimestamp). */
  | 'STREAMS_INVALID_TIMESTAMP'
  /** A test driver input topic that no source of the topology reads. */
  | 'STREAMS_UNKNOWN_TOPIC'
  /** A state store's backend failed: RocksDB could not open, read, write or close it, its recorded offset is corrupt, or the memory budget has no room. */
  | 'STREAMS_STATE_STORE_FAILED'
  /** A state store's directory is open already (in this process or another). */
  | 'STREAMS_STATE_DIR_LOCKED'
  /** `getStateStore(name)` for a store not connected to the calling processor. */
  | 'STREAMS_UNKNOWN_STORE'
  /** `forward(record, childName)` to a node that is not a child of the calling processor. */
  | 'STREAMS_UNKNOWN_CHILD'
  /** A call illegal in the current state (forward outside process/punctuate, start twice, use after close). */
  | 'STREAMS_ILLEGAL_STATE'
  /** The task's partitions moved to another instance (a fenced or lost producer/consumer). */
  | 'STREAMS_TASK_MIGRATED'
  /**
   * A `suppress` buffer configured to shut down when full (`shutDownWhenFull()`, or a bounded
   * `untilWindowCloses` buffer) had no room for an update. Reaches the processing exception
   * handler as the cause of the failure; the refused update is not buffered.
   */
  | 'STREAMS_SUPPRESSION_BUFFER_FULL'

export type StreamsError = MillraceError<StreamsErrorCode>

export function streamsError(
  code: StreamsErrorCode,
  message: string,
  details?: Record<string, string | number | bigint | boolean | undefined>,
  cause?: unknown,
): StreamsError {
  return new MillraceError(code, message, { details, cause })
}
