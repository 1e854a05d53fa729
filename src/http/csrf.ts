/**
 * CSRF protection for state-changing requests (POST, PUT, DELETE). A browser always sends `Origin` on those
 * (and `Sec-Fetch-Site`), so: a request whose Origin is neither the API's own (`Host`) nor listed in
 * `http.allowed_origins` is refused; so is one marked cross-site. A request authenticated by the login cookie
 * must also prove it came from a page (Origin or Sec-Fetch-Site present): the cookie is the one credential a
 * browser attaches by itself. Non-browser clients (ctl, curl) send neither header and use Basic/Bearer.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function checkCsrf(req: IncomingMessage, allowedOrigins: readonly string[], viaCookie: boolean): void {
  if (SAFE.has(req.method ?? 'GET')) return;
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site') throw refused('cross-site request');
  if (origin !== undefined) {
    const own = [`http://${req.headers.host}`, `https://${req.headers.host}`];
    if (!own.includes(origin) && !allowedOrigins.includes(origin)) throw refused(`origin ${origin} is not allowed`);
    return;
  }
  if (viaCookie && site !== 'same-origin') throw refused('cookie-authenticated request without Origin');
}

function refused(why: string): ApiError {
  return new ApiError(403, 'PH_HTTP_CSRF', `state-changing request refused: ${why} (see http.allowed_origins)`);
}
