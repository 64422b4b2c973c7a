/**
 * The buffer of `KTable.suppress` (Kafka `InMemoryTimeOrderedKeyValueChangeBuffer`): the latest
 * update of each held-back key, ordered by buffer time, in a key-value store the suppress
 * processor owns (so the buffer has a changelog and survives restarts), plus an in-memory index
 * rebuilt from the store when the processor starts: per key its buffer time and size, and a
 * min-heap of (buffer time, key bytes) — eviction takes the oldest without scanning the store.
 *
 * A key's buffer time is fixed by its first update ("non-resetting", as Kafka): later updates
 * replace the entry in place. Keys leave the buffer only by eviction, oldest first; ties on
 * buffer time go in key-byte order, as Kafka's `BufferKey` orders them.
 *
 * Byte layout of a buffered entry (the store's value and its changelog record's value; the key is
 * the table's serialized key):
 * ```
 *   [0]        format version, int8 (0)
 *   [1, 9)     buffer time, int64 (ms)
 *   [9, 17)    timestamp of the latest update, int64 (ms)
 *   int32      header count; per header: int32 key length, UTF-8 key,
 *              int32 value length (−1: null), value bytes
 *   int32      prior value length (−1: null), its bytes (the value serde's)
 *   int32      new value length (−1: null), its bytes
 * ```
 * The prior value is the old value of the key's first buffered update — the value downstream last
 * saw — and is what the eviction's change carries as its old value. (Kafka's changelog value has
 * a different layout; this buffer does not read Kafka's changelogs.)
 */
import { Reader, Writer, type RecordHeader } from '../../../log/index.js'
import type { Serde } from '../../../serdes/index.js'
import { streamsError } from '../../errors.js'
import type { Record } from '../../processor/record.js'
import { BytesMap } from '../../state/bytes-map.js'
import { compareBytes } from '../../state/bytes-store.js'
import type { KeyValueStore } from '../../state/key-value-store.js'
import type { Change } from './aggregate.js'

const FORMAT_VERSION = 0
const TIME_BYTES = 8
const LENGTH_BYTES = 4
/** Version, buffer time, timestamp, header count, and the two value lengths. */
const FIXED_BYTES = 1 + 2 * TIME_BYTES + 3 * LENGTH_BYTES
const NULL_LENGTH = -1

/** A buffered key as the index knows it. */
interface Slot {
  readonly keyBytes: Uint8Array
  readonly bufferTimeMs: number
  sizeBytes: number
}

/** An update encoded for the buffer but not applied yet: a full buffer can refuse it untouched. */
export interface PreparedPut {
  readonly keyBytes: Uint8Array
  readonly entry: Uint8Array
  readonly bufferTimeMs: number
  /** The key's slot when it is buffered already. */
  readonly buffered: Slot | undefined
  readonly sizeBytes: number
}

/** A key leaving the buffer: its latest update, as it goes downstream. */
export interface Eviction<K, V> {
  readonly key: K
  readonly change: Change<V>
  readonly timestampMs: number
  readonly headers: readonly RecordHeader[]
}

export class SuppressionBuffer<K, V> {
  private readonly slots = new BytesMap<Slot>()
  /** Min-heap by (buffer time, key bytes). */
  private readonly heap: Slot[] = []
  private bytes = 0

