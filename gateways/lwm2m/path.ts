/**
 * LwM2M paths (TS 1.1 Core §6.1 / §7.4: /Object/Instance/Resource/ResourceInstance), parsed from and printed to the
 * "/3/0/1" text form that both the CoAP Uri-Path and the EMQX JSON commands use.
 */
import { Lwm2mError } from './errors.js';

export interface Lwm2mPath {
  readonly objectId: number;
  readonly instanceId?: number;
  readonly resourceId?: number;
  readonly resourceInstanceId?: number;
}

const MAX_ID = 65535;

/** "/3/0/1" or "3/0/1" → path; the root "/" is not a path here. Ids are 0..65535 (TS 1.1 Core §7.1). */
export function parsePath(text: string): Lwm2mPath {
  const trimmed = text.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  if (parts.length < 1 || parts.length > 4) throw new Lwm2mError('PH_LWM2M_PATH', `invalid LwM2M path "${text}"`);
  const ids = parts.map((p) => {
    if (!/^\d{1,5}$/.test(p) || Number(p) > MAX_ID)
      throw new Lwm2mError('PH_LWM2M_PATH', `invalid LwM2M path "${text}"`);
    return Number(p);
  });
  return fromIds(ids);
}

export function fromIds(ids: readonly number[]): Lwm2mPath {
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
  if (objectId === undefined) throw new Lwm2mError('PH_LWM2M_PATH', 'empty LwM2M path');
  return { objectId, instanceId, resourceId, resourceInstanceId };
}

export function pathIds(path: Lwm2mPath): number[] {
  const ids = [path.objectId];
  if (path.instanceId !== undefined) ids.push(path.instanceId);
  if (path.instanceId !== undefined && path.resourceId !== undefined) ids.push(path.resourceId);
  if (path.resourceId !== undefined && path.resourceInstanceId !== undefined) ids.push(path.resourceInstanceId);
  return ids;
}

export function formatPath(path: Lwm2mPath): string {
  return '/' + pathIds(path).join('/');
}

/** Path segments for the CoAP Uri-Path options of a request to the device. */
export function pathSegments(path: Lwm2mPath): string[] {
  return pathIds(path).map(String);
}
