/**
 * Column-aligned text tables in the style of `kafka-consumer-groups --describe` and `rpk`: an
 * upper-case header row, columns padded to their widest cell and separated by two spaces, no
 * trailing whitespace (so tests and `awk` see stable lines).
 */

/** Renders `rows` under `header`, one line each, every line ending in a newline. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [header, ...rows].map((r) => line(r) + '\n').join('')
}

/** Text of an optional value: `-` for none, as the Kafka tools print it. */
export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value)
}
