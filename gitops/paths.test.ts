import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, lstatSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitOpsPathError, emptyDirInside, joinInside, joinSafe, pathSegments, resolveInside, safeRelativePath, writeFileInside } from './paths.js';

describe('pathSegments (text checks)', () => {
  it('accepts generated chart paths', () => {
    expect(pathSegments('apps/ws1/alice/shop/Chart.yaml')).toEqual(['apps', 'ws1', 'alice', 'shop', 'Chart.yaml']);
    expect(safeRelativePath('apps/ws1/alice/shop/templates/hpa.yaml')).toBe('apps/ws1/alice/shop/templates/hpa.yaml');
    expect(joinSafe('apps/ws1/alice/shop', 'templates/deployment.yaml')).toBe('apps/ws1/alice/shop/templates/deployment.yaml');
  });

  it.each([
    ['empty', ''],
    ['absolute', '/etc/passwd'],
    ['parent', '../x'],
    ['parent inside', 'apps/../../x'],
    ['current dir', 'apps/./x'],
    ['leading ./', './apps'],
    ['double slash', 'apps//x'],
    ['trailing slash', 'apps/'],
    ['backslash', 'apps\\..\\x'],
    ['windows drive', 'C:\\x'],
    ['NUL', 'apps/x\0.yaml'],
    ['percent-encoded dots', '%2e%2e/x'],
    ['percent-encoded slash', 'apps%2f..%2fx'],
    ['U+2215 division slash', 'apps\u2215..\u2215x'],
    ['U+FF0E fullwidth full stop', '\uFF0E\uFF0E/x'],
    ['U+2024 one dot leader', '\u2024\u2024/x'],
    ['U+FF0F fullwidth solidus', 'apps\uFF0Fx'],
    ['U+2044 fraction slash', 'apps\u2044x'],
    ['combining dot', 'a\u0307'],
    ['space', 'apps/x y'],
    ['newline', 'apps/x\n'],
    ['.git', '.git/config'],
    ['nested .git', 'apps/.git/hooks/pre-commit'],
    ['hidden file', 'apps/.env'],
    ['triple dot', 'apps/.../x'],
    ['too long', `${'a/'.repeat(600)}a`],
  ])('refuses %s', (_what, bad) => {
    expect(() => pathSegments(bad)).toThrow(GitOpsPathError);
    expect(() => joinInside('/root', bad)).toThrow(GitOpsPathError);
    try {
      pathSegments(bad);
    } catch (error) {
      expect((error as GitOpsPathError).transient).toBe(false);
      expect((error as GitOpsPathError).name).toBe('GitOpsPathError');
    }
  });

  it('names the forbidden character in the message', () => {
    expect(() => pathSegments('apps\u2215x')).toThrow(/U\+2215/);
  });

  it('property: whatever it accepts resolves strictly inside the root', () => {
    const root = path.resolve('/srv/checkout');
    const pieces = fc.oneof(
      fc.constantFrom('..', '.', '', '/', '\\', '%2e', '\u2215', '\uFF0E', '\u2024', 'a', 'B.yaml', '-x', '_'),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(pieces, { minLength: 1, maxLength: 8 }), fc.constantFrom('/', '', '\\'), (parts, sep) => {
        const candidate = parts.join(sep);
        let abs: string;
        try {
          abs = joinInside(root, candidate);
        } catch (error) {
          expect(error).toBeInstanceOf(GitOpsPathError);
          return;
        }
        expect(abs.startsWith(root + path.sep)).toBe(true);
        const rel = path.relative(root, abs);
        expect(rel.split(path.sep)).not.toContain('..');
        expect(rel).toBe(candidate);
        expect(candidate).toMatch(/^[A-Za-z0-9._/-]+$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('file system checks', () => {
  let root: string;
  let outside: string;
  beforeEach(() => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'gitops-paths-'));
    root = path.join(base, 'checkout');
    outside = path.join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
  });
  afterEach(() => rmSync(path.dirname(root), { recursive: true, force: true }));

  it('writes files and creates directories inside the root', async () => {
    const abs = await writeFileInside(root, 'apps/ws1/alice/shop/values.yaml', 'a: 1\n');
    expect(abs).toBe(path.join(root, 'apps/ws1/alice/shop/values.yaml'));
    expect(readFileSync(abs, 'utf8')).toBe('a: 1\n');
    await writeFileInside(root, 'apps/ws1/alice/shop/values.yaml', 'a: 2\n');
    expect(readFileSync(abs, 'utf8')).toBe('a: 2\n');
  });

  it('refuses to write through a symlinked directory anywhere on the way', async () => {
    mkdirSync(path.join(root, 'apps'));
    symlinkSync(outside, path.join(root, 'apps', 'ws1'));
    await expect(writeFileInside(root, 'apps/ws1/alice/shop/values.yaml', 'x')).rejects.toThrow(GitOpsPathError);
    await expect(resolveInside(root, 'apps/ws1')).rejects.toThrow(/symbolic link/);
    await expect(emptyDirInside(root, 'apps/ws1/alice')).rejects.toThrow(GitOpsPathError);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a symlinked root-level directory and a dangling link', async () => {
    symlinkSync(outside, path.join(root, 'apps'));
    await expect(writeFileInside(root, 'apps/x.yaml', 'x')).rejects.toThrow(GitOpsPathError);
    symlinkSync(path.join(outside, 'missing'), path.join(root, 'dangling'));
    await expect(writeFileInside(root, 'dangling/x.yaml', 'x')).rejects.toThrow(GitOpsPathError);
    await expect(writeFileInside(root, 'dangling', 'x')).rejects.toThrow(GitOpsPathError);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses to write through a symlinked file (O_NOFOLLOW)', async () => {
    const target = path.join(outside, 'secret.txt');
    writeFileSync(target, 'original');
    mkdirSync(path.join(root, 'apps'));
    symlinkSync(target, path.join(root, 'apps', 'values.yaml'));
    await expect(writeFileInside(root, 'apps/values.yaml', 'overwritten')).rejects.toThrow(GitOpsPathError);
    expect(readFileSync(target, 'utf8')).toBe('original');
  });

  it('refuses to descend through a regular file', async () => {
    writeFileSync(path.join(root, 'apps'), 'file');
    await expect(writeFileInside(root, 'apps/x.yaml', 'x')).rejects.toThrow(/through a file|not a directory/);
  });

  it('emptyDirInside removes links inside the directory without following them', async () => {
    const target = path.join(outside, 'keep.txt');
    writeFileSync(target, 'keep');
    mkdirSync(path.join(root, 'apps', 'shop', 'templates'), { recursive: true });
    writeFileSync(path.join(root, 'apps', 'shop', 'old.yaml'), 'old');
    symlinkSync(target, path.join(root, 'apps', 'shop', 'link.yaml'));
    symlinkSync(outside, path.join(root, 'apps', 'shop', 'dirlink'));
    await emptyDirInside(root, 'apps/shop');
    expect(readdirSync(path.join(root, 'apps', 'shop'))).toEqual([]);
    expect(readFileSync(target, 'utf8')).toBe('keep');
    expect(existsSync(outside)).toBe(true);
    expect(lstatSync(path.join(root, 'apps', 'shop')).isDirectory()).toBe(true);
  });
});
