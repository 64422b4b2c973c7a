/**
 * The state store hook of the Processor API. Stores (key-value, window, session; RocksDB and
 * in-memory, with changelogs) arrive with the state-store issue; processors already name the
 * stores they use, and `context.getStateStore(name)` resolves them per task.
 */
export interface StateStore {
  /** Unique within a topology; also names the store's changelog topic. */
  readonly name: string
  /** Releases what the store holds; called once when its task closes. */
  close(): void
}
