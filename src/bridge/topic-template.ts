/**
 * Topic routes with captures: a filter like `sensors/{site}/{rest*}` matches topics and captures levels, a
 * template like `edge/${node.name}/{site}/{rest*}` renders the target topic. `{topic}` is the whole source topic.
 */
import { BridgeError } from '../errors.js';
import { topicMatches, validateTopicName } from '../broker/topic/index.js';

type FilterLevel = { kind: 'literal'; text: string } | { kind: 'one'; name?: string } | { kind: 'rest'; name?: string };
type TemplatePart =
  { kind: 'text'; text: string } | { kind: 'capture'; name: string; rest: boolean } | { kind: 'topic' };

export interface CompiledRoute {
  /** The plain MQTT filter to subscribe with (captures replaced by `+` / `#`). */
  readonly filter: string;
  /** Captures of a matching topic, or undefined when it does not match. */
  match(topic: string): Record<string, string> | undefined;
  /** Render the target topic; throws BridgeError PH_BRIDGE_TOPIC when the result is not a valid topic name. */
  render(topic: string, captures: Record<string, string>): string;
}

const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_]*)(\*)?\}$/;

function parseFilter(filter: string): FilterLevel[] {
  const levels = filter.split('/');
  return levels.map((text, i) => {
    const m = CAPTURE.exec(text);
    const last = i === levels.length - 1;
    if (text === '#' || m?.[2]) {
      // [MQTT-4.7.1-2] a multi-level wildcard must be the last level
      if (!last) throw new BridgeError('PH_BRIDGE_TEMPLATE', `"${filter}": "${text}" must be the last level`);
      return { kind: 'rest', name: m?.[1] };
    }
    if (text === '+' || m) return { kind: 'one', name: m?.[1] };
    if (/[+#{}]/.test(text)) throw new BridgeError('PH_BRIDGE_TEMPLATE', `"${filter}": bad level "${text}"`);
    return { kind: 'literal', text };
  });
}

function parseTemplate(template: string, names: Set<string>): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const re = /\{([A-Za-z_][A-Za-z0-9_]*)(\*)?\}/g;
  let at = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > at) parts.push({ kind: 'text', text: template.slice(at, m.index) });
    if (m[1] === 'topic' && !m[2] && !names.has('topic')) parts.push({ kind: 'topic' });
    else if (!names.has(m[1]))
      throw new BridgeError(
        'PH_BRIDGE_TEMPLATE',
        `"${template}": {${m[1]}${m[2] ?? ''}} is not captured by the filter`,
      );
    else parts.push({ kind: 'capture', name: m[1], rest: Boolean(m[2]) });
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push({ kind: 'text', text: template.slice(at) });
  for (const p of parts) {
    if (p.kind === 'text' && /[+#{}]/.test(p.text))
      throw new BridgeError(
        'PH_BRIDGE_TEMPLATE',
        `"${template}": wildcards and braces are not allowed in a topic template`,
      );
  }
  return parts;
}

export function compileRoute(filter: string, template: string): CompiledRoute {
  const levels = parseFilter(filter);
  const names = new Set<string>();
  for (const l of levels) {
    if (l.kind !== 'literal' && l.name) {
      if (names.has(l.name)) throw new BridgeError('PH_BRIDGE_TEMPLATE', `"${filter}": capture {${l.name}} used twice`);
      names.add(l.name);
    }
  }
  const parts = parseTemplate(template, names);
  const mqttFilter = levels.map((l) => (l.kind === 'literal' ? l.text : l.kind === 'one' ? '+' : '#')).join('/');
  return {
    filter: mqttFilter,
    match(topic) {
      if (!topicMatches(mqttFilter, topic)) return undefined;
      const t = topic.split('/');
      const captures: Record<string, string> = {};
      levels.forEach((l, i) => {
        if (l.kind === 'one' && l.name) captures[l.name] = t[i];
        if (l.kind === 'rest' && l.name) captures[l.name] = t.slice(i).join('/');
      });
      return captures;
    },
    render(topic, captures) {
      let out = '';
      for (const p of parts) {
        if (p.kind === 'text') out += p.text;
        else if (p.kind === 'topic') out += topic;
        else if (p.rest && !captures[p.name] && out.endsWith('/')) {
          // `a/#` also matches `a` ([MQTT-4.7.1-2]): an empty rest capture takes its separator with it
          out = out.slice(0, -1);
        } else out += captures[p.name] ?? '';
      }
      if (validateTopicName(out) !== undefined)
        throw new BridgeError(
          'PH_BRIDGE_TOPIC',
          `template "${template}" rendered invalid topic "${out}" from "${topic}"`,
        );
      return out;
    },
  };
}
