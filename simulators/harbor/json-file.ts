// A JSON document kept on disk: read once, written atomically (temp file + rename) after
// every change, so a killed dev stack never leaves half a file behind.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class JsonFile<T> {
  constructor(private readonly file: string) {}

  load(fallback: T): T {
    if (!existsSync(this.file)) return fallback;
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as T;
    } catch {
      return fallback;
    }
  }

  save(value: T): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(value));
    renameSync(temp, this.file);
  }
}
