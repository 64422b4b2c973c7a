/**
 * The state of an app instance's tasks (Kafka `ProcessorStateManager` + `StoreChangelogReader`):
 * opens each task's store backends — RocksDB under `<stateDir>/<applicationId>/<taskId>/<store>`
 * or in memory — and restores them from their changelog partitions before the task processes:
 * from the changelog offset the backend recorded with its data (RocksDB) or from the start (memory),
 * to the end, in large write batches, each recording the offset it reached (a crash mid-restore
 * resumes from there). Then it builds the store instances the task opens.
 *
 * A task's directory is locked (state-dir.ts) before its stores open, and released when the task
 * is done with them (`release`) — after the stores have closed natively, so the next owner never
 * finds a RocksDB store still closing.
 */
import { join } from 'node:path'
import type { Consumer, LogClient, TopicPartition } from '../../log/index.js'
import type { TaskId } from '../processor/processor.js'
import type { RecordCollector } from '../runtime/record-collector.js'
import type { StoreOpenContext } from '../runtime/stream-task.js'
import type { BytesEntry, BytesKeyValueBackend } from '../state/bytes-store.js'
import { KeyValueStoreImpl } from '../state/key-value-store-impl.js'
import { InMemoryKeyValueBackend } from '../state/memory/in-memory-backend.js'
import { openRocksDbBackend } from '../state/rocksdb/rocksdb-backend.js'
import type { RocksDbResources } from '../state/rocksdb/rocksdb-resources.js'
import { DEFAULT_CACHE_MAX_BYTES, changelogTopicOf, type StoreSpec } from '../state/stores.js'
import type { StateDirectory, TaskDirLock } from './state-dir.js'

/** Changelog records per restore write batch (perf-anchor G10: large batches, no per-record promise). */
const RESTORE_BATCH_RECORDS = 10_000
/** How long one restore poll waits when the changelog has nothing more yet (the end was read at the start). */
const RESTORE_POLL_MS = 100

export interface StateManagerOptions {
  readonly client: LogClient
  readonly applicationId: string
  /** The app's `<stateDir>/<applicationId>`: task directories are locked there. */
  readonly directory: StateDirectory
  readonly exactlyOnce: boolean
  readonly resources: () => RocksDbResources
  readonly collector: RecordCollector
  /** Told once per restored store, when its restore has finished. */
  readonly onRestored: (report: RestoreReport) => void
  /** Global stores (global-state.ts): a task gets a read-only view of the instance's one copy, not a backend of its own. */
  readonly globalStores?: { has(name: string): boolean; view(name: string): KeyValueStoreImpl<unknown, unknown> }
}

/** A finished restore of one store of one task (`StreamsApp.restore$`). */
export interface RestoreReport {
  readonly store: string
  /** `global` for a global store (one report per partition of its topic). */
  readonly taskId: string
  /** A global store's: the partition of its topic the offsets are of. */
  readonly partition?: number
  readonly fromOffset: number
  readonly toOffset: number
  readonly records: number
  readonly seconds: number
}

/**
 * A task's restored backends: `openStore` builds its stores over them; `release` (= the state
 * manager's `release(taskId)`) closes those no store took and unlocks the task's directory.
 */
export interface PreparedStores {
  readonly openStore: (spec: StoreSpec, task: StoreOpenContext) => KeyValueStoreImpl<unknown, unknown>
  readonly release: () => void
}

/** What a prepared task holds: its directory lock and its backends. */
interface TaskState {
  readonly lock: TaskDirLock
  readonly backends: ReadonlyMap<string, BytesKeyValueBackend>
  readonly handedOut: ReadonlySet<string>
}

export class StateManager {
  private restoreConsumer: Consumer | undefined
  private readonly tasks = new Map<string, TaskState>()

  constructor(private readonly options: StateManagerOptions) {}

