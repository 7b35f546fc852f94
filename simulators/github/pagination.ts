// `page` / `per_page` (default 30, at most 100) with GitHub's `Link` header.
import type { Context } from 'hono';

export function paginate<T>(c: Context, items: T[]): T[] {
  const perPage = Math.min(100, Math.max(1, Number.parseInt(c.req.query('per_page') ?? '30', 10) || 30));
  const page = Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const url = new URL(c.req.url);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(p));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  if (links.length > 0) c.header('link', links.join(', '));
  return items.slice((page - 1) * perPage, page * perPage);
}
