/**
 * API access: POST /api/v5/login (public; dashboard login with a password-file admin → session cookie and
 * token), POST /api/v5/logout, and API keys at /api/v5/api_key (list, create — the secret is shown once —,
 * delete).
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { SESSION_COOKIE } from '../auth.js';
import { notFound } from '../errors.js';
import type { Route } from '../router.js';

const loginSchema = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();
const keySchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w.-]+$/, 'letters, digits, _ . - only'),
  })
  .strict();

export const accessRoutes: Route<ApiDeps>[] = [
  {
    method: 'POST',
    path: '/api/v5/login',
    public: true,
    handler: async (ctx) => {
      const { username, password } = await ctx.body(loginSchema);
      const s = await ctx.deps.auth.login(ctx.req, username, password);
      const maxAge = Math.floor(ctx.deps.config.http.session_ttl / 1000);
      ctx.res.setHeader(
        'set-cookie',
        `${SESSION_COOKIE}=${s.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`,
      );
      ctx.deps.logger.info({ username }, 'dashboard login');
      return { username, token: s.token, expires_at: s.expires_at, version: ctx.deps.version };
    },
  },
  {
    method: 'POST',
    path: '/api/v5/logout',
    handler: (ctx) => {
      ctx.deps.auth.logout(ctx.req);
      ctx.res.setHeader('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return undefined;
    },
  },
  { method: 'GET', path: '/api/v5/api_key', handler: ({ deps }) => deps.keys.list() },
  {
    method: 'POST',
    path: '/api/v5/api_key',
    handler: async (ctx) => {
      const { name } = await ctx.body(keySchema);
      ctx.status = 201;
      ctx.deps.logger.info({ name, by: ctx.principal }, 'API key created');
      return ctx.deps.keys.create(name);
    },
  },
  {
    method: 'DELETE',
    path: '/api/v5/api_key/{key}',
    handler: ({ deps, params, principal }) => {
      if (!deps.keys.delete(params.key)) throw notFound(`API key ${params.key}`);
      deps.logger.info({ key: params.key, by: principal }, 'API key deleted');
      return undefined;
    },
  },
];
