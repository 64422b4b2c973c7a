/**
 * How far a global store's data reaches in each partition of its topic (what Kafka keeps in
 * `global/.checkpoint`). A backend records one number with its data, atomically
 * (`BytesKeyValueBackend.write(batch, changelogOffset)`), but a global store follows every
 * partition of its topic: so the number a global store's backend records is a checkpoint
 * sequence, and this file maps recent sequences to the offsets they stand for.
 *
 * Checkpoint k (global-state.ts): 1. every batch read so far is already in the backend (each is
 * written as it is applied); 2. this file is rewritten with entry k, the consumer's positions now;
 * 3. the backend records k (an empty write batch). Whenever the backend holds k, then, the file
 * was given entry k before, and the data reaches at least its offsets: a restore reads from
 * there, and records the data already has are applied again, which leaves a table as it was.
 * When the backend's sequence is not in the file (the file was lost, or a machine crash kept the
 * backend's write and not the file's), the store is wiped and rebuilt from the topic.
 *
 * File `<stateDir>/<applicationId>/global/<store>.positions`, UTF-8 JSON, replaced whole (written
 * to `<file>.tmp`, then renamed over it, so a reader sees the old file or the new one):
 *
 *   {"version":1,"topic":"<topic>","checkpoints":[{"sequence":<n>,"offsets":[[<partition>,<next offset>],…]},…]}
 *
 * `checkpoints` are the last `KEPT_CHECKPOINTS`, oldest first: a machine crash may take the
 * backend's newest writes (they are not fsynced) and leave it at an older sequence. Sequences only
 * grow, also across a wipe, so an entry is never read for a sequence it was not written for.
 */
import { readFileSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

const VERSION = 1
/** Checkpoints kept in the file (see the file comment). */
const KEPT_CHECKPOINTS = 8

interface Checkpoint {
  readonly sequence: number
  readonly offsets: ReadonlyArray<readonly [number, number]>
}

export class GlobalPositionsFile {
  private constructor(
    readonly file: string,
    readonly topic: string,
    private checkpoints: Checkpoint[],
  ) {}

  /**
   * The file of a store reading `topic`. A missing file, one that does not parse as this format,
   * or one written for another topic holds no checkpoints (the caller then rebuilds the store if
   * its backend recorded a sequence).
   */
  static read(file: string, topic: string): GlobalPositionsFile {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      // Missing or unreadable: no checkpoint can be trusted, which is what an empty file says.
      return new GlobalPositionsFile(file, topic, [])
    }
    return new GlobalPositionsFile(file, topic, checkpointsOf(parsed, topic))
  }

  /** The offsets (partition → next offset) of checkpoint `sequence`, or `undefined` when the file does not hold it. */
  offsetsAt(sequence: number): ReadonlyMap<number, number> | undefined {
    const checkpoint = this.checkpoints.find((c) => c.sequence === sequence)
    return checkpoint === undefined ? undefined : new Map(checkpoint.offsets)
  }

  /** The largest sequence the file holds (0 when none). */
  get lastSequence(): number {
    return this.checkpoints.reduce((max, c) => Math.max(max, c.sequence), 0)
  }

  /** Adds checkpoint `sequence` (greater than any before) and rewrites the file. */
  async write(sequence: number, offsets: ReadonlyMap<number, number>): Promise<void> {
    this.checkpoints = [...this.checkpoints, { sequence, offsets: [...offsets] }].slice(-KEPT_CHECKPOINTS)
    const text = JSON.stringify({ version: VERSION, topic: this.topic, checkpoints: this.checkpoints })
    const temp = `${this.file}.tmp`
    await mkdir(dirname(this.file), { recursive: true })
    await writeFile(temp, text, 'utf8')
    await rename(temp, this.file)
  }
}

/** The checkpoints of a parsed file; none when anything in it is not as written by `write`. */
function checkpointsOf(parsed: unknown, topic: string): Checkpoint[] {
  const file = parsed as { version?: unknown; topic?: unknown; checkpoints?: unknown }
  if (typeof parsed !== 'object' || parsed === null || file.version !== VERSION || file.topic !== topic || !Array.isArray(file.checkpoints)) return []
  const out: Checkpoint[] = []
  for (const c of file.checkpoints as unknown[]) {
    const { sequence, offsets } = (c ?? {}) as { sequence?: unknown; offsets?: unknown }
    if (!isOffset(sequence) || !Array.isArray(offsets)) return []
    const pairs: Array<readonly [number, number]> = []
    for (const pair of offsets as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2 || !isOffset(pair[0]) || !isOffset(pair[1])) return []
      pairs.push([pair[0], pair[1]])
    }
    out.push({ sequence, offsets: pairs })
  }
  return out
}

const isOffset = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
