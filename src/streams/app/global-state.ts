/**
 * The global stores of an app instance (Kafka `GlobalStreamThread` + `GlobalStateManagerImpl`).
 * The instance reads every partition of each global store's topic with a consumer of its own
 * (assigned, no group: every instance reads everything) and applies the records through the
 * store's processor (`GlobalStoreUpdater`):
 *
 * 1. `bootstrap()` — before any task exists (`StreamsApp.start()` awaits it): each store is
 *    brought from where its data reaches (RocksDB: its last checkpoint, global-positions.ts;
 *    memory: the start of the topic) to the end offsets read when the bootstrap began, and
 *    reported on `restore$` once per partition (task `global`).
 * 2. `run()` — then a loop of its own, beside the app's, follows the topics while the app runs; a
 *    failure there (the deserialization handler says `'fail'`, the processor throws) is handed
 *    to `onFailure`, and the app fails, as Kafka's does when its global thread dies.
 *
 * Checkpoints every `commitIntervalMs`, after the bootstrap and at close (RocksDB stores: the
 * others keep nothing across restarts). Stores live in `<stateDir>/<applicationId>/global/<store>`.
 * Under exactly-once the consumer reads committed records only. A topic's partitions are those it
 * had when the app started.
 *
 * Tasks get read-only views of the stores (`view`, for the state manager); queries read them
 * through `readable`. One owner: the app that made it; the consumer is driven by `bootstrap` and
 * then by the loop alone.
 */
import { join } from 'node:path'
import type { Clock, Consumer, ConsumerRecord, LogClient, TopicPartition } from '../../log/index.js'
import { streamsError } from '../errors.js'
import type { ErrorHandlers } from '../runtime/error-handlers.js'
import { GlobalStoreUpdater } from '../runtime/global-store-updater.js'
import type { RecordCollector } from '../runtime/record-collector.js'
import type { BytesKeyValueBackend } from '../state/bytes-store.js'
import type { KeyValueStoreImpl } from '../state/key-value-store-impl.js'
import type { KeyValueStore } from '../state/key-value-store.js'
import { InMemoryKeyValueBackend } from '../state/memory/in-memory-backend.js'
import { RocksDbKeyValueBackend, openRocksDbBackend } from '../state/rocksdb/rocksdb-backend.js'
import type { RocksDbResources } from '../state/rocksdb/rocksdb-resources.js'
import type { StoreSpec } from '../state/stores.js'
import type { GlobalStoreSpec } from '../topology/global-store-spec.js'
import type { TopologyDefinition } from '../topology/topology-definition.js'
import { GlobalPositionsFile } from './global-positions.js'
import type { RestoreReport } from './state-manager.js'

/** The `taskId` of global stores' restore reports. */
export const GLOBAL_RESTORE_TASK = 'global'

export interface GlobalStateOptions {
  readonly definition: TopologyDefinition
  readonly client: LogClient
  readonly applicationId: string
  /** The consumer is `<clientId>-global-consumer` (Kafka's name). */
  readonly clientId: string
  readonly stateDir: string
  readonly exactlyOnce: boolean
  readonly resources: () => RocksDbResources
  /** Partitions of a topic (the app's topic plan). */
  readonly partitionCount: (topic: string) => number | undefined
  /** Where dead-lettered records go. */
  readonly collector: RecordCollector
  readonly handlers: ErrorHandlers
  readonly clock: Clock
  readonly pollMs: number
  readonly maxPollRecords: number
  readonly commitIntervalMs: number
  /** Told once per partition of each store when the bootstrap has finished. */
  readonly onRestored: (report: RestoreReport) => void
  /** The loop failed (it has stopped): the app fails with `err`. */
  readonly onFailure: (err: unknown) => void
}

/** A global store being opened: its backend and where its data reaches. */
interface Opening {
  readonly global: GlobalStoreSpec
  readonly spec: StoreSpec
  backend: BytesKeyValueBackend
  /** Partition → the next offset to apply; partitions not listed start at the log start. */
  from: ReadonlyMap<number, number>
  readonly positions: GlobalPositionsFile | undefined
  /** The next checkpoint sequence: above any the store or its file has seen. */
  readonly nextSequence: number
}

