/**
 * Loads an instance's types at start-up, no build step: IDL files parsed by the hub (one compilation, so a file
 * included twice is read once) and RTI XML files whose `<types>` content is taken as written. Gives the
 * `<types>` element for the Connector, the IDL model (for checking downlink samples) and each type's key fields.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../../src/gateway/index.js';
import { allMembers, type TypeModel } from './idl/model.js';
import { parseIdl } from './idl/parser.js';
import type { SourceHost } from './idl/lexer.js';
import { toXmlTypes } from './idl/xml-types.js';
import type { DdsConfig } from './schema.js';

export interface LoadedTypes {
  readonly typesXml: string;
  readonly model?: TypeModel;
  /** Key member names of a struct type, in declaration order ([] for a keyless type). */
  keysOf(type: string): string[] | undefined;
}

const ENTRY = '<idl files>';

export function fileHost(includeDirs: readonly string[]): SourceHost {
  return {
    readFile: (path) => readFileSync(path, 'utf8'),
    resolve: (name, from) => {
      if (isAbsolute(name)) return existsSync(name) ? name : undefined;
      const dirs = from === ENTRY ? [process.cwd()] : [dirname(from), ...includeDirs];
      for (const d of dirs) {
        const p = resolve(join(d, name));
        if (existsSync(p)) return p;
      }
      return undefined;
    },
  };
}

/** `idlFiles`/`xmlFiles` are already resolved paths. Throws ConfigError (IdlError: PH_DDS_IDL) on bad input. */
export function loadTypes(
  config: DdsConfig['types'],
  idlFiles: readonly string[],
  xmlFiles: readonly string[],
  host: SourceHost = fileHost(config.include_dirs),
): LoadedTypes {
  let model: TypeModel | undefined;
  const parts: string[] = [];
  if (idlFiles.length > 0) {
    const entryText = idlFiles.map((f) => `#include "${f}"`).join('\n');
    const entryHost: SourceHost = {
      readFile: (p) => (p === ENTRY ? entryText : host.readFile(p)),
      resolve: (n, from) => host.resolve(n, from),
    };
    model = parseIdl(ENTRY, entryHost);
    const xml = toXmlTypes(model, { defaultExtensibility: config.default_extensibility });
    parts.push(xml.slice('<types>'.length, -'</types>'.length));
  }
  const xmlKeys = new Map<string, string[]>();
  for (const file of xmlFiles) {
    let text: string;
    try {
      text = host.readFile(file);
    } catch (err) {
      throw new ConfigError('PH_DDS_TYPES', `${file}: cannot read: ${(err as Error).message}`);
    }
    const m = /<types[^>]*>([\s\S]*?)<\/types>/.exec(text);
    if (!m) throw new ConfigError('PH_DDS_TYPES', `${file}:1: no <types> element`);
    parts.push(m[1]);
    for (const [name, keys] of xmlStructKeys(m[1])) xmlKeys.set(name, keys);
  }
  return {
    typesXml: `<types>${parts.join('\n')}</types>`,
    model,
    keysOf: (type) => {
      const decl = model?.decls.get(type);
      if (decl?.kind === 'struct' && model)
        return allMembers(model, decl)
          .filter((m) => m.key)
          .map((m) => m.name);
      return xmlKeys.get(type) ?? xmlKeys.get(type.split('::').pop() ?? type);
    },
  };
}

/** Key members of each XML `<struct>` by local name (XML types are used as written, so this is best effort). */
function xmlStructKeys(xml: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of xml.matchAll(/<struct\s[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/struct>/g)) {
    const keys = [...s[2].matchAll(/<member\s[^>]*>/g)]
      .filter((m) => /\bkey="(true|1)"/.test(m[0]))
      .map((m) => /\bname="([^"]+)"/.exec(m[0])?.[1] ?? '');
    out.set(s[1], keys);
  }
  return out;
}