  constructor(
    private readonly store: KeyValueStore<Uint8Array, Uint8Array>,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** The topic serdes see: the store's changelog topic. */
    private readonly topic: string,
  ) {
    const all = store.all()
    try {
      for (const { key, value } of all) {
        // Copied: a backend's iterator may hand out views of buffers it reuses.
        const slot: Slot = { keyBytes: key.slice(), bufferTimeMs: this.entryReader(value).int64(), sizeBytes: key.length + value.length }
        this.slots.set(slot.keyBytes, slot)
        this.heap.push(slot)
        this.bytes += slot.sizeBytes
      }
    } finally {
      all.close()
    }
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i)
  }

  /** Keys buffered. */
  get recordCount(): number {
    return this.heap.length
  }

  /** Bytes buffered: serialized keys and entries. */
  get sizeBytes(): number {
    return this.bytes
  }

  /** The oldest buffer time (`Infinity` when empty). */
  get oldestTimeMs(): number {
    return this.heap[0]?.bufferTimeMs ?? Number.POSITIVE_INFINITY
  }

  /**
   * Encodes `record` (a table's change) as the buffered entry of its key: buffered already, the
   * key keeps its buffer time and its prior value; else `bufferTimeMs` applies.
   */
  prepare(record: Record<K, Change<V>>, bufferTimeMs: number): PreparedPut {
    const keyBytes = this.keySerde.serialize(this.topic, record.key, record.headers)
    if (keyBytes === null) throw streamsError('STREAMS_ILLEGAL_STATE', `the key serde of suppression buffer ${this.topic} wrote null for a key`, { topic: this.topic })
    const buffered = this.slots.get(keyBytes)
    const prior = buffered === undefined ? this.serializeValue(record.value.oldValue, record.headers) : this.priorBytesOf(keyBytes)
    const time = buffered?.bufferTimeMs ?? bufferTimeMs
    const entry = encodeEntry(time, record, prior, this.serializeValue(record.value.newValue, record.headers))
    return { keyBytes, entry, bufferTimeMs: time, buffered, sizeBytes: keyBytes.length + entry.length }
  }

  /**
   * Keys and bytes the buffer would hold after `put` and after evicting every entry with a buffer
   * time ≤ `expiryMs` (the new entry included): what Kafka checks against the bounds after putting.
   */
  sizeAfter(put: PreparedPut, expiryMs: number): { readonly records: number; readonly bytes: number } {
    let records = this.heap.length
    let bytes = this.bytes
    if (put.buffered === undefined) {
      records++
      bytes += put.sizeBytes
    } else {
      bytes += put.sizeBytes - put.buffered.sizeBytes
    }
    // Entries due by time: a pruned walk of the heap (a child is never older than its parent).
    const pending = this.heap.length > 0 ? [0] : []
    for (let i = pending.pop(); i !== undefined; i = pending.pop()) {
      const slot = this.heap[i] as Slot
      if (slot.bufferTimeMs > expiryMs) continue
      records--
      bytes -= slot === put.buffered ? put.sizeBytes : slot.sizeBytes
      if (2 * i + 1 < this.heap.length) pending.push(2 * i + 1)
      if (2 * i + 2 < this.heap.length) pending.push(2 * i + 2)
    }
    if (put.buffered === undefined && put.bufferTimeMs <= expiryMs) {
      records--
      bytes -= put.sizeBytes
    }
    return { records, bytes }
  }

  /** Writes `put` to the store and the index. */
  apply(put: PreparedPut): void {
    const slot = put.buffered
    if (slot === undefined) {
      const added: Slot = { keyBytes: put.keyBytes, bufferTimeMs: put.bufferTimeMs, sizeBytes: put.sizeBytes }
      this.slots.set(put.keyBytes, added)
      this.heap.push(added)
      this.siftUp(this.heap.length - 1)
      this.bytes += put.sizeBytes
    } else {
      this.bytes += put.sizeBytes - slot.sizeBytes
      slot.sizeBytes = put.sizeBytes
    }
    this.store.put(put.keyBytes, put.entry)
  }

  /** Removes the oldest key (deleting it from the store: a tombstone in the changelog) and returns its latest update. */
  evictOldest(): Eviction<K, V> | undefined {
    const slot = this.heap[0]
    if (slot === undefined) return undefined
    const last = this.heap.pop() as Slot
    if (this.heap.length > 0) {
      this.heap[0] = last
      this.siftDown(0)
    }
    this.slots.delete(slot.keyBytes)
    this.bytes -= slot.sizeBytes
    const entry = this.store.get(slot.keyBytes)
    if (entry === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', `suppression buffer ${this.topic} lost a buffered key`, { topic: this.topic })
    this.store.put(slot.keyBytes, null)
    return this.decode(slot.keyBytes, entry)
  }

  private decode(keyBytes: Uint8Array, entry: Uint8Array): Eviction<K, V> {
    const reader = this.entryReader(entry)
    reader.skip(TIME_BYTES)
    const timestampMs = reader.int64()
    const headers: RecordHeader[] = []
    for (let n = reader.int32(); n > 0; n--) {
      const key = reader.utf8(reader.int32())
      headers.push({ key, value: readNullable(reader) })
    }
    const prior = readNullable(reader)
    const next = readNullable(reader)
    const key = this.keySerde.deserialize(this.topic, keyBytes, headers) as K
    const newValue = next === null ? null : this.valueSerde.deserialize(this.topic, next, headers)
    const oldValue = prior === null ? null : this.valueSerde.deserialize(this.topic, prior, headers)
    return { key, change: { newValue, oldValue }, timestampMs, headers }
  }

  private priorBytesOf(keyBytes: Uint8Array): Uint8Array | null {
    const entry = this.store.get(keyBytes)
    if (entry === undefined) throw streamsError('STREAMS_ILLEGAL_STATE', `suppression buffer ${this.topic} lost a buffered key`, { topic: this.topic })
    const reader = this.entryReader(entry)
    reader.skip(2 * TIME_BYTES)
    for (let n = reader.int32(); n > 0; n--) {
      reader.skip(reader.int32())
      readNullable(reader)
    }
    return readNullable(reader)
  }

  private serializeValue(value: V | null, headers: readonly RecordHeader[]): Uint8Array | null {
    return value === null ? null : this.valueSerde.serialize(this.topic, value, headers)
  }

  /**
   * A reader over a stored entry, at its buffer time (after the version). Truncated or unknown
   * bytes raise `LOG_CORRUPT_BATCH` naming the store's changelog.
   */
  private entryReader(entry: Uint8Array): Reader {
    const reader = new Reader(entry, 0, entry.length, 0, `suppression buffer entry of ${this.topic}`)
    const version = reader.int8()
    if (version !== FORMAT_VERSION) throw reader.corrupt(`unknown format version ${version}`, 0)
    return reader
  }

  private before(a: Slot, b: Slot): boolean {
    return a.bufferTimeMs !== b.bufferTimeMs ? a.bufferTimeMs < b.bufferTimeMs : compareBytes(a.keyBytes, b.keyBytes) < 0
  }

  private siftUp(at: number): void {
    const heap = this.heap
    const slot = heap[at] as Slot
    while (at > 0) {
      const parent = (at - 1) >> 1
      const above = heap[parent] as Slot
      if (!this.before(slot, above)) break
      heap[at] = above
      at = parent
    }
    heap[at] = slot
  }

  private siftDown(at: number): void {
    const heap = this.heap
    const slot = heap[at] as Slot
    for (;;) {
      const left = 2 * at + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && this.before(heap[right] as Slot, heap[left] as Slot) ? right : left
      const below = heap[child] as Slot
      if (!this.before(below, slot)) break
      heap[at] = below
      at = child
    }
    heap[at] = slot
  }
}

function encodeEntry(bufferTimeMs: number, record: Record<unknown, unknown>, prior: Uint8Array | null, next: Uint8Array | null): Uint8Array {
  let size = FIXED_BYTES + (prior?.length ?? 0) + (next?.length ?? 0)
  for (const header of record.headers) size += 2 * LENGTH_BYTES + Buffer.byteLength(header.key) + (header.value?.length ?? 0)
  const writer = new Writer(size)
  writer.int8(FORMAT_VERSION).int64(bufferTimeMs).int64(record.timestampMs).int32(record.headers.length)
  for (const header of record.headers) {
    writer.int32(Buffer.byteLength(header.key)).utf8(header.key)
    writeNullable(writer, header.value)
  }
  writeNullable(writer, prior)
  writeNullable(writer, next)
  return writer.finish()
}

function writeNullable(writer: Writer, bytes: Uint8Array | null): void {
  if (bytes === null) writer.int32(NULL_LENGTH)
  else writer.int32(bytes.length).bytes(bytes)
}

function readNullable(reader: Reader): Uint8Array | null {
  const length = reader.int32()
  return length === NULL_LENGTH ? null : reader.view(length)
}