interface OpenStore {
  readonly updater: GlobalStoreUpdater
  /** The updater's (it closes it); kept to wait for a RocksDB store's native close. */
  readonly backend: BytesKeyValueBackend
  readonly partitions: readonly TopicPartition[]
  readonly positions: GlobalPositionsFile | undefined
  nextSequence: number
  /** The offsets of the last checkpoint (`p:offset,…`): an unchanged store is not checkpointed again. */
  checkpointed: string
}

/** One partition's bootstrap: from where the store's data reaches to the end offset when it began. */
interface Bootstrap {
  readonly store: string
  readonly tp: TopicPartition
  readonly from: number
  readonly to: number
  /** Records read (skipped ones included). */
  records: number
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

export class GlobalState {
  /** By topic. */
  private readonly stores = new Map<string, OpenStore>()
  private readonly byName = new Map<string, OpenStore>()
  private consumer: Consumer | undefined
  private loop: Promise<void> | undefined
  private readonly stop = new AbortController()
  private lastCheckpointMs = 0

  constructor(private readonly options: GlobalStateOptions) {}

  /** Whether `name` is a global store of the topology. */
  has(name: string): boolean {
    return this.options.definition.globalStores.has(name)
  }

  /** A read-only view of global store `name` for a task. @throws `STREAMS_ILLEGAL_STATE` before the bootstrap opened it. */
  view(name: string): KeyValueStoreImpl<unknown, unknown> {
    return this.open(name).updater.view()
  }

  /** Global store `name` for queries (plain values for a table's store). @throws as `view`. */
  readable<K, V>(name: string): KeyValueStore<K, V> {
    return this.open(name).updater.readable<K, V>()
  }

  /**
   * Opens every global store and brings it to the end offsets of its topic as they are now.
   * Returns early, leaving the stores part-way, when `signal` aborts (the app is closing).
   * @throws `STREAMS_STATE_DIR_LOCKED`/`STREAMS_STATE_STORE_FAILED` (opening a store); the
   *   failures of the records (see `GlobalStoreUpdater.apply`); log errors. Call `close()` after.
   */
  async bootstrap(signal: AbortSignal): Promise<void> {
    if (this.options.definition.globalStores.size === 0) return
    const began = performance.now()
    const { consumer, progress } = await this.openStores()
    await this.readToEnds(consumer, progress, signal)
    if (signal.aborted) return
    await this.checkpoint()
    const seconds = (performance.now() - began) / 1000
    for (const p of progress.values()) {
      this.options.onRestored({ store: p.store, taskId: GLOBAL_RESTORE_TASK, partition: p.tp.partition, fromOffset: p.from, toOffset: p.to, records: p.records, seconds })
    }
  }

  /** Starts following the topics (after `bootstrap`), until `close()`. */
  run(): void {
    const consumer = this.consumer
    if (consumer === undefined || this.loop !== undefined) return
    const signal = this.stop.signal
    this.loop = (async () => {
      try {
        while (!signal.aborted) {
          this.apply(await consumer.poll({ timeoutMs: this.options.pollMs, signal }))
          await this.checkpointIfDue()
        }
        await this.checkpoint()
      } catch (err) {
        this.options.onFailure(err)
      }
    })()
  }

  /**
   * Stops the loop (which checkpoints as it ends), closes the consumer, the processors and the
   * stores. Idempotent. @throws the first error closing them.
   */
  async close(): Promise<void> {
    this.stop.abort()
    await this.loop
    let failure: unknown
    try {
      await this.consumer?.close()
    } catch (err) {
      failure = err
    }
    this.consumer = undefined
    const closing: Promise<void>[] = []
    for (const s of this.stores.values()) {
      try {
        s.updater.close()
      } catch (err) {
        failure ??= err
      }
      if (s.backend instanceof RocksDbKeyValueBackend) closing.push(s.backend.whenReleased())
    }
    this.stores.clear()
    this.byName.clear()
    // The app is closed once its stores are: their directories are free for the next instance.
    // A failed native close is reported by the backend itself (a process warning), not raised here.
    await Promise.allSettled(closing)
    if (failure !== undefined) throw failure
  }

