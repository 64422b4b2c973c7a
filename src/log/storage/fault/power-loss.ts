/**
 * What a power cut leaves on disk, after SQLite's crash VFS (src/test6.c) and RocksDB's
 * FaultInjectionTestFS: durable bytes and durable directory entries always survive; in 'random'
 * mode each unsynced write is kept, dropped or torn, and each unsynced directory change group is
 * kept or reverted, all drawn from one seeded PRNG.
 */
import type { DiskImage } from './disk-image.js'
import type { FileContent, PendingWrite } from './file-content.js'
import { ByteBuffer } from './file-content.js'
import { SeededRandom } from './seeded-random.js'

export type SectorBytes = 512 | 4096

export type PowerLossOptions =
  | {
      /** The deterministic worst case: every unsynced write and directory change is lost. */
      mode: 'drop-all-unsynced'
      /** Ignored in this mode (accepted so sweeps can pass one options shape). */
      seed?: number
    }
  | {
      /** Each unsynced write and directory change survives or not, per the seeded PRNG (default). */
      mode?: 'random'
      seed: number
      /** Granularity of garbage after a tear: from the cut to the end of its sector (default 4096). */
      sectorBytes?: SectorBytes
      /**
       * When true, a file's unsynced writes reach the disk in order: after the first write that is
       * dropped or torn, the file's later writes are dropped too (its image is the durable bytes, a
       * prefix of the later writes and at most one torn sector). Default false: each write's fate
       * is independent, as with a page cache flushed in any order.
       */
      sequential?: boolean
    }

const DEFAULT_SECTOR_BYTES: SectorBytes = 4096

type Fill = 'none' | 'zero' | 'ones' | 'random'
const FILLS: readonly Fill[] = ['none', 'zero', 'ones', 'random']

/** The surviving image; `disk` itself is not modified. */
export function powerLossImage(disk: DiskImage, options?: PowerLossOptions): DiskImage {
  if (options === undefined || options.mode === 'drop-all-unsynced') {
    return disk.afterPowerLoss({ keepChange: () => false, fileBytes: (content) => content.durableView() })
  }
  const random = new SeededRandom(options.seed)
  const sectorBytes = options.sectorBytes ?? DEFAULT_SECTOR_BYTES
  const sequential = options.sequential ?? false
  const groupFates = new Map<number, boolean>()
  return disk.afterPowerLoss({
    keepChange: (group) => {
      let keep = groupFates.get(group)
      if (keep === undefined) {
        keep = random.below(2) === 0
        groupFates.set(group, keep)
      }
      return keep
    },
    fileBytes: (content) => replayUnsynced(content, random, sectorBytes, sequential),
  })
}

/**
 * The durable bytes with each pending write replayed per its fate: writes are kept, dropped or
 * torn with probability 1/3 each, truncates kept or dropped with probability 1/2.
 */
function replayUnsynced(
  content: FileContent,
  random: SeededRandom,
  sectorBytes: number,
  sequential: boolean,
): Uint8Array {
  const image = ByteBuffer.of(content.durableView())
  for (const op of content.pendingWrites) {
    const kept = op.kind === 'truncate' ? replayTruncate(image, op, random) : replayWrite(image, op, random, sectorBytes)
    if (!kept && sequential) break
  }
  return image.view()
}

function replayTruncate(image: ByteBuffer, op: PendingWrite & { kind: 'truncate' }, random: SeededRandom): boolean {
  if (random.below(2) !== 0) return false
  image.truncate(op.sizeBytes)
  return true
}

/** Returns whether the write survived whole. */
function replayWrite(
  image: ByteBuffer,
  op: PendingWrite & { kind: 'write' },
  random: SeededRandom,
  sectorBytes: number,
): boolean {
  const fate = random.below(3)
  if (fate === 0) {
    image.write(op.position, op.data)
    return true
  }
  if (fate === 1) return false
  // Torn: a prefix reached the disk; from the cut to the end of its sector (never past the end of
  // this write — power-safe overwrite: bytes this write did not cover are never damaged) the
  // sector may hold zeros, 0xFF or noise, or the file may simply end at the cut.
  const keptBytes = random.below(op.data.length)
  image.write(op.position, op.data.subarray(0, keptBytes))
  const fill = FILLS[random.below(FILLS.length)] ?? 'none'
  if (fill === 'none') return false
  const cut = op.position + keptBytes
  const sectorEnd = (Math.floor(cut / sectorBytes) + 1) * sectorBytes
  const garbage = new Uint8Array(Math.min(op.position + op.data.length, sectorEnd) - cut)
  if (fill === 'ones') garbage.fill(0xff)
  else if (fill === 'random') random.fillBytes(garbage)
  image.write(cut, garbage)
  return false
}
