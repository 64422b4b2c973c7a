/**
 * Summarises V8 `.cpuprofile` files: the functions with the most self time, and (with `--total`)
 * the most inclusive time. For figures that miss their target:
 *
 * ```
 * node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/log/read-sequential.ts
 * npx tsx bench/tools/cpuprofile-top.ts /tmp/prof/*.cpuprofile [--top 25] [--total] [--focus consumeAll]
 * ```
 * `--focus NAME` keeps only samples whose stack holds a function called NAME (e.g. the figure's
 * own loop), so the baseline and setup phases drop out; percentages are then of those samples.
 *
 * Lines are those of the code V8 ran (tsx's output), close to but not always the source lines.
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function frameName(f: CallFrame): string {
  const name = f.functionName || '(anonymous)'
  if (!f.url) return name
  let file = f.url
  if (file.startsWith('file://')) file = relative(process.cwd(), fileURLToPath(file))
  return f.lineNumber > 0 ? `${name}  ${file}:${f.lineNumber + 1}` : `${name}  ${file}`
}

function summarise(path: string, top: number, withTotal: boolean, focus: string | undefined): void {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfUs = new Map<number, number>()
  let totalUs = 0
  // timeDeltas[i + 1] is the time spent in the state sampled at i.
  // esbuild (tsx) may rename nested declarations `name2`, `name3`, … to avoid collisions.
  const focusName = focus === undefined ? undefined : new RegExp(`^${focus.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d*$`)
  const inFocus = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)?.callFrame.functionName
      if (name !== undefined && focusName?.test(name)) return true
    }
    return false
  }
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0
    const id = profile.samples[i] as number
    if (focus !== undefined && !inFocus(id)) continue
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt)
    totalUs += dt
  }
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node) continue
    const name = frameName(node.callFrame)
    self.set(name, (self.get(name) ?? 0) + us)
    // Inclusive: count each distinct frame name once per stack.
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)
      if (!n) break
      const fn = frameName(n.callFrame)
      if (seen.has(fn)) continue
      seen.add(fn)
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + us)
    }
  }
  const print = (title: string, table: Map<string, number>): void => {
    console.log(`\n${title}`)
    const rows = [...table].sort((a, b) => b[1] - a[1]).slice(0, top)
    for (const [name, us] of rows) {
      console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${name}`)
    }
  }
  console.log(`${path}: ${(totalUs / 1000).toFixed(0)} ms sampled${focus === undefined ? '' : ` under ${focus}`}`)
  print('self time', self)
  if (withTotal) print('inclusive time', inclusive)
}

const args = process.argv.slice(2)
let top = 25
let withTotal = false
let focus: string | undefined
const files: string[] = []
for (let i = 0; i < args.length; i++) {
  const a = args[i] as string
  if (a === '--top') top = Number(args[++i])
  else if (a === '--total') withTotal = true
  else if (a === '--focus') focus = args[++i]
  else files.push(a)
}
if (files.length === 0) {
  console.error('usage: tsx bench/tools/cpuprofile-top.ts <file.cpuprofile>… [--top N] [--total] [--focus NAME]')
  process.exit(2)
}
for (const f of files) summarise(f, top, withTotal, focus)
