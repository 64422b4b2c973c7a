/** The `code` of what `fn` throws (synchronously), or `undefined` when it returns. */
export function codeOfSync(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

/** The `code` of what `fn` throws or rejects with, or `undefined` when it resolves. */
export async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}
