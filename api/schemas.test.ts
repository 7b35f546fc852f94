// Property tests of the request validators (api/schemas.ts) and of the id, host and token rules
// they build on (gitops/naming.ts, lib/token-admin.ts). They prove:
//   - branchSchema never accepts a name that `git check-ref-format --branch` refuses, and
//     accepts (like git) ordinary names made of [A-Za-z0-9_-] segments;
//   - commitShaSchema accepts exactly 40 lowercase hex characters;
//   - repoUrlSchema accepts https and ssh URLs, and refuses credentials, whitespace and control
//     characters, a leading "-", other schemes, local repositories unless allowed, and ".."
//     segments in local paths; its refusals say "repository URL";
//   - portSchema accepts the integers 1..65535 and nothing else;
//   - hostnameSchema and the id schemas accept only what their rule says (checked directly,
//     not with the schemas' own regexes) and accept every generated valid value;
//   - the body schemas are strict (unknown keys give `unrecognized_keys`) and apply defaults;
//   - listQuerySchema coerces and bounds `limit` and wants a UUID cursor;
//   - no schema throws on arbitrary input, and every refusal carries non-empty messages.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { hostnameSchema, projectNameSchema, userIdSchema, workspaceIdSchema } from '../gitops/naming.js';
import { TOKEN_ROLES, tokenNameSchema, tokenRoleSchema, workspaceIdSchema as tokenWorkspaceIdSchema } from '../lib/token-admin.js';
import {
  autoDeploySchema,
  branchSchema,
  commitShaSchema,
  createDeploymentSchema,
  createProjectSchema,
  idParamSchema,
  listQuerySchema,
  portSchema,
  repoUrlSchema,
  rollbackSchema,
} from './schemas.js';

const RUNS = 1000;
/** Each run of a git property may spawn one `git` process: keep these modest. */
const GIT_RUNS = 300;

// ---------------------------------------------------------------------------------------------
// git as the oracle for branch names. It runs in an empty directory that is not (and cannot
// find) a repository, so git checks the name as given (no @{-1} expansion, no repo config).

const gitDir = mkdtempSync(join(tmpdir(), 'schemas-test-'));
afterAll(() => rmSync(gitDir, { recursive: true, force: true }));
const gitEnv: NodeJS.ProcessEnv = { ...process.env, GIT_CEILING_DIRECTORIES: dirname(gitDir), LC_ALL: 'C' };
delete gitEnv.GIT_DIR;
delete gitEnv.GIT_WORK_TREE;

/** True when `git check-ref-format --branch <name>` accepts the name (argument array, no shell). */
function gitAcceptsBranch(name: string): boolean {
  const result = spawnSync('git', ['check-ref-format', '--branch', name], { cwd: gitDir, env: gitEnv, stdio: 'ignore', timeout: 10_000 });
  if (result.error) throw result.error;
  return result.status === 0;
}

// ---------------------------------------------------------------------------------------------
// Helpers and arbitraries.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const UUID_SHAPE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HOUSE_CONTROL = /[\x00-\x1f\x7f]/;

/** JSON, with the invisible characters JSON leaves alone (DEL, C1, format characters) escaped. */
function show(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).replace(
    /[\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Asserts a refusal whose issues all carry a non-empty message, one of them matching `message`. */
function expectRejected(result: z.ZodSafeParseResult<unknown>, message?: RegExp): void {
  expect(result.success, `accepted ${show(result.data)}`).toBe(false);
  const issues = result.error?.issues ?? [];
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  if (message) expect(issues.map((issue) => issue.message).join(' | ')).toMatch(message);
}

/** `s` with `insert` placed strictly inside it (never first or last). */
function insertInside(s: fc.Arbitrary<string>, insert: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(s, insert, fc.nat())
    .filter(([text]) => text.length >= 2)
    .map(([text, extra, at]) => {
      const i = 1 + (at % (text.length - 1));
      return text.slice(0, i) + extra + text.slice(i);
    });
}

/**
 * A valid DNS-1123 label of 1..max characters (house style, see gitops/naming.test.ts), half the
 * time drawn at size "max" so labels near the length limit come up too.
 */
function label(max: number): fc.Arbitrary<string> {
  if (max === 1) return fc.stringMatching(/^[a-z0-9]$/);
  const regex = new RegExp(`^[a-z0-9]([-a-z0-9]{0,${max - 2}}[a-z0-9])?$`);
  return fc.oneof(fc.stringMatching(regex), fc.stringMatching(regex, { size: 'max' }));
}
const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
/** UUIDs of the versions zod's uuid() accepts (RFC 9562 versions 1..8). */
const uuid = fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] });
const controlChar = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
/** Characters JavaScript (and so String#trim and /\s/) counts as white space. */
const whitespaceChar = fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff');
/** Strings of every kind: binary (lone surrogates included), unicode graphemes and ASCII. */
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ maxLength: 40 }));

