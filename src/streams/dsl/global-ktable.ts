/**
 * `GlobalKTable<K, V>` (Kafka `GlobalKTable`): a table of every partition of its topic, held whole
 * by every app instance. `builder.globalTable(topic)` makes one; the app brings it up to the
 * topic's end before any task processes, then keeps it up to date while it runs. It makes no
 * tasks and needs no co-partitioning: a task reads the instance's one copy, whatever partitions
 * the task owns.
 *
 * Its store is read-only outside the table: processors read it with `context.getStateStore(name)`
 * when they name it in their `stores` (values are `ValueAndTimestamp`s, as a table's), and
 * `app.keyValueStore(queryableStoreName)` queries it (plain values).
 */
import type { Serde } from '../../serdes/index.js'

export interface GlobalKTable<K, V> {
  /**
   * The name of the table's store: `materialized.name`, else generated
   * (`<topic>-STATE-STORE-<n>`). Always set — unlike Kafka, a generated store is queryable too.
   */
  readonly queryableStoreName: string
  /**
   * @internal never set: carries `K` and `V` in the type, so a `GlobalKTable<string, number>` is
   * not a `GlobalKTable<number, string>` and operators taking a table can infer both.
   */
  readonly __types?: { readonly key: K; readonly value: V }
}

/** What the DSL keeps of a global table, for the operators that look rows up in it. */
export interface GlobalTableState<K, V> {
  readonly storeName: string
  readonly keySerde: Serde<K>
  readonly valueSerde: Serde<V>
}

export class GlobalKTableImpl<K, V> implements GlobalKTable<K, V> {
  constructor(readonly state: GlobalTableState<K, V>) {}

  get queryableStoreName(): string {
    return this.state.storeName
  }
}
