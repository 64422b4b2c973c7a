/**
 * The transactional producer's client side (Kafka `TransactionManager`): the producer's
 * transaction state machine, the coordinator calls, and the gate every drained batch passes.
 *
 * - `initTransactions()` gets the producer's id and epoch from the coordinator (which fences older
 *   instances of the transactional id and finishes their leftovers).
 * - Partitions join the transaction implicitly: the first batch drained to a partition waits for
 *   AddPartitionsToTxn, and partitions first reached while an add is being prepared share one
 *   call (coalesced in a microtask). Later batches to an added partition pass straight through,
 *   so the per-record path is untouched.
 * - `commitTransaction()` flushes every buffered batch, then EndTxn; the coordinator's answer is
 *   the identity for the next transaction (KIP-890: the epoch is bumped by every EndTxn), and
 *   every partition's sequences start over at 0. A transaction that touched nothing commits
 *   locally.
 * - Errors: a failed send or offset commit makes the transaction abortable (`commitTransaction`
 *   throws `LOG_TRANSACTION_ABORTABLE`, `abortTransaction` recovers); `LOG_PRODUCER_FENCED` (or
 *   `LOG_INVALID_PRODUCER_EPOCH` on a transactional batch, which means the same) is fatal: every
 *   later call throws it and the producer can only be closed.
 */
import { isMillraceError, logError, MillraceError } from '../../errors.js'
import type { TopicPartition } from '../../topic-partition.js'
import type { ConsumerGroupMetadata } from '../consumer/consumer-api.js'
import type { DrainResult } from './producer-batch.js'
import type { ProducerIdentity, RecordAccumulator } from './record-accumulator.js'

/** One offset of `sendOffsetsToTransaction`: the next offset to consume. */
export interface TransactionOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  /** Default `''`. */
  readonly metadata?: string
}

/** The coordinator calls a transactional producer makes (the broker builds this seam). */
export interface ProducerTransactionLog {
  initProducerId(transactionalId: string, transactionTimeoutMs: number): Promise<ProducerIdentity>
  addPartitions(transactionalId: string, producer: ProducerIdentity, tps: readonly TopicPartition[]): Promise<void>
  /** AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator (KIP-447 fenced by `group`). */
  commitOffsets(transactionalId: string, producer: ProducerIdentity, offsets: readonly TransactionOffset[], group: ConsumerGroupMetadata): Promise<void>
  /** EndTxn; resolves with the identity for the next transaction. */
  endTransaction(transactionalId: string, producer: ProducerIdentity, commit: boolean): Promise<ProducerIdentity>
}

/** Kafka's client-side transaction states. */
export type ProducerTransactionState =
  | 'UNINITIALIZED'
  | 'INITIALIZING'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING'
  | 'ABORTING'
  | 'ABORTABLE_ERROR'
  | 'FATAL_ERROR'

type Append = (tp: TopicPartition, bytes: Buffer) => Promise<DrainResult>

function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}

export class TransactionManager {
  readonly transactionalId: string
  private readonly log: ProducerTransactionLog
  private readonly timeoutMs: number
  private accumulator: RecordAccumulator | undefined
  private txnState: ProducerTransactionState = 'UNINITIALIZED'
  private identity: ProducerIdentity | undefined
  /** Partitions in the open transaction (added at the coordinator). */
  private readonly added = new Set<string>()
  /** Partitions waiting for the next coalesced AddPartitionsToTxn, and that call. */
  private pendingTps = new Map<string, TopicPartition>()
  private pendingAdd: Promise<void> | undefined
  /** Whether offsets were sent in the open transaction (the `__consumer_offsets` partition joined it). */
  private sentOffsets = false
  /** The first failure in the open transaction; it must be aborted. */
  private abortCause: unknown
  private fatal: MillraceError | undefined

  constructor(options: { transactionalId: string; transactionTimeoutMs: number; log: ProducerTransactionLog }) {
    this.transactionalId = options.transactionalId
    this.timeoutMs = options.transactionTimeoutMs
    this.log = options.log
  }

  /** The accumulator whose identity this manager sets (it is built after the manager). */
  attach(accumulator: RecordAccumulator): void {
    this.accumulator = accumulator
  }

