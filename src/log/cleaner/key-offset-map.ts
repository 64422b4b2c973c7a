/**
 * The cleaner's map from record key to the latest offset seen for it (Kafka `SkimpyOffsetMap`).
 *
 * Kafka keeps only a 16-byte MD5 of each key and accepts that a collision may delete a live
 * record. Here keys are compared byte for byte, so a collision costs a probe, never a record:
 *
 * ```
 * slot i (open addressing, linear probing, power-of-two slot count, load ≤ 3/4):
 *   hashes[i]      int32    murmur3_32 of the key bytes
 *   offsets[i]     float64  latest offset of the key + 1; 0 = empty slot (a fresh array is empty)
 *   keyStarts[i]   int32    where the key's bytes start in `arena`
 *   keyLengths[i]  int32    key length
 * arena: every distinct key's bytes, appended once
 * ```
 *
 * Why not a `Map<string, number>`: a string key per record (`toString('latin1')`) allocates on
 * every lookup of the hot loop and costs ~50 bytes of object overhead per distinct key; this map
 * allocates nothing per record and its memory is {@link SLOT_BYTES} per slot plus the key bytes,
 * bounded by `maxBytes` (Kafka `log.cleaner.dedupe.buffer.size`). When the bound is reached,
 * `put` refuses new keys and the cleaning round stops its dirty range there.
 *
 * One user at a time; `clear()` reuses the memory for the next partition. Doubling the slot table
 * rehashes every key; `put` does it at once, `growInSteps` in slices between which the caller
 * yields (at 1M slots a rehash takes ~70 ms here).
 */
export const SLOT_BYTES = 4 + 8 + 4 + 4
const INITIAL_SLOTS = 1024
const INITIAL_ARENA_BYTES = 16 * 1024
const EMPTY = 0
/** Old slots rehashed per step of `growInSteps` (~3 ms here). */
const SLOTS_PER_STEP = 65_536
/** Kafka's default dedupe buffer (`log.cleaner.dedupe.buffer.size`). */
export const DEFAULT_DEDUPE_BUFFER_BYTES = 128 * 1024 * 1024
/** Keys longer than this are compared with `Buffer.compare` (native) instead of a JS loop. */
const NATIVE_COMPARE_BYTES = 32

export class KeyOffsetMap {
  private hashes: Int32Array
  private offsets: Float64Array
  private keyStarts: Int32Array
  private keyLengths: Int32Array
  private mask: number
  private arena: Buffer
  private arenaUsed = 0
  private count = 0

