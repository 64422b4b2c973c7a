import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Broker } from '../../src/log/index.js'
import { main } from '../../src/cli/main.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** `main()` in this process with captured output; `stdin` lines, broker and signal are injected. */
export async function runMain(
  args: string[],
  options: { stdin?: string[]; broker?: Broker; signal?: AbortSignal; onStdout?: (text: string) => void } = {},
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await main(args, {
    stdout: (text) => {
      stdout += text
      options.onStdout?.(text)
    },
    stderr: (text) => {
      stderr += text
    },
    stdin: (async function* () {
      yield* options.stdin ?? []
    })(),
    env: {},
    broker: options.broker,
    signal: options.signal,
  })
  return { code, stdout, stderr }
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

let installed: Promise<string> | undefined

/**
 * The published command as `npm run build` would install it — `bin/millrace.js` importing
 * `dist/cli/main.js` — built once per test worker into a temp directory. esbuild compiles the
 * sources into one file in ~0.2 s; `tsc` would take far longer, and `node --import tsx` costs ~1 s
 * of start-up per invocation (the tsx path is still covered once, in binary.test.ts). Packages
 * stay external and resolve through a `node_modules` link, so native codecs load as installed.
 */
function installedBinary(): Promise<string> {
  installed ??= (async () => {
    const { build } = await import('esbuild')
    const dir = mkdtempSync(join(tmpdir(), 'millrace-bin-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    await build({
      entryPoints: [join(REPO_ROOT, 'src/cli/main.ts')],
      outfile: join(dir, 'dist/cli/main.js'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    })
    mkdirSync(join(dir, 'bin'))
    copyFileSync(join(REPO_ROOT, 'bin/millrace.js'), join(dir, 'bin/millrace.js'))
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
    return join(dir, 'bin/millrace.js')
  })()
  return installed
}

/** Options of {@link runBinary}. */
export interface RunBinaryOptions {
  /** Standard input, written and closed at once. */
  input?: string
  env?: Record<string, string>
  /** Called with all stdout so far after each chunk (e.g. to send a signal once a line appears). */
  onStdout?: (stdoutSoFar: string, child: ChildProcess) => void
  /** The child is killed and the run fails after this long (default 15 s): waits have deadlines. */
  deadlineMs?: number
  /** Run `node --import tsx src/cli/main.ts` (what `npm run millrace` runs) instead of the built bin. */
  viaTsx?: boolean
}

/** The real command in a child process; resolves once it exited, with its code and output. */
export async function runBinary(args: string[], options: RunBinaryOptions = {}): Promise<CliResult> {
  const command = options.viaTsx ? ['--import', 'tsx', 'src/cli/main.ts'] : [await installedBinary()]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MILLRACE_DATA_DIR: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      options.onStdout?.(stdout, child)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const deadline = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`millrace ${args.join(' ')} did not exit within the deadline; stdout: ${stdout}; stderr: ${stderr}`))
    }, options.deadlineMs ?? 15_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(deadline)
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}
