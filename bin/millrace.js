#!/usr/bin/env node
// The published entry point runs the compiled CLI; from a source checkout use `npm run millrace --`.
import('../dist/cli/main.js').catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
