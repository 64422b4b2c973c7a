/**
 * What `KTable.suppress` holds back, and for how long (Kafka `Suppressed` and
 * `Suppressed.BufferConfig`, KIP-328):
 *
 * - `Suppressed.untilWindowCloses(buffer)`: a windowed table's final results — nothing for a window
 *   until stream time closes it (`end ≤ streamTime − grace`), then its last value once; deletions
 *   are dropped. Only for tables keyed by `Windowed<K>` (the compiler checks), made by a windowed
 *   aggregation (checked when the topology is built), and only with a buffer that shuts the app
 *   down when full: emitting early would break the "final" promise.
 * - `Suppressed.untilTimeLimit(timeLimitMs, buffer)`: at most one update per key per
 *   `timeLimitMs` of stream time — the first update of a key starts its wait, later ones replace
 *   the value without restarting it, and the latest value goes downstream when the wait is over.
 *
 * Time is stream time only — the largest timestamp of the records that reached the suppression —
 * so nothing is emitted until newer records arrive (there is no wall-clock trigger, as in Kafka).
 *
 * ```ts
 * counts.suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
 * counts.suppress(Suppressed.untilTimeLimit(60_000, BufferConfig.maxBytes(1_000_000).emitEarlyWhenFull()))
 * ```
 */
import type { Serde, Windowed } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { StoreBackendKind } from '../state/stores.js'
import type { Named } from './options.js'

/**
 * What a bounded buffer does when an update does not fit: `'emit-early'` sends the oldest buffered
 * updates downstream before their time (Kafka `emitEarlyWhenFull()`), `'shut-down'` fails the task
 * with `STREAMS_SUPPRESSION_BUFFER_FULL` (Kafka `shutDownWhenFull()`), which keeps the time
 * guarantee at the cost of availability.
 */
export type BufferFullPolicy = 'emit-early' | 'shut-down'

/** A buffer that never emits early (Kafka `StrictBufferConfig`): unbounded, or failing when full. */
export type StrictBufferConfig = BufferConfig<'shut-down'>

/** A bounded buffer that emits its oldest updates early when full (Kafka `EagerBufferConfig`). */
export type EagerBufferConfig = BufferConfig<'emit-early'>

/**
 * The suppression buffer's bounds and what happens past them. Immutable: every `with…` returns a
 * new config. A bound is a non-negative integer; an absent bound is `Infinity`. Sizes count each
 * buffered key's serialized key and its buffered entry (values, timestamp, headers) in bytes.
 * The buffer is backed by a state store with a changelog unless `withLoggingDisabled()`.
 */
export class BufferConfig<P extends BufferFullPolicy = BufferFullPolicy> {
  private constructor(
    /** Most keys buffered at once (`Infinity`: no bound). */
    readonly recordLimit: number,
    /** Most bytes buffered at once (`Infinity`: no bound). */
    readonly byteLimit: number,
    readonly whenFull: P,
    /** Whether the buffer has a changelog (default true): without one it is lost with the instance. */
    readonly logging: boolean,
    /** Extra configs of the changelog topic (Kafka's `withLoggingEnabled(config)`). */
    readonly changelogConfigs: Readonly<Record<string, string>>,
  ) {}

  /** No bound (Kafka `unbounded()`): the buffer may use all memory; it never emits early. */
  static unbounded(): StrictBufferConfig {
    return new BufferConfig(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 'shut-down', true, Object.freeze({}))
  }

  /** At most `recordLimit` keys, emitting the oldest early when full (change with `shutDownWhenFull()`). @throws `STREAMS_TOPOLOGY_INVALID` for a limit that is not an integer ≥ 0. */
  static maxRecords(recordLimit: number): EagerBufferConfig {
    return new BufferConfig(checkedLimit('recordLimit', recordLimit), Number.POSITIVE_INFINITY, 'emit-early', true, Object.freeze({}))
  }

  /** At most `byteLimit` bytes, emitting the oldest early when full (change with `shutDownWhenFull()`). @throws `STREAMS_TOPOLOGY_INVALID` for a limit that is not an integer ≥ 0. */
  static maxBytes(byteLimit: number): EagerBufferConfig {
    return new BufferConfig(Number.POSITIVE_INFINITY, checkedLimit('byteLimit', byteLimit), 'emit-early', true, Object.freeze({}))
  }

  /** This config with at most `recordLimit` keys as well. @throws `STREAMS_TOPOLOGY_INVALID` as `maxRecords`. */
  withMaxRecords(recordLimit: number): BufferConfig<P> {
    return new BufferConfig(checkedLimit('recordLimit', recordLimit), this.byteLimit, this.whenFull, this.logging, this.changelogConfigs)
  }

  /** This config with at most `byteLimit` bytes as well. @throws `STREAMS_TOPOLOGY_INVALID` as `maxBytes`. */
  withMaxBytes(byteLimit: number): BufferConfig<P> {
    return new BufferConfig(this.recordLimit, checkedLimit('byteLimit', byteLimit), this.whenFull, this.logging, this.changelogConfigs)
  }

