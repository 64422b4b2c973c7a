/**
 * `npm run bench -- <suite|suite/figure>…` — runs benchmark scripts, each in its own Node process
 * (no JIT feedback or heap state leaks from one figure into the next), and prints a summary of
 * the targets at the end. With no arguments every suite runs.
 *
 * A suite is a directory of `bench/` (`bench/log/`); each `*.ts` file in it is one figure that
 * prints its own baseline. `support/` and `tools/` hold helpers, not figures.
 *
 * Exit status: 1 when a script crashed; missed targets are reported, never failed on.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
const NOT_SUITES = new Set(['support', 'tools'])

function suites(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((name) => !NOT_SUITES.has(name) && statSync(join(BENCH_DIR, name)).isDirectory())
    .sort()
}

function figuresOf(suite: string): string[] {
  const dir = join(BENCH_DIR, suite)
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => join(dir, name))
}

/** Script paths for the arguments (`log`, or `log/read-sequential`), in argument order. */
function resolveScripts(args: readonly string[]): string[] {
  const scripts: string[] = []
  const problems: string[] = []
  for (const arg of args.length > 0 ? args : suites()) {
    const [suite, figure] = arg.split('/', 2) as [string, string | undefined]
    if (NOT_SUITES.has(suite) || !existsSync(join(BENCH_DIR, suite))) {
      problems.push(`unknown suite '${suite}' (suites: ${suites().join(', ')})`)
    } else if (figure === undefined) {
      scripts.push(...figuresOf(suite))
    } else {
      const file = join(BENCH_DIR, suite, `${figure.replace(/\.ts$/, '')}.ts`)
      if (existsSync(file)) scripts.push(file)
      else problems.push(`unknown figure '${arg}' (in ${suite}: ${figuresOf(suite).map((f) => relative(join(BENCH_DIR, suite), f).slice(0, -3)).join(', ')})`)
    }
  }
  if (problems.length > 0) {
    console.error(`usage: npm run bench -- <suite|suite/figure>…\n${problems.map((p) => `  ${p}`).join('\n')}`)
    process.exit(2)
  }
  return scripts
}

interface SummaryRow {
  figure: string
  metric: string
  value: string
  target: string
  met: boolean | 'skipped'
}

function main(): void {
  const scripts = resolveScripts(process.argv.slice(2))
  const summaryDir = mkdtempSync(join(tmpdir(), 'millrace-bench-summary-'))
  const summaryFile = join(summaryDir, 'rows.jsonl')
  const tsx = import.meta.resolve('tsx')
  const [load1] = loadavg()
  console.log(
    `millrace bench: ${scripts.length} figure(s); node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}), ` +
      `load average ${(load1 ?? 0).toFixed(2)}`,
  )
  if ((load1 ?? 0) > 0.5) console.log('note: the machine is busy; expect noisier numbers (ratios to the baselines still hold best)')
  const started = performance.now()
  const crashed: string[] = []
  try {
    for (const script of scripts) {
      const t0 = performance.now()
      const result = spawnSync(process.execPath, ['--import', tsx, script], {
        stdio: 'inherit',
        env: { ...process.env, BENCH_SUMMARY_FILE: summaryFile },
      })
      const name = relative(BENCH_DIR, script)
      if (result.status !== 0) crashed.push(`${name} (${result.signal ?? `exit ${result.status}`})`)
      console.log(`   [${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s]`)
    }
    printSummary(existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '')
  } finally {
    rmSync(summaryDir, { recursive: true, force: true })
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`)
  if (crashed.length > 0) {
    console.error(`crashed: ${crashed.join(', ')}`)
    process.exitCode = 1
  }
}

function printSummary(jsonl: string): void {
  const rows = jsonl
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as SummaryRow)
  if (rows.length === 0) return
  const cols: Array<[string, (r: SummaryRow) => string]> = [
    ['figure', (r) => r.figure],
    ['metric', (r) => r.metric],
    ['median', (r) => r.value],
    ['target', (r) => r.target],
    ['met', (r) => (r.met === 'skipped' ? 'skipped' : r.met ? 'yes' : 'NO')],
  ]
  const widths = cols.map(([title, get]) => Math.max(title.length, ...rows.map((r) => get(r).length)))
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ')
  console.log(`\n== summary\n${fmt(cols.map(([t]) => t))}`)
  for (const r of rows) console.log(fmt(cols.map(([, get]) => get(r))))
}

main()
