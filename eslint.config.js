// ESLint flat config. Type-checking itself is `npm run typecheck`; import layering is
// `npm run boundaries` (.dependency-cruiser.cjs). This file covers what neither of them sees.
import js from '@eslint/js'
import { defineConfig, globalIgnores } from 'eslint/config'
import tseslint from 'typescript-eslint'

/** The directories that are linted; everything else at the root is configuration. */
const LINTED = ['src', 'test', 'examples', 'bench'].flatMap((dir) => [
  `${dir}/**/*.ts`,
  `${dir}/**/*.mts`,
  `${dir}/**/*.cts`,
  `${dir}/**/*.js`,
  `${dir}/**/*.mjs`,
  `${dir}/**/*.cjs`,
])

/** Node's globals, for plain JavaScript files (TypeScript files get them from @types/node). */
const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'TextEncoder',
    'TextDecoder',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'queueMicrotask',
    'structuredClone',
    'performance',
    'AbortController',
    'AbortSignal',
  ].map((name) => [name, 'readonly']),
)

export default defineConfig([
  globalIgnores(['dist/', 'node_modules/', 'coverage/']),
  {
    files: LINTED,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // STYLE: `any` needs a `// reason:` comment next to an eslint-disable for this rule.
      '@typescript-eslint/no-explicit-any': 'error',
      // STYLE: no empty catch; swallowing an error is a named, commented decision.
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: LINTED.filter((pattern) => /\.[mc]?js$/.test(pattern)),
    languageOptions: { globals: NODE_GLOBALS },
  },
])
