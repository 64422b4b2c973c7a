import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { InMemorySchemaRegistry, Serdes, encodeWireFormat } from '../../../src/serdes/index.js'
import { codeOfSync } from '../../support/error-code.js'
import { fromHex, hex } from '../support/hex.js'
import { untyped } from '../support/untyped.js'

const V1 = { type: 'record', name: 'Event', namespace: 'acme', fields: [{ name: 'a', type: 'int' }] }
const V2 = {
  type: 'record',
  name: 'Event',
  namespace: 'acme',
  fields: [
    { name: 'a', type: 'long' },
    { name: 'b', type: 'string', default: 'none' },
  ],
}

interface EventV1 {
  a: number
}
interface EventV2 {
  a: number
  b: string
}

describe('Serdes.registryAvro', () => {
  it('frames Avro binary with magic byte 0 and the id it registered under <topic>-value', () => {
    const registry = new InMemorySchemaRegistry()
    const serde = Serdes.registryAvro<EventV1>(registry, { schema: V1 })
    expect(hex(serde.serialize('events', { a: 1 }))).toBe('00 00 00 00 01 02')
    expect(registry.getLatest('events-value')).toMatchObject({ id: 1, version: 1, schemaType: 'AVRO' })
    // The registered text is avsc's canonical JSON: the full name, no separate namespace.
    expect(JSON.parse(registry.getById(1)?.schema ?? '')).toEqual({ type: 'record', name: 'acme.Event', fields: V1.fields })
  })

  it('round-trips every value through the registry', () => {
    const serde = Serdes.registryAvro<EventV2>(new InMemorySchemaRegistry(), { schema: V2 })
    fc.assert(
      fc.property(fc.record({ a: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), b: fc.string() }), (value) => {
        expect(serde.deserialize('events', serde.serialize('events', value))).toEqual(value)
      }),
    )
  })

  it('registers under <topic>-key for a key serde, and under the record name with the record strategy', () => {
    const registry = new InMemorySchemaRegistry()
    Serdes.registryAvro<EventV1>(registry, { schema: V1, isKey: true }).serialize('events', { a: 1 })
    Serdes.registryAvro<EventV1>(registry, { schema: V1, subjectNameStrategy: 'record' }).serialize('events', { a: 1 })
    Serdes.registryAvro<EventV1>(registry, { schema: V1, subjectNameStrategy: 'topic-record' }).serialize('events', { a: 1 })
    Serdes.registryAvro<EventV1>(registry, { schema: V1, subjectNameStrategy: (topic) => `custom.${topic}` }).serialize('events', { a: 1 })
    expect(registry.getSubjects()).toEqual(['events-key', 'acme.Event', 'events-acme.Event', 'custom.events'])
  })

  it('registers equivalent schemas, however written, under one id', () => {
    const registry = new InMemorySchemaRegistry()
    Serdes.registryAvro<EventV1>(registry, { schema: V1 }).serialize('a', { a: 1 })
    Serdes.registryAvro<EventV1>(registry, { schema: JSON.stringify(V1, null, 2) }).serialize('b', { a: 1 })
    expect(registry.getLatest('b-value')?.id).toBe(1)
  })

  it('reads records written with an older schema, resolving them to its own (a field added with a default)', () => {
    const registry = new InMemorySchemaRegistry()
    const v1 = Serdes.registryAvro<EventV1>(registry, { schema: V1 })
    const v2 = Serdes.registryAvro<EventV2>(registry, { schema: V2 })
    const old = v1.serialize('events', { a: 5 })
    const current = v2.serialize('events', { a: 6, b: 'x' })
    expect(v2.deserialize('events', old)).toEqual({ a: 5, b: 'none' })
    expect(v2.deserialize('events', current)).toEqual({ a: 6, b: 'x' })
    expect(registry.getLatest('events-value')?.version).toBe(2)
  })

  it('reads records written with a newer schema, dropping the field it does not know', () => {
    const registry = new InMemorySchemaRegistry()
    const newer = Serdes.registryAvro<EventV2>(registry, { schema: V2 })
    const older = Serdes.registryAvro<{ a: number }>(registry, {
      schema: { type: 'record', name: 'Event', namespace: 'acme', fields: [{ name: 'a', type: 'long' }] },
    })
    expect(older.deserialize('events', newer.serialize('events', { a: 6, b: 'x' }))).toEqual({ a: 6 })
  })

  it('rejects a record whose writer schema cannot be resolved to its own with SERDES_INCOMPATIBLE_SCHEMA', () => {
    const registry = new InMemorySchemaRegistry()
    const writer = Serdes.registryAvro<EventV1>(registry, { schema: V1 })
    const reader = Serdes.registryAvro<{ a: string }>(registry, {
      schema: { type: 'record', name: 'Event', namespace: 'acme', fields: [{ name: 'a', type: 'string' }] },
    })
    const bytes = writer.serialize('events', { a: 1 })
    expect(codeOfSync(() => reader.deserialize('events', bytes))).toBe('SERDES_INCOMPATIBLE_SCHEMA')
  })

  it('rejects a record whose schema id is of another schema type with SERDES_INCOMPATIBLE_SCHEMA', () => {
    const registry = new InMemorySchemaRegistry()
    const id = registry.register('events-value', { schemaType: 'JSON', schema: '{}' })
    const serde = Serdes.registryAvro<EventV1>(registry, { schema: V1 })
    expect(codeOfSync(() => serde.deserialize('events', encodeWireFormat(id, Uint8Array.of(2))))).toBe('SERDES_INCOMPATIBLE_SCHEMA')
  })

  it('rejects an unknown schema id with SERDES_UNKNOWN_SCHEMA, and an unknown magic byte with SERDES_UNKNOWN_MAGIC_BYTE', () => {
    const serde = Serdes.registryAvro<EventV1>(new InMemorySchemaRegistry(), { schema: V1 })
    expect(codeOfSync(() => serde.deserialize('events', fromHex('00 00 00 00 07 02')))).toBe('SERDES_UNKNOWN_SCHEMA')
    expect(codeOfSync(() => serde.deserialize('events', fromHex('01 00 00 00 01 02')))).toBe('SERDES_UNKNOWN_MAGIC_BYTE')
  })

  it('rejects a truncated header or payload with SERDES_INVALID_BYTES', () => {
    const serde = Serdes.registryAvro<EventV2>(new InMemorySchemaRegistry(), { schema: V2 })
    const bytes = serde.serialize('events', { a: 1, b: 'abc' }) as Uint8Array
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(codeOfSync(() => serde.deserialize('events', bytes.subarray(0, cut)))).toBe('SERDES_INVALID_BYTES')
    }
  })

  it('without auto-registration, writes under an id registered beforehand and refuses with SERDES_UNKNOWN_SCHEMA otherwise', () => {
    const registry = new InMemorySchemaRegistry()
    const serde = Serdes.registryAvro<EventV1>(registry, { schema: V1, autoRegister: false })
    expect(codeOfSync(() => serde.serialize('events', { a: 1 }))).toBe('SERDES_UNKNOWN_SCHEMA')
    expect(registry.getSubjects()).toEqual([])
    Serdes.registryAvro<EventV1>(registry, { schema: V1 }).serialize('events', { a: 1 })
    expect(hex(serde.serialize('events', { a: 1 }))).toBe('00 00 00 00 01 02')
  })

  it('rejects an invalid value with SERDES_INVALID_VALUE before registering anything', () => {
    const registry = new InMemorySchemaRegistry()
    const serde = Serdes.registryAvro<EventV1>(registry, { schema: V1 })
    expect(codeOfSync(() => untyped(serde).serialize('events', { a: 'one' }))).toBe('SERDES_INVALID_VALUE')
    expect(registry.getSubjects()).toEqual([])
  })

  it('rejects an invalid schema with SERDES_INVALID_SCHEMA when the serde is made', () => {
    expect(codeOfSync(() => Serdes.registryAvro(new InMemorySchemaRegistry(), { schema: { type: 'record' } }))).toBe('SERDES_INVALID_SCHEMA')
  })
})
