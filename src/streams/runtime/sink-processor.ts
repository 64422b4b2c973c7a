/**
 * The processor behind a sink node: picks the topic (fixed or per record), serializes key and
 * value with the sink's serdes, asks a custom partitioner if there is one, and hands the record
 * to the task's collector. A serialization or partitioner error goes to the production exception
 * handler (`'continue'` drops the record with a warning; `'fail'` stops the task with
 * `STREAMS_PRODUCTION_FAILED`).
 */
import { streamsError } from '../errors.js'
import type { Processor } from '../processor/processor.js'
import type { Record } from '../processor/record.js'
import type { SinkNodeSpec } from '../topology/node-spec.js'
import { contextDetails, decide, type ErrorHandlers } from './error-handlers.js'
import type { RecordCollector } from './record-collector.js'
import type { TaskContext } from './task-context.js'

export function sinkProcessor(
  spec: SinkNodeSpec,
  context: TaskContext,
  collector: RecordCollector,
  handlers: ErrorHandlers,
  resolveTopic: (topic: string) => string,
): Processor<unknown, unknown, unknown, unknown> {
  const fixedTopic = typeof spec.topic === 'string' ? resolveTopic(spec.topic) : undefined
  const extractor = typeof spec.topic === 'function' ? spec.topic : undefined
  const { key: keySerializer, value: valueSerializer, partitioner } = spec
  return {
    process(record: Record<unknown, unknown>) {
      let topic = fixedTopic
      let key: Uint8Array | null
      let value: Uint8Array | null
      let partition: number | undefined
      try {
        if (topic === undefined) topic = (extractor as NonNullable<typeof extractor>)(record.key, record.value, record)
        key = keySerializer.serialize(topic, record.key, record.headers)
        value = valueSerializer.serialize(topic, record.value, record.headers)
        if (partitioner !== undefined) {
          const count = collector.partitionCount(topic)
          if (count !== undefined) partition = partitioner(topic, record.key, record.value, count)
          if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0 && (count === undefined || partition < count))) {
            throw streamsError('STREAMS_PRODUCTION_FAILED', `partitioner of ${spec.name} chose partition ${partition} of ${topic} (${count} partitions)`, {
              node: spec.name,
              topic,
            })
          }
        }
      } catch (err) {
        const errorContext = context.errorContext(spec.name)
        if (decide(handlers.production, errorContext, err) === 'continue') {
          handlers.onWarning(`dropped a record sink ${spec.name} could not serialize (production exception handler: continue)`, contextDetails(errorContext))
          return
        }
        throw streamsError(
          'STREAMS_PRODUCTION_FAILED',
          `sink ${spec.name} could not write a record${topic === undefined ? '' : ` to ${topic}`}`,
          { node: spec.name, topic, task: errorContext.taskId },
          err,
        )
      }
      collector.send({ topic, key, value, headers: record.headers, timestampMs: record.timestampMs, partition })
    },
  }
}
