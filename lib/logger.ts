// A small structured logger: one JSON line per event on stderr, levels, and redaction of
// every configured secret value so that tokens and passwords never reach a log.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Secret values to mask wherever they appear (strings shorter than 6 chars are ignored). */
  secrets?: Array<string | undefined>;
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

export function createLogger({ level = 'info', secrets = [], write = (line) => process.stderr.write(line), base = {} }: LoggerOptions = {}): Logger {
  const masker = secretMasker(secrets);
  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < order[level]) return;
    const record = { time: new Date().toISOString(), level: lvl, msg: message, ...base, ...normalize(fields) };
    write(`${masker(JSON.stringify(record))}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, secrets, write, base: { ...base, ...fields } }),
  };
}

/** Errors serialize to their name and message (never a stack in production logs at info). */
function normalize(fields?: Record<string, unknown>): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}

/** Returns a function that replaces every occurrence of each secret with `***`. */
export function secretMasker(secrets: Array<string | undefined>): (text: string) => string {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  const variants = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]);
  const pattern = new RegExp([...new Set(variants)].map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, '***');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
