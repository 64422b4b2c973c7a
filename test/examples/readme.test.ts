import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { tempDir } from '../support/temp-dir.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The ```ts blocks of the README, in order. */
function readmeSnippets(): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8')
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string)
}

describe('README code', () => {
  it('has TypeScript snippets', () => {
    expect(readmeSnippets().length).toBeGreaterThanOrEqual(2)
  })

  it.each(readmeSnippets().map((code, i) => [i, code] as const))('snippet %i runs as written', (i, code) => {
    // Inside the repository so `millrace/…` resolves through tsconfig paths, as in examples/.
    const dir = join(ROOT, '.tmp')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `readme-${i}-${process.pid}.ts`)
    const dataDir = join(tempDir(), 'data')
    writeFileSync(file, code.replaceAll("'./data'", JSON.stringify(dataDir)))
    try {
      execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })
    } finally {
      rmSync(file, { force: true })
    }
  })
})
