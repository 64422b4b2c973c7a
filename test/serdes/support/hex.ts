/** Bytes as space-separated lower-case hex pairs (`00 00 00 01`), for golden-byte assertions. */
export function hex(bytes: Uint8Array | null): string {
  if (bytes === null) return 'null'
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ')
}

/** The bytes that `hex` prints as `text`. */
export function fromHex(text: string): Uint8Array {
  const pairs = text.split(/\s+/).filter((pair) => pair !== '')
  return Uint8Array.from(pairs, (pair) => Number.parseInt(pair, 16))
}