  /**
   * @param maxBytes upper bound of the memory held (slots + key bytes; while the table doubles,
   *   the old one is held too); at least 64 KiB.
   */
  constructor(readonly maxBytes: number = DEFAULT_DEDUPE_BUFFER_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 64 * 1024 || maxBytes > 0x7fff_ffff) {
      throw new RangeError(`KeyOffsetMap maxBytes must be an integer in [65536, 2^31 - 1], got ${maxBytes}`)
    }
    this.hashes = new Int32Array(INITIAL_SLOTS)
    this.offsets = new Float64Array(INITIAL_SLOTS)
    this.keyStarts = new Int32Array(INITIAL_SLOTS)
    this.keyLengths = new Int32Array(INITIAL_SLOTS)
    this.mask = INITIAL_SLOTS - 1
    this.arena = Buffer.allocUnsafe(INITIAL_ARENA_BYTES)
  }

  /** Distinct keys held. */
  get size(): number {
    return this.count
  }

  /** Bytes currently allocated (slots and arena). */
  get memoryBytes(): number {
    return this.offsets.length * SLOT_BYTES + this.arena.length
  }

  /** Forgets every key; keeps the allocated memory for reuse. */
  clear(): void {
    this.offsets.fill(EMPTY)
    this.count = 0
    this.arenaUsed = 0
  }

  /**
   * Records `offset` as the latest offset of `key` (callers put offsets in increasing order, so
   * the last put wins). Returns false — changing nothing — when a new key does not fit in
   * `maxBytes`; known keys are always updated.
   */
  put(key: Uint8Array, offset: number): boolean {
    const hash = murmur3(key)
    let slot = this.find(key, hash)
    if ((this.offsets[slot] as number) !== EMPTY) {
      this.offsets[slot] = offset + 1
      return true
    }
    if (this.needsGrowth(1)) {
      if (!this.growSlots()) return false
      slot = this.find(key, hash)
    }
    if (this.arenaUsed + key.length > this.arena.length && !this.growArena(key.length)) return false
    this.arena.set(key, this.arenaUsed)
    this.hashes[slot] = hash
    this.offsets[slot] = offset + 1
    this.keyStarts[slot] = this.arenaUsed
    this.keyLengths[slot] = key.length
    this.arenaUsed += key.length
    this.count++
    return true
  }

  /** The latest offset recorded for `key`, or −1. */
  get(key: Uint8Array): number {
    return (this.offsets[this.find(key, murmur3(key))] as number) - 1
  }

  /** Whether `newKeys` more distinct keys would make `put` double the slot table. */
  needsGrowth(newKeys: number): boolean {
    return (this.count + newKeys) * 4 > this.offsets.length * 3
  }

  /**
   * Doubles the slot table as `put` would, rehashing {@link SLOTS_PER_STEP} slots at a time and
   * awaiting `pause` between steps; nothing else may use the map meanwhile. Resolves `'grown'`,
   * `'full'` (maxBytes forbids it; nothing changed) or `'stopped'` when `pause` resolved false
   * (nothing changed).
   */
  async growInSteps(pause: () => Promise<boolean>): Promise<'grown' | 'full' | 'stopped'> {
    const slots = this.offsets.length * 2
    if (slots * SLOT_BYTES + this.arena.length > this.maxBytes) return 'full'
    const next = newTable(slots)
    for (let from = 0; from < this.offsets.length; from += SLOTS_PER_STEP) {
      this.rehashInto(next, from, Math.min(this.offsets.length, from + SLOTS_PER_STEP))
      if (!(await pause())) return 'stopped'
    }
    this.install(next)
    return 'grown'
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private find(key: Uint8Array, hash: number): number {
    const mask = this.mask
    const offsets = this.offsets
    const hashes = this.hashes
    let slot = hash & mask
    for (;;) {
      if ((offsets[slot] as number) === EMPTY) return slot
      if (hashes[slot] === hash && this.keyEquals(slot, key)) return slot
      slot = (slot + 1) & mask
    }
  }

  private keyEquals(slot: number, key: Uint8Array): boolean {
    const length = key.length
    if (this.keyLengths[slot] !== length) return false
    const start = this.keyStarts[slot] as number
    const arena = this.arena
    if (length > NATIVE_COMPARE_BYTES) return arena.compare(key, 0, length, start, start + length) === 0
    for (let i = 0; i < length; i++) if (arena[start + i] !== key[i]) return false
    return true
  }

  private growSlots(): boolean {
    const slots = this.offsets.length * 2
    if (slots * SLOT_BYTES + this.arena.length > this.maxBytes) return false
    const next = newTable(slots)
    this.rehashInto(next, 0, this.offsets.length)
    this.install(next)
    return true
  }

  private rehashInto(next: SlotTable, from: number, to: number): void {
    const mask = next.offsets.length - 1
    for (let i = from; i < to; i++) {
      const offset = this.offsets[i] as number
      if (offset === EMPTY) continue
      const hash = this.hashes[i] as number
      let slot = hash & mask
      while ((next.offsets[slot] as number) !== EMPTY) slot = (slot + 1) & mask
      next.hashes[slot] = hash
      next.offsets[slot] = offset
      next.keyStarts[slot] = this.keyStarts[i] as number
      next.keyLengths[slot] = this.keyLengths[i] as number
    }
  }

  private install(next: SlotTable): void {
    this.hashes = next.hashes
    this.offsets = next.offsets
    this.keyStarts = next.keyStarts
    this.keyLengths = next.keyLengths
    this.mask = next.offsets.length - 1
  }

  private growArena(needBytes: number): boolean {
    const slotBytes = this.offsets.length * SLOT_BYTES
    const need = this.arenaUsed + needBytes
    const size = Math.min(Math.max(need, this.arena.length * 2), this.maxBytes - slotBytes)
    if (size < need) return false
    const arena = Buffer.allocUnsafe(size)
    this.arena.copy(arena, 0, 0, this.arenaUsed)
    this.arena = arena
    return true
  }
}

interface SlotTable {
  hashes: Int32Array
  offsets: Float64Array
  keyStarts: Int32Array
  keyLengths: Int32Array
}

function newTable(slots: number): SlotTable {
  return {
    hashes: new Int32Array(slots),
    offsets: new Float64Array(slots),
    keyStarts: new Int32Array(slots),
    keyLengths: new Int32Array(slots),
  }
}

const C1 = 0xcc9e2d51
const C2 = 0x1b873593
const SEED = 0x9747b28c

/** MurmurHash3 x86_32 of `key` (a well-mixed 32-bit hash; only equality of keys matters here). */
export function murmur3(key: Uint8Array): number {
  const length = key.length
  const blocks = length & ~3
  let h = SEED
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (key[i] as number) | ((key[i + 1] as number) << 8) | ((key[i + 2] as number) << 16) | ((key[i + 3] as number) << 24)
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = length & 3
  if (tail !== 0) {
    let k = key[blocks] as number
    if (tail > 1) k |= (key[blocks + 1] as number) << 8
    if (tail > 2) k |= (key[blocks + 2] as number) << 16
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}
