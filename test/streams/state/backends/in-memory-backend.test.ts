import { describe, expect, it } from 'vitest'
import type { BytesKeyValueBackend } from '../../../../src/streams/state/bytes-store.js'
import { InMemoryKeyValueBackend } from '../../../../src/streams/state/memory/in-memory-backend.js'
import { keyValueBackendContract } from '../../../contracts/key-value-backend.contract.js'

keyValueBackendContract({
  name: 'in-memory',
  open: async () => new InMemoryKeyValueBackend('contract'),
  openIteratorCount: (backend: BytesKeyValueBackend) => (backend as InMemoryKeyValueBackend).openIteratorCount,
})

describe('InMemoryKeyValueBackend', () => {
  it('is not persistent and never reports a committed offset', () => {
    const store = new InMemoryKeyValueBackend('counts')
    store.write([{ key: Uint8Array.of(1), value: Uint8Array.of(1) }], 7)
    expect(store.persistent).toBe(false)
    expect(store.committedOffset()).toBeUndefined()
  })

  it('counts entries exactly, deletes and overwrites included', () => {
    const store = new InMemoryKeyValueBackend('counts')
    store.write([1, 2, 3].map((k) => ({ key: Uint8Array.of(k), value: Uint8Array.of(k) })), undefined)
    store.write([{ key: Uint8Array.of(1), value: null }, { key: Uint8Array.of(2), value: Uint8Array.of(9) }], undefined)
    expect(store.approximateNumEntries()).toBe(2)
  })

  it('drops its data on close: a new instance starts empty', () => {
    const store = new InMemoryKeyValueBackend('gone')
    store.write([{ key: Uint8Array.of(1), value: Uint8Array.of(1) }], undefined)
    store.close()
    expect(new InMemoryKeyValueBackend('gone').approximateNumEntries()).toBe(0)
  })
})
