import type { Serializer } from '../../../src/serdes/index.js'

/** A serializer as plain JavaScript sees it, where any value can be passed: for the rejection tests. */
export function untyped<T>(serializer: Serializer<T>): { serialize(topic: string, value: unknown): Uint8Array | null } {
  return serializer as unknown as { serialize(topic: string, value: unknown): Uint8Array | null }
}
