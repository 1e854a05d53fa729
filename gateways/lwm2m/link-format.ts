/**
 * CoRE Link Format (RFC 6690 §2) as LwM2M registration sends it (TS 1.1 Core §6.2.1 / §5.3.1):
 * `</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303>;ver=1.1`. A small hand-written scanner: quoted strings may
 * hold commas and semicolons. Malformed input throws Lwm2mError PH_LWM2M_LINK_FORMAT only.
 */
import { Lwm2mError } from './errors.js';

export interface Link {
  readonly uri: string;
  /** Parameter values without quotes; a parameter without value is `true`. */
  readonly params: Readonly<Record<string, string | true>>;
}

function fail(message: string): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_LINK_FORMAT', message);
}

export function parseLinkFormat(text: string): Link[] {
  const links: Link[] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  ws();
  if (i === text.length) return links;
  for (;;) {
    ws();
    if (text[i] !== '<') throw fail(`expected "<" at ${i}`);
    const end = text.indexOf('>', i + 1);
    if (end < 0) throw fail(`unterminated "<" at ${i}`);
    const uri = text.slice(i + 1, end);
    if (/[<\s"]/.test(uri)) throw fail(`invalid URI-reference "${uri}"`);
    i = end + 1;
    const params: Record<string, string | true> = {};
    while (text[i] === ';') {
      i++;
      const m = /^[!#$&+\-.^_`|~0-9A-Za-z*]+/.exec(text.slice(i)); // RFC 6690 parmname / RFC 5987 ext
      if (!m) throw fail(`expected a parameter name at ${i}`);
      const name = m[0];
      i += name.length;
      let value: string | true = true;
      if (text[i] === '=') {
        i++;
        if (text[i] === '"') {
          let v = '';
          i++;
          for (;;) {
            if (i >= text.length) throw fail(`unterminated quoted string in parameter "${name}"`);
            const c = text[i++]!;
            if (c === '"') break;
            if (c === '\\' && i < text.length) v += text[i++]!;
            else v += c;
          }
          value = v;
        } else {
          const t = /^[^,;"<>\s]+/.exec(text.slice(i));
          if (!t) throw fail(`empty value for parameter "${name}" at ${i}`);
          value = t[0];
          i += t[0].length;
        }
      }
      if (!(name in params)) params[name] = value; // RFC 6690 §2: a repeated rel/rev aside, first occurrence wins
    }
    links.push({ uri, params });
    ws();
    if (i === text.length) return links;
    if (text[i] !== ',') throw fail(`expected "," or end at ${i}`);
    i++;
  }
}

/**
 * The links of a link-format text as sent, split at the commas between links (RFC 6690 §2), not at commas inside a
 * quoted parameter value or a URI; for Discover results, published one string per link as EMQX does.
 */
export function splitLinks(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let inUri = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (inUri) inUri = ch !== '>';
    else if (ch === '"') quoted = true;
    else if (ch === '<') inUri = true;
    else if (ch === ',') {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

export interface RegistrationObjects {
  /** "/1/0", "/3/0", "/3303" as EMQX's `objectList` prints them, root link excluded. */
  readonly objectList: string[];
  /** Alternate path from the `rt="oma.lwm2m"` link (TS 1.1 Core §6.2.1.1), "/" by default. */
  readonly rootPath: string;
  /** Content formats the client declared with `ct` on the root link. */
  readonly contentFormats: number[];
  /** Object versions declared with `ver` (TS 1.1 Core §6.2.1). */
  readonly versions: Readonly<Record<string, string>>;
}

/** Interprets a Register/Update payload; links outside the root path or not shaped /oid[/iid] are an error. */
export function registrationObjects(text: string): RegistrationObjects {
  const links = parseLinkFormat(text);
  let rootPath = '/';
  let contentFormats: number[] = [];
  const root = links.find((l) => l.params.rt === 'oma.lwm2m');
  if (root) {
    rootPath = root.uri.replace(/\/+$/, '') || '/';
    const ct = root.params.ct;
    if (typeof ct === 'string')
      contentFormats = ct
        .split(/\s+/)
        .filter((s) => s !== '')
        .map(Number)
        .filter((n) => Number.isInteger(n));
  }
  const prefix = rootPath === '/' ? '' : rootPath;
  const objectList: string[] = [];
  const versions: Record<string, string> = {};
  for (const l of links) {
    if (l === root) continue;
    if (prefix !== '' && !l.uri.startsWith(prefix + '/')) throw fail(`link <${l.uri}> is outside the root ${rootPath}`);
    const rest = l.uri.slice(prefix.length);
    if (!/^\/\d{1,5}(\/\d{1,5})?$/.test(rest)) throw fail(`link <${l.uri}> is not /objectId or /objectId/instanceId`);
    // TS 1.1 Core §7.1: object and instance ids are 16-bit; a larger one would be refused by every later command
    if (rest.split('/').some((id) => Number(id) > 65535)) throw fail(`link <${l.uri}> has an id above 65535`);
    objectList.push(rest);
    if (typeof l.params.ver === 'string') versions[rest.split('/')[1]!] = l.params.ver;
  }
  return { objectList, rootPath, contentFormats, versions };
}
