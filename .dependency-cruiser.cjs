// Import rules of DESIGN.md §1, checked in CI by `npm run boundaries`
// (`depcruise src --config .dependency-cruiser.cjs`).
//
// Paths are matched relative to the repository root with forward slashes. Type-only imports
// count (tsPreCompilationDeps): a layer may not even name another layer's internal types.
// An npm package matches by its name whether or not it is installed: installed packages
// resolve to `node_modules/<name>/…`, uninstalled ones stay `<name>`.

/** Matches an npm package (and its subpaths) by name, installed or not. */
function npmPackage(...names) {
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
  return `(^|/node_modules/|^node_modules/)(${escaped.join('|')})(/|$)`
}

/** A vendor binding that may be imported in exactly one folder of src/. */
function vendorOnlyIn(name, folder, packages) {
  return {
    name,
    comment: `DESIGN §1: ${packages.join(', ')} may only be imported under ${folder}`,
    severity: 'error',
    from: { path: '^src/', pathNot: `^${folder.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}` },
    to: { path: npmPackage(...packages) },
  }
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'log-is-the-bottom-layer',
      comment: 'DESIGN §1: src/log imports nothing else from src/.',
      severity: 'error',
      from: { path: '^src/log/' },
      to: { path: '^src/', pathNot: '^src/log/' },
    },
    {
      name: 'serdes-only-log-index',
      comment: "DESIGN §1: src/serdes imports only src/log's public index.",
      severity: 'error',
      from: { path: '^src/serdes/' },
      to: { path: '^src/', pathNot: ['^src/serdes/', '^src/log/index\\.ts$'] },
    },
    {
      name: 'streams-only-public-indexes',
      comment:
        'DESIGN §1: src/streams imports only the public index.ts of src/log and src/serdes, ' +
        'never storage internals, and never src/connect.',
      severity: 'error',
      from: { path: '^src/streams/' },
      to: { path: '^src/', pathNot: ['^src/streams/', '^src/log/index\\.ts$', '^src/serdes/index\\.ts$'] },
    },
    {
      name: 'connect-only-public-indexes',
      comment:
        'DESIGN §1: src/connect imports only the public index.ts of src/log and src/serdes, ' +
        'never storage internals, and never src/streams.',
      severity: 'error',
      from: { path: '^src/connect/' },
      to: { path: '^src/', pathNot: ['^src/connect/', '^src/log/index\\.ts$', '^src/serdes/index\\.ts$'] },
    },
    {
      name: 'cli-only-public-indexes',
      comment: 'DESIGN §1: src/cli uses the public entry points (package.json exports), not internals.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: {
        path: '^src/',
        pathNot: ['^src/cli/', '^src/index\\.ts$', '^src/(log|serdes|streams|connect|testing)/index\\.ts$'],
      },
    },
    {
      name: 'fs-only-in-node-file-io',
      comment:
        'DESIGN §2: all file I/O of the log goes through FileIO; only its Node implementation ' +
        '(src/log/storage/node-file-io.ts) may import node:fs, so fault injection sees every operation.',
      severity: 'error',
      from: { path: '^src/log/', pathNot: '^src/log/storage/node-file-io\\.ts$' },
      to: { dependencyTypes: ['core'], path: '^(node:)?fs(/promises)?$' },
    },
    vendorOnlyIn('rocksdb-only-in-streams-state-rocksdb', 'src/streams/state/rocksdb/', [
      'rocksdb-native',
      '@nxtedition/rocksdb',
      'rocksdb',
      'classic-level',
    ]),
    vendorOnlyIn('pg-only-in-connect-postgres', 'src/connect/postgres/', ['pg']),
    vendorOnlyIn('better-sqlite3-only-in-connect-sqlite', 'src/connect/sqlite/', ['better-sqlite3']),
    vendorOnlyIn('mysql2-only-in-connect-mysql', 'src/connect/mysql/', ['mysql2']),
    vendorOnlyIn('pglite-only-in-connect-pglite', 'src/connect/pglite/', ['@electric-sql/pglite']),
    {
      name: 'no-circular',
      comment: 'No import cycles in src/, type-only ones included: they couple modules all the same.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    // npm packages are leaves: they are kept as dependencies (the vendor rules need them) but
    // not cruised into. Do not `exclude` node_modules: that would hide them from the rules.
    doNotFollow: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    // Lets `./x.js` specifiers resolve to `./x.ts`, as TypeScript's NodeNext resolution does.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}
