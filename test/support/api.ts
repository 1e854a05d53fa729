/** HTTP API client for tests: every response to a documented path is validated against openapi.json. */
import { checkResponse, templateOf } from './openapi.js';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiCallOptions {
  body?: unknown;
  /** Raw body text (for malformed input); sent as is. */
  raw?: string;
  auth?: string;
  headers?: Record<string, string>;
}

export const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

export function apiCaller(base: string, defaultAuth?: string) {
  return async <T = unknown>(method: string, path: string, o: ApiCallOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...o.headers };
    const auth = o.auth ?? defaultAuth;
    if (auth) headers.authorization = auth;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as T) : (undefined as T);
    if (templateOf(path)) checkResponse(method, path, res.status, parsed);
    return { status: res.status, body: parsed, headers: res.headers };
  };
}
