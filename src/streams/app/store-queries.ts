/**
 * Interactive queries of a running app (Kafka's `KafkaStreams#store`): read-only views of one
 * store over the instance's current tasks (or its global store), which follow rebalances — each
 * read asks for the local instances again. Aggregations' timestamped stores show plain values.
 * Nothing is queryable unless the app is `RUNNING` (Kafka: not while rebalancing or restoring).
 */
import { streamsError } from '../errors.js'
import { compositeReadOnlySessionStore, compositeReadOnlyStore, compositeReadOnlyWindowStore } from '../state/composite-store.js'
import type { KeyValueStoreImpl } from '../state/key-value-store-impl.js'
import type { KeyValueStore, ReadOnlyKeyValueStore } from '../state/key-value-store.js'
import type { ReadOnlySessionStore, SessionStore } from '../state/session-store.js'
import { plainWindowFacade, storeFace } from '../state/store-face.js'
import type { StoreSpec } from '../state/stores.js'
import { plainValueFacade } from '../state/timestamped-facade.js'
import type { ValueAndTimestamp } from '../state/value-and-timestamp.js'
import type { ReadOnlyWindowStore, WindowStore } from '../state/window-store.js'
import type { StreamsAppState } from './app-state.js'
import type { GlobalState } from './global-state.js'
import type { TaskManager } from './task-manager.js'

export interface StoreQueriesSource {
  readonly stores: ReadonlyMap<string, StoreSpec>
  readonly state: () => StreamsAppState
  /** The running app's tasks and global stores; `undefined` when not running. */
  readonly running: () => { readonly tasks: TaskManager; readonly global: GlobalState } | undefined
  /** The time writes through a plain-value facade are stamped with (queries never write). */
  readonly nowMs: () => number
}

export class StoreQueries {
  constructor(private readonly source: StoreQueriesSource) {}

  keyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const spec = this.source.stores.get(name)
    if (spec === undefined) throw streamsError('STREAMS_UNKNOWN_STORE', `the topology has no state store ${name}`, { store: name })
    if (spec.layout !== undefined) throw streamsError('STREAMS_UNKNOWN_STORE', `store ${name} is a ${spec.layout.kind} store: query it with ${spec.layout.kind}Store()`, { store: name })
    this.checkRunning(name)
    return compositeReadOnlyStore<K, V>(() => {
      const running = this.running(name)
      if (running.global.has(name)) return [running.global.readable<K, V>(name)]
      return running.tasks
        .storesNamed(name)
        .map((s) => (spec.timestamped === true ? plainValueFacade(s as unknown as KeyValueStore<K, ValueAndTimestamp<V>>, this.source.nowMs) : (s as unknown as KeyValueStore<K, V>)))
    })
  }

  windowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    const spec = this.layoutSpec(name, 'window')
    const layout = spec.layout as { readonly windowSizeMs: number; readonly retentionMs: number }
    return compositeReadOnlyWindowStore<K, V>(
      () =>
        this.localStores(name).map((s) => {
          const face = storeFace(s) as WindowStore<K, unknown>
          return spec.timestamped === true ? plainWindowFacade(face as WindowStore<K, ValueAndTimestamp<V>>, this.source.nowMs) : (face as WindowStore<K, V>)
        }),
      layout.windowSizeMs,
      layout.retentionMs,
    )
  }

  sessionStore<K, V>(name: string): ReadOnlySessionStore<K, V> {
    const spec = this.layoutSpec(name, 'session')
    return compositeReadOnlySessionStore<K, V>(() => this.localStores(name).map((s) => storeFace(s) as SessionStore<K, V>), spec.layout?.retentionMs ?? 0)
  }

  private layoutSpec(name: string, kind: 'window' | 'session'): StoreSpec {
    const spec = this.source.stores.get(name)
    if (spec?.layout?.kind !== kind) throw streamsError('STREAMS_UNKNOWN_STORE', `the topology has no ${kind} store ${name}`, { store: name })
    this.checkRunning(name)
    return spec
  }

  /** The local instances of store `name`, at the time of the read. */
  private localStores(name: string): KeyValueStoreImpl<unknown, unknown>[] {
    return this.running(name).tasks.storesNamed(name)
  }

  private running(name: string): { readonly tasks: TaskManager; readonly global: GlobalState } {
    const running = this.source.running()
    if (running === undefined) throw this.notQueryable(name)
    this.checkRunning(name)
    return running
  }

  private checkRunning(name: string): void {
    if (this.source.state() !== 'RUNNING') throw this.notQueryable(name)
  }

  private notQueryable(name: string): Error {
    const state = this.source.state()
    return streamsError('STREAMS_ILLEGAL_STATE', `store ${name} is not queryable while the app is ${state}`, { store: name, state })
  }
}
