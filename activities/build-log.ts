// The build log as stored chunks in PostgreSQL: cleaned of Jenkins console notes and ANSI
// codes, secrets masked, each chunk at its byte offset in the stored log. The stored rows are
// the resume point: a retried build activity continues exactly where the last chunk ended.
import type { Db } from '../lib/db.js';
import { stripConsoleNotes } from '../clients/jenkins.js';
import { publishEvent } from '../lib/events.js';

/** ANSI escape sequences (colours, cursor moves) that a plain-text viewer would show as noise. */
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

export function cleanLogText(raw: string, mask: (text: string) => string): string {
  return mask(stripConsoleNotes(raw).replace(ANSI, '').replace(/\r\n/g, '\n'));
}

export interface ResumePoint {
  /** Bytes of the stored (cleaned) log so far: the offset of the next chunk. */
  storedEnd: number;
  /** Jenkins progressiveText offset to read from next. */
  rawEnd: number;
}

export async function logResumePoint(db: Db, deploymentId: string): Promise<ResumePoint> {
  const last = await db.buildLogChunk.findFirst({ where: { deploymentId }, orderBy: { offset: 'desc' } });
  return last ? { storedEnd: Number(last.offset) + last.length, rawEnd: Number(last.rawEnd) } : { storedEnd: 0, rawEnd: 0 };
}

/**
 * Stores one chunk at `offset`. The primary key (deploymentId, offset) makes a replayed append
 * a no-op, so two attempts can never store the same bytes twice.
 */
export async function appendLogChunk(db: Db, deploymentId: string, offset: number, text: string, rawEnd: number): Promise<number> {
  const length = Buffer.byteLength(text, 'utf8');
  if (length === 0) return offset;
  await db.buildLogChunk.createMany({ data: [{ deploymentId, offset: BigInt(offset), length, text, rawEnd: BigInt(rawEnd) }], skipDuplicates: true });
  await publishEvent(db, { type: 'log', deploymentId, end: offset + length });
  return offset + length;
}
