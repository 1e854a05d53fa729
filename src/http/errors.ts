/**
 * HTTP API errors: `{code, message}` bodies with a PH_* code (docs/errors.md) and the HTTP status that goes
 * with it. Route handlers throw ApiError; the router turns it (and any other HubError) into the response.
 */
import { HubError } from '../errors.js';

export class ApiError extends HubError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export const notFound = (what: string) => new ApiError(404, 'PH_HTTP_NOT_FOUND', `${what} not found`);
export const badRequest = (message: string) => new ApiError(400, 'PH_HTTP_BAD_REQUEST', message);
export const unavailable = (what: string) =>
  new ApiError(503, 'PH_HTTP_UNAVAILABLE', `${what} is not available (not configured or not started)`);

/** HTTP status for a HubError thrown by the hub itself (topic errors are the caller's fault, state errors not). */
export function statusOf(err: HubError): number {
  if (err instanceof ApiError) return err.status;
  if (
    err.code === 'PH_TOPIC_INVALID' ||
    err.code.startsWith('PH_AUTH_USERNAME') ||
    err.code === 'PH_AUTH_PASSWORD_EMPTY'
  )
    return 400;
  if (err.code.startsWith('PH_STATE_')) return 409;
  return 500;
}
