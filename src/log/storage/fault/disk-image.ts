/**
 * The namespace of a simulated disk: directories and files are inodes (numbered nodes), directory
 * entries map names to them. Each directory keeps its current entries, its durable entries (as of
 * its last `syncDir`) and, for every name changed since, the change group that last touched it.
 *
 * Change groups make multi-entry operations atomic under power loss: a rename is one group across
 * both of its names, and an operation touching a name that already has an unsynced change joins
 * that change's group (union-find). So create-tmp-then-rename-over-target is kept or reverted as a
 * whole, and a power loss never leaves a renamed file under both names or under neither — states a
 * journaling file system cannot produce. Renames across directories are the exception: syncing
 * only one of the two directories makes only that half durable (POSIX promises no more).
 */
import { posix } from 'node:path'
import { FileContent } from './file-content.js'
import { systemError } from './system-error.js'

export interface FileNode {
  readonly kind: 'file'
  readonly id: number
  readonly content: FileContent
}

export interface DirNode {
  readonly kind: 'dir'
  readonly id: number
  /** What processes see now. */
  readonly entries: Map<string, number>
  /** As of the last `syncDir` of this directory: what a power loss falls back to. */
  durableEntries: Map<string, number>
  /** Names whose entry changed since the last `syncDir`, with the change group that last did. */
  readonly changedNames: Map<string, number>
}

export type DiskNode = FileNode | DirNode

/** How a power loss resolves what was not durable (see power-loss.ts). */
export interface PowerLossDecisions {
  /** Whether the unsynced directory changes of group `groupId` (a group root) survive. */
  keepChange(groupId: number): boolean
  /** The bytes a surviving file holds after the power loss. */
  fileBytes(content: FileContent): Uint8Array
}

const ROOT_ID = 0

/** Paths are POSIX strings; relative paths resolve against `/`, never the process's cwd. */
export function normalizePath(path: string): string {
  return posix.resolve('/', path)
}

