/**
 * The Processor API (Kafka Streams KIP-478): what users implement to put their own logic into a
 * topology, and what every DSL operator is built from.
 *
 * Lifecycle per task: a processor is created by its supplier for each task (one instance never
 * serves two tasks), `init(context)` once before the first record, `process(record)` for every
 * record its parents forward — synchronously, depth-first, one at a time — and `close()` when the
 * task closes (rebalance, shutdown). Punctuators registered with `context.schedule` run between
 * records, never during one.
 */
import type { FixedKeyRecord, Record } from './record.js'
import type { StateStore } from './state-store.js'

/** A task: one sub-topology × one input partition number (Kafka `TaskId`, printed `0_1`). */
export interface TaskId {
  readonly subtopology: number
  readonly partition: number
}

export function taskIdToString(id: TaskId): string {
  return `${id.subtopology}_${id.partition}`
}

/** Where the record being processed came from (Kafka `RecordMetadata`). */
export interface RecordMetadata {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

/**
 * What drives a punctuator (Kafka `PunctuationType`):
 * - `'stream-time'`: the task's stream time (the largest record timestamp it has processed).
 *   Schedules are aligned to multiples of the interval from 0 and fire as soon as stream time
 *   reaches the next one; intervals skipped by a jump collapse into one call.
 * - `'wall-clock-time'`: the clock of the app (a manual clock in tests); first at now + interval.
 */
export type PunctuationType = 'stream-time' | 'wall-clock-time'

/** Called with the time it fires for (stream time or wall-clock time, ms). */
export type Punctuator = (timestampMs: number) => void

/** A scheduled punctuation; `cancel()` stops it (idempotent). */
export interface Cancellable {
  cancel(): void
}

/** What every processor context offers, whatever its output type. */
export interface ProcessingContextBase {
  /** The application id (the consumer group and the internal topic prefix). */
  readonly applicationId: string
  readonly taskId: TaskId
  /** Metadata of the input record being processed; `undefined` in a punctuator. */
  recordMetadata(): RecordMetadata | undefined
  /** The task's stream time: the largest timestamp of the records it processed (−1 before any). */
  currentStreamTimeMs(): number
  /** The app's clock (wall-clock punctuation runs on it). */
  currentSystemTimeMs(): number
  /**
   * Runs `punctuator` every `intervalMs` of `type` time, between records, until cancelled or the
   * task closes. @throws `STREAMS_ILLEGAL_STATE` for an interval < 1 ms.
   */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable
  /**
   * The state store `name`, connected to this processor when it was added to the topology.
   * @throws `STREAMS_UNKNOWN_STORE` for a store the processor is not connected to.
   */
  getStateStore<S extends StateStore>(name: string): S
  /** Asks for a commit as soon as the current record is done (the runtime may merge requests). */
  commit(): void
  /**
   * Counts a record this processor drops on purpose (Kafka's task metric `dropped-records-total`):
   * the DSL's aggregations call it for records with a `null` key or value and for records too
   * late for their window; `StreamsApp.metrics()` and `TopologyTestDriver.metrics()` report it.
   */
  recordDropped(): void
}

/** The context a {@link Processor} gets in `init`. */
export interface ProcessorContext<KOut, VOut> extends ProcessingContextBase {
  /**
   * Passes `record` to every child (or only to `childName`), synchronously: it has been processed
   * downstream when `forward` returns. @throws `STREAMS_UNKNOWN_CHILD` for an unknown `childName`.
   */
  forward(record: Record<KOut, VOut>, childName?: string): void
}

/** The context a {@link FixedKeyProcessor} gets in `init`: it forwards records whose key it could not change. */
export interface FixedKeyProcessorContext<K, VOut> extends ProcessingContextBase {
  /** As {@link ProcessorContext.forward}; only records handed to `process` (or derived from one with `with…`). */
  forward(record: FixedKeyRecord<K, VOut>, childName?: string): void
}

/**
 * A processor: `KIn`/`VIn` in, `KOut`/`VOut` forwarded (`never` for a terminal processor).
 * `init` and `close` are optional.
 */
export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void
  process(record: Record<KIn, VIn>): void
  close?(): void
}

/** A processor that keeps keys (Kafka `FixedKeyProcessor`): used by `processValues`, never repartitions. */
export interface FixedKeyProcessor<K, VIn, VOut = never> {
  init?(context: FixedKeyProcessorContext<K, VOut>): void
  process(record: FixedKeyRecord<K, VIn>): void
  close?(): void
}

/** Makes a new processor for each task (Kafka `ProcessorSupplier`). Must not return a shared instance. */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>

export type FixedKeyProcessorSupplier<K, VIn, VOut = never> = () => FixedKeyProcessor<K, VIn, VOut>