  get state(): ProducerTransactionState {
    return this.txnState
  }

  /** The producer id and epoch of the current transaction (after `initTransactions`). */
  get producerIdentity(): ProducerIdentity | undefined {
    return this.identity
  }

  async initTransactions(): Promise<void> {
    this.checkNotFatal()
    if (this.txnState !== 'UNINITIALIZED') throw this.illegal('initTransactions', 'initTransactions() may be called once')
    this.txnState = 'INITIALIZING'
    try {
      this.setIdentity(await this.log.initProducerId(this.transactionalId, this.timeoutMs))
      this.txnState = 'READY'
    } catch (err) {
      if (this.isFencing(err)) throw this.fail(err)
      this.txnState = 'UNINITIALIZED'
      throw err
    }
  }

  beginTransaction(): void {
    this.checkNotFatal()
    if (this.txnState !== 'READY') throw this.illegal('beginTransaction', 'a transaction can begin only after initTransactions() and once the previous one ended')
    this.added.clear()
    this.sentOffsets = false
    this.abortCause = undefined
    this.txnState = 'IN_TRANSACTION'
  }

  /** Called by `send` before a record is buffered. @throws unless a transaction is open. */
  checkSend(): void {
    this.checkNotFatal()
    if (this.txnState === 'ABORTABLE_ERROR') throw this.abortable('send')
    if (this.txnState !== 'IN_TRANSACTION') throw this.illegal('send', 'a transactional producer sends only inside beginTransaction() … commit/abort')
  }

  /**
   * The drain of a transactional producer: the batch is appended once its partition is in the
   * transaction. Failures make the transaction abortable (or the producer fenced).
   */
  drain(tp: TopicPartition, bytes: Buffer, append: Append): Promise<DrainResult> {
    if (this.fatal !== undefined) return Promise.reject(this.fatal)
    const key = tpKey(tp)
    const appended = this.added.has(key) ? this.guard(() => append(tp, bytes)) : this.addPartition(key, tp).then(() => append(tp, bytes))
    return appended.catch((err: unknown) => {
      throw this.noteFailure(err)
    })
  }

  async sendOffsetsToTransaction(offsets: readonly TransactionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    this.checkNotFatal()
    if (this.txnState === 'ABORTABLE_ERROR') throw this.abortable('sendOffsetsToTransaction')
    if (this.txnState !== 'IN_TRANSACTION') throw this.illegal('sendOffsetsToTransaction', 'offsets are sent inside a transaction')
    if (!Array.isArray(offsets)) throw logError('LOG_INVALID_ARGUMENT', 'offsets must be an array of { topic, partition, offset }', { field: 'offsets' })
    if (group === null || typeof group !== 'object' || typeof group.groupId !== 'string') {
      throw logError('LOG_INVALID_ARGUMENT', 'groupMetadata must be a consumer.groupMetadata() value', { field: 'groupMetadata' })
    }
    this.sentOffsets = true
    try {
      await this.log.commitOffsets(this.transactionalId, this.requireIdentity(), offsets, group)
    } catch (err) {
      throw this.noteFailure(err)
    }
  }

  /**
   * Flushes, then commits. @throws `LOG_TRANSACTION_ABORTABLE` when a send or offset commit of the
   * transaction failed (abort it); `LOG_PRODUCER_FENCED`; `LOG_INVALID_TXN_STATE` outside a
   * transaction; an I/O error of the commit (the transaction stays open: commit again or abort).
   */
  async commitTransaction(): Promise<void> {
    this.checkNotFatal()
    if (this.txnState === 'ABORTABLE_ERROR') throw this.abortable('commitTransaction')
    if (this.txnState !== 'IN_TRANSACTION') throw this.illegal('commitTransaction', 'there is no open transaction to commit')
    this.txnState = 'COMMITTING'
    await this.requireAccumulator().flush()
    this.checkNotFatal()
    if (this.abortCause !== undefined) {
      this.txnState = 'ABORTABLE_ERROR'
      throw this.abortable('commitTransaction')
    }
    await this.end(true)
  }

