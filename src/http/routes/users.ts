/**
 * Users of the password file (`auth.password_file`): GET, POST (add or change password) and DELETE under
 * /api/v5/authentication/password_file/users. Writes go through the same atomic editor as `protohub passwd`;
 * the broker picks changes up on the next CONNECT. Hashes are never returned.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parsePasswordFile } from '../../auth/password-file.js';
import { removeUser, upsertUser } from '../../auth/password-file-write.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, notFound } from '../errors.js';
import type { Route } from '../router.js';

const BASE = '/api/v5/authentication/password_file/users';

function file(deps: ApiDeps): string {
  const f = deps.config.auth.password_file;
  if (!f) throw new ApiError(409, 'PH_HTTP_NOT_CONFIGURED', 'auth.password_file is not configured');
  return f;
}

async function users(deps: ApiDeps): Promise<string[]> {
  const path = file(deps);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return [...parsePasswordFile(text, path).keys()];
}

const userSchema = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();

export const userRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: BASE,
    handler: async ({ deps }) =>
      (await users(deps)).map((u) => ({ username: u, is_admin: deps.config.http.admins.includes(u) })),
  },
  {
    method: 'POST',
    path: BASE,
    handler: async (ctx) => {
      const body = await ctx.body(userSchema);
      const outcome = await upsertUser(file(ctx.deps), body.username, body.password);
      ctx.status = outcome === 'added' ? 201 : 200;
      ctx.deps.logger.info({ username: body.username, outcome, by: ctx.principal }, 'password file user set');
      return { username: body.username, is_admin: ctx.deps.config.http.admins.includes(body.username) };
    },
  },
  {
    method: 'DELETE',
    path: `${BASE}/{username}`,
    handler: async ({ deps, params, principal }) => {
      if (!(await removeUser(file(deps), params.username))) throw notFound(`user ${params.username}`);
      deps.logger.info({ username: params.username, by: principal }, 'password file user deleted');
      return undefined;
    },
  },
];
