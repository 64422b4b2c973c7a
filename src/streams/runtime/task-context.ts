/**
 * The processor context of one task, shared by all its processors (Kafka's
 * `ProcessorContextImpl`): `forward` runs the children of the node being processed, depth-first
 * and synchronously, with `currentNode` tracking whose context it is. A processor that throws is
 * handled where it threw (the processing exception handler): `'continue'` drops the record from
 * that node on, `'fail'` raises `STREAMS_PROCESSING_FAILED` through the task.
 */
import { isMillraceError } from '../../log/index.js'
import { streamsError } from '../errors.js'
import type { Cancellable, ProcessorContext, Punctuator, PunctuationType, RecordMetadata, TaskId } from '../processor/processor.js'
import type { Record } from '../processor/record.js'
import type { StateStore } from '../processor/state-store.js'
import { contextDetails, decide, type ErrorContext, type ErrorHandlers } from './error-handlers.js'
import type { ProcessorNode } from './processor-node.js'
import { PunctuationQueue } from './punctuation-queue.js'

/** Codes that already carry a failure's context: rethrown as they are, not wrapped again. */
const TASK_FAILURE_CODES = ['STREAMS_PROCESSING_FAILED', 'STREAMS_PRODUCTION_FAILED', 'STREAMS_DESERIALIZATION_FAILED'] as const

export function isTaskFailure(err: unknown): boolean {
  return TASK_FAILURE_CODES.some((code) => isMillraceError(err, code))
}

export class TaskContext implements ProcessorContext<unknown, unknown> {
  currentNode: ProcessorNode | undefined
  /**
   * Where the record being processed came from (the input record itself: its topic, partition and
   * offset are read on demand, so processing allocates no metadata object per record).
   */
  metadata: RecordMetadata | undefined
  /** Largest timestamp of the records processed (−1 before any). */
  streamTimeMs = -1
  /** The timestamp of the record being processed, or the time a punctuator fires for (state changes carry it). */
  currentTimestampMs = -1
  commitRequested = false
  /** Records processors dropped on purpose (`recordDropped`): Kafka's `dropped-records-total` of the task. */
  droppedRecords = 0
  readonly streamTimePunctuations = new PunctuationQueue()
  readonly wallClockPunctuations = new PunctuationQueue()
  private readonly taskName: string

  constructor(
    readonly applicationId: string,
    readonly taskId: TaskId,
    private readonly nowMs: () => number,
    private readonly handlers: ErrorHandlers,
    /** The task's stores, set by the task once it opened them. */
    public stores: ReadonlyMap<string, StateStore> = new Map(),
  ) {
    this.taskName = `${taskId.subtopology}_${taskId.partition}`
  }

  recordMetadata(): RecordMetadata | undefined {
    const m = this.metadata
    return m === undefined ? undefined : { topic: m.topic, partition: m.partition, offset: m.offset }
  }

  currentStreamTimeMs(): number {
    return this.streamTimeMs
  }

  currentSystemTimeMs(): number {
    return this.nowMs()
  }

  forward(record: Record<unknown, unknown>, childName?: string): void {
    const node = this.currentNode
    if (node === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', 'forward() outside process() or a punctuator', { task: this.taskName })
    if (childName !== undefined) {
      const child = node.childByName.get(childName)
      if (child === undefined) throw streamsError('STREAMS_UNKNOWN_CHILD', `${childName} is not a child of ${node.name}`, { node: node.name, child: childName })
      this.run(child, record)
    } else {
      const children = node.children
      for (let i = 0; i < children.length; i++) this.run(children[i] as ProcessorNode, record)
    }
    this.currentNode = node
  }

  /** Runs `node`'s processor on `record` as the current node. */
  run(node: ProcessorNode, record: Record<unknown, unknown>): void {
    this.currentNode = node
    try {
      node.processor.process(record)
    } catch (err) {
      this.onProcessingError(node, err)
    }
  }

  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    const node = this.currentNode
    if (node === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', 'schedule() outside init(), process() or a punctuator', { task: this.taskName })
    if (!(Number.isSafeInteger(intervalMs) && intervalMs >= 1)) {
      throw streamsError('STREAMS_ILLEGAL_STATE', `punctuation interval must be an integer ≥ 1 ms`, { node: node.name, intervalMs: String(intervalMs) })
    }
    if (typeof punctuator !== 'function') throw streamsError('STREAMS_ILLEGAL_STATE', 'schedule() takes a punctuator function', { node: node.name })
    switch (type) {
      case 'stream-time':
        // Aligned to 0: fires as soon as stream time is known (Kafka StreamTask#schedule).
        return this.streamTimePunctuations.add(node, 0, intervalMs, punctuator)
      case 'wall-clock-time':
        return this.wallClockPunctuations.add(node, this.nowMs() + intervalMs, intervalMs, punctuator)
      default:
        throw streamsError('STREAMS_ILLEGAL_STATE', `unknown punctuation type ${String(type)}`, { node: node.name })
    }
  }

  getStateStore<S extends StateStore>(name: string): S {
    const node = this.currentNode
    const store = this.stores.get(name)
    if (store === undefined || node === undefined || !node.stores.includes(name)) {
      throw streamsError('STREAMS_UNKNOWN_STORE', `state store ${name} is not connected to ${node?.name ?? 'this processor'}`, { store: name, node: node?.name })
    }
    return store as S
  }

  commit(): void {
    this.commitRequested = true
  }

  recordDropped(): void {
    this.droppedRecords++
  }

  /** Fires due punctuations of `type` at `nowMs`; returns whether any ran. */
  punctuate(type: PunctuationType, nowMs: number): boolean {
    const queue = type === 'stream-time' ? this.streamTimePunctuations : this.wallClockPunctuations
    if (queue.isEmpty) return false
    return queue.punctuate(nowMs, (schedule, now) => {
      const metadata = this.metadata
      this.metadata = undefined
      this.currentTimestampMs = now
      this.currentNode = schedule.node
      try {
        schedule.punctuator(now)
      } catch (err) {
        this.onProcessingError(schedule.node, err)
      } finally {
        this.currentNode = undefined
        this.metadata = metadata
      }
    })
  }

  errorContext(node: string): ErrorContext {
    const m = this.metadata
    return { topic: m?.topic, partition: m?.partition, offset: m?.offset, node, taskId: this.taskName }
  }

  private onProcessingError(node: ProcessorNode, err: unknown): void {
    if (isTaskFailure(err)) throw err
    const context = this.errorContext(node.name)
    if (decide(this.handlers.processing, context, err) === 'continue') {
      this.handlers.onWarning(`skipped a record that failed in ${node.name} (processing exception handler: continue)`, contextDetails(context))
      return
    }
    throw streamsError(
      'STREAMS_PROCESSING_FAILED',
      `processor ${node.name} of task ${this.taskName} failed${context.topic === undefined ? '' : ` on ${context.topic}-${context.partition}@${context.offset}`}`,
      contextDetails(context),
      err,
    )
  }
}
