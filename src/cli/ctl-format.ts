/** Output of `protohub ctl`: aligned text tables, or JSON with --json. */

export type Row = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A table of the given columns; every value on one line. */
export function table(rows: readonly Row[], columns: readonly string[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(r[c]).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** Key/value lines for one object. */
export function record(obj: Row): string {
  const width = Math.max(0, ...Object.keys(obj).map((k) => k.length));
  return (
    Object.entries(obj)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`)
      .join('\n') + '\n'
  );
}
