/**
 * Output templates (MQTT topic, protocol address, user property values): text with `{name}` / `{name*}`
 * placeholders referring to the pattern's captures. In a template the `*` is optional and placeholders may sit
 * inside a level ("dev-{id}"). A `{rest*}` that is a whole level and captured zero levels disappears with its
 * '/', so "zmq/{rest*}" renders "zmq" rather than "zmq/" when the pattern's `{rest*}` matched nothing.
 */

type Part = string | { readonly slot: number; readonly name: string };

export interface Template {
  readonly source: string;
  readonly levels: readonly (readonly Part[])[];
  /** Literal text outside placeholders, for load-time checks. */
  readonly literalText: string;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_-]*)\*?\}/g;

/** Parses `source`; `captures` are the pattern's capture names by slot. Errors name each bad placeholder. */
/** The template is returned even with errors so callers can run their own literal checks too. */
export function parseTemplate(source: string, captures: readonly string[]): { template: Template; errors: string[] } {
  const errors: string[] = [];
  let literalText = '';
  const levels = source.split('/').map((level) => {
    const parts: Part[] = [];
    let last = 0;
    for (const m of level.matchAll(PLACEHOLDER)) {
      if (m.index > last) parts.push(level.slice(last, m.index));
      const slot = captures.indexOf(m[1]);
      if (slot < 0) {
        const known = captures.length > 0 ? captures.map((c) => `{${c}}`).join(', ') : 'none';
        errors.push(`placeholder {${m[1]}} is not captured by the pattern (captures: ${known})`);
      }
      parts.push({ slot, name: m[1] });
      last = m.index + m[0].length;
    }
    if (last < level.length) parts.push(level.slice(last));
    const text = parts.filter((p): p is string => typeof p === 'string').join('');
    if (text.includes('{') || text.includes('}'))
      errors.push(`"${level}": malformed placeholder, expected {name} or {name*}`);
    literalText += text;
    return parts;
  });
  return { template: { source, levels, literalText }, errors };
}

/** Renders the template with the captured values (undefined = a rest capture of zero levels). */
export function renderTemplate(template: Template, values: readonly (string | undefined)[]): string {
  let out = '';
  let first = true;
  for (const parts of template.levels) {
    if (parts.length === 1 && typeof parts[0] !== 'string' && values[parts[0].slot] === undefined) continue;
    if (!first) out += '/';
    first = false;
    for (const part of parts) out += typeof part === 'string' ? part : (values[part.slot] ?? '');
  }
  return out;
}
