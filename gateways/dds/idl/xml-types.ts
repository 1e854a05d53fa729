/**
 * TypeModel → RTI XML type definitions (the `<types>` element of an RTI XML application file, as the
 * Connector reads it; RTI "XML-Based Application Creation", type representation). Declaration order is kept,
 * modules are reopened as needed, every struct/union names its extensibility explicitly so both vendors agree.
 */
import { IdlError } from './errors.js';
import type { Decl, Extensibility, Member, TypeModel, TypeRef } from './model.js';

export interface XmlTypesOptions {
  /** Extensibility of types without an annotation; Cyclone DDS 0.10 and ROS 2 treat them as final. */
  defaultExtensibility: Extensibility;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function toXmlTypes(model: TypeModel, options: XmlTypesOptions): string {
  const lines: string[] = [];
  let open: string[] = [];
  for (const decl of model.decls.values()) {
    if (decl.kind === 'const') continue; // constants are already folded into bounds and dimensions
    const path = decl.name.split('::');
    const local = path.pop() ?? '';
    let common = 0;
    while (common < open.length && common < path.length && open[common] === path[common]) common++;
    for (let i = open.length; i > common; i--) lines.push(`${'  '.repeat(i)}</module>`);
    for (let i = common; i < path.length; i++) lines.push(`${'  '.repeat(i + 1)}<module name="${xmlEscape(path[i])}">`);
    open = path;
    const indent = '  '.repeat(path.length + 1);
    lines.push(...declXml(decl, local, options).map((l) => indent + l));
  }
  for (let i = open.length; i > 0; i--) lines.push(`${'  '.repeat(i)}</module>`);
  return ['<types>', ...lines, '</types>'].join('\n');
}

function declXml(decl: Exclude<Decl, { kind: 'const' }>, local: string, options: XmlTypesOptions): string[] {
  const name = xmlEscape(local);
  switch (decl.kind) {
    case 'struct': {
      const base = decl.base ? ` baseType="${xmlEscape(decl.base)}"` : '';
      const ext = decl.extensibility ?? options.defaultExtensibility;
      return [
        `<struct name="${name}"${base} extensibility="${ext}">`,
        ...decl.members.map((m) => `  <member${memberAttrs(m)}/>`),
        '</struct>',
      ];
    }
    case 'union': {
      const ext = decl.extensibility ?? options.defaultExtensibility;
      const out = [
        `<union name="${name}" extensibility="${ext}">`,
        `  <discriminator${typeAttrs(decl.discriminator, decl.at)}/>`,
      ];
      for (const c of decl.cases) {
        out.push('  <case>');
        for (const l of c.labels) out.push(`    <caseDiscriminator value="${xmlEscape(String(l))}"/>`);
        if (c.isDefault) out.push('    <caseDiscriminator value="default"/>');
        out.push(`    <member${memberAttrs(c.member)}/>`, '  </case>');
      }
      out.push('</union>');
      return out;
    }
    case 'enum':
      return [
        `<enum name="${name}">`,
        ...decl.enumerators.map((e) => `  <enumerator name="${xmlEscape(e.name)}" value="${e.value}"/>`),
        '</enum>',
      ];
    case 'typedef':
      return [`<typedef name="${name}"${typeAttrs(decl.type, decl.at)}${dimsAttr(decl.dims)}/>`];
  }
}

function memberAttrs(m: Member): string {
  let attrs = ` name="${xmlEscape(m.name)}"${typeAttrs(m.type, m.at)}${dimsAttr(m.dims)}`;
  if (m.key) attrs += ' key="true"';
  if (m.optional) attrs += ' optional="true"';
  return attrs;
}

function dimsAttr(dims: readonly number[]): string {
  return dims.length > 0 ? ` arrayDimensions="${dims.join(',')}"` : '';
}

function typeAttrs(type: TypeRef, at: Member['at']): string {
  if (type.kind === 'sequence') {
    if (type.element.kind === 'sequence') {
      throw new IdlError(at, 'a sequence of an anonymous sequence cannot be expressed in XML types: use a typedef');
    }
    return `${typeAttrs(type.element, at)} sequenceMaxLength="${type.bound ?? -1}"`;
  }
  if (type.kind === 'string')
    return ` type="${type.wide ? 'wstring' : 'string'}" stringMaxLength="${type.bound ?? -1}"`;
  if (type.kind === 'named') return ` type="nonBasic" nonBasicTypeName="${xmlEscape(type.name)}"`;
  return ` type="${type.name}"`;
}