  // ---------------------------------------------------------------- internals

  /**
   * Opens the stores and the consumer, and seeks each partition to where its store's data
   * reaches; returns each partition's bootstrap, from there to its end offset now.
   */
  private async openStores(): Promise<{ consumer: Consumer; progress: Map<string, Bootstrap> }> {
    const { definition, client } = this.options
    const opening: Opening[] = []
    try {
      for (const global of definition.globalStores.values()) opening.push(await this.openBackend(global))
      const consumer = (this.consumer = client.consumer({
        clientId: `${this.options.clientId}-global-consumer`,
        autoOffsetReset: 'earliest',
        enableAutoCommit: false,
        isolationLevel: this.options.exactlyOnce ? 'read_committed' : 'read_uncommitted',
        maxPollRecords: this.options.maxPollRecords,
      }))
      const partitions = opening.flatMap((o) => this.partitionsOf(o.global.topic))
      await consumer.assign(partitions)
      const starts = new Map((await consumer.beginningOffsets(partitions)).map((o) => [tpKey(o.topic, o.partition), o.offset]))
      const ends = new Map((await consumer.endOffsets(partitions)).map((o) => [tpKey(o.topic, o.partition), o.offset]))
      for (const o of opening) {
        const topic = o.global.topic
        // A checkpoint beyond the end: the topic was deleted and made again since. Start over.
        if ([...o.from].some(([p, offset]) => offset > (ends.get(tpKey(topic, p)) ?? 0))) await this.wipe(o, `its checkpoint is beyond the end of ${topic}`)
      }
      const progress = new Map<string, Bootstrap>()
      // Taken off the list first: from then on the updater owns the backend, even if it fails.
      for (let o = opening.shift(); o !== undefined; o = opening.shift()) {
        for (const tp of this.addStore(o).partitions) {
          const key = tpKey(tp.topic, tp.partition)
          const from = Math.max(o.from.get(tp.partition) ?? 0, starts.get(key) ?? 0)
          consumer.seek(tp, from)
          progress.set(key, { store: o.spec.name, tp, from, to: ends.get(key) ?? 0, records: 0 })
        }
      }
      return { consumer, progress }
    } catch (err) {
      // Backends no updater took yet are still ours to close; `close()` closes the rest.
      for (const o of opening) o.backend.close()
      throw err
    }
  }

  /** Applies what the consumer reads until every partition has reached its bootstrap's end (or `signal` aborts). */
  private async readToEnds(consumer: Consumer, progress: ReadonlyMap<string, Bootstrap>, signal: AbortSignal): Promise<void> {
    this.lastCheckpointMs = this.options.clock.monotonicMs()
    let behind = [...progress.values()].filter((p) => p.from < p.to)
    while (behind.length > 0 && !signal.aborted) {
      const records = await consumer.poll({ timeoutMs: this.options.pollMs, signal })
      countByPartition(records, (topic, partition, n) => {
        const p = progress.get(tpKey(topic, partition))
        if (p !== undefined) p.records += n
      })
      this.apply(records)
      const still: Bootstrap[] = []
      // The position, not the last record: transaction markers and aborted records move it too.
      for (const p of behind) if ((await consumer.position(p.tp)) < p.to) still.push(p)
      behind = still
      await this.checkpointIfDue()
    }
  }

