/**
 * Static files of the dashboard: the path check (pure) and the file server over real HTTP with raw request
 * paths (fetch would normalise `..` away before sending), against a root that has a secret file next to it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { DASHBOARD_ROOT, StaticFiles, staticPath } from '../../src/http/static.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

function statusOf(path: string): number | string {
  try {
    return staticPath(path);
  } catch (err) {
    if (err instanceof ApiError) return err.status;
    throw err;
  }
}

describe('staticPath', () => {
  it('maps / to index.html and plain paths to themselves', () => {
    expect(staticPath('/')).toBe('index.html');
    expect(staticPath('/app.js')).toBe('app.js');
    expect(staticPath('/pages/clients.js')).toBe('pages/clients.js');
    expect(staticPath('/pages%2Fclients.js')).toBe('pages/clients.js');
  });

  it.each([
    ['/../package.json', 400],
    ['/%2e%2e/package.json', 400],
    ['/%2E%2E%2Fpackage.json', 400],
    ['/pages/../../package.json', 400],
    ['/..%2f..%2fetc/passwd', 400],
    ['/..%5cpackage.json', 400],
    ['/%5c..%5c..%5cpackage.json', 400],
    ['/a\\b.js', 400],
    ['/app.js%00.png', 400],
    ['/%zz', 400],
    ['/./app.js', 400],
    ['//etc/passwd', 404],
    ['/.env', 404],
    ['/pages/.hidden.js', 404],
    ['/app.js;x', 404],
    ['/a b.js', 404],
  ])('refuses %s with %i', (path, status) => {
    expect(statusOf(path)).toBe(status);
  });

  it('never yields a path that leaves the root, whatever the input', () => {
    const root = resolve('/srv/dash');
    const segment = fc.constantFrom('..', '.', '%2e%2e', '%2E.', '%5c', '\\', '%2f', 'a', 'b.js', '', '%00', '%');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(segment, { maxLength: 6 }).map((s) => '/' + s.join('/')),
        ),
        (p) => {
          const r = statusOf(p);
          if (typeof r === 'number') {
            expect([400, 404]).toContain(r);
            return;
          }
          const full = resolve(root, r);
          expect(full.startsWith(root + sep)).toBe(true);
          expect(r.split('/')).not.toContain('..');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('StaticFiles over HTTP', () => {
  let server: Server;
  let port: number;
  let files: StaticFiles;

  beforeAll(async () => {
    const dir = tempDir();
    const root = join(dir, 'dashboard');
    mkdirSync(join(root, 'pages'), { recursive: true });
    writeFileSync(join(dir, 'secret.json'), '{"secret":true}');
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>' + 'x'.repeat(2000));
    writeFileSync(join(root, 'pages', 'a.js'), 'export default 1;\n');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    writeFileSync(join(root, 'notes.txt'), 'not a served type');
    files = new StaticFiles(root);
    server = createServer((req, res) => {
      try {
        files.serve(req, res, (req.url ?? '/').split('?')[0]);
      } catch (err) {
        res.writeHead(err instanceof ApiError ? err.status : 500).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    removeTempDirs();
  });

  /** A GET with the path sent exactly as written. */
  function get(path: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', fail);
      req.end();
    });
  }

  it('lists only files of known types, hidden files excluded', () => {
    expect(files.size).toBe(2);
  });

  it('serves files with their content type, an ETag, 304 on revalidation and gzip when asked', async () => {
    const js = await get('/pages/a.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('no-cache');
    expect(js.headers['content-security-policy']).toContain("default-src 'self'");
    expect(js.body.toString()).toBe('export default 1;\n');
    const etag = String(js.headers.etag);
    expect((await get('/pages/a.js', { 'if-none-match': etag })).status).toBe(304);
    expect((await get('/pages/a.js', { 'if-none-match': '"other"' })).status).toBe(200);
    const index = await get('/', { 'accept-encoding': 'gzip, br' });
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-encoding']).toBe('gzip');
    expect(Number(index.headers['content-length'])).toBeLessThan(200);
    expect(gunzipSync(index.body).toString()).toMatch(/^<!doctype html>/);
  });

  it.each([
    '/../secret.json',
    '/%2e%2e/secret.json',
    '/%2e%2e%2fsecret.json',
    '/..%5csecret.json',
    '/pages/..%2f..%2fsecret.json',
    '/.env',
    '/notes.txt',
    '/%2fetc%2fpasswd',
    '//etc/passwd',
    '/pages',
    '/missing.js',
  ])('answers %s with 400 or 404 and never the file', async (path) => {
    const res = await get(path);
    expect([400, 404]).toContain(res.status);
    expect(res.body.toString()).not.toContain('secret');
    expect(res.body.toString()).not.toContain('SECRET');
  });

  it('finds the shipped dashboard next to the module', () => {
    const shipped = new StaticFiles(DASHBOARD_ROOT);
    expect(shipped.size).toBeGreaterThan(5);
  });
});
