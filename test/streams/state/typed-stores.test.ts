import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { InMemoryKeyValueBackend } from '../../../src/streams/state/memory/in-memory-backend.js'
import { openRocksDbBackend } from '../../../src/streams/state/rocksdb/rocksdb-backend.js'
import { RocksDbResources } from '../../../src/streams/state/rocksdb/rocksdb-resources.js'
import { keyValueStoreContract } from '../../contracts/key-value-store.contract.js'
import { windowedStoresContract } from '../../contracts/windowed-stores.contract.js'

const MiB = 1024 * 1024
const resources = new RocksDbResources({ memoryBudgetBytes: 64 * MiB, maxOpenStores: 8 })

const inMemory = { name: 'in-memory', openBackend: async () => new InMemoryKeyValueBackend('contract') }
const rocksDb = {
  name: 'RocksDB',
  async openBackend() {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-windowed-'))
    const backend = await openRocksDbBackend({ name: 'contract', dir: join(dir, 'store'), resources })
    onTestFinished(async () => {
      try {
        backend.close()
        await backend.whenReleased()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
    return backend
  },
}

for (const harness of [inMemory, rocksDb]) {
  keyValueStoreContract(harness)
  windowedStoresContract(harness)
}
