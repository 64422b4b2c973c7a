/**
 * Waits until `condition` holds, re-checking after each turn of the event loop, or fails after
 * `deadlineMs`. The one way tests wait for asynchronous effects: a condition with a deadline,
 * never a sleep.
 */
export async function eventually(condition: () => boolean, deadlineMs = 5_000, what = 'condition'): Promise<void> {
  const start = performance.now()
  while (!condition()) {
    if (performance.now() - start > deadlineMs) throw new Error(`${what} did not hold within ${deadlineMs} ms`)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}
