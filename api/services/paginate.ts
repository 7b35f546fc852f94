// Keyset pages for every listing (?limit=&cursor=): the cursor is the id of the last item of the
// page before, and one row past the page is read to tell whether another page follows.
import type { z } from 'zod';
import type { listQuerySchema } from '../schemas.js';

export type PageQuery = z.output<typeof listQuerySchema>;

/** What `findMany` needs for the page; the caller adds its own where, order and include. */
export interface PageArgs {
  take: number;
  cursor?: { id: string };
  skip?: number;
}

/** A page of items: `nextCursor` is the id to pass as `cursor` for the next page, or null. */
export async function paginate<T extends { id: string }>({ limit, cursor }: PageQuery, find: (args: PageArgs) => Promise<T[]>) {
  const rows = await find({ take: limit + 1, ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}) });
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}
