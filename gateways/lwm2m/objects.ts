/**
 * LwM2M object definitions from OMA object XML files (the LWM2M.xsd schema of the OMNA registry): ids, names,
 * operations, instance multiplicity and resource types. Shipped core + IPSO definitions live in ./objects/;
 * `object_dirs` adds more (a later file replaces an earlier one with the same ObjectID). Unknown objects keep
 * working with untyped values. Parsing is synchronous and done by start(), never by a constructor.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { Lwm2mError } from './errors.js';
import { RESOURCE_TYPES, type ResourceType, type TypeResolver } from './values.js';

export type Operations = '' | 'R' | 'W' | 'RW' | 'E';

export interface ResourceDefinition {
  readonly id: number;
  readonly name: string;
  readonly operations: Operations;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly type: ResourceType;
  readonly units: string;
}

export interface ObjectDefinition {
  readonly id: number;
  readonly name: string;
  readonly version: string;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly resources: ReadonlyMap<number, ResourceDefinition>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false, // keep "1.0" and "" as text; numbers are converted where the schema says so
  isArray: (name) => name === 'Object' || name === 'Item',
  processEntities: true,
});

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'object' && '#text' in v) return String((v as Record<string, unknown>)['#text']).trim();
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function id(v: unknown, what: string, file: string): number {
  const t = text(v);
  if (!/^\d{1,5}$/.test(t) || Number(t) > 65535)
    throw new Lwm2mError('PH_LWM2M_OBJECT_XML', `${file}: ${what} "${t}" is not an id 0..65535`);
  return Number(t);
}

/** Parses one XML document (may hold several <Object> elements). `file` names it in errors. */
export function parseObjectXml(xml: string, file = '<xml>'): ObjectDefinition[] {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (err) {
    throw new Lwm2mError('PH_LWM2M_OBJECT_XML', `${file}: not well-formed XML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const root = doc.LWM2M as { Object?: Array<Record<string, unknown>> } | undefined;
  if (!root?.Object?.length) throw new Lwm2mError('PH_LWM2M_OBJECT_XML', `${file}: no <LWM2M><Object> element`);
  return root.Object.map((o) => {
    const objectId = id(o.ObjectID, 'ObjectID', file);
    const items = ((o.Resources as { Item?: Array<Record<string, unknown>> } | undefined)?.Item ?? []).map(
      (it): ResourceDefinition => {
        const rid = id(it['@ID'], `object ${objectId} resource ID`, file);
        const rawType = text(it.Type);
        const type = (rawType === '' ? 'None' : rawType) as ResourceType;
        if (!RESOURCE_TYPES.includes(type))
          throw new Lwm2mError(
            'PH_LWM2M_OBJECT_XML',
            `${file}: resource ${objectId}/${rid} has unknown type "${rawType}"`,
          );
        const ops = text(it.Operations).toUpperCase();
        if (!['', 'R', 'W', 'RW', 'E'].includes(ops))
          throw new Lwm2mError('PH_LWM2M_OBJECT_XML', `${file}: resource ${objectId}/${rid} has operations "${ops}"`);
        return {
          id: rid,
          name: text(it.Name),
          operations: ops as Operations,
          multiple: text(it.MultipleInstances) === 'Multiple',
          mandatory: text(it.Mandatory) === 'Mandatory',
          type,
          units: text(it.Units),
        };
      },
    );
    return {
      id: objectId,
      name: text(o.Name),
      version: text(o.ObjectVersion) || '1.0',
      multiple: text(o.MultipleInstances) === 'Multiple',
      mandatory: text(o.Mandatory) === 'Mandatory',
      resources: new Map(items.map((r) => [r.id, r])),
    };
  });
}

/** The directory of the definitions shipped with protohub (source tree or next to dist/). */
export function shippedObjectsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'objects'), join(here, '..', '..', '..', 'gateways', 'lwm2m', 'objects')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

export class ObjectRegistry {
  private readonly objects = new Map<number, ObjectDefinition>();

  add(def: ObjectDefinition): void {
    this.objects.set(def.id, def);
  }

  /** Loads every *.xml file of a directory, in name order. */
  loadDir(dir: string): void {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((n) => n.toLowerCase().endsWith('.xml'))
        .sort();
    } catch (err) {
      throw new Lwm2mError('PH_LWM2M_OBJECT_XML', `cannot read object directory ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    for (const n of names) {
      const file = join(dir, n);
      for (const def of parseObjectXml(readFileSync(file, 'utf8'), file)) this.add(def);
    }
  }

  get(objectId: number): ObjectDefinition | undefined {
    return this.objects.get(objectId);
  }

  resource(objectId: number, resourceId: number): ResourceDefinition | undefined {
    return this.objects.get(objectId)?.resources.get(resourceId);
  }

  get size(): number {
    return this.objects.size;
  }

  readonly typeOf: TypeResolver = (objectId, resourceId) => this.resource(objectId, resourceId)?.type;

  /** The shipped definitions plus the configured directories (later ones win). */
  static load(dirs: readonly string[] = [], shipped = true): ObjectRegistry {
    const reg = new ObjectRegistry();
    if (shipped) reg.loadDir(shippedObjectsDir());
    for (const d of dirs) reg.loadDir(d);
    return reg;
  }
}
