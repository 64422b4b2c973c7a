/**
 * The consume–transform–produce loop of the exactly-once crash tests: read `ctp-in`
 * (read_committed, offsets of group `ctp`), write one output per input to `ctp-out` in a
 * transaction with the consumed offsets (`sendOffsetsToTransaction`), commit — every few
 * transactions abort instead and re-process the same inputs. A read_committed verifier polls
 * `ctp-out` after each transaction. Every step is reported as a history event for the checker.
 *
 * Shared by the kill -9 child (events printed to stdout) and the in-process power-loss test.
 */
import type { Broker } from '../../../src/log/broker.js'
import type { TopicPartition } from '../../../src/log/topic-partition.js'
import type { HistoryEvent } from '../../support/txn-history.js'

export const CTP = {
  input: 'ctp-in',
  output: 'ctp-out',
  partitions: 2,
  groupId: 'ctp',
  transactionalId: 'ctp-eos',
} as const

/** Output values carry the input and the transaction that wrote them: `<input>><txn>`. */
export const outputIdentity = (value: string): string => value.slice(0, value.indexOf('>'))

export const inputValue = (partition: number, i: number): string => `in-${partition}-${i}`

const enc = (s: string): Buffer => Buffer.from(s)
const dec = (b: Uint8Array | null): string => (b === null ? '' : Buffer.from(b).toString())

/** Creates both topics and writes `perPartition` inputs to each input partition. */
export async function setUpCtp(broker: Broker, perPartition: number): Promise<void> {
  broker.createTopic({ topic: CTP.input, partitions: CTP.partitions })
  broker.createTopic({ topic: CTP.output, partitions: CTP.partitions, configs: { 'segment.bytes': '16384' } })
  const producer = broker.producer({ lingerMs: 0 })
  try {
    for (let p = 0; p < CTP.partitions; p++) {
      const sends = Array.from({ length: perPartition }, (_, i) => producer.send({ topic: CTP.input, partition: p, key: enc(`k${i}`), value: enc(inputValue(p, i)) }))
      await Promise.all(sends)
    }
  } finally {
    await producer.close()
  }
}

export interface CtpRunOptions {
  /** Names this run's transactions and reader. */
  runId: string
  emit(event: HistoryEvent): void
  /** Inputs per transaction are 1…this (varied by transaction number). */
  maxRecordsPerTxn: number
  /** Every n-th transaction aborts and its inputs are processed again. */
  abortEvery: number
  /** Stop (return 'stopped', nothing closed) after this many transactions. */
  stopAfterTxns?: number
  /** lingerMs of the producer (0 on a manual clock, whose timers never fire). */
  lingerMs?: number
}

/** Runs the loop until every input is processed ('done', clients closed) or `stopAfterTxns`. */
export async function runCtp(broker: Broker, options: CtpRunOptions): Promise<'done' | 'stopped'> {
  const producer = broker.producer({ transactionalId: CTP.transactionalId, lingerMs: options.lingerMs ?? 0 })
  // Init first: it completes or aborts the previous instance's transaction, so the committed
  // offsets read next are settled.
  await producer.initTransactions()
  const consumer = broker.consumer({ groupId: CTP.groupId, isolationLevel: 'read_committed', autoOffsetReset: 'earliest', enableAutoCommit: false })
  const inputs: TopicPartition[] = Array.from({ length: CTP.partitions }, (_, partition) => ({ topic: CTP.input, partition }))
  await consumer.assign(inputs)
  const verifier = broker.consumer({ isolationLevel: 'read_committed', autoOffsetReset: 'earliest' })
  await verifier.assign(Array.from({ length: CTP.partitions }, (_, partition) => ({ topic: CTP.output, partition })))
  const ends = await consumer.endOffsets(inputs)
  const reader = `${options.runId}-verifier`
  const verify = async (): Promise<void> => {
    const polled = await verifier.poll({ timeoutMs: 0 })
    if (polled.length > 0) {
      options.emit({ type: 'poll', reader, records: polled.map((r) => ({ partition: String(r.partition), offset: r.offset, value: dec(r.value) })) })
    }
  }
  for (let n = 0; ; n++) {
    if (options.stopAfterTxns !== undefined && n >= options.stopAfterTxns) return 'stopped'
    const records = await consumer.poll({ timeoutMs: 0, maxRecords: 1 + (n % options.maxRecordsPerTxn) })
    if (records.length === 0) {
      let done = true
      for (const end of ends) if ((await consumer.position(end)) < end.offset) done = false
      if (done) break
      continue
    }
    const txn = `${options.runId}-t${n}`
    producer.beginTransaction()
    const sends = records.map((r) => {
      const value = `${dec(r.value)}>${txn}`
      options.emit({ type: 'write', txn, value })
      return producer.send({ topic: CTP.output, partition: r.partition, key: r.key, value: enc(value) })
    })
    await Promise.all(sends)
    const next = new Map<number, number>()
    const first = new Map<number, number>()
    for (const r of records) {
      next.set(r.partition, r.offset + 1)
      if (!first.has(r.partition)) first.set(r.partition, r.offset)
    }
    await producer.sendOffsetsToTransaction(
      [...next].map(([partition, offset]) => ({ topic: CTP.input, partition, offset })),
      consumer.groupMetadata(),
    )
    if (options.abortEvery > 0 && n % options.abortEvery === options.abortEvery - 1) {
      await producer.abortTransaction()
      options.emit({ type: 'aborted', txn })
      for (const [partition, offset] of first) consumer.seek({ topic: CTP.input, partition }, offset)
    } else {
      options.emit({ type: 'commit-requested', txn })
      await producer.commitTransaction()
      options.emit({ type: 'committed', txn })
    }
    await verify()
  }
  await verify()
  await verifier.close()
  await consumer.close()
  await producer.close()
  return 'done'
}
