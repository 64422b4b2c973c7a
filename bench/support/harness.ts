/**
 * Measurement and reporting for benchmark scripts. Every figure prints its own baseline measured
 * in the same process (raw `fs` calls or plain loops over the same bytes), so results read as
 * ratios; the VM these run on varies by up to 2x between runs (perf-anchor "Reading guide").
 *
 * Benchmarks never assert: a missed target is printed, never thrown. The only failures are
 * crashes of the code under measurement.
 */
import { appendFileSync, mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'

export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB

/** Linux `statfs` magic of tmpfs: fsync there is a no-op, which would make durable figures lie. */
const TMPFS_MAGIC = 0x01021994

/** Monotonic milliseconds (benchmarks time themselves; the broker still gets its own clock). */
export function nowMs(): number {
  return performance.now()
}

/** A positive integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const v = Number(raw)
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`)
  return v
}

/** Timed repetitions per figure (`BENCH_REPS`, default 7; at least 3 are needed for a median). */
export const REPS = Math.max(3, envInt('BENCH_REPS', 7))

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Nearest-rank percentile of an ascending array (`p` in [0, 1]). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  return sorted[rank] as number
}

/** One timed run: how long it took and what it moved. */
export interface Run {
  seconds: number
  records: number
  bytes: number
}

export function recordsPerSecond(r: Run): number {
  return r.records / r.seconds
}

export function mibPerSecond(r: Run): number {
  return r.bytes / MiB / r.seconds
}

/**
 * Runs `warmUp` once, then `reps` rounds of every step in order (baseline and subject
 * interleaved, so slow phases of the VM hit both alike). Returns each step's runs.
 */
export async function interleaved<S extends Record<string, () => Run | Promise<Run>>>(
  reps: number,
  steps: S,
  warmUp: ReadonlyArray<keyof S> = Object.keys(steps),
): Promise<{ [K in keyof S]: Array<Awaited<ReturnType<S[K]>>> }> {
  type Out = { [K in keyof S]: Array<Awaited<ReturnType<S[K]>>> }
  const keys = Object.keys(steps) as Array<keyof S & string>
  for (const k of warmUp) await (steps[k] as S[keyof S])()
  const out = {} as Out
  for (const k of keys) out[k] = []
  for (let i = 0; i < reps; i++) {
    for (const k of keys) out[k].push((await (steps[k] as S[keyof S])()) as Awaited<ReturnType<S[typeof k]>>)
  }
  return out
}

// ------------------------------------------------------------------ formatting

export function fmtRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k`
  return perSecond.toFixed(0)
}

export function fmtMiB(mibPerSec: number): string {
  return mibPerSec >= 1024 ? `${(mibPerSec / 1024).toFixed(2)} GiB/s` : `${mibPerSec.toFixed(0)} MiB/s`
}

export function fmtMs(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`
}

const LABEL_WIDTH = 30

/** Prints a figure's heading and its setup lines. */
export function heading(figure: string, title: string, setup: readonly string[]): void {
  console.log(`\n== ${figure}: ${title}`)
  for (const line of setup) console.log(`   ${line}`)
}

export function line(label: string, text: string): void {
  console.log(`   ${label.padEnd(LABEL_WIDTH)} ${text}`)
}

/**
 * Prints the median throughput of `runs` with every run listed, in records/s and MiB/s, and
 * returns the medians.
 */
export function printThroughput(label: string, runs: readonly Run[]): { recordsPerSecond: number; mibPerSecond: number } {
  const rps = median(runs.map(recordsPerSecond))
  const mibs = median(runs.map(mibPerSecond))
  line(
    label,
    `${fmtRate(rps)} rec/s  ${fmtMiB(mibs)}   (median of ${runs.length}; runs: ${runs
      .map((r) => fmtRate(recordsPerSecond(r)))
      .join(' / ')} rec/s)`,
  )
  return { recordsPerSecond: rps, mibPerSecond: mibs }
}

/** `subject / baseline`, printed with what it compares. */
export function printRatio(label: string, subject: number, baseline: number, what: string): number {
  const ratio = subject / baseline
  line(label, `${ratio.toFixed(2)}x ${what}`)
  return ratio
}