  private open(name: string): OpenStore {
    const store = this.byName.get(name)
    if (store === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', `global store ${name} is not open`, { store: name })
    return store
  }

  private partitionsOf(topic: string): TopicPartition[] {
    const count = this.options.partitionCount(topic) ?? 0
    return Array.from({ length: count }, (_, partition) => ({ topic, partition }))
  }

  /** The store's backend (RocksDB under `global/`, or memory) and its last checkpoint's offsets. */
  private async openBackend(global: GlobalStoreSpec): Promise<Opening> {
    const spec = global.store
    if (spec.backend === 'memory') return { global, spec, backend: new InMemoryKeyValueBackend(spec.name), from: new Map(), positions: undefined, nextSequence: 1 }
    const positions = GlobalPositionsFile.read(join(this.globalDir(), `${spec.name}.positions`), global.topic)
    const backend = await this.openRocksDb(spec)
    const sequence = backend.committedOffset()
    const opening: Opening = { global, spec, backend, from: new Map(), positions, nextSequence: Math.max(sequence ?? 0, positions.lastSequence) + 1 }
    if (sequence === undefined) return opening
    const offsets = positions.offsetsAt(sequence)
    if (offsets !== undefined) opening.from = offsets
    else await this.wipe(opening, `its checkpoint ${sequence} is not in ${positions.file}`)
    return opening
  }

  private openRocksDb(spec: StoreSpec): Promise<BytesKeyValueBackend> {
    return openRocksDbBackend({ name: `${spec.name}-global`, dir: join(this.globalDir(), spec.name), resources: this.options.resources() })
  }

  /** Empties a store whose data cannot be placed in its topic: it is rebuilt from the start. */
  private async wipe(o: Opening, why: string): Promise<void> {
    this.options.handlers.onWarning(`rebuilding global store ${o.spec.name} from ${o.global.topic}: ${why}`, { store: o.spec.name, topic: o.global.topic })
    o.backend.destroy()
    o.backend = o.spec.backend === 'memory' ? new InMemoryKeyValueBackend(o.spec.name) : await this.openRocksDb(o.spec)
    o.from = new Map()
  }

  private addStore(o: Opening): OpenStore {
    const { applicationId, collector, handlers, clock } = this.options
    const updater = new GlobalStoreUpdater({ global: o.global, backend: o.backend, applicationId, collector, handlers, nowMs: () => clock.nowMs() })
    const store: OpenStore = { updater, backend: o.backend, partitions: this.partitionsOf(o.global.topic), positions: o.positions, nextSequence: o.nextSequence, checkpointed: '' }
    this.stores.set(o.global.topic, store)
    this.byName.set(updater.name, store)
    return store
  }

  /** Hands each record to the updater of its topic (a poll returns runs of one partition). */
  private apply(records: readonly ConsumerRecord[]): void {
    if (records.length === 0) return
    if (this.stores.size === 1) {
      for (const s of this.stores.values()) s.updater.apply(records)
      return
    }
    const byTopic = new Map<OpenStore, ConsumerRecord[]>()
    for (const r of records) {
      const store = this.stores.get(r.topic)
      if (store === undefined) continue
      let list = byTopic.get(store)
      if (list === undefined) byTopic.set(store, (list = []))
      list.push(r)
    }
    for (const [store, list] of byTopic) store.updater.apply(list)
  }

  private async checkpointIfDue(): Promise<void> {
    if (this.options.clock.monotonicMs() - this.lastCheckpointMs >= this.options.commitIntervalMs) await this.checkpoint()
  }

  /** Steps 2 and 3 of a checkpoint (global-positions.ts) for each persistent store that moved: step 1, the data, is written as it is applied. */
  private async checkpoint(): Promise<void> {
    this.lastCheckpointMs = this.options.clock.monotonicMs()
    const consumer = this.consumer
    if (consumer === undefined) return
    for (const s of this.stores.values()) {
      if (s.positions === undefined) continue
      const offsets = new Map<number, number>()
      for (const tp of s.partitions) offsets.set(tp.partition, await consumer.position(tp))
      const key = [...offsets].map(([p, o]) => `${p}:${o}`).join(',')
      if (key === s.checkpointed) continue
      const sequence = s.nextSequence++
      await s.positions.write(sequence, offsets)
      s.updater.mark(sequence)
      s.checkpointed = key
    }
  }

  private globalDir(): string {
    return join(this.options.stateDir, this.options.applicationId, 'global')
  }
}

/** Calls `count(topic, partition, n)` once per run of records of one partition. */
function countByPartition(records: readonly ConsumerRecord[], count: (topic: string, partition: number, n: number) => void): void {
  let start = 0
  for (let i = 1; i <= records.length; i++) {
    const a = records[start] as ConsumerRecord
    const b = records[i]
    if (b === undefined || b.partition !== a.partition || b.topic !== a.topic) {
      count(a.topic, a.partition, i - start)
      start = i
    }
  }
}