  /** Flushes (failures are part of what is aborted), then aborts. @throws `LOG_PRODUCER_FENCED`, `LOG_INVALID_TXN_STATE`. */
  async abortTransaction(): Promise<void> {
    this.checkNotFatal()
    if (this.txnState !== 'IN_TRANSACTION' && this.txnState !== 'ABORTABLE_ERROR') {
      throw this.illegal('abortTransaction', 'there is no open transaction to abort')
    }
    const from = this.txnState
    this.txnState = 'ABORTING'
    await this.requireAccumulator().flush()
    this.checkNotFatal()
    await this.end(false, from)
  }

  // ---------------------------------------------------------------- internals

  private async end(commit: boolean, from: ProducerTransactionState = 'IN_TRANSACTION'): Promise<void> {
    if (this.added.size === 0 && !this.sentOffsets) {
      // Nothing reached the coordinator: the transaction never began there.
      this.txnState = 'READY'
      return
    }
    try {
      this.setIdentity(await this.log.endTransaction(this.transactionalId, this.requireIdentity(), commit))
    } catch (err) {
      if (this.isFencing(err)) throw this.fail(err)
      this.txnState = from
      throw err
    }
    this.added.clear()
    this.sentOffsets = false
    this.abortCause = undefined
    this.txnState = 'READY'
  }

  /** Joins `tp` to the transaction: coalesced with other partitions reached in the same tick. */
  private addPartition(key: string, tp: TopicPartition): Promise<void> {
    this.pendingTps.set(key, tp)
    if (this.pendingAdd === undefined) {
      this.pendingAdd = Promise.resolve().then(() => {
        const tps = this.pendingTps
        this.pendingTps = new Map()
        this.pendingAdd = undefined
        return this.log.addPartitions(this.transactionalId, this.requireIdentity(), [...tps.values()]).then(() => {
          for (const k of tps.keys()) this.added.add(k)
        })
      })
    }
    return this.pendingAdd
  }

  private guard(append: () => Promise<DrainResult>): Promise<DrainResult> {
    try {
      return append()
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  /** Records a failure of the open transaction; returns the error to raise. */
  private noteFailure(err: unknown): unknown {
    if (this.isFencing(err)) return this.fail(err)
    this.abortCause ??= err
    if (this.txnState === 'IN_TRANSACTION') this.txnState = 'ABORTABLE_ERROR'
    return err
  }

  private isFencing(err: unknown): boolean {
    return isMillraceError(err, 'LOG_PRODUCER_FENCED') || isMillraceError(err, 'LOG_INVALID_PRODUCER_EPOCH')
  }

  /** Enters the fatal state; returns its error (`LOG_PRODUCER_FENCED`, the cause attached). */
  private fail(cause: unknown): MillraceError {
    this.fatal ??=
      isMillraceError(cause, 'LOG_PRODUCER_FENCED')
        ? cause
        : logError('LOG_PRODUCER_FENCED', `transactional producer ${this.transactionalId} was fenced by a newer instance`, { transactionalId: this.transactionalId }, cause)
    this.txnState = 'FATAL_ERROR'
    return this.fatal
  }

  private checkNotFatal(): void {
    if (this.fatal !== undefined) throw this.fatal
  }

  private abortable(call: string): MillraceError {
    return logError(
      'LOG_TRANSACTION_ABORTABLE',
      `${call}: the transaction of ${this.transactionalId} failed and must be aborted`,
      { transactionalId: this.transactionalId, call },
      this.abortCause,
    )
  }

  private illegal(call: string, why: string): MillraceError {
    return logError('LOG_INVALID_TXN_STATE', `${call} in state ${this.txnState}: ${why}`, { transactionalId: this.transactionalId, state: this.txnState, call })
  }

  private setIdentity(identity: ProducerIdentity): void {
    this.identity = identity
    this.requireAccumulator().setProducerIdentity(identity)
  }

  private requireIdentity(): ProducerIdentity {
    const identity = this.identity
    if (identity === undefined) throw this.illegal('transaction', 'call initTransactions() first')
    return identity
  }

  private requireAccumulator(): RecordAccumulator {
    const accumulator = this.accumulator
    if (accumulator === undefined) throw logError('LOG_ILLEGAL_STATE', 'transaction manager has no accumulator')
    return accumulator
  }
}