  /**
   * Opens and restores the backends of `stores` for task `taskId`; returns the `openStore` the
   * task uses to build its stores over them.
   */
  async prepare(taskId: TaskId, stores: readonly StoreSpec[]): Promise<PreparedStores> {
    const key = `${taskId.subtopology}_${taskId.partition}`
    const lock = await this.options.directory.lock(key)
    const backends = new Map<string, BytesKeyValueBackend>()
    try {
      for (const spec of stores) {
        if (this.options.globalStores?.has(spec.name) === true) continue
        const backend = await this.open(spec, lock)
        backends.set(spec.name, backend)
        if (spec.logging) await this.restore(spec, taskId, backend)
      }
    } catch (err) {
      for (const b of backends.values()) b.close()
      lock.release(whenAllReleased(backends.values()))
      throw err
    }
    const { applicationId, collector } = this.options
    const handedOut = new Set<string>()
    this.tasks.set(key, { lock, backends, handedOut })
    const release = (): void => this.release(taskId)
    const openStore = (spec: StoreSpec, task: StoreOpenContext): KeyValueStoreImpl<unknown, unknown> => {
      if (this.options.globalStores?.has(spec.name) === true) return this.options.globalStores.view(spec.name)
      const backend = backends.get(spec.name)
      if (backend === undefined) throw new Error(`store ${spec.name} was not prepared for task ${taskId.subtopology}_${taskId.partition}`)
      handedOut.add(spec.name)
      const topic = changelogTopicOf(applicationId, spec.name)
      const partition = taskId.partition
      return new KeyValueStoreImpl(spec, backend, {
        topic,
        changelog: spec.logging ? (key, value, timestampMs) => collector.send({ topic, key, value, headers: [], timestampMs, partition }) : undefined,
        timestampMs: task.timestampMs,
        cacheMaxBytes: DEFAULT_CACHE_MAX_BYTES,
        requestCommit: task.requestCommit,
        asCurrentNode: task.asCurrentNode,
      })
    }
    return { openStore, release }
  }

  /**
   * The task is done with its stores (closed them, or never opened them): closes the backends no
   * store took, and unlocks the task's directory once every backend has closed natively.
   * Idempotent; nothing for a task without stores.
   */
  release(taskId: TaskId): void {
    const key = `${taskId.subtopology}_${taskId.partition}`
    const task = this.tasks.get(key)
    if (task === undefined) return
    this.tasks.delete(key)
    for (const [name, backend] of task.backends) if (!task.handedOut.has(name)) backend.close()
    task.lock.release(whenAllReleased(task.backends.values()))
  }

  /** Closes the restore consumer; resolves once released task directories are unlocked. */
  async close(): Promise<void> {
    await this.restoreConsumer?.close()
    this.restoreConsumer = undefined
    await this.options.directory.settled()
  }

  private async open(spec: StoreSpec, task: TaskDirLock): Promise<BytesKeyValueBackend> {
    if (spec.backend === 'memory') return new InMemoryKeyValueBackend(spec.name)
    return openRocksDbBackend({
      name: `${spec.name}-${task.taskId}`,
      dir: join(task.dir, spec.name),
      resources: this.options.resources(),
    })
  }

  private async restore(spec: StoreSpec, taskId: TaskId, backend: BytesKeyValueBackend): Promise<void> {
    const tp: TopicPartition = { topic: changelogTopicOf(this.options.applicationId, spec.name), partition: taskId.partition }
    const consumer = (this.restoreConsumer ??= this.options.client.consumer({
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      isolationLevel: this.options.exactlyOnce ? 'read_committed' : 'read_uncommitted',
    }))
    const [end] = await consumer.endOffsets([tp])
    const endOffset = end?.offset ?? 0
    const [start] = await consumer.beginningOffsets([tp])
    const from = Math.max(backend.committedOffset() ?? 0, start?.offset ?? 0)
    const began = performance.now()
    let records = 0
    if (from < endOffset) {
      await consumer.assign([tp])
      consumer.seek(tp, from)
      let batch: BytesEntry[] = []
      let position = from
      while (position < endOffset) {
        const polled = await consumer.poll({ timeoutMs: RESTORE_POLL_MS })
        for (const r of polled) {
          if (r.key !== null) batch.push({ key: r.key, value: r.value })
          position = r.offset + 1
          records++
          if (batch.length >= RESTORE_BATCH_RECORDS) {
            backend.write(batch, position)
            batch = []
          }
        }
        // Markers and aborted records move the position without returning records.
        if (polled.length === 0) position = Math.max(position, await consumer.position(tp))
      }
      backend.write(batch, position)
      await consumer.assign([])
    }
    this.options.onRestored({ store: spec.name, taskId: `${taskId.subtopology}_${taskId.partition}`, fromOffset: from, toOffset: endOffset, records, seconds: (performance.now() - began) / 1000 })
  }
}

/** Settles when every backend of `backends` that closes natively (RocksDB) has; their failures are theirs to report. */
function whenAllReleased(backends: Iterable<BytesKeyValueBackend>): Promise<unknown> {
  const closing: Promise<void>[] = []
  for (const b of backends) {
    const whenReleased = (b as Partial<{ whenReleased(): Promise<void> }>).whenReleased
    if (typeof whenReleased === 'function') closing.push(whenReleased.call(b))
  }
  return Promise.allSettled(closing)
}
