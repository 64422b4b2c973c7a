/**
 * The bytes of one simulated file: what reads see now (the page cache), what is durable (as of
 * the last completed sync), and the writes in between, in order. A power loss rebuilds the file
 * from `durable` plus some of `pendingWrites` (see power-loss.ts).
 */

/** A pending write: `write` covers both append (at the end at call time) and writeAt. */
export type PendingWrite =
  | { readonly kind: 'write'; readonly seq: number; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: 'truncate'; readonly seq: number; readonly sizeBytes: number }

const MIN_CAPACITY_BYTES = 256

/**
 * A growable byte array. Invariant: capacity beyond `length` is zero, so growing (by a write past
 * the end or by truncate) exposes zeros, like a sparse region of a real file.
 */
export class ByteBuffer {
  private bytes: Uint8Array
  private lengthBytes: number

  private constructor(bytes: Uint8Array, lengthBytes: number) {
    this.bytes = bytes
    this.lengthBytes = lengthBytes
  }

  static empty(): ByteBuffer {
    return new ByteBuffer(new Uint8Array(0), 0)
  }

  /** Copies `data`. */
  static of(data: Uint8Array): ByteBuffer {
    // `new Uint8Array(data)` copies; `data.slice()` would be a view when `data` is a Node Buffer.
    return new ByteBuffer(new Uint8Array(data), data.length)
  }

  get length(): number {
    return this.lengthBytes
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    if (position >= this.lengthBytes) return 0
    const n = Math.min(length, this.lengthBytes - position)
    target.set(this.bytes.subarray(position, position + n), targetOffset)
    return n
  }

  /** Writes `data` at `position`, zero-filling any gap past the current end. */
  write(position: number, data: Uint8Array): void {
    if (data.length === 0) return
    const end = position + data.length
    this.ensureCapacity(end)
    this.bytes.set(data, position)
    if (end > this.lengthBytes) this.lengthBytes = end
  }

  truncate(sizeBytes: number): void {
    if (sizeBytes < this.lengthBytes) {
      this.bytes.fill(0, sizeBytes, this.lengthBytes)
    } else {
      this.ensureCapacity(sizeBytes)
    }
    this.lengthBytes = sizeBytes
  }

  flipBit(byteOffset: number, bit: number): void {
    if (byteOffset >= this.lengthBytes) return
    this.bytes[byteOffset] = (this.bytes[byteOffset] ?? 0) ^ (1 << bit)
  }

  /** The live bytes, without copying: valid until the next mutation. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.lengthBytes)
  }

  clone(): ByteBuffer {
    return ByteBuffer.of(this.view())
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.bytes.length) return
    let capacity = Math.max(this.bytes.length, MIN_CAPACITY_BYTES)
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.bytes.subarray(0, this.lengthBytes))
    this.bytes = grown
  }
}

export class FileContent {
  /** Every write ever recorded has a sequence number; `sync()` remembers the last one it covers. */
  private lastSeq = 0

  private constructor(
    private readonly visible: ByteBuffer,
    private readonly durable: ByteBuffer,
    private pending: PendingWrite[],
  ) {}

  static empty(): FileContent {
    return new FileContent(ByteBuffer.empty(), ByteBuffer.empty(), [])
  }

  /** A file whose whole content is durable (a crash image, a test fixture). */
  static durableOf(bytes: Uint8Array): FileContent {
    return new FileContent(ByteBuffer.of(bytes), ByteBuffer.of(bytes), [])
  }

  get length(): number {
    return this.visible.length
  }

  /** Sequence number of the latest write; pass it to {@link syncThrough}. */
  get seq(): number {
    return this.lastSeq
  }

  get pendingWrites(): readonly PendingWrite[] {
    return this.pending
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    return this.visible.read(target, targetOffset, length, position)
  }

  /** Copies `data` (callers may reuse their buffer). Empty writes record nothing. */
  write(position: number, data: Uint8Array): void {
    if (data.length === 0) return
    // A copy, never a view: Buffer#slice is subarray, and callers (the index writers) reuse
    // their buffers, so a view would replay the last entry into every pending write.
    const copy = new Uint8Array(data)
    this.visible.write(position, copy)
    this.pending.push({ kind: 'write', seq: ++this.lastSeq, position, data: copy })
  }

  truncate(sizeBytes: number): void {
    this.visible.truncate(sizeBytes)
    this.pending.push({ kind: 'truncate', seq: ++this.lastSeq, sizeBytes })
  }

  /** Makes every write with a sequence number ≤ `seq` durable (a completed fdatasync). */
  syncThrough(seq: number): void {
    let synced = 0
    for (const op of this.pending) {
      if (op.seq > seq) break
      if (op.kind === 'write') this.durable.write(op.position, op.data)
      else this.durable.truncate(op.sizeBytes)
      synced++
    }
    if (synced > 0) this.pending = this.pending.slice(synced)
  }

  syncAll(): void {
    this.syncThrough(this.lastSeq)
  }

  /** The durable bytes, without copying: valid until the next mutation. */
  durableView(): Uint8Array {
    return this.durable.view()
  }

  /** The visible bytes, without copying: valid until the next mutation. */
  visibleView(): Uint8Array {
    return this.visible.view()
  }

  /** Test helper: the whole file becomes `bytes`, durably (nothing stays pending). */
  replaceDurably(bytes: Uint8Array): void {
    this.visible.truncate(0)
    this.visible.write(0, bytes)
    this.durable.truncate(0)
    this.durable.write(0, bytes)
    this.pending = []
  }

  /** Test helper: the whole file becomes `bytes` through two unsynced writes (truncate, write). */
  replaceVolatile(bytes: Uint8Array): void {
    this.truncate(0)
    this.write(0, bytes)
  }

  /**
   * Test helper: media damage. The visible and the durable copy of the byte both flip; pending
   * writes are left alone, so a power-loss image that replays one over this byte rewrites it.
   */
  flipBit(byteOffset: number, bit: number): void {
    this.visible.flipBit(byteOffset, bit)
    this.durable.flipBit(byteOffset, bit)
  }

  /**
   * Test helper: media damage that loses the tail from `sizeBytes` (≤ length) in the visible and
   * the durable copy. Pending writes are left alone, as for {@link flipBit}.
   */
  damageTruncate(sizeBytes: number): void {
    this.visible.truncate(sizeBytes)
    if (sizeBytes < this.durable.length) this.durable.truncate(sizeBytes)
  }

  clone(): FileContent {
    // Pending data arrays are never mutated after being recorded, so images may share them.
    const copy = new FileContent(this.visible.clone(), this.durable.clone(), [...this.pending])
    copy.lastSeq = this.lastSeq
    return copy
  }
}