  /** Both bounds removed (Kafka `withNoBound()`). */
  withNoBound(): StrictBufferConfig {
    return new BufferConfig(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 'shut-down', this.logging, this.changelogConfigs)
  }

  /** When full, emit the oldest updates before their time. */
  emitEarlyWhenFull(): EagerBufferConfig {
    return new BufferConfig(this.recordLimit, this.byteLimit, 'emit-early', this.logging, this.changelogConfigs)
  }

  /** When full, fail the task with `STREAMS_SUPPRESSION_BUFFER_FULL`. */
  shutDownWhenFull(): StrictBufferConfig {
    return new BufferConfig(this.recordLimit, this.byteLimit, 'shut-down', this.logging, this.changelogConfigs)
  }

  /** No changelog: a restarted or moved task starts with an empty buffer (buffered updates are lost). */
  withLoggingDisabled(): BufferConfig<P> {
    return new BufferConfig(this.recordLimit, this.byteLimit, this.whenFull, false, Object.freeze({}))
  }

  /** A changelog (the default), with extra topic configs. */
  withLoggingEnabled(changelogConfigs: Readonly<Record<string, string>> = {}): BufferConfig<P> {
    return new BufferConfig(this.recordLimit, this.byteLimit, this.whenFull, true, Object.freeze({ ...changelogConfigs }))
  }
}

function checkedLimit(name: 'recordLimit' | 'byteLimit', limit: number): number {
  if (!(Number.isSafeInteger(limit) && limit >= 0)) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `a suppression buffer's ${name} must be an integer ≥ 0`, { [name]: String(limit) })
  }
  return limit
}

/**
 * A suppression for a table keyed by `K`. Made by `Suppressed.untilWindowCloses` (only for
 * `Windowed` keys) or `Suppressed.untilTimeLimit` (any key).
 */
export interface Suppressed<K> {
  /**
   * Type-level only, never set: the keys this suppression accepts, contravariant, so a
   * `Suppressed<Windowed<unknown>>` fits a table keyed by `Windowed<string>` and not one keyed by
   * `string`, while a `Suppressed<unknown>` fits every table.
   */
  readonly __keys?: (key: K) => void
  readonly until: 'window-closes' | 'time-limit'
  /** `'time-limit'`: how long a key's first buffered update waits, in stream time; `undefined` for `'window-closes'` (the windows' grace decides). */
  readonly timeLimitMs: number | undefined
  readonly buffer: BufferConfig
}

/** The suppressions (Kafka `Suppressed`). */
export const Suppressed = Object.freeze({
  /**
   * Each window's final result, once, when stream time passes its end plus the grace period; no
   * deletions. @throws `STREAMS_TOPOLOGY_INVALID` for a buffer that emits early.
   */
  untilWindowCloses(buffer: StrictBufferConfig): Suppressed<Windowed<unknown>> {
    if (!(buffer instanceof BufferConfig) || buffer.whenFull !== 'shut-down') {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'untilWindowCloses takes a buffer that shuts down when full (BufferConfig.unbounded() or ….shutDownWhenFull())')
    }
    return Object.freeze({ until: 'window-closes', timeLimitMs: undefined, buffer })
  },

  /**
   * At most one update per key per `timeLimitMs` of stream time: the latest value (with its
   * record's timestamp and headers) once stream time reaches the key's first buffered update plus
   * `timeLimitMs`. @throws `STREAMS_TOPOLOGY_INVALID` for a time limit that is not an integer ≥ 0.
   */
  untilTimeLimit(timeLimitMs: number, buffer: BufferConfig): Suppressed<unknown> {
    if (!(Number.isSafeInteger(timeLimitMs) && timeLimitMs >= 0)) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', 'a suppression time limit must be an integer ≥ 0 (ms)', { timeLimitMs: String(timeLimitMs) })
    }
    if (!(buffer instanceof BufferConfig)) throw streamsError('STREAMS_TOPOLOGY_INVALID', 'untilTimeLimit takes a BufferConfig (BufferConfig.unbounded(), maxRecords(n), maxBytes(n))')
    return Object.freeze({ until: 'time-limit', timeLimitMs, buffer })
  },
})

/**
 * Options of `KTable.suppress`. `name` names the processor and its buffer store `<name>-store`
 * (changelog `<applicationId>-<name>-store-changelog`), as Kafka's `Suppressed.withName`;
 * without it they are `KTABLE-SUPPRESS-<n>` and `KTABLE-SUPPRESS-STATE-STORE-<n>`.
 */
export interface SuppressOptions<K, V> extends Named {
  /** Serdes of the buffer store; default: the table's (needed once an operator changed the value type). */
  readonly key?: Serde<K>
  readonly value?: Serde<V>
  /** The buffer store's backend: `'memory'` (default: Kafka's buffer is in memory, restored from its changelog) or `'rocksdb'`. */
  readonly backend?: StoreBackendKind
}
