/**
 * GET /api/v5/configs: the effective configuration (defaults filled in) with secrets replaced by "******";
 * GET /api/v5/authorization/rules: the authorization rules as configured; POST /api/v5/reload: live reload.
 */
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import type { Route } from '../router.js';

const SECRET_KEY = /(secret|password|passphrase|token|private_key)$/i;

/** Deep copy with the value of every secret-looking key (not `*_file` paths) replaced. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (Buffer.isBuffer(value)) return '******';
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined ? '******' : redact(v)]),
  );
}

export const configRoutes: Route<ApiDeps>[] = [
  { method: 'GET', path: '/api/v5/configs', handler: ({ deps }) => redact(deps.config) },
  {
    method: 'GET',
    path: '/api/v5/authorization/rules',
    handler: ({ deps }) => ({
      no_match: deps.config.authorization.no_match,
      rules: deps.config.authorization.rules,
    }),
  },
  {
    method: 'POST',
    path: '/api/v5/reload',
    handler: async (ctx) => {
      const { deps, principal } = ctx;
      // deps.reload is Hub.reload(); a HubView without it (an embedding that reloads itself) answers 501
      if (!deps.reload)
        throw new ApiError(501, 'PH_HTTP_NOT_IMPLEMENTED', 'live reload is not available in this build');
      deps.logger.info({ by: principal }, 'reload requested through the HTTP API');
      const result = (await deps.reload()) as { status?: string; code?: string; errors?: string[] } | undefined;
      if (result?.status !== 'rejected') return result ?? { result: 'reloaded' };
      // an invalid config is the caller's error: 400, so `curl -f` and `protohub ctl reload` fail visibly
      ctx.status = 400;
      return { ...result, message: (result.errors ?? []).join('\n') || 'reload rejected' };
    },
  },
];
