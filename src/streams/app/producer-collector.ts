/**
 * The runtime's record collector: sinks add output records to one array; `dispatch()` hands the
 * array to the producer as one `sendBatch` (one promise per processed batch of input, never one
 * per record) and keeps a bounded window of batches in flight; `flush()` waits until everything
 * dispatched is acknowledged — the first step of a commit.
 *
 * Before dispatching, records to topics the collector has not seen are checked against the log
 * (a topic-name extractor may name one that does not exist); such records, and a batch the
 * producer rejects, go to the production exception handler: `'continue'` drops them with a
 * warning, `'fail'` makes `flush()` throw `STREAMS_PRODUCTION_FAILED`. (A batch rejected as a
 * whole — a record over the producer's size limit — is dropped or failed as a whole.)
 */
import type { Admin, Producer } from '../../log/index.js'
import { streamsError } from '../errors.js'
import { decide, type ErrorHandlers } from '../runtime/error-handlers.js'
import type { OutputRecord, RecordCollector } from '../runtime/record-collector.js'

/** Batches in flight before `dispatch` waits for the oldest (bounds memory; keeps the producer busy). */
const MAX_BATCHES_IN_FLIGHT = 16

export class ProducerCollector implements RecordCollector {
  private batch: OutputRecord[] = []
  /** The topic of the last record added, and whether a record went to a topic not known to exist. */
  private lastTopic = ''
  private sawUnknownTopic = false
  private readonly inFlight: Promise<void>[] = []
  private failure: unknown
  private readonly partitionCounts = new Map<string, number>()

  constructor(
    private readonly producer: Producer,
    private readonly admin: Admin,
    private readonly handlers: ErrorHandlers,
    /** Called before the first record of a batch goes to the producer (exactly-once: begins the transaction). */
    private readonly beforeSend: () => void = () => undefined,
  ) {}

  /** Records the partition counts of topics known to exist. */
  learn(topic: string, partitions: number): void {
    this.partitionCounts.set(topic, partitions)
  }

  send(record: OutputRecord): void {
    // An output record is a producer record as it is: no copy per record.
    this.batch.push(record)
    if (record.topic !== this.lastTopic) {
      this.lastTopic = record.topic
      if (!this.partitionCounts.has(record.topic)) this.sawUnknownTopic = true
    }
  }

  partitionCount(topic: string): number | undefined {
    return this.partitionCounts.get(topic)
  }

  /** Records added since the last dispatch. */
  get pendingCount(): number {
    return this.batch.length
  }

  /** Sends what sinks added; waits only when too many batches are in flight. */
  async dispatch(): Promise<void> {
    if (this.batch.length === 0) return
    let records = this.batch
    this.batch = []
    records = await this.dropUnknownTopics(records)
    if (records.length === 0) return
    this.beforeSend()
    const count = records.length
    this.inFlight.push(
      this.producer.sendBatch(records).then(
        () => undefined,
        (err: unknown) => this.onFailure(err, count),
      ),
    )
    if (this.inFlight.length > MAX_BATCHES_IN_FLIGHT) await this.inFlight.shift()
  }

  /** Dispatches, then waits for every batch. @throws `STREAMS_PRODUCTION_FAILED` when a send failed under `'fail'`. */
  async flush(): Promise<void> {
    await this.dispatch()
    // The producer's flush sends its last batches at once instead of after lingerMs (as Kafka's
    // collector does at commit): the loop is waiting on them.
    await this.producer.flush()
    await Promise.all(this.inFlight.splice(0))
    this.throwIfFailed()
  }

  /** Forgets records not yet dispatched (a task failed and its output is discarded). */
  discardPending(): void {
    this.batch = []
  }

  throwIfFailed(): void {
    const failure = this.failure
    if (failure !== undefined) {
      this.failure = undefined
      throw failure
    }
  }

  private async dropUnknownTopics(records: OutputRecord[]): Promise<OutputRecord[]> {
    if (!this.sawUnknownTopic) return records
    this.sawUnknownTopic = false
    this.lastTopic = ''
    const unknown = new Set<string>()
    for (const r of records) if (!this.partitionCounts.has(r.topic)) unknown.add(r.topic)
    if (unknown.size === 0) return records
    const existing = new Set(await this.admin.listTopics())
    const found = [...unknown].filter((t) => existing.has(t))
    if (found.length > 0) for (const info of await this.admin.describeTopics(found)) this.learn(info.topic, info.partitions.length)
    const missing = [...unknown].filter((t) => !existing.has(t))
    if (missing.length === 0) return records
    const kept = records.filter((r) => !missing.includes(r.topic))
    const err = streamsError('STREAMS_PRODUCTION_FAILED', `output topic(s) ${missing.join(', ')} do not exist`, { topics: missing.join(',') })
    this.onFailure(err, records.length - kept.length)
    return kept
  }

  private onFailure(err: unknown, records: number): void {
    // Batches mix the records of every task: the context names the producer, not one task.
    const context = { topic: undefined, partition: undefined, offset: undefined, node: 'producer', taskId: '-' }
    if (decide(this.handlers.production, context, err) === 'continue') {
      this.handlers.onWarning(`dropped ${records} output record(s) the producer could not send (production exception handler: continue)`, { task: context.taskId })
      return
    }
    this.failure ??= streamsError('STREAMS_PRODUCTION_FAILED', `could not send ${records} output record(s)`, { records }, err)
  }
}