/** A lowercase DNS name of 2..4 labels, at most 253 characters, whose last label (the top-level
 *  domain) starts with a letter, so it is never an IP address. */
const hostName = fc
  .array(label(63), { minLength: 2, maxLength: 4 })
  .map((labels) => labels.join('.'))
  .filter((host) => host.length <= 253 && /^[a-z]/.test(host.split('.').pop()!));
/** A short host such as a forge's, for URLs. */
const forgeHost = fc.array(label(12), { minLength: 2, maxLength: 3 }).map((labels) => labels.join('.'));
const pathSegment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}$/).filter((segment) => segment !== '..');
const ownerRepo = fc.tuple(pathSegment, pathSegment, fc.boolean()).map(([owner, repo, dotGit]) => `${owner}/${repo}${dotGit ? '.git' : ''}`);
const port = fc.integer({ min: 1, max: 65535 });

const httpsUrl = fc
  .tuple(forgeHost, fc.option(port, { nil: undefined }), ownerRepo)
  .map(([host, p, path]) => `https://${host}${p === undefined ? '' : `:${p}`}/${path}`);
const scpUrl = fc.tuple(fc.constantFrom('git', 'deploy', 'gitea_1'), forgeHost, ownerRepo).map(([user, host, path]) => `${user}@${host}:${path}`);
const sshUrl = fc
  .tuple(forgeHost, fc.option(port, { nil: undefined }), ownerRepo)
  .map(([host, p, path]) => `ssh://git@${host}${p === undefined ? '' : `:${p}`}/${path}`);
const remoteUrl = fc.oneof(httpsUrl, scpUrl, sshUrl);
const absolutePath = fc.array(pathSegment, { minLength: 1, maxLength: 5 }).map((segments) => `/${segments.join('/')}`);
const localUrl = fc.oneof(
  absolutePath,
  absolutePath.map((path) => `file://${path}`),
);

/** A branch name by the brief's recipe: [A-Za-z0-9_-] segments joined by "/", no leading "-". */
const validBranch = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 4 })
  .map((segments) => segments.join('/'))
  // "HEAD" fits the recipe but git refuses refs/heads/HEAD: the git property below covers it.
  .filter((name) => !name.startsWith('-') && name !== 'HEAD');

/** Names git treats specially, and the pieces its rules are about. */
const SPECIAL_BRANCHES = [
  'HEAD',
  '@',
  '-',
  '.',
  '..',
  '/',
  '.lock',
  'a.lock',
  'refs/heads/HEAD',
  'FETCH_HEAD',
  'a/HEAD',
  '@{-1}',
  'a@{u}',
  'foo@',
  '@foo',
  'a/.b',
  'a./b',
  'a.lock/b',
  '.a',
];
const specialBranch = fc.constantFrom(...SPECIAL_BRANCHES);
const branchPiece = fc.oneof(
  fc.constantFrom(
    '..',
    '@{',
    '@',
    '.lock',
    '/',
    '//',
    '-',
    '.',
    ' ',
    '~',
    '^',
    ':',
    '?',
    '*',
    '[',
    '\\',
    '{',
    '}',
    '\x7f',
    'HEAD',
    'refs/heads/',
    'é',
    '\u00a0',
    '\u{1f600}',
  ),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/),
  controlChar,
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
);
const messyBranch = fc.oneof(
  { arbitrary: fc.array(branchPiece, { minLength: 1, maxLength: 6 }).map((pieces) => pieces.join('')), weight: 4 },
  { arbitrary: specialBranch, weight: 2 },
  { arbitrary: validBranch, weight: 1 },
  { arbitrary: anyString, weight: 1 },
);

