// Reading the stored build log from any byte offset: whole chunks after it, and the tail of the
// chunk it falls in (cut at the byte, never inside a UTF-8 character's bytes).
import type { Db } from '../../lib/db.js';

export interface LogPiece {
  offset: number;
  text: string;
}

export async function readLogFrom(db: Db, deploymentId: string, from: number, limit = 200): Promise<LogPiece[]> {
  const at = BigInt(Math.max(0, from));
  const [containing, after] = await Promise.all([
    db.buildLogChunk.findFirst({ where: { deploymentId, offset: { lte: at } }, orderBy: { offset: 'desc' } }),
    db.buildLogChunk.findMany({ where: { deploymentId, offset: { gt: at } }, orderBy: { offset: 'asc' }, take: limit }),
  ]);
  const rows = containing ? [containing, ...after] : after;
  const pieces: LogPiece[] = [];
  for (const row of rows) {
    const start = Number(row.offset);
    const end = start + row.length;
    if (end <= from) continue;
    if (start >= from) {
      pieces.push({ offset: start, text: row.text });
    } else {
      const bytes = Buffer.from(row.text, 'utf8');
      let cut = from - start;
      while (cut < bytes.length && (bytes[cut]! & 0xc0) === 0x80) cut += 1; // not inside a character
      pieces.push({ offset: start + cut, text: bytes.subarray(cut).toString('utf8') });
    }
  }
  return pieces;
}

/** Byte length of the stored log so far. */
export async function storedLogSize(db: Db, deploymentId: string): Promise<number> {
  const last = await db.buildLogChunk.findFirst({ where: { deploymentId }, orderBy: { offset: 'desc' } });
  return last ? Number(last.offset) + last.length : 0;
}
