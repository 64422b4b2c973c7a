import { describe, expect, it } from 'vitest'
import { InMemorySchemaRegistry, Serdes, type Deserializer, type Serializer } from '../../src/serdes/index.js'
import { SHOP_PROTO } from './support/shop-proto.js'

const RECORD = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }

/** Any serde, as far as null goes: it accepts `null` and returns something. */
type AnySerde = Serializer<never> & Deserializer<unknown>

function everySerde(): [string, AnySerde][] {
  const registry = new InMemorySchemaRegistry()
  return [
    ['string', Serdes.string()],
    ['string (fatal)', Serdes.string({ utf8Errors: 'fatal' })],
    ['json', Serdes.json()],
    ['json (validated)', Serdes.json({ validate: () => false })],
    ['int32', Serdes.int32()],
    ['int64', Serdes.int64()],
    ['double', Serdes.double()],
    ['bytes', Serdes.bytes()],
    ['uuid', Serdes.uuid()],
    ['avro', Serdes.avro(RECORD)],
    ['protobuf', Serdes.protobuf({ proto: SHOP_PROTO, messageType: 'shop.v1.Order' })],
    ['registryAvro', Serdes.registryAvro(registry, { schema: RECORD })],
    ['registryProtobuf', Serdes.registryProtobuf(registry, { proto: SHOP_PROTO, messageType: 'shop.v1.Order' })],
  ]
}

describe('Serdes', () => {
  it('offers a factory for each built-in format', () => {
    expect(Object.keys(Serdes).sort()).toEqual([
      'avro',
      'bytes',
      'double',
      'int32',
      'int64',
      'json',
      'protobuf',
      'registryAvro',
      'registryProtobuf',
      'sessionWindowed',
      'string',
      'uuid',
      'windowed',
    ])
    expect(Object.isFrozen(Serdes)).toBe(true)
  })

  it.each(everySerde())('%s serializes null to null and deserializes null to null, as Kafka’s serdes do', (_name, serde) => {
    expect(serde.serialize('t', null)).toBeNull()
    expect(serde.serialize('t', null, [])).toBeNull()
    expect(serde.deserialize('t', null)).toBeNull()
    expect(serde.deserialize('t', null, [])).toBeNull()
  })

  it('registers nothing for a null value, which is a tombstone, not a record of the schema', () => {
    const registry = new InMemorySchemaRegistry()
    Serdes.registryAvro(registry, { schema: RECORD }).serialize('t', null)
    expect(registry.getSubjects()).toEqual([])
  })
})
