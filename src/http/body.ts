/**
 * Request bodies: JSON only (a cross-site HTML form cannot send `application/json` without a CORS preflight,
 * which this server never grants), at most `http.max_body` bytes, validated by a zod schema whose first issue
 * names the offending field.
 */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { ApiError } from './errors.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // stop reading at the limit: a client that lies about (or omits) Content-Length cannot make us buffer more
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(max: number): ApiError {
  return new ApiError(413, 'PH_HTTP_BODY_TOO_LARGE', `request body exceeds ${max} bytes (http.max_body)`);
}

/** Parse and validate a JSON body; 415 for another media type, 400 for bad JSON or a bad field. */
export async function readJson<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  maxBytes: number,
): Promise<z.output<S>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json')
    throw new ApiError(415, 'PH_HTTP_MEDIA_TYPE', 'request body must be application/json');
  const raw = await readBody(req, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'PH_HTTP_BAD_JSON', `request body is not valid JSON: ${(err as Error).message}`);
  }
  return parseWith(schema, value, 'body');
}

/** Validate a value; the error names the first bad field as `where.path.to.field`. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where, ...issue.path.map(String)].join('.');
  throw new ApiError(400, 'PH_HTTP_BAD_REQUEST', `${field}: ${issue.message}`);
}
