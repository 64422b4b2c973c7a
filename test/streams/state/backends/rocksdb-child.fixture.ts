/**
 * A child process for the RocksDB backend tests (`node --import tsx rocksdb-child.fixture.ts MODE DIR`):
 * - `hold`: opens the store in DIR, prints `open`, and keeps it open until killed;
 * - `write`: opens the store and writes batches forever, each putting `counter` = n and `key-n`
 *   with changelog offset n + 1, printing `wrote n` after each; the parent kills it with SIGKILL.
 */
import { openRocksDbBackend } from '../../../../src/streams/state/rocksdb/rocksdb-backend.js'
import { RocksDbResources } from '../../../../src/streams/state/rocksdb/rocksdb-resources.js'

const [mode, dir] = process.argv.slice(2)
if ((mode !== 'hold' && mode !== 'write') || dir === undefined) throw new Error('usage: rocksdb-child.fixture.ts hold|write DIR')
const store = await openRocksDbBackend({ name: 'child', dir, resources: new RocksDbResources({ memoryBudgetBytes: 16 * 1024 * 1024, maxOpenStores: 1 }) })
if (mode === 'hold') {
  process.stdout.write('open\n')
  setInterval(() => undefined, 60_000)
} else {
  const writeFrom = (first: number): void => {
    for (let n = first; n < first + 50; n++) {
      store.write(
        [
          { key: Buffer.from('counter'), value: Buffer.from(String(n)) },
          { key: Buffer.from(`key-${n}`), value: Buffer.alloc(64, n & 0xff) },
        ],
        n + 1,
      )
      process.stdout.write(`wrote ${n}\n`)
    }
    setImmediate(() => writeFrom(first + 50))
  }
  writeFrom(0)
}