function pathParts(normalized: string): string[] {
  return normalized === '/' ? [] : normalized.slice(1).split('/')
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function newDir(id: number): DirNode {
  return { kind: 'dir', id, entries: new Map(), durableEntries: new Map(), changedNames: new Map() }
}

export class DiskImage {
  private constructor(
    private readonly nodes: Map<number, DiskNode>,
    private nextNodeId: number,
    private nextGroupId: number,
    private readonly groupParent: Map<number, number>,
  ) {}

  static empty(): DiskImage {
    return new DiskImage(new Map([[ROOT_ID, newDir(ROOT_ID)]]), ROOT_ID + 1, 1, new Map())
  }

  // ---- lookups ---------------------------------------------------------------------------------

  /** The node at `path`, or undefined when it (or a parent) is missing or not a directory. */
  find(path: string): DiskNode | undefined {
    try {
      return this.lookup(path, 'stat')
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
  }

  /** The node at `path`; ENOENT / ENOTDIR like a real lookup. */
  lookup(path: string, syscall: string): DiskNode {
    if (normalizePath(path) === '/') return this.root()
    const { parent, name } = this.locate(path, syscall)
    const id = parent.entries.get(name)
    if (id === undefined) throw systemError('ENOENT', syscall, path)
    return this.node(id)
  }

  lookupFile(path: string, syscall: string): FileNode {
    const node = this.lookup(path, syscall)
    if (node.kind !== 'file') throw systemError('EISDIR', syscall, path)
    return node
  }

  lookupDir(path: string, syscall: string): DirNode {
    const node = this.lookup(path, syscall)
    if (node.kind !== 'dir') throw systemError('ENOTDIR', syscall, path)
    return node
  }

  list(path: string): string[] {
    return [...this.lookupDir(path, 'scandir').entries.keys()]
  }

  /** Every file and directory reachable from `/`, sorted; directories end in `/`. */
  listAll(): string[] {
    const out: string[] = []
    this.walk((path, node) => out.push(node.kind === 'dir' ? `${path}/` : path))
    return out.sort()
  }

  /** Sum of the visible lengths of all reachable files (space is accounted by length). */
  usedBytes(): number {
    let total = 0
    this.walk((_path, node) => {
      if (node.kind === 'file') total += node.content.length
    })
    return total
  }

  // ---- namespace changes (volatile until syncDir) ----------------------------------------------

  /** Opens-with-create: returns the existing file, or creates it. EEXIST when `exclusive`. */
  createFile(path: string, exclusive: boolean, syscall: string): FileNode {
    const { parent, name } = this.locate(path, syscall)
    const id = parent.entries.get(name)
    if (id !== undefined) {
      if (exclusive) throw systemError('EEXIST', syscall, path)
      const node = this.node(id)
      if (node.kind !== 'file') throw systemError('EISDIR', syscall, path)
      return node
    }
    const file: FileNode = { kind: 'file', id: this.nextNodeId++, content: FileContent.empty() }
    this.nodes.set(file.id, file)
    this.setEntry(parent, name, file.id, this.newGroup())
    return file
  }

  /** mkdir -p: each missing directory is its own change in its parent. */
  mkdirp(path: string): DirNode {
    const parts = pathParts(normalizePath(path))
    let dir = this.root()
    for (const [i, part] of parts.entries()) {
      const id = dir.entries.get(part)
      if (id === undefined) {
        const child = newDir(this.nextNodeId++)
        this.nodes.set(child.id, child)
        this.setEntry(dir, part, child.id, this.newGroup())
        dir = child
        continue
      }
      const node = this.node(id)
      if (node.kind !== 'dir') throw systemError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', path)
      dir = node
    }
    return dir
  }

  /** POSIX rename(2), including directories; one change group across both names. */
  rename(from: string, to: string): void {
    const source = this.locate(from, 'rename')
    const sourceId = source.parent.entries.get(source.name)
    if (sourceId === undefined) throw systemError('ENOENT', 'rename', from)
    const target = this.locate(to, 'rename')
    if (source.parent === target.parent && source.name === target.name) return
    const sourceNode = this.node(sourceId)
    if (sourceNode.kind === 'dir' && normalizePath(to).startsWith(`${normalizePath(from)}/`)) {
      throw systemError('EINVAL', 'rename', to, 'a directory cannot move into itself')
    }
    const targetId = target.parent.entries.get(target.name)
    if (targetId === sourceId) return // two names of one inode: POSIX says do nothing
    if (targetId !== undefined) {
      const targetNode = this.node(targetId)
      if (sourceNode.kind === 'file' && targetNode.kind === 'dir') throw systemError('EISDIR', 'rename', to)
      if (sourceNode.kind === 'dir' && targetNode.kind === 'file') throw systemError('ENOTDIR', 'rename', to)
      if (targetNode.kind === 'dir' && targetNode.entries.size > 0) throw systemError('ENOTEMPTY', 'rename', to)
    }
    const group = this.newGroup()
    this.setEntry(source.parent, source.name, undefined, group)
    this.setEntry(target.parent, target.name, sourceId, group)
  }

  /** Unlinks a file; missing files (and missing parents) are ignored, directories are EISDIR. */
  unlink(path: string, syscall: string): void {
    let location: { parent: DirNode; name: string }
    try {
      location = this.locate(path, syscall)
    } catch (err) {
      // reason: rm -f semantics — a missing parent means there is nothing to remove.
      if (isNotFound(err)) return
      throw err
    }
    const id = location.parent.entries.get(location.name)
    if (id === undefined) return
    if (this.node(id).kind === 'dir') throw systemError('EISDIR', syscall, path)
    this.setEntry(location.parent, location.name, undefined, this.newGroup())
  }

  /**
   * rm -rf: unlinks every entry below `path` bottom-up, each as its own change (so a power loss
   * may leave any subset of them), then the entry of `path` itself. Missing paths are ignored.
   */
  removeTree(path: string): void {
    let location: { parent: DirNode; name: string }
    try {
      location = this.locate(path, 'rm')
    } catch (err) {
      // reason: rm -rf semantics — nothing to remove.
      if (isNotFound(err)) return
      throw err
    }
    const id = location.parent.entries.get(location.name)
    if (id === undefined) return
    const node = this.node(id)
    if (node.kind === 'dir') this.emptyDir(node, new Set())
    this.setEntry(location.parent, location.name, undefined, this.newGroup())
  }

  /** fsync of a directory: its current entries become durable. */
  syncDir(path: string): void {
    const dir = this.lookupDir(path, 'fsync')
    dir.durableEntries = new Map(dir.entries)
    dir.changedNames.clear()
  }

  /**
   * Test helper: puts a file with `bytes` at `path`, creating missing parents. With `durable`, the
   * bytes and every entry along the path are durable at once; otherwise the entries are unsynced
   * changes and the bytes two unsynced writes (truncate to 0, write).
   */
  putFile(path: string, bytes: Uint8Array, durable: boolean): void {
    const parts = pathParts(normalizePath(path))
    const name = parts.pop()
    if (name === undefined) throw systemError('EISDIR', 'open', path)
    this.mkdirp(`/${parts.join('/')}`)
    const file = this.createFile(path, false, 'open')
    if (!durable) {
      file.content.replaceVolatile(bytes)
      return
    }
    file.content.replaceDurably(bytes)
    let dir = this.root()
    for (const part of [...parts, name]) {
      const id = dir.entries.get(part)
      if (id === undefined) break
      dir.durableEntries.set(part, id)
      dir.changedNames.delete(part)
      const next = this.node(id)
      if (next.kind !== 'dir') break
      dir = next
    }
  }

  // ---- crash images ----------------------------------------------------------------------------

  /** A deep copy: the same visible state, with the same unsynced writes and changes pending. */
  clone(): DiskImage {
    const nodes = new Map<number, DiskNode>()
    for (const [id, node] of this.nodes) {
      nodes.set(
        id,
        node.kind === 'file'
          ? { kind: 'file', id, content: node.content.clone() }
          : {
              kind: 'dir',
              id,
              entries: new Map(node.entries),
              durableEntries: new Map(node.durableEntries),
              changedNames: new Map(node.changedNames),
            },
      )
    }
    return new DiskImage(nodes, this.nextNodeId, this.nextGroupId, new Map(this.groupParent))
  }

  /**
   * The image a power loss leaves: each directory keeps its durable entries plus the unsynced
   * changes whose group `decisions` keeps; every reachable file holds `decisions.fileBytes`.
   * Everything in the result is durable. Decisions are asked in a fixed order (directories, then
   * files, by inode number) so a seeded PRNG gives the same image every time.
   */
  afterPowerLoss(decisions: PowerLossDecisions): DiskImage {
    const survivingEntries = new Map<number, Map<string, number>>()
    for (const node of this.nodesById()) {
      if (node.kind !== 'dir') continue
      const entries = new Map(node.durableEntries)
      for (const [name, group] of node.changedNames) {
        if (!decisions.keepChange(this.groupRoot(group))) continue
        const id = node.entries.get(name)
        if (id === undefined) entries.delete(name)
        else entries.set(name, id)
      }
      survivingEntries.set(node.id, entries)
    }

    const reachable = new Set<number>([ROOT_ID])
    const stack = [ROOT_ID]
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      for (const child of survivingEntries.get(id)?.values() ?? []) {
        if (reachable.has(child)) continue
        reachable.add(child)
        stack.push(child)
      }
    }

    const nodes = new Map<number, DiskNode>()
    for (const node of this.nodesById()) {
      if (!reachable.has(node.id)) continue
      if (node.kind === 'file') {
        nodes.set(node.id, { kind: 'file', id: node.id, content: FileContent.durableOf(decisions.fileBytes(node.content)) })
      } else {
        const entries = survivingEntries.get(node.id) ?? new Map<string, number>()
        nodes.set(node.id, { kind: 'dir', id: node.id, entries, durableEntries: new Map(entries), changedNames: new Map() })
      }
    }
    return new DiskImage(nodes, this.nextNodeId, 1, new Map())
  }

  // ---- internals -------------------------------------------------------------------------------

  private root(): DirNode {
    const root = this.node(ROOT_ID)
    if (root.kind !== 'dir') throw new Error('FaultFileIO invariant broken: the root is not a directory')
    return root
  }

  private node(id: number): DiskNode {
    const node = this.nodes.get(id)
    if (node === undefined) throw new Error(`FaultFileIO invariant broken: no inode ${id}`)
    return node
  }

  private nodesById(): DiskNode[] {
    return [...this.nodes.values()].sort((a, b) => a.id - b.id)
  }

  /** The directory that holds (or would hold) `path`, and the last path component. */
  private locate(path: string, syscall: string): { parent: DirNode; name: string } {
    const parts = pathParts(normalizePath(path))
    const name = parts.pop()
    if (name === undefined) throw systemError('EBUSY', syscall, path, 'the root has no parent')
    let dir = this.root()
    for (const part of parts) {
      const id = dir.entries.get(part)
      if (id === undefined) throw systemError('ENOENT', syscall, path)
      const node = this.node(id)
      if (node.kind !== 'dir') throw systemError('ENOTDIR', syscall, path)
      dir = node
    }
    return { parent: dir, name }
  }

  private walk(visit: (path: string, node: DiskNode) => void): void {
    const visited = new Set<number>([ROOT_ID])
    const recurse = (dir: DirNode, prefix: string): void => {
      for (const [name, id] of dir.entries) {
        if (visited.has(id)) continue
        visited.add(id)
        const node = this.node(id)
        const path = `${prefix}/${name}`
        visit(path, node)
        if (node.kind === 'dir') recurse(node, path)
      }
    }
    recurse(this.root(), '')
  }

  private emptyDir(dir: DirNode, visited: Set<number>): void {
    if (visited.has(dir.id)) return
    visited.add(dir.id)
    for (const [name, id] of [...dir.entries]) {
      const child = this.node(id)
      if (child.kind === 'dir') this.emptyDir(child, visited)
      this.setEntry(dir, name, undefined, this.newGroup())
    }
  }

  private setEntry(dir: DirNode, name: string, id: number | undefined, group: number): void {
    const previous = dir.changedNames.get(name)
    if (previous !== undefined) this.union(previous, group)
    dir.changedNames.set(name, group)
    if (id === undefined) dir.entries.delete(name)
    else dir.entries.set(name, id)
  }

  private newGroup(): number {
    return this.nextGroupId++
  }

  private groupRoot(group: number): number {
    let root = group
    for (let parent = this.groupParent.get(root); parent !== undefined; parent = this.groupParent.get(root)) {
      root = parent
    }
    if (root !== group) this.groupParent.set(group, root)
    return root
  }

  /** The older group stays the root, so roots (and thus PRNG draws) do not depend on merge order. */
  private union(a: number, b: number): void {
    const rootA = this.groupRoot(a)
    const rootB = this.groupRoot(b)
    if (rootA === rootB) return
    if (rootA < rootB) this.groupParent.set(rootB, rootA)
    else this.groupParent.set(rootA, rootB)
  }
}