/** Keys an object schema does not know; includes the ones JavaScript objects treat specially. */
function unknownKey(known: readonly string[]): fc.Arbitrary<string> {
  return fc
    .oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'id', 'extra'))
    .filter((key) => !known.includes(key));
}

/** Any value at all: nested objects, null prototypes, Maps, Sets, Dates, typed arrays, bigints… */
const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

// ---------------------------------------------------------------------------------------------

describe('branchSchema', () => {
  it('whatever it accepts, `git check-ref-format --branch` accepts too', () => {
    fc.assert(
      fc.property(messyBranch, (name) => {
        if (!branchSchema.safeParse(name).success) return;
        expect(gitAcceptsBranch(name), `git refuses the branch name ${show(name)}`).toBe(true);
      }),
      // The special names are always tried, on top of the generated ones.
      { numRuns: GIT_RUNS, examples: SPECIAL_BRANCHES.map((name) => [name]) },
    );
  });

  it('accepts valid branch names, and so does git', () => {
    fc.assert(
      fc.property(validBranch, (name) => {
        expect(branchSchema.safeParse(name)).toEqual({ success: true, data: name });
        expect(gitAcceptsBranch(name)).toBe(true);
      }),
      { numRuns: GIT_RUNS },
    );
  });

  it('refuses each forbidden piece wherever it appears in a valid name', () => {
    const forbidden = fc.oneof(fc.constantFrom('..', '@{', '//', ' ', '~', '^', ':', '?', '*', '[', '\\', '\x7f', '/.', '.lock/'), controlChar);
    fc.assert(
      fc.property(insertInside(validBranch, forbidden), (name) => expectRejected(branchSchema.safeParse(name), /git branch name/)),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(validBranch, fc.constantFrom('-', '/', '.'), fc.constantFrom('/', '.', '.lock'), (name, before, after) => {
        expectRejected(branchSchema.safeParse(before + name));
        expectRejected(branchSchema.safeParse(name + after));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('commitShaSchema', () => {
  const isLowerHex40 = (s: string) => s.length === 40 && [...s].every((c) => '0123456789abcdef'.includes(c));

  it('accepts every 40-character lowercase hex string', () => {
    fc.assert(
      fc.property(hex(40), (sha) => {
        expect(commitShaSchema.safeParse(sha)).toEqual({ success: true, data: sha });
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses near misses: an upper-case digit, 39 or 41 characters, a non-hex character, a newline', () => {
    const withLetter = hex(40).filter((sha) => /[a-f]/.test(sha));
    const upper = fc.tuple(withLetter, fc.nat()).map(([sha, n]) => {
      const letters = [...sha].flatMap((c, i) => (/[a-f]/.test(c) ? [i] : []));
      const i = letters[n % letters.length]!;
      return sha.slice(0, i) + sha[i]!.toUpperCase() + sha.slice(i + 1);
    });
    const nonHex = fc
      .tuple(
        hex(40),
        fc.nat(39),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !/^[0-9a-f]$/.test(c)),
      )
      .map(([sha, i, c]) => sha.slice(0, i) + c + sha.slice(i + 1));
    const nearMiss = fc.oneof(
      upper,
      hex(39),
      hex(41),
      nonHex,
      hex(40).map((sha) => `${sha}\n`),
      hex(40).map((sha) => ` ${sha}`),
    );
    fc.assert(
      fc.property(nearMiss, (bad) => expectRejected(commitShaSchema.safeParse(bad), /40-character lowercase hex/)),
      { numRuns: RUNS },
    );
  });

  it('accepts exactly the 40-character lowercase hex strings', () => {
    fc.assert(
      fc.property(fc.oneof(hex(40), anyString, fc.stringMatching(/^[0-9a-fA-F]{38,42}$/)), (s) => {
        expect(commitShaSchema.safeParse(s).success).toBe(isLowerHex40(s));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('repoUrlSchema', () => {
  const both = [false, true] as const;

  it('accepts https, scp-like ssh and ssh:// URLs, with or without local repositories allowed', () => {
    fc.assert(
      fc.property(remoteUrl, fc.constantFrom(...both), (url, allowLocal) => {
        expect(repoUrlSchema(allowLocal).safeParse(url)).toEqual({ success: true, data: url });
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts absolute paths and file:// URLs only when local repositories are allowed', () => {
    fc.assert(
      fc.property(localUrl, (url) => {
        expect(repoUrlSchema(true).safeParse(url)).toEqual({ success: true, data: url });
        expectRejected(repoUrlSchema(false).safeParse(url), /repository URL/);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses credentials in https URLs', () => {
    const user = fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=-]{0,20}$/);
    const password = fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:-]{0,20}$/);
    fc.assert(
      fc.property(user, password, forgeHost, ownerRepo, fc.constantFrom(...both), (u, p, host, path, allowLocal) => {
        expectRejected(repoUrlSchema(allowLocal).safeParse(`https://${u}:${p}@${host}/${path}`), /repository URL/);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses white space and C0 control characters inside a URL', () => {
    fc.assert(
      fc.property(insertInside(fc.oneof(remoteUrl, localUrl), fc.oneof(whitespaceChar, controlChar)), fc.constantFrom(...both), (url, allowLocal) => {
        expectRejected(repoUrlSchema(allowLocal).safeParse(url), /repository URL/);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses DEL (\\x7f), a control character, inside a URL', () => {
    fc.assert(
      fc.property(insertInside(fc.oneof(remoteUrl, localUrl), fc.constant('\x7f')), fc.constantFrom(...both), (url, allowLocal) => {
        expectRejected(repoUrlSchema(allowLocal).safeParse(url), /repository URL/);
      }),
      { numRuns: RUNS },
    );
  });

  it('trims surrounding white space (the value it returns has none)', () => {
    fc.assert(
      fc.property(fc.array(whitespaceChar, { maxLength: 3 }), remoteUrl, fc.array(whitespaceChar, { maxLength: 3 }), (before, url, after) => {
        expect(repoUrlSchema(false).safeParse(before.join('') + url + after.join(''))).toEqual({ success: true, data: url });
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a leading "-" (even after white space)', () => {
    fc.assert(
      fc.property(
        fc.oneof(remoteUrl, localUrl, fc.constant('oProxyCommand=x@host:path')),
        fc.array(whitespaceChar, { maxLength: 2 }),
        fc.constantFrom(...both),
        (url, space, allowLocal) => {
          expectRejected(repoUrlSchema(allowLocal).safeParse(`${space.join('')}-${url}`), /repository URL/);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses ".." segments in local paths and file:// URLs', () => {
    const withDotDot = fc
      .tuple(fc.array(pathSegment, { maxLength: 4 }), fc.array(pathSegment, { maxLength: 4 }), fc.boolean())
      .map(([before, after, file]) => `${file ? 'file://' : ''}/${[...before, '..', ...after].join('/')}`);
    fc.assert(
      fc.property(withDotDot, (url) => expectRejected(repoUrlSchema(true).safeParse(url), /repository URL/)),
      { numRuns: RUNS },
    );
  });

  it('refuses percent-encoded ".." segments in file:// URLs (git decodes them)', () => {
    const encodedDotDot = fc
      .tuple(fc.array(pathSegment, { maxLength: 4 }), fc.constantFrom('%2e%2e', '%2E%2E', '.%2e', '%2e.', '%2E.'), fc.array(pathSegment, { maxLength: 4 }))
      .map(([before, dots, after]) => `file:///${[...before, dots, ...after].join('/')}`);
    fc.assert(
      fc.property(encodedDotDot, (url) => expectRejected(repoUrlSchema(true).safeParse(url), /repository URL/)),
      { numRuns: RUNS },
    );
  });

  it('refuses other schemes and transports', () => {
    const scheme = fc.constantFrom('http', 'HTTPS', 'git', 'ftp', 'ftps', 'rsync', 'git+ssh', 'javascript', 'data', 'ext:', 'fd:');
    const other = fc.oneof(
      fc.tuple(scheme, fc.option(fc.constant('git@'), { nil: '' }), forgeHost, ownerRepo).map(([s, user, host, path]) => `${s}://${user}${host}/${path}`),
      fc.tuple(scheme, ownerRepo).map(([s, path]) => `${s}:${path}`),
      fc.constantFrom('javascript:alert(1)', 'ext::sh', 'fd::17', 'file:relative/repo', 'relative/path', './repo', '../repo', 'C:\\repo'),
    );
    fc.assert(
      fc.property(other, fc.constantFrom(...both), (url, allowLocal) => {
        expectRejected(repoUrlSchema(allowLocal).safeParse(url), /repository URL/);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('portSchema', () => {
  it('accepts the integers 1..65535', () => {
    fc.assert(
      fc.property(port, (p) => {
        expect(portSchema.safeParse(p)).toEqual({ success: true, data: p });
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses 0, negatives, > 65535, non-integers, NaN, infinities and numeric strings', () => {
    const bad = fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: 65536 }),
      fc.double({ min: 1, max: 65535, noNaN: true }).filter((x) => !Number.isInteger(x)),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0.5, 65535.5, 2 ** 53),
      port.map(String),
      port.map((p) => BigInt(p)),
      fc.constantFrom(null, undefined, true, '80', ''),
    );
    fc.assert(
      fc.property(bad, (value) => expectRejected(portSchema.safeParse(value))),
      { numRuns: RUNS },
    );
  });

  it('a number is accepted exactly when it is an integer from 1 to 65535', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer({ min: -10, max: 70_000 })), (x) => {
        expect(portSchema.safeParse(x).success).toBe(Number.isInteger(x) && x >= 1 && x <= 65535);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('hostnameSchema', () => {
  /** The rule, checked character by character (not with the schema's regex). */
  function isLowercaseDnsName(host: string): boolean {
    if (host.length > 253 || host !== host.toLowerCase()) return false;
    const labels = host.split('.');
    return (
      labels.length >= 2 &&
      labels[labels.length - 1]![0]! >= 'a' &&
      labels[labels.length - 1]![0]! <= 'z' &&
      labels.every(
        (l) =>
          l.length >= 1 &&
          l.length <= 63 &&
          [...l].every((c) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-') &&
          !l.startsWith('-') &&
          !l.endsWith('-'),
      )
    );
  }
  const piece = fc.oneof(
    label(63),
    label(5),
    fc.constantFrom('', '*', '-a', 'a-', '_a', 'A', 'xn--bcher-kva', 'é', 'a'.repeat(64), '127', '0'),
    fc.string({ unit: 'binary', maxLength: 5 }),
  );
  const messyHost = fc.oneof(
    fc.array(piece, { minLength: 1, maxLength: 6 }).map((labels) => labels.join('.')),
    hostName,
    anyString,
  );

  it('whatever it accepts is lowercase, <= 253 characters, >= 2 labels of DNS-1123 labels <= 63', () => {
    fc.assert(
      fc.property(messyHost, (host) => {
        if (hostnameSchema.safeParse(host).success) expect(isLowercaseDnsName(host), show(host)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every generated lowercase DNS name of two or more labels', () => {
    fc.assert(
      fc.property(hostName, (host) => {
        expect(hostnameSchema.safeParse(host)).toEqual({ success: true, data: host });
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts exactly 253 characters, refuses 254', () => {
    const at253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(at253).toHaveLength(253);
    expect(hostnameSchema.safeParse(at253).success).toBe(true);
    expectRejected(hostnameSchema.safeParse(`${at253.slice(0, -1)}dd`), /253/);
  });

  it('refuses wildcards, upper case, a trailing dot, single labels, IP addresses and empty labels', () => {
    const withLetter = hostName.filter((host) => /[a-z]/.test(host));
    const upper = fc.tuple(withLetter, fc.nat()).map(([host, n]) => {
      const letters = [...host].flatMap((c, i) => (/[a-z]/.test(c) ? [i] : []));
      const i = letters[n % letters.length]!;
      return host.slice(0, i) + host[i]!.toUpperCase() + host.slice(i + 1);
    });
    const emptyLabel = fc.tuple(fc.array(label(10), { minLength: 1, maxLength: 3 }), fc.nat()).map(([labels, n]) => {
      const copy = [...labels];
      copy.splice(n % (labels.length + 1), 0, '');
      return copy.join('.');
    });
    const bad = fc.oneof(
      hostName.map((host) => `*.${host}`),
      upper,
      hostName.map((host) => `${host}.`),
      label(63),
      fc.nat().map(String),
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join('.')),
      emptyLabel,
    );
    fc.assert(
      fc.property(bad, (host) => expectRejected(hostnameSchema.safeParse(host))),
      { numRuns: RUNS },
    );
  });
});

describe.each([
  { what: 'workspace id', schema: workspaceIdSchema, max: 20 },
  { what: 'user id', schema: userIdSchema, max: 20 },
  { what: 'project name', schema: projectNameSchema, max: 21 },
])('$what schema (DNS-1123 label, at most $max)', ({ what, schema, max }) => {
  const messy = fc.oneof(anyString, label(63), fc.constantFrom('', '-', 'a-', '-a', 'A', 'a_b', 'a.b', 'alicé', 'ａlice', 'a\n'));

  it('whatever it accepts is a DNS-1123 label within the limit', () => {
    fc.assert(
      fc.property(messy, (id) => {
        const result = schema.safeParse(id);
        if (result.success) {
          expect(id).toMatch(DNS_LABEL);
          expect(id.length).toBeLessThanOrEqual(max);
        } else expectRejected(result, new RegExp(what));
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every valid label within the limit and refuses longer ones', () => {
    fc.assert(
      fc.property(label(max), (id) => {
        expect(schema.safeParse(id)).toEqual({ success: true, data: id });
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        label(63).filter((id) => id.length > max),
        (id) => expectRejected(schema.safeParse(id), new RegExp(`at most ${max}`)),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('token-admin schemas', () => {
  it('tokenNameSchema: accepted names come out trimmed, 1..100 characters, without control characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyString,
          fc.string({ unit: 'grapheme', maxLength: 120 }),
          fc.tuple(fc.array(whitespaceChar), fc.string()).map(([ws, s]) => ws.join('') + s + ws.join('')),
        ),
        (name) => {
          const result = tokenNameSchema.safeParse(name);
          if (!result.success) return expectRejected(result);
          expect(result.data).toBe(name.trim());
          expect(result.data.length).toBeGreaterThanOrEqual(1);
          expect(result.data.length).toBeLessThanOrEqual(100);
          expect(result.data).not.toMatch(HOUSE_CONTROL);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('tokenNameSchema: accepts printable names and refuses control characters inside them', () => {
    const printable = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,98}[A-Za-z0-9]$/);
    fc.assert(
      fc.property(printable, (name) => {
        expect(tokenNameSchema.safeParse(name)).toEqual({ success: true, data: name });
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        insertInside(
          printable,
          fc.oneof(
            controlChar.filter((c) => !/\s/.test(c)),
            fc.constantFrom('\x7f', '\n', '\t'),
          ),
        ),
        (name) => {
          expectRejected(tokenNameSchema.safeParse(name), /control characters/);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('tokenRoleSchema: accepts exactly viewer, deployer and admin', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...TOKEN_ROLES, 'Admin', 'admin ', 'owner', ''), anyString), (role) => {
        const result = tokenRoleSchema.safeParse(role);
        expect(result.success).toBe((TOKEN_ROLES as readonly string[]).includes(role));
        if (!result.success) expectRejected(result, /viewer, deployer, admin/);
      }),
      { numRuns: RUNS },
    );
  });

  it('its workspace id rule agrees with gitops/naming', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, label(25)), (id) => {
        expect(tokenWorkspaceIdSchema.safeParse(id).success).toBe(workspaceIdSchema.safeParse(id).success);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Object schemas.

const validProject = fc.record(
  {
    name: label(21),
    userId: label(20),
    repoUrl: remoteUrl,
    branch: validBranch,
    appPort: port,
    customDomain: hostName,
    autoDeploy: fc.boolean(),
  },
  { requiredKeys: ['name', 'userId', 'repoUrl', 'appPort'] },
);
const validDeployment = fc.record({ branch: validBranch, commitSha: hex(40) }, { requiredKeys: [] });
const validRollback = fc.record({ toDeploymentId: uuid }, { requiredKeys: [] });
const validAutoDeploy = fc.record({ enabled: fc.boolean() });

/** Each strict body schema with a generator of valid bodies and its keys. */
const strictSchemas = [
  {
    name: 'createProjectSchema(false)',
    schema: createProjectSchema(false) as z.ZodType,
    valid: validProject as fc.Arbitrary<object>,
    keys: ['name', 'userId', 'repoUrl', 'branch', 'appPort', 'customDomain', 'autoDeploy'],
  },
  {
    name: 'createProjectSchema(true)',
    schema: createProjectSchema(true) as z.ZodType,
    valid: validProject as fc.Arbitrary<object>,
    keys: ['name', 'userId', 'repoUrl', 'branch', 'appPort', 'customDomain', 'autoDeploy'],
  },
  {
    name: 'createDeploymentSchema',
    schema: createDeploymentSchema as z.ZodType,
    valid: validDeployment as fc.Arbitrary<object>,
    keys: ['branch', 'commitSha'],
  },
  { name: 'rollbackSchema', schema: rollbackSchema as z.ZodType, valid: validRollback as fc.Arbitrary<object>, keys: ['toDeploymentId'] },
  { name: 'autoDeploySchema', schema: autoDeploySchema as z.ZodType, valid: validAutoDeploy as fc.Arbitrary<object>, keys: ['enabled'] },
];

describe.each(strictSchemas)('$name (strict body)', ({ schema, valid, keys }) => {
  it('accepts valid bodies', () => {
    fc.assert(
      fc.property(valid, (body) => {
        expect(schema.safeParse(body).success).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses any extra key with an unrecognized_keys issue naming it', () => {
    fc.assert(
      fc.property(valid, unknownKey(keys), fc.jsonValue(), (body, key, value) => {
        const result = schema.safeParse({ ...body, [key]: value });
        expectRejected(result);
        expect(result.error!.issues).toHaveLength(1);
        expect(result.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: [key], path: [] });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('createProjectSchema', () => {
  it('defaults branch to "main" and autoDeploy to true, and keeps given values', () => {
    fc.assert(
      fc.property(validProject, fc.boolean(), (body, allowLocal) => {
        const result = createProjectSchema(allowLocal).safeParse(body);
        expect(result.success).toBe(true);
        expect(result.data).toEqual({ ...body, branch: body.branch ?? 'main', autoDeploy: body.autoDeploy ?? true });
      }),
      { numRuns: RUNS },
    );
  });

  it('names the bad field in the issue path', () => {
    const field = fc.constantFrom(
      ['name', 'Shop'],
      ['userId', '-x'],
      ['repoUrl', 'http://x.y/a/b'],
      ['branch', 'a..b'],
      ['appPort', 0],
      ['customDomain', 'localhost'],
      ['autoDeploy', 'yes'],
    );
    fc.assert(
      fc.property(validProject, field, (body, [key, bad]) => {
        const result = createProjectSchema(false).safeParse({ ...body, [key as string]: bad });
        expectRejected(result);
        expect(result.error!.issues.map((issue) => issue.path[0])).toEqual([key]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('listQuerySchema', () => {
  it('reads limit strings "1".."100" as numbers, and defaults to 20', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), (n) => {
        expect(listQuerySchema.safeParse({ limit: String(n) })).toEqual({ success: true, data: { limit: n } });
      }),
      { numRuns: RUNS },
    );
    expect(listQuerySchema.parse({})).toEqual({ limit: 20 });
  });

  it('refuses 0, 101, "abc", "1.5" and every other limit outside 1..100 or not an integer', () => {
    const bad = fc.oneof(
      fc.constantFrom('0', '101', 'abc', '1.5', 0, 101, 5, '-1', '', '1,5', 'NaN', 'Infinity', '1e2', '0x10', ' 5', '5 ', true),
      fc.integer({ max: 0 }).map(String),
      fc.integer({ min: 101 }).map(String),
      fc
        .double({ min: 1, max: 100, noNaN: true })
        .filter((x) => !Number.isInteger(x))
        .map(String),
    );
    fc.assert(
      fc.property(bad, (limit) => expectRejected(listQuerySchema.safeParse({ limit }), /from 1 to 100|number/)),
      { numRuns: RUNS },
    );
  });

  it('cursor: accepts UUIDs, refuses anything else', () => {
    fc.assert(
      fc.property(uuid, (cursor) => {
        expect(listQuerySchema.safeParse({ cursor })).toEqual({ success: true, data: { limit: 20, cursor } });
      }),
      { numRuns: RUNS },
    );
    const notUuid = fc.oneof(
      anyString.filter((s) => !UUID_SHAPE.test(s)),
      uuid.map((u) => u.slice(1)),
      uuid.map((u) => `${u}0`),
      uuid.map((u) => u.replace(/-/g, '')),
      uuid.map((u) => `g${u.slice(1)}`),
    );
    fc.assert(
      fc.property(notUuid, (cursor) => expectRejected(listQuerySchema.safeParse({ cursor }), /cursor/)),
      { numRuns: RUNS },
    );
  });

  it('whatever it accepts has an integer limit in 1..100 and a UUID-shaped cursor or none', () => {
    const query = fc.record(
      { limit: fc.oneof(anyString, fc.integer({ min: -5, max: 105 }).map(String), fc.double()), cursor: fc.oneof(uuid, anyString) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(query, (q) => {
        const result = listQuerySchema.safeParse(q);
        if (!result.success) return expectRejected(result);
        expect(Number.isInteger(result.data.limit) && result.data.limit >= 1 && result.data.limit <= 100).toBe(true);
        if (result.data.cursor !== undefined) expect(result.data.cursor).toMatch(UUID_SHAPE);
      }),
      { numRuns: RUNS },
    );
  });

  it('is not strict: unknown query parameters are dropped, not refused', () => {
    fc.assert(
      fc.property(unknownKey(['limit', 'cursor']), fc.string(), (key, value) => {
        expect(listQuerySchema.safeParse({ [key]: value })).toEqual({ success: true, data: { limit: 20 } });
      }),
      { numRuns: 300 },
    );
  });
});

describe('idParamSchema', () => {
  it('accepts UUIDs; whatever it accepts is UUID-shaped', () => {
    fc.assert(
      fc.property(uuid, (id) => {
        expect(idParamSchema.safeParse(id)).toEqual({ success: true, data: id });
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          anyString,
          uuid.map((u) => u.slice(0, -1)),
          uuid.map((u) => u.toUpperCase()),
          fc.constantFrom('00000000-0000-0000-0000-000000000000', '../etc/passwd'),
        ),
        (id) => {
          const result = idParamSchema.safeParse(id);
          if (result.success) expect(id).toMatch(UUID_SHAPE);
          else expectRejected(result, /UUID/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('every schema on arbitrary input', () => {
  const all: { name: string; schema: z.ZodType; keys: readonly string[] }[] = [
    { name: 'branchSchema', schema: branchSchema, keys: [] },
    { name: 'commitShaSchema', schema: commitShaSchema, keys: [] },
    { name: 'repoUrlSchema(false)', schema: repoUrlSchema(false), keys: [] },
    { name: 'repoUrlSchema(true)', schema: repoUrlSchema(true), keys: [] },
    { name: 'portSchema', schema: portSchema, keys: [] },
    { name: 'hostnameSchema', schema: hostnameSchema, keys: [] },
    { name: 'workspaceIdSchema', schema: workspaceIdSchema, keys: [] },
    { name: 'userIdSchema', schema: userIdSchema, keys: [] },
    { name: 'projectNameSchema', schema: projectNameSchema, keys: [] },
    { name: 'tokenNameSchema', schema: tokenNameSchema, keys: [] },
    { name: 'tokenRoleSchema', schema: tokenRoleSchema, keys: [] },
    { name: 'idParamSchema', schema: idParamSchema, keys: [] },
    { name: 'listQuerySchema', schema: listQuerySchema, keys: ['limit', 'cursor'] },
    ...strictSchemas,
  ];

  it.each(all)('$name: safeParse never throws, and every refusal has issues with messages', ({ schema, keys }) => {
    // Objects with the schema's own keys holding anything reach the field validators (and coercion).
    const withKeys = keys.length ? fc.dictionary(fc.constantFrom(...keys), anything, { maxKeys: keys.length }) : anything;
    fc.assert(
      fc.property(fc.oneof(anything, withKeys), (input) => {
        const result = schema.safeParse(input);
        if (!result.success) expectRejected(result);
      }),
      { numRuns: 500 },
    );
  });
});
