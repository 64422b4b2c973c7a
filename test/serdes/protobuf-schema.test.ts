import { describe, expect, it } from 'vitest'
import protobuf from 'protobufjs'
import { findMessage, findMessageAt, messageIndexesOf, parseProto } from '../../src/serdes/protobuf-schema.js'
import { codeOfSync } from '../support/error-code.js'

const NESTED_PROTO = `
syntax = "proto3";
package acme.v2;
message A {
  enum Kind { K0 = 0; }
  message B { message D {} }
  message C {}
}
enum Top { T0 = 0; }
message E {}
service S {}
message F { message G {} }
`

describe('message indexes', () => {
  const parsed = parseProto(NESTED_PROTO, false, 'test')

  it('number messages by their position among the messages of their level, skipping enums and services', () => {
    const indexes = (name: string): number[] => messageIndexesOf(findMessage(parsed, name, 'test'))
    expect(indexes('acme.v2.A')).toEqual([0])
    expect(indexes('acme.v2.A.B')).toEqual([0, 0])
    expect(indexes('acme.v2.A.B.D')).toEqual([0, 0, 0])
    expect(indexes('acme.v2.A.C')).toEqual([0, 1])
    expect(indexes('acme.v2.E')).toEqual([1])
    expect(indexes('acme.v2.F')).toEqual([2])
    expect(indexes('acme.v2.F.G')).toEqual([2, 0])
  })

  it('lead back to the message they were computed from, and to nothing when out of range', () => {
    for (const name of ['acme.v2.A', 'acme.v2.A.B.D', 'acme.v2.A.C', 'acme.v2.E', 'acme.v2.F.G']) {
      const message = findMessage(parsed, name, 'test')
      expect(findMessageAt(parsed.file, messageIndexesOf(message))).toBe(message)
    }
    expect(findMessageAt(parsed.file, [3])).toBeUndefined()
    expect(findMessageAt(parsed.file, [0, 2])).toBeUndefined()
    expect(findMessageAt(parsed.file, [1, 0])).toBeUndefined()
  })

  it('work without a package, from the root', () => {
    const flat = parseProto('syntax = "proto3"; message X {} message Y {}', false, 'test')
    expect(messageIndexesOf(findMessage(flat, 'Y', 'test'))).toEqual([1])
    expect(findMessageAt(flat.file, [1])?.name).toBe('Y')
  })

  it('are [0] for a message outside any namespace', () => {
    expect(messageIndexesOf(new protobuf.Type('Alone'))).toEqual([0])
  })
})

describe('parseProto', () => {
  it('rejects source that does not parse with SERDES_INVALID_SCHEMA', () => {
    expect(codeOfSync(() => parseProto('message A {', false, 'test'))).toBe('SERDES_INVALID_SCHEMA')
  })
})
