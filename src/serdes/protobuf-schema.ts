/**
 * Protobuf schemas as text (`.proto` source), and the message-index path that the registry wire
 * format uses to name one message of a schema.
 *
 * Message indexes (Confluent `MessageIndexes`): the path from the file to the message, each step
 * the position among the *messages* (not enums, not services) declared at that level, in
 * declaration order. In
 * ```proto
 * message A { message B {} message C {} }   message D {}
 * ```
 * A is [0], C is [0, 1], D is [1]. One limit: protoc also counts the synthetic `…Entry` message of
 * each map field, which protobufjs does not create, so a nested message declared after a map field
 * of its parent gets a smaller index here than in Java. Top-level messages are unaffected.
 */
import protobuf from 'protobufjs'
import type { Namespace, ReflectionObject, Type } from 'protobufjs'
import { serdesError } from './errors.js'

/** A parsed `.proto` source: its root, and the namespace its package declares (or the root). */
export interface ParsedProto {
  readonly root: protobuf.Root
  readonly file: Namespace
}

/**
 * Parses one self-contained `.proto` source (imports are not followed).
 *
 * @param keepCase keep field names as written (`order_id`) rather than protobufjs's default
 *   lowerCamelCase (`orderId`), the names of the plain objects the serdes read and write.
 * @throws `SERDES_INVALID_SCHEMA` for a syntax error.
 */
export function parseProto(source: string, keepCase: boolean, serde: string): ParsedProto {
  let parsed: protobuf.IParserResult
  try {
    parsed = protobuf.parse(source, { keepCase })
  } catch (err) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${serde} serde: the .proto source does not parse`, { serde }, err)
  }
  const root = parsed.root
  const file = parsed.package === undefined ? root : root.lookup(parsed.package)
  // A declared package always creates its namespace, so the lookup cannot miss; stay defensive.
  if (file === null || !(file instanceof protobuf.Namespace)) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${serde} serde: the .proto package has no namespace`, { serde })
  }
  return { root, file }
}

/**
 * The message `name` (fully qualified, or relative to the root) of `parsed`, with every field
 * type resolved.
 *
 * @throws `SERDES_INVALID_SCHEMA` when there is no such message or a field type is undefined.
 */
export function findMessage(parsed: ParsedProto, name: string, serde: string): Type {
  const found = parsed.root.lookup(name)
  if (!(found instanceof protobuf.Type)) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${serde} serde: the .proto source has no message ${name}`, {
      serde,
      messageType: name,
    })
  }
  resolveMessage(found, serde)
  return found
}

/**
 * Resolves every field type of `type`, by resolving the whole tree it belongs to: protobufjs
 * resolves a nested message's features (editions) only through its parents.
 *
 * @throws `SERDES_INVALID_SCHEMA`
 */
export function resolveMessage(type: Type, serde: string): void {
  try {
    type.root.resolveAll()
  } catch (err) {
    throw serdesError('SERDES_INVALID_SCHEMA', `${serde} serde: message ${type.fullName} has unresolved types`, {
      serde,
      messageType: type.fullName,
    }, err)
  }
}

function messagesOf(container: Namespace): Type[] {
  return container.nestedArray.filter((nested: ReflectionObject): nested is Type => nested instanceof protobuf.Type)
}

/** The message-index path of `type` within its file (see the file comment). */
export function messageIndexesOf(type: Type): number[] {
  const indexes: number[] = []
  let current: Type = type
  for (;;) {
    const parent = current.parent
    if (parent === null) break
    indexes.unshift(messagesOf(parent).indexOf(current))
    if (!(parent instanceof protobuf.Type)) break
    current = parent
  }
  return indexes.length === 0 ? [0] : indexes
}

/** The message at `indexes` in `file`, or `undefined` when the path leads nowhere. */
export function findMessageAt(file: Namespace, indexes: readonly number[]): Type | undefined {
  let container: Namespace = file
  let found: Type | undefined
  for (const index of indexes) {
    found = messagesOf(container)[index]
    if (found === undefined) return undefined
    container = found
  }
  return found
}
