/**
 * Static files of the web dashboard (src/http/dashboard/, copied to dist/ by `npm run build`). Only files that
 * exist under the root when the server starts are served (a fixed allow-list built by listing the directory),
 * so a request path is looked up in a map and never joined onto the file system: `..`, encoded dots or
 * backslashes, NUL bytes and absolute paths cannot reach another file. Paths are still checked up front so a
 * traversal attempt gets a clear 400 instead of a 404. Bodies are kept in memory with a gzip copy and a strong
 * ETag; answers say `Cache-Control: no-cache`, so the browser revalidates and gets 304s.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ApiError } from './errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** Where the dashboard files are, next to this module (src/http/dashboard under tsx, dist/src/http/dashboard built). */
export const DASHBOARD_ROOT = fileURLToPath(new URL('./dashboard/', import.meta.url));

interface StaticFile {
  type: string;
  body: Buffer;
  gzip?: Buffer;
  etag: string;
}

/**
 * The dashboard-relative path a URL path names, or an ApiError: 400 for traversal or malformed encoding,
 * 404 for anything that is not a plain relative file name. `/` is `index.html`. Pure, so unit-tested.
 */
export function staticPath(urlPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    throw new ApiError(400, 'PH_HTTP_BAD_REQUEST', 'path is not valid percent-encoding');
  }
  if (decoded.includes('\0') || decoded.includes('\\'))
    throw new ApiError(400, 'PH_HTTP_BAD_REQUEST', 'path contains a NUL byte or backslash');
  const segments = decoded.split('/').slice(1);
  if (!decoded.startsWith('/') || segments.some((s) => s === '..' || s === '.'))
    throw new ApiError(400, 'PH_HTTP_BAD_REQUEST', 'path must not contain . or .. segments');
  const rel = segments.join('/');
  if (rel === '') return 'index.html';
  if (segments.some((s) => s === '' || s.startsWith('.')) || !/^[\w./-]+$/.test(rel))
    throw new ApiError(404, 'PH_HTTP_NOT_FOUND', `no file ${urlPath}`);
  return rel;
}

/** Every servable file under root, keyed by its relative path with `/` separators. */
function listFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (TYPES[extname(name)]) out.set(relative(root, full).split(sep).join('/'), full);
    }
  };
  walk(root);
  return out;
}

export class StaticFiles {
  readonly #files = new Map<string, StaticFile>();

  /** Reads every file under root once (the dashboard is ~100 KB); a missing root serves nothing. */
  constructor(root = DASHBOARD_ROOT) {
    let listed: Map<string, string>;
    try {
      listed = listFiles(resolve(root));
    } catch {
      return;
    }
    for (const [rel, full] of listed) {
      const body = readFileSync(full);
      const type = TYPES[extname(rel)];
      const compressible = !type.startsWith('image/png');
      this.#files.set(rel, {
        type,
        body,
        gzip: compressible && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      });
    }
  }

  get size(): number {
    return this.#files.size;
  }

  /** Answer a GET/HEAD; throws ApiError 400/404 for bad or unknown paths. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const file = this.#files.get(staticPath(path));
    if (!file) throw new ApiError(404, 'PH_HTTP_NOT_FOUND', `no file ${path}`);
    const headers: Record<string, string | number> = {
      'content-type': file.type,
      etag: file.etag,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      // the dashboard loads only its own scripts, styles and API: nothing from a CDN, no inline script
      'content-security-policy':
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const gzip = file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip! : file.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
