import { spawn, type ChildProcess } from 'node:child_process'
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

/** The real command, as `npm run millrace` runs it: `node --import tsx src/cli/main.ts …`. */
export function runBinary(
  args: string[],
  options: { input?: string; env?: Record<string, string>; onStdout?: (stdoutSoFar: string, child: ChildProcess) => void } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
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
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}
