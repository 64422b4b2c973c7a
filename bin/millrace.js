#!/usr/bin/env node
// The published entry point runs the compiled CLI (`npm run build` first in a source checkout, or
// use `npm run millrace -- <command>`, which runs the TypeScript directly).
process.env.MILLRACE_CLI = '1'
await import('../dist/cli/main.js')
