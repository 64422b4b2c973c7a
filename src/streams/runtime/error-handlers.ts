/**
 * What happens when a record cannot be read, processed or written (Kafka Streams'
 * `deserialization.exception.handler`, `processing.exception.handler`,
 * `production.exception.handler` and `errors.dead.letter.queue.topic.name`, KIP-1033/1034):
 *
 * - `'fail'` (every default): the task stops with a `STREAMS_…_FAILED` error carrying the cause;
 *   nothing after the failed record is processed or committed, so a restart retries it.
 * - `'continue'`: the record is skipped (from the failing node on) and a warning names it.
 * - `'dead-letter'` (deserialization): the record's original bytes go to `deadLetterQueueTopic`
 *   with the error in `__streams.errors.*` headers, then processing continues.
 * - a function: decides per error.
 */
import type { RecordHeader } from '../../log/index.js'

/** Where a failed record was: its input record and the node it failed in. */
export interface ErrorContext {
  readonly topic: string | undefined
  readonly partition: number | undefined
  readonly offset: number | undefined
  /** The source, processor or sink node. */
  readonly node: string
  readonly taskId: string
}

export type ErrorResponse = 'fail' | 'continue'

export type DeserializationExceptionHandler = 'fail' | 'continue' | 'dead-letter' | ((context: ErrorContext, error: unknown) => ErrorResponse | 'dead-letter')
export type ProcessingExceptionHandler = ErrorResponse | ((context: ErrorContext, error: unknown) => ErrorResponse)
export type ProductionExceptionHandler = ErrorResponse | ((context: ErrorContext, error: unknown) => ErrorResponse)

/** Receives the warning of a skipped record (`'continue'`, `'dead-letter'`). */
export type WarningListener = (message: string, details: Readonly<Record<string, string | number | undefined>>) => void

export interface ErrorHandlers {
  readonly deserialization: DeserializationExceptionHandler
  readonly processing: ProcessingExceptionHandler
  readonly production: ProductionExceptionHandler
  readonly deadLetterQueueTopic: string | undefined
  readonly onWarning: WarningListener
}

export const defaultWarningListener: WarningListener = (message) => process.emitWarning(message, 'MillraceStreamsWarning')

/** Kafka's DLQ header names (KIP-1034). */
export const DLQ_HEADERS = {
  exception: '__streams.errors.exception',
  message: '__streams.errors.message',
  stacktrace: '__streams.errors.stacktrace',
  topic: '__streams.errors.topic',
  partition: '__streams.errors.partition',
  offset: '__streams.errors.offset',
} as const

const utf8 = new TextEncoder()

/** The headers a dead-lettered record carries after its own. */
export function deadLetterHeaders(original: readonly RecordHeader[], context: ErrorContext, error: unknown): RecordHeader[] {
  const err = error instanceof Error ? error : new Error(String(error))
  const code = (err as { code?: unknown }).code
  return [
    ...original,
    { key: DLQ_HEADERS.exception, value: utf8.encode(typeof code === 'string' ? `${err.name}:${code}` : err.name) },
    { key: DLQ_HEADERS.message, value: utf8.encode(err.message) },
    { key: DLQ_HEADERS.stacktrace, value: utf8.encode(err.stack ?? '') },
    { key: DLQ_HEADERS.topic, value: utf8.encode(context.topic ?? '') },
    { key: DLQ_HEADERS.partition, value: utf8.encode(String(context.partition ?? -1)) },
    { key: DLQ_HEADERS.offset, value: utf8.encode(String(context.offset ?? -1)) },
  ]
}

export function decide<R extends string>(handler: R | ((context: ErrorContext, error: unknown) => R), context: ErrorContext, error: unknown): R {
  return typeof handler === 'function' ? handler(context, error) : handler
}

/** The identifiers of `context` as warning and error details. */
export function contextDetails(context: ErrorContext): { node: string; task: string; topic: string | undefined; partition: number | undefined; offset: number | undefined } {
  return { node: context.node, task: context.taskId, topic: context.topic, partition: context.partition, offset: context.offset }
}