export interface TargetCheck {
  /** Short name of the measured quantity, e.g. `records/s`. */
  metric: string
  /** The measured median. */
  value: number
  target: number
  stretch?: number
  /** `'min'`: value must reach the target; `'max'`: value must stay at or below it. */
  direction: 'min' | 'max'
  format: (v: number) => string
}

/** Prints whether the target (and stretch) is met and by how much it is missed. Returns met. */
export function printTarget(
  check: TargetCheck,
  extraCondition?: { met: boolean; text: string; measured?: string },
): boolean {
  const { value, target, direction, format } = check
  const meets = (t: number): boolean => (direction === 'min' ? value >= t : value <= t)
  const met = meets(target) && (extraCondition?.met ?? true)
  const bound = direction === 'min' ? '≥' : '≤'
  let text = `${bound} ${format(target)}`
  if (check.stretch !== undefined) text += ` (stretch ${format(check.stretch)})`
  if (extraCondition) text += ` and ${extraCondition.text}${extraCondition.measured ? ` (${extraCondition.measured})` : ''}`
  // A 'max' figure can measure 0 or less (an overhead lost in the noise): unbounded headroom.
  const gap = direction === 'min' ? value / target : value > 0 ? target / value : Number.POSITIVE_INFINITY
  if (met) {
    text += `: MET (${Number.isFinite(gap) ? gap.toFixed(2) + 'x' : 'unbounded'} ${direction === 'min' ? 'the target' : 'headroom'}`
    if (check.stretch !== undefined) text += meets(check.stretch) ? ', stretch met)' : ', stretch not met)'
    else text += ')'
  } else if (!meets(target)) {
    text += `: MISSED — ${format(value)} is ${(gap * 100).toFixed(0)}% of the target`
  } else {
    text += `: MISSED (${extraCondition?.text ?? ''} not met)`
  }
  line('target', text)
  recordSummary({
    figure: currentFigure,
    metric: check.metric,
    value: extraCondition ? `${format(value)}; ${extraCondition.measured ?? ''}`.replace(/; $/, '') : format(value),
    target: extraCondition ? `${bound} ${format(target)}, ${extraCondition.text}` : `${bound} ${format(target)}`,
    met,
  })
  return met
}

// ------------------------------------------------------------------ summary for bench/run.ts

let currentFigure = basename(process.argv[1] ?? 'bench', '.ts')

/** Names the figure that later `printTarget` calls belong to (default: the script's file name). */
export function setFigure(name: string): void {
  currentFigure = name
}

interface SummaryRow {
  figure: string
  metric: string
  value: string
  target: string
  met: boolean | 'skipped'
}

/** Appends a row to the file `bench/run.ts` collects (`BENCH_SUMMARY_FILE`); no-op when run alone. */
export function recordSummary(row: SummaryRow): void {
  const file = process.env['BENCH_SUMMARY_FILE']
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`)
}

/** Prints a skip notice (and records it for the summary). */
export function skip(reason: string): void {
  console.log(`   SKIPPED: ${reason}`)
  recordSummary({ figure: currentFigure, metric: '-', value: '-', target: '-', met: 'skipped' })
}

// ------------------------------------------------------------------ files

/** Free bytes of the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir)
  return s.bavail * s.bsize
}

/** Short description of the temp file system (type and free space), printed with each figure. */
export function describeScratch(dir: string): string {
  const s = statfsSync(dir)
  const type = s.type === TMPFS_MAGIC ? 'tmpfs (fsync is a no-op: durable figures are meaningless)' : `fs type 0x${s.type.toString(16)}`
  return `${dir} on ${type}, ${(freeBytes(dir) / GiB).toFixed(1)} GiB free`
}

/**
 * Runs `body` with a fresh directory under `os.tmpdir()` and removes it afterwards, also on
 * error and on SIGINT/SIGTERM.
 */
export async function withScratchDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `millrace-bench-${prefix}-`))
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true })
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanup()
    process.kill(process.pid, signal)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await body(dir)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    cleanup()
  }
}
