/**
 * How `protohub ctl` reaches a hub: the API address from --url, PROTOHUB_API_URL or the config file's
 * `http.bind`; the API key (`key:secret`) from --key or PROTOHUB_API_KEY. Errors print as `CODE: message`.
 */
import { HubError } from '../errors.js';

export class CtlError extends HubError {}

export interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<unknown>;
}

export function apiClient(url: string, key: string | undefined, timeoutMs = 10_000): ApiClient {
  const base = url.replace(/\/+$/, '');
  return {
    async request(method, path, body) {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Basic ${Buffer.from(key).toString('base64')}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(base + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        throw new CtlError('PH_CTL_CONNECT', `cannot reach ${base}: ${why}`, { cause: err });
      }
      const text = await res.text();
      const json: unknown = text ? JSON.parse(text) : undefined;
      if (!res.ok) {
        const e = json as { code?: string; message?: string } | undefined;
        throw new CtlError(e?.code ?? 'PH_CTL_HTTP', e?.message ?? `HTTP ${res.status}`);
      }
      return json;
    },
  };
}

/** `http://host:port` of a bind; a wildcard host is reached on loopback. */
export function urlOfBind(bind: { host: string; port: number }): string {
  const host = bind.host === '0.0.0.0' || bind.host === '::' || bind.host === '' ? '127.0.0.1' : bind.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bind.port}`;
}
