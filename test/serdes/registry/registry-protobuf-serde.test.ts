import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { InMemorySchemaRegistry, Serdes, decodeWireFormat, encodeWireFormat } from '../../../src/serdes/index.js'
import { codeOfSync } from '../../support/error-code.js'
import { fromHex, hex } from '../support/hex.js'
import { SHOP_PROTO } from '../support/shop-proto.js'
import { untyped } from '../support/untyped.js'

interface Line {
  sku: string
  quantity: number
}

const lines = fc.record({ sku: fc.string(), quantity: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) })

describe('Serdes.registryProtobuf', () => {
  it('frames protobuf binary with magic byte 0, the registered id and the message indexes', () => {
    const registry = new InMemorySchemaRegistry()
    const order = Serdes.registryProtobuf<{ id: bigint }>(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order' })
    const line = Serdes.registryProtobuf<Line>(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order.Line' })
    expect(hex(order.serialize('orders', { id: 1n }))).toBe('00 00 00 00 01 00 08 01')
    expect(hex(line.serialize('lines', { sku: 'a', quantity: 0 }))).toBe('00 00 00 00 01 04 00 00 0a 01 61')
    expect(registry.getLatest('orders-value')).toMatchObject({ id: 1, schemaType: 'PROTOBUF', schema: SHOP_PROTO })
  })

  it('round-trips every message through the registry', () => {
    const serde = Serdes.registryProtobuf<Line>(new InMemorySchemaRegistry(), { proto: SHOP_PROTO, messageType: 'shop.v1.Order.Line' })
    fc.assert(
      fc.property(lines, (line) => {
        const bytes = serde.serialize('lines', line) as Uint8Array
        expect(decodeWireFormat('lines', bytes, true).messageIndexes).toEqual([0, 0])
        expect(serde.deserialize('lines', bytes)).toEqual(line)
      }),
    )
  })

  it('reads records written with another version of the schema by protobuf’s rules', () => {
    const registry = new InMemorySchemaRegistry()
    const v1 = Serdes.registryProtobuf<{ a: number }>(registry, { proto: 'syntax = "proto3"; package e; message Event { int32 a = 1; }', messageType: 'e.Event' })
    const v2 = Serdes.registryProtobuf<{ a: number; b: string }>(registry, {
      proto: 'syntax = "proto3"; package e; message Other {} message Event { int32 a = 1; string b = 2; }',
      messageType: 'e.Event',
    })
    const old = v1.serialize('events', { a: 5 })
    const current = v2.serialize('events', { a: 6, b: 'x' })
    expect(hex(current).startsWith('00 00 00 00 02 02 02')).toBe(true)
    expect(v2.deserialize('events', old)).toEqual({ a: 5, b: '' })
    expect(v1.deserialize('events', current)).toEqual({ a: 6 })
  })

  it('rejects a record holding another message than its own with SERDES_INCOMPATIBLE_SCHEMA', () => {
    const registry = new InMemorySchemaRegistry()
    const order = Serdes.registryProtobuf<{ id: bigint }>(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order' })
    const line = Serdes.registryProtobuf<Line>(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order.Line' })
    expect(codeOfSync(() => line.deserialize('orders', order.serialize('orders', { id: 1n })))).toBe('SERDES_INCOMPATIBLE_SCHEMA')
  })

  it('rejects message indexes that lead to no message of the schema with SERDES_INVALID_BYTES', () => {
    const registry = new InMemorySchemaRegistry()
    const serde = Serdes.registryProtobuf<{ id: bigint }>(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order' })
    serde.serialize('orders', { id: 1n })
    expect(codeOfSync(() => serde.deserialize('orders', encodeWireFormat(1, new Uint8Array(0), [3])))).toBe('SERDES_INVALID_BYTES')
  })

  it('rejects an unknown id, an unknown magic byte and a schema of another type with their codes', () => {
    const registry = new InMemorySchemaRegistry()
    const avroId = registry.register('x', { schemaType: 'AVRO', schema: '"int"' })
    const serde = Serdes.registryProtobuf<{ id: bigint }>(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order' })
    expect(codeOfSync(() => serde.deserialize('orders', fromHex('00 00 00 00 09 00')))).toBe('SERDES_UNKNOWN_SCHEMA')
    expect(codeOfSync(() => serde.deserialize('orders', fromHex('02 00 00 00 01 00')))).toBe('SERDES_UNKNOWN_MAGIC_BYTE')
    expect(codeOfSync(() => serde.deserialize('orders', encodeWireFormat(avroId, new Uint8Array(0), [0])))).toBe(
      'SERDES_INCOMPATIBLE_SCHEMA',
    )
  })

  it('rejects truncated indexes or payload with SERDES_INVALID_BYTES', () => {
    const serde = Serdes.registryProtobuf<Line>(new InMemorySchemaRegistry(), { proto: SHOP_PROTO, messageType: 'shop.v1.Order.Line' })
    const bytes = serde.serialize('lines', { sku: 'abc', quantity: 0 }) as Uint8Array
    for (const cut of [1, 4, 5, 6, bytes.length - 1]) {
      expect(codeOfSync(() => serde.deserialize('lines', bytes.subarray(0, cut)))).toBe('SERDES_INVALID_BYTES')
    }
  })

  it('without auto-registration, refuses a schema the subject lacks with SERDES_UNKNOWN_SCHEMA', () => {
    const serde = Serdes.registryProtobuf<Line>(new InMemorySchemaRegistry(), {
      proto: SHOP_PROTO,
      messageType: 'shop.v1.Order.Line',
      autoRegister: false,
    })
    expect(codeOfSync(() => serde.serialize('lines', { sku: 'a', quantity: 1 }))).toBe('SERDES_UNKNOWN_SCHEMA')
  })

  it('rejects an invalid value with SERDES_INVALID_VALUE and an invalid source with SERDES_INVALID_SCHEMA', () => {
    const registry = new InMemorySchemaRegistry()
    const serde = Serdes.registryProtobuf<Line>(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order.Line' })
    expect(codeOfSync(() => untyped(serde).serialize('lines', { sku: 1 }))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => Serdes.registryProtobuf(registry, { proto: 'message {', messageType: 'M' }))).toBe('SERDES_INVALID_SCHEMA')
  })

  it('names the subject after the message with the record strategy', () => {
    const registry = new InMemorySchemaRegistry()
    const serde = Serdes.registryProtobuf<Line>(registry, {
      proto: SHOP_PROTO,
      messageType: 'shop.v1.Order.Line',
      subjectNameStrategy: 'record',
    })
    serde.serialize('lines', { sku: 'a', quantity: 1 })
    expect(registry.getSubjects()).toEqual(['shop.v1.Order.Line'])
  })
})
