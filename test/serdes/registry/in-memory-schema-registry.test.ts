import { describe, expect, it } from 'vitest'
import { InMemorySchemaRegistry, type SchemaDefinition } from '../../../src/serdes/index.js'
import { codeOfSync } from '../../support/error-code.js'

const avro = (schema: string): SchemaDefinition => ({ schemaType: 'AVRO', schema })
const V1 = avro('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}')
const V2 = avro('{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":0}]}')

describe('InMemorySchemaRegistry', () => {
  it('hands out ids from 1, one per distinct schema', () => {
    const registry = new InMemorySchemaRegistry()
    expect(registry.register('orders-value', V1)).toBe(1)
    expect(registry.register('orders-value', V2)).toBe(2)
    expect(registry.register('orders-key', avro('"string"'))).toBe(3)
  })

  it('answers the same id, and adds no version, when a subject registers a schema it already has', () => {
    const registry = new InMemorySchemaRegistry()
    const id = registry.register('orders-value', V1)
    registry.register('orders-value', V2)
    expect(registry.register('orders-value', V1)).toBe(id)
    expect(registry.getLatest('orders-value')).toMatchObject({ version: 2, id: 2 })
  })

  it('keeps one id for a schema across subjects, each with its own version history', () => {
    const registry = new InMemorySchemaRegistry()
    registry.register('a-value', V2)
    const id = registry.register('b-value', V1)
    expect(registry.register('a-value', V1)).toBe(id)
    expect(registry.getVersion('a-value', 2)).toEqual({ id, subject: 'a-value', version: 2, ...V1 })
    expect(registry.getVersion('b-value', 1)).toEqual({ id, subject: 'b-value', version: 1, ...V1 })
    expect(registry.getSubjects()).toEqual(['a-value', 'b-value'])
  })

  it('tells schemas of different types apart even when their text is equal', () => {
    const registry = new InMemorySchemaRegistry()
    const asAvro = registry.register('s', avro('"string"'))
    const asJson = registry.register('s', { schemaType: 'JSON', schema: '"string"' })
    expect(asJson).not.toBe(asAvro)
  })

  it('finds schemas by id, subject version and content, and answers undefined for what it lacks', () => {
    const registry = new InMemorySchemaRegistry()
    const id = registry.register('orders-value', V1)
    expect(registry.getById(id)).toEqual(V1)
    expect(registry.lookup('orders-value', V1)).toEqual({ id, subject: 'orders-value', version: 1, ...V1 })
    expect(registry.getById(id + 1)).toBeUndefined()
    expect(registry.getLatest('payments-value')).toBeUndefined()
    expect(registry.getVersion('orders-value', 2)).toBeUndefined()
    expect(registry.getVersion('orders-value', 0)).toBeUndefined()
    expect(registry.lookup('orders-value', V2)).toBeUndefined()
    expect(registry.lookup('payments-value', V1)).toBeUndefined()
  })

  it('validates each schema in its language and rejects invalid ones with SERDES_INVALID_SCHEMA', () => {
    const registry = new InMemorySchemaRegistry()
    const invalid: SchemaDefinition[] = [
      avro('{"type":"record","name":"R"}'),
      { schemaType: 'PROTOBUF', schema: 'message {' },
      { schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; message M { Missing m = 1; }' },
      { schemaType: 'JSON', schema: '{"type":' },
      { schemaType: 'XML' as 'JSON', schema: '<schema/>' },
    ]
    for (const schema of invalid) {
      expect(codeOfSync(() => registry.register('s', schema))).toBe('SERDES_INVALID_SCHEMA')
    }
    expect(registry.getSubjects()).toEqual([])
    expect(registry.register('s', { schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; message M {}' })).toBe(1)
    expect(registry.register('s', { schemaType: 'JSON', schema: '{"type":"object"}' })).toBe(2)
  })
})
