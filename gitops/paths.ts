// Traversal-proof paths inside a checkout (the `securejoin` idea Kargo uses for its git steps).
//
// Generated paths are checked as text first: relative, `/`-separated, each segment made of
// ASCII letters, digits, `.`, `_` and `-` only, no segment starting with `.` (so no `.`, `..`,
// `.git`). Everything else is refused rather than decoded or normalised: `%2e%2e`, `\`, NUL,
// U+2215 DIVISION SLASH, U+FF0E FULLWIDTH FULL STOP, U+2024 ONE DOT LEADER and every other
// non-ASCII character. Upper case is allowed because Helm needs `Chart.yaml`; every id that
// goes into a path is a lowercase DNS label anyway (gitops/naming.ts).
//
// Then the file system: no component between the root and the target may be a symbolic link
// (checked with lstat, so a link committed into the repository cannot redirect a write),
// and files are opened with O_NOFOLLOW.
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** A path that must not be used. Terminal: the same input fails the same way every time. */
export class GitOpsPathError extends Error {
  override readonly name = 'GitOpsPathError';
  readonly transient = false;
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_PATH = 1024;
const MAX_SEGMENT = 255;

function show(p: string): string {
  return JSON.stringify(p);
}

/**
 * Checks a repository-relative path and returns its segments. Throws GitOpsPathError for
 * anything but `seg/seg/...` with safe ASCII segments.
 */
export function pathSegments(relativePath: string): string[] {
  if (typeof relativePath !== 'string' || relativePath.length === 0) throw new GitOpsPathError('path must be a non-empty string', String(relativePath));
  if (relativePath.length > MAX_PATH) throw new GitOpsPathError(`path is longer than ${MAX_PATH} characters`, relativePath);
  const bad = /[^A-Za-z0-9._/-]/.exec(relativePath);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new GitOpsPathError(`path ${show(relativePath)} contains a forbidden character U+${code} (allowed: A-Z a-z 0-9 . _ - /)`, relativePath);
  }
  if (relativePath.startsWith('/')) throw new GitOpsPathError(`path ${show(relativePath)} must be relative`, relativePath);
  const segments = relativePath.split('/');
  for (const segment of segments) {
    if (segment === '') throw new GitOpsPathError(`path ${show(relativePath)} has an empty segment`, relativePath);
    if (segment.length > MAX_SEGMENT) throw new GitOpsPathError(`path ${show(relativePath)} has a segment longer than ${MAX_SEGMENT}`, relativePath);
    if (!SEGMENT.test(segment)) throw new GitOpsPathError(`path ${show(relativePath)} has a segment starting with "." (${show(segment)})`, relativePath);
  }
  return segments;
}

/** Normalised form of a safe relative path (the same text, validated). */
export function safeRelativePath(relativePath: string): string {
  return pathSegments(relativePath).join('/');
}

/** Joins safe relative paths (`joinSafe('apps/a', 'templates/x.yaml')`), validating each. */
export function joinSafe(...parts: string[]): string {
  return parts.map((part) => safeRelativePath(part)).join('/');
}

/**
 * Absolute path of `relativePath` inside `root`, checked as text only. Use
 * `resolveInside` before touching the file system.
 */
export function joinInside(root: string, relativePath: string): string {
  const base = path.resolve(root);
  const target = path.join(base, ...pathSegments(relativePath));
  if (!target.startsWith(base + path.sep)) throw new GitOpsPathError(`path ${show(relativePath)} leaves the root`, relativePath);
  return target;
}

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Resolves `relativePath` inside `root` and refuses it if any existing component below the
 * root is a symbolic link (or a non-directory where a directory is needed). Components that
 * do not exist yet are fine: nothing can hide behind them. The root itself is trusted.
 */
export async function resolveInside(root: string, relativePath: string): Promise<string> {
  const segments = pathSegments(relativePath);
  let current = path.resolve(root);
  for (let i = 0; i < segments.length; i++) {
    current = path.join(current, segments[i]!);
    const stat = await lstatOrUndefined(current);
    if (!stat) break;
    if (stat.isSymbolicLink())
      throw new GitOpsPathError(`path ${show(relativePath)} goes through a symbolic link (${show(segments.slice(0, i + 1).join('/'))})`, relativePath);
    if (i < segments.length - 1 && !stat.isDirectory())
      throw new GitOpsPathError(`path ${show(relativePath)} goes through a file (${show(segments.slice(0, i + 1).join('/'))})`, relativePath);
  }
  return joinInside(root, relativePath);
}

/** Creates the directory `relativePath` inside `root`, one component at a time, never through a link. */
export async function mkdirInside(root: string, relativePath: string): Promise<string> {
  const segments = pathSegments(relativePath);
  for (let i = 1; i <= segments.length; i++) {
    const partial = segments.slice(0, i).join('/');
    const abs = await resolveInside(root, partial);
    try {
      await mkdir(abs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const stat = await lstat(abs);
    if (!stat.isDirectory()) throw new GitOpsPathError(`path ${show(partial)} exists and is not a directory`, relativePath);
  }
  return joinInside(root, relativePath);
}

/**
 * Writes a file inside `root`, creating its directories. Refuses links on the way and opens the
 * file with O_NOFOLLOW, so a link in the final component is refused too (ELOOP).
 */
export async function writeFileInside(root: string, relativePath: string, content: string): Promise<string> {
  const segments = pathSegments(relativePath);
  if (segments.length > 1) await mkdirInside(root, segments.slice(0, -1).join('/'));
  const abs = await resolveInside(root, relativePath);
  let handle;
  try {
    handle = await open(abs, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EISDIR') throw new GitOpsPathError(`path ${show(relativePath)} is not a regular file (${code})`, relativePath);
    throw error;
  }
  try {
    await handle.writeFile(content, 'utf8');
  } finally {
    await handle.close();
  }
  return abs;
}

/**
 * Removes everything inside the directory `relativePath` (the directory stays or is created).
 * Links inside it are removed as links, never followed.
 */
export async function emptyDirInside(root: string, relativePath: string): Promise<string> {
  const abs = await mkdirInside(root, relativePath);
  for (const entry of await readdir(abs)) {
    await rm(path.join(abs, entry), { recursive: true, force: true });
  }
  return abs;
}
