/**
 * Producer id allocation (Kafka `InitProducerId` for producers without a transactional id).
 *
 * Ids must never be handed out twice, across restarts and crashes included: a reused id would
 * make a new producer's first batches look like retries (or gaps) of an old one's. Kafka's
 * controller grants brokers blocks of 1000 ids (`ProducerIdsBlock`) and records each grant
 * durably before it is used; so do we, in `<dataDir>/producer-id-block`:
 *
 * ```
 * {"version":1,"nextBlockStart":"3000"}
 * ```
 *
 * written with the atomic replace protocol (temp file, fsync, rename, fsync dir) before any id of
 * the new block is returned. A crash loses at most the unused rest of the current block.
 */
import { join } from 'node:path'
import { logError } from './errors.js'
import { readFileFully, writeFileAtomic } from './storage/atomic-file.js'
import type { FileIO } from './storage/file-io.js'

export const PRODUCER_ID_BLOCK_FILE = 'producer-id-block'
/** Kafka `ProducerIdManager` block size. */
export const PRODUCER_ID_BLOCK_SIZE = 1000n
const FORMAT_VERSION = 1
const MAX_PRODUCER_ID = 2n ** 63n - 1n

/** Hands out producer ids; one per broker, used from its event loop. */
export class ProducerIdAllocator {
  private next: bigint
  private blockEnd: bigint
  private readonly path: string

  /** @throws `LOG_DATA_DIR_INVALID` when the block file is unreadable; `LOG_IO_ERROR`. */
  constructor(
    private readonly io: FileIO,
    dataDir: string,
  ) {
    this.path = join(dataDir, PRODUCER_ID_BLOCK_FILE)
    const start = this.readNextBlockStart()
    this.next = start
    this.blockEnd = start // empty: the first allocation reserves a block
  }

  /**
   * A producer id never returned before by this data directory. Reserves (durably) a new block
   * when the current one is used up. @throws `LOG_IO_ERROR` when the reservation cannot be
   * written; no id is returned then.
   */
  allocate(): bigint {
    if (this.next >= this.blockEnd) {
      const end = this.next + PRODUCER_ID_BLOCK_SIZE
      if (end > MAX_PRODUCER_ID) throw logError('LOG_ILLEGAL_STATE', 'producer ids are exhausted')
      const json = JSON.stringify({ version: FORMAT_VERSION, nextBlockStart: end.toString() })
      writeFileAtomic(this.io, this.path, Buffer.from(json + '\n'))
      this.blockEnd = end
    }
    return this.next++
  }

  private readNextBlockStart(): bigint {
    const bytes = readFileFully(this.io, this.path)
    if (bytes === undefined) return 0n
    const invalid = (reason: string): never => {
      throw logError('LOG_DATA_DIR_INVALID', `${this.path} is unreadable: ${reason}`, { file: this.path })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8'))
    } catch {
      // reason: the error raised next names the file; JSON's message would add nothing.
      return invalid('not JSON')
    }
    const value = parsed as { version?: unknown; nextBlockStart?: unknown }
    if (value.version !== FORMAT_VERSION) return invalid(`version ${String(value.version)}`)
    if (typeof value.nextBlockStart !== 'string' || !/^\d{1,19}$/.test(value.nextBlockStart)) return invalid('bad nextBlockStart')
    return BigInt(value.nextBlockStart)
  }
}
