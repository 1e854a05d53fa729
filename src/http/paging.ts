/** EMQX-style paging: `page` (1-based) and `limit` query parameters, `meta {page, limit, count, hasnext}`. */
import { ApiError } from './errors.js';

export interface Page<T> {
  data: T[];
  meta: { page: number; limit: number; count: number; hasnext: boolean };
}

const DEFAULT_LIMIT = 100;

function intParam(query: URLSearchParams, name: string, dflt: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw new ApiError(400, 'PH_HTTP_BAD_REQUEST', `query.${name}: expected a positive integer`);
  const n = Number(raw);
  if (n < 1) throw new ApiError(400, 'PH_HTTP_BAD_REQUEST', `query.${name}: must be at least 1`);
  if (n > max) throw new ApiError(400, 'PH_HTTP_PAGE_TOO_LARGE', `query.${name}: at most ${max} (http.max_page_size)`);
  return n;
}

/** Take one page of an iterable without materialising items beyond it (the count is still exact). */
export function paginate<S, T>(
  query: URLSearchParams,
  maxPage: number,
  items: Iterable<S>,
  keep: (item: S) => boolean,
  view: (item: S) => T,
): Page<T> {
  const limit = intParam(query, 'limit', Math.min(DEFAULT_LIMIT, maxPage), maxPage);
  const page = intParam(query, 'page', 1, Number.MAX_SAFE_INTEGER);
  const from = (page - 1) * limit;
  const data: T[] = [];
  let count = 0;
  for (const item of items) {
    if (!keep(item)) continue;
    if (count >= from && count < from + limit) data.push(view(item));
    count++;
  }
  return { data, meta: { page, limit, count, hasnext: from + limit < count } };
}
