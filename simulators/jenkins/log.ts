// A build's console log, kept as UTF-8 bytes like Jenkins' log file, and the progressive
// text API on top of it (Stapler's LargeText.doProgressText):
// - `start` is a byte offset; a start beyond the end means "text rolled over": serve from 0;
// - while the build runs only complete lines are served (up to the last CR/LF), so an offset
//   never splits a line; once complete, everything up to EOF;
// - `X-Text-Size` = the next offset (in raw bytes), `X-More-Data: true` while running;
// - the body goes through LineEndNormalizingWriter: every lone LF becomes CR+LF, so the body
//   is longer than `X-Text-Size - start`. Clients must use the header, never count bytes.
// The values of the build's password parameters are written as `****` wherever they would
// appear (what the Mask Passwords plugin or withCredentials would do on a real Jenkins): the
// log is served to anyone with Job/Read, so a secret must never reach its bytes.
// Pipeline logs carry console notes (`ESC[8mha:<base64>ESC[0m`) that progressiveText returns
// verbatim (JENKINS-76387); consoleText strips them.
import { createHash } from 'node:crypto';

export const NOTE_PREAMBLE = '\u001b[8mha:';
export const NOTE_POSTAMBLE = '\u001b[0m';
/** What a secret shows as, in the log and in PasswordParameterValue.getShortDescription. */
export const MASK = '****';

export interface ProgressiveChunk {
  /** Body bytes as Jenkins sends them (CR+LF normalized). */
  body: Buffer;
  /** Value of X-Text-Size. */
  textSize: number;
  /** X-More-Data present? */
  more: boolean;
}

export class BuildLog {
  private buffer = Buffer.alloc(4096);
  private length = 0;
  private completed = false;
  private notes = 0;
  /** Longest first, so a secret that contains another is masked whole. */
  private readonly secrets: string[];

  constructor(secrets: readonly string[] = []) {
    this.secrets = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.length;
  }

  get complete(): boolean {
    return this.completed;
  }

  /** Appends text (a trailing newline is added per line). */
  line(text = ''): void {
    this.write(`${text}\n`);
  }

  write(text: string): void {
    if (this.completed) return;
    const bytes = Buffer.from(this.masked(text), 'utf8');
    if (this.length + bytes.length > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }

  /** Per write: the simulator writes whole lines, so a secret is never split across writes. */
  private masked(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(MASK);
    return out;
  }

  /** A pipeline step line: `<console note>[Pipeline] ...`. */
  pipeline(step: string): void {
    this.line(`${this.note(step)}[Pipeline] ${step}`);
  }

  /**
   * A console note like those the pipeline plugins write (a serialized, base64 ConsoleNote
   * hidden by `ESC[8m`). The payload is deterministic per log so runs are replayable.
   */
  note(seed: string): string {
    this.notes += 1;
    const digest = createHash('sha256').update(`${this.notes}:${seed}`).digest();
    const payload = Buffer.concat([digest, digest, digest.subarray(0, 16)]).toString('base64');
    return `${NOTE_PREAMBLE}////4${payload}${NOTE_POSTAMBLE}`;
  }

  markComplete(): void {
    this.completed = true;
  }

  /** All bytes written so far. */
  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  /** What `GET .../logText/progressiveText?start=<start>` answers. */
  progressive(requestedStart: number): ProgressiveChunk {
    let start = Number.isFinite(requestedStart) && requestedStart > 0 ? Math.floor(requestedStart) : 0;
    if (start > this.length) start = 0; // text rolled over
    let end = this.length;
    if (!this.completed) {
      end = start;
      for (let i = this.length - 1; i >= start; i -= 1) {
        const b = this.buffer[i];
        if (b === 0x0a || b === 0x0d) {
          end = i + 1;
          break;
        }
      }
    }
    const text = this.buffer.subarray(start, end).toString('utf8');
    return { body: Buffer.from(normalizeLineEnds(text), 'utf8'), textSize: end, more: !this.completed };
  }

  /** What `GET .../consoleText` answers: the whole log, console notes stripped. */
  plainText(): string {
    return stripNotes(this.buffer.subarray(0, this.length).toString('utf8'));
  }
}

/** Stapler's LineEndNormalizingWriter: a LF not preceded by CR becomes CR+LF. */
export function normalizeLineEnds(text: string): string {
  let out = '';
  let from = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text[i - 1] === '\r') continue;
    out += `${text.slice(from, i)}\r\n`;
    from = i + 1;
  }
  return out + text.slice(from);
}

function stripNotes(text: string): string {
  let out = '';
  let pos = 0;
  for (;;) {
    const start = text.indexOf(NOTE_PREAMBLE, pos);
    if (start < 0) return out + text.slice(pos);
    const end = text.indexOf(NOTE_POSTAMBLE, start + NOTE_PREAMBLE.length);
    if (end < 0) return out + text.slice(pos);
    out += text.slice(pos, start);
    pos = end + NOTE_POSTAMBLE.length;
  }
}
