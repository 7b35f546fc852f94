// Property tests of the repository address policy (lib/repo-address.ts, lib/address-kind.ts).
// They prove:
//   - every address in a forbidden range (checked against this file's own table, not the
//     module's) is refused in every spelling a URL parser, libcurl or getaddrinfo accepts:
//     dotted, decimal, hex, per-octet hex and octal, short forms, trailing dot, uppercase,
//     percent-encoded, IPv4-mapped / IPv4-compatible / NAT64 / 6to4 IPv6, in https, ssh:// and
//     scp-like URLs, and listing it in REPO_HOSTS does not help;
//   - ALLOW_LOOPBACK_REPOS lets loopback through, and only loopback;
//   - public addresses pass when listed (in any IPv4 spelling) and are refused when not;
//   - host matching is exact: suffixes, prefixes, userinfo and encoded dots do not match;
//   - REPO_HOSTS is read as exact, lowercase names (no wildcards); github.com by default, and
//     the GitHub integration's web host is added to it;
//   - at connect time the name is resolved once, any forbidden answer refuses it, and git gets
//     the settings that pin the connection to the first answer (https and ssh).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKind } from './address-kind.js';
import { ConfigError, loadConfig } from './config.js';
import { checkRepoUrl, pinRepoUrl, repoHostPolicy, RepoAddressRefusedError, RepoHostUnresolvedError, type RepoHostPolicy } from './repo-address.js';

const policy = (hosts: string[], extra: Partial<RepoHostPolicy> = {}): RepoHostPolicy => ({
  hosts: new Set(hosts),
  allowLoopback: false,
  allowLocal: false,
  ...extra,
});

/** The refusal's message, or undefined when the URL is accepted. */
function refusal(url: string, p: RepoHostPolicy): string | undefined {
  try {
    checkRepoUrl(url, p);
    return undefined;
  } catch (error) {
    if (error instanceof RepoAddressRefusedError) return error.message;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// IPv4 ranges that must never be reached, written out here independently of lib/address-kind.ts.

const FORBIDDEN_V4: [string, number, RegExp][] = [
  ['0.0.0.0', 8, /unspecified/],
  ['10.0.0.0', 8, /private/],
  ['100.64.0.0', 10, /carrier-grade NAT/],
  ['127.0.0.0', 8, /loopback/],
  ['169.254.0.0', 16, /link-local/],
  ['172.16.0.0', 12, /private/],
  ['192.0.0.0', 24, /reserved/],
  ['192.0.2.0', 24, /reserved/],
  ['192.168.0.0', 16, /private/],
  ['198.18.0.0', 15, /reserved/],
  ['198.51.100.0', 24, /reserved/],
  ['203.0.113.0', 24, /reserved/],
  ['224.0.0.0', 4, /multicast/],
  ['240.0.0.0', 4, /reserved|broadcast/],
];

const toInt = (dotted: string) => dotted.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const octets = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const dotted = (n: number) => octets(n).join('.');
const hex16 = (n: number) => `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
const inRange = (n: number, [base, prefix]: [string, number, RegExp]) => Math.floor(n / 2 ** (32 - prefix)) === Math.floor(toInt(base) / 2 ** (32 - prefix));
const isForbiddenV4 = (n: number) => FORBIDDEN_V4.some((r) => inRange(n, r)) || toInt('192.88.99.0') >>> 8 === n >>> 8;

const forbiddenV4 = fc
  .constantFrom(...FORBIDDEN_V4)
  .chain((range) => fc.tuple(fc.constant(range), fc.integer({ min: 0, max: 2 ** (32 - range[1]) - 1 })))
  .map(([range, host]) => ({ n: toInt(range[0]) + host, kind: range[2] }));

/** Every way to write one IPv4 address as a URL host that some parser on the path accepts. */
function v4Spellings(n: number): string[] {
  const [a, b, c, d] = octets(n) as [number, number, number, number];
  const percent = [...dotted(n)].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join('');
  return [
    dotted(n),
    String(n),
    `0x${n.toString(16)}`,
    `0X${n.toString(16).toUpperCase()}`,
    octets(n)
      .map((o) => `0x${o.toString(16)}`)
      .join('.'),
    octets(n)
      .map((o) => `0${o.toString(8)}`)
      .join('.'),
    `0${n.toString(8)}`,
    `${a}.${b}.${c * 256 + d}`,
    `${a}.${b * 65536 + c * 256 + d}`,
    `0x${a.toString(16)}.${b}.0${c.toString(8)}.${d}`,
    `${dotted(n)}.`,
    percent,
    `[::ffff:${dotted(n)}]`,
    `[::FFFF:${hex16(n).toUpperCase()}]`,
    `[0:0:0:0:0:ffff:${dotted(n)}]`,
    `[::${dotted(n)}]`,
    `[64:ff9b::${dotted(n)}]`,
    `[64:ff9b::${hex16(n)}]`,
    `[2002:${hex16(n)}::1]`,
  ];
}

/** The same host in each URL form git accepts. */
const urlsFor = (host: string) => [
  `https://${host}/acme/app.git`,
  `https://${host}:8443/acme/app`,
  `ssh://git@${host}/acme/app.git`,
  `ssh://git@${host}:2222/acme/app.git`,
  `git@${host}:acme/app.git`,
];

describe('forbidden addresses', () => {
  it('are refused in every spelling and URL form, even when listed in REPO_HOSTS', () => {
    fc.assert(
      fc.property(forbiddenV4, ({ n, kind }) => {
        const p = policy(['github.com', dotted(n)]);
        for (const spelling of v4Spellings(n)) {
          for (const url of urlsFor(spelling)) {
            const message = refusal(url, p);
            expect(message, url).toMatch(/is not allowed: it is (a|an|the) /);
            // The dotted spellings are named by the range they are in.
            if (!spelling.startsWith('[')) expect(message, url).toMatch(kind);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the examples of the brief are refused, naming the rule', () => {
    const p = policy(['github.com']);
    expect(refusal('https://169.254.169.254/latest/meta-data', p)).toBe('repository host 169.254.169.254 is not allowed: it is a link-local address');
    expect(refusal('https://127.0.0.1:54329/x', p)).toBe('repository host 127.0.0.1 is not allowed: it is a loopback address');
    expect(refusal('https://0x7f000001/x', p)).toBe('repository host 127.0.0.1 is not allowed: it is a loopback address');
    expect(refusal('https://2130706433/x', p)).toBe('repository host 127.0.0.1 is not allowed: it is a loopback address');
    expect(refusal('https://10.0.0.1/repo.git', p)).toBe('repository host 10.0.0.1 is not allowed: it is a private address');
    expect(refusal('git@127.0.0.1:x/y.git', p)).toBe('repository host 127.0.0.1 is not allowed: it is a loopback address');
    expect(refusal('https://[::1]/x', p)).toBe('repository host [::1] is not allowed: it is a loopback address');
    expect(refusal('https://0.0.0.0/x', p)).toBe('repository host 0.0.0.0 is not allowed: it is the unspecified address');
    expect(refusal('https://255.255.255.255/x', p)).toBe('repository host 255.255.255.255 is not allowed: it is the broadcast address');
    expect(refusal('https://gitlab.evil.com/x.git', p)).toBe('repository host gitlab.evil.com is not in REPO_HOSTS');
  });

  it('IPv6 ranges of the platform are refused: unspecified, loopback, unique-local, link-local, multicast, documentation, discard', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
    const rest = fc.array(group, { minLength: 7, maxLength: 7 });
    const cases = fc.oneof(
      fc.constant({ address: '::', kind: /unspecified/ }),
      fc.constant({ address: '::1', kind: /loopback/ }),
      fc.tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), rest).map(([g, r]) => ({ address: [g.toString(16), ...r].join(':'), kind: /unique-local/ })),
      fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), rest).map(([g, r]) => ({ address: [g.toString(16), ...r].join(':'), kind: /link-local/ })),
      fc.tuple(fc.integer({ min: 0xff00, max: 0xffff }), rest).map(([g, r]) => ({ address: [g.toString(16), ...r].join(':'), kind: /multicast/ })),
      rest.map((r) => ({ address: ['2001', 'db8', ...r.slice(1)].join(':'), kind: /reserved/ })),
      rest.map((r) => ({ address: ['100', '0', '0', '0', ...r.slice(3)].join(':'), kind: /reserved/ })),
    );
    fc.assert(
      fc.property(cases, fc.boolean(), ({ address, kind }, upper) => {
        const host = `[${upper ? address.toUpperCase() : address}]`;
        for (const url of urlsFor(host)) expect(refusal(url, policy(['github.com'])), url).toMatch(kind);
      }),
      { numRuns: 300 },
    );
  });

  it('ALLOW_LOOPBACK_REPOS lets loopback through, and nothing else', () => {
    const p = policy(['github.com'], { allowLoopback: true });
    fc.assert(
      fc.property(forbiddenV4, ({ n, kind }) => {
        for (const spelling of v4Spellings(n).filter((s) => !s.includes('[::') && !s.startsWith('[0:') && !s.startsWith('[2002'))) {
          const message = refusal(`https://${spelling}/acme/app.git`, p);
          if (kind.source === 'loopback') expect(message, spelling).toBeUndefined();
          else expect(message, spelling).toMatch(/is not allowed/);
        }
      }),
      { numRuns: 300 },
    );
    expect(refusal('https://[::1]:8080/x', p)).toBeUndefined();
    expect(refusal('https://[::ffff:127.0.0.1]/x', p)).toBeUndefined();
    expect(refusal('https://[fe80::1]/x', p)).toMatch(/link-local/);
  });

  it('local repositories need ALLOW_LOCAL_REPOS; other schemes are refused', () => {
    expect(refusal('/srv/repos/app.git', policy([]))).toBe('local repositories are not allowed');
    expect(refusal('file:///srv/repos/app.git', policy([]))).toBe('local repositories are not allowed');
    expect(refusal('/srv/repos/app.git', policy([], { allowLocal: true }))).toBeUndefined();
    for (const url of ['http://github.com/a/b', 'git://github.com/a/b', 'ext::sh -c evil', 'ftp://github.com/a/b', 'https://github.com/a/b c'])
      expect(refusal(url, policy(['github.com'])), url).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Public addresses and host names.

const publicV4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((n) => !isForbiddenV4(n) && n !== 2 ** 32 - 1);

describe('public addresses and listed hosts', () => {
  it('a public address is allowed when listed, in any IPv4 spelling, and refused when not', () => {
    fc.assert(
      fc.property(publicV4, (n) => {
        expect(addressKind(dotted(n))).toBe('public');
        for (const spelling of v4Spellings(n).filter((s) => !s.startsWith('['))) {
          for (const url of urlsFor(spelling)) {
            expect(refusal(url, policy([dotted(n)])), url).toBeUndefined();
            expect(refusal(url, policy(['github.com'])), url).toBe(`repository host ${dotted(n)} is not in REPO_HOSTS`);
          }
        }
        // Through NAT64 (an IPv6-only network's way out), a public address stays public.
        expect(addressKind(`64:ff9b::${dotted(n)}`)).toBe('public');
      }),
      { numRuns: 300 },
    );
  });

  it('global unicast IPv6 is public', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
    fc.assert(
      fc.property(fc.integer({ min: 0x2400, max: 0x2fff }), fc.array(group, { minLength: 7, maxLength: 7 }), (first, rest) => {
        expect(addressKind([first.toString(16), ...rest].join(':'))).toBe('public');
      }),
    );
  });

  it('host matching is exact: no suffix, prefix, userinfo or encoding tricks', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const p = policy(['github.com']);
    fc.assert(
      fc.property(label, (evil) => {
        const tricks = [
          `https://github.com.${evil}.com/acme/app.git`,
          `https://${evil}github.com/acme/app.git`,
          `https://${evil}.github.com/acme/app.git`,
          `https://github.com@${evil}.com/acme/app.git`,
          `https://github.com:443@${evil}.com/acme/app.git`,
          `https://${evil}.com\\@github.com/acme/app.git`,
          `https://github.com%2e${evil}.com/acme/app.git`,
          `https://github.com%00.${evil}.com/acme/app.git`,
          `git@github.com.${evil}.com:acme/app.git`,
          `ssh://git@github.com.${evil}.com/acme/app.git`,
          `ssh://github.com@${evil}.com/acme/app.git`,
        ];
        for (const url of tricks) expect(refusal(url, p), url).toBeDefined();
      }),
    );
    // The same host in other spellings is the same host.
    for (const url of [
      'https://GitHub.COM/acme/app.git',
      'https://github.com./acme/app.git',
      'https://%67ithub.com/acme/app',
      'git@GITHUB.com:acme/app.git',
      'ssh://git@github.com./acme/app.git',
    ])
      expect(refusal(url, p), url).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Connect time: resolve once, refuse on any forbidden answer, pin the first.

const resolvedBy = (answers: string[]) => {
  const calls: string[] = [];
  return { calls, resolve: async (host: string) => (calls.push(host), answers) };
};

describe('pinRepoUrl', () => {
  const p = policy(['github.com']);

  it('pins https to the first public answer (curl resolve entry) and turns redirects off; ssh through HostName and HostKeyAlias', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(publicV4, { minLength: 1, maxLength: 4 }), async (ns) => {
        const answers = ns.map(dotted);
        const https = resolvedBy(answers);
        expect(await pinRepoUrl('https://GitHub.com./acme/app.git', p, https.resolve)).toEqual({
          url: 'https://github.com/acme/app.git',
          config: [
            ['http.curloptResolve', `github.com:443:${answers[0]}`],
            ['http.followRedirects', 'false'],
          ],
        });
        expect(https.calls).toEqual(['github.com']);
        const ssh = resolvedBy(answers);
        expect(await pinRepoUrl('git@github.com:acme/app.git', p, ssh.resolve)).toEqual({
          url: 'git@github.com:acme/app.git',
          config: [['core.sshCommand', `ssh -o HostName='${answers[0]}' -o HostKeyAlias='github.com'`]],
        });
        expect(ssh.calls).toEqual(['github.com']);
      }),
      { numRuns: 100 },
    );
    expect((await pinRepoUrl('https://github.com:8443/a/b', p, resolvedBy(['2606:50c0::1']).resolve)).config[0]).toEqual([
      'http.curloptResolve',
      'github.com:8443:[2606:50c0::1]',
    ]);
  });

  it('refuses the host when any answer is forbidden, wherever it is in the list', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(publicV4, { maxLength: 3 }), forbiddenV4, fc.nat(), async (ns, bad, at) => {
        const answers = ns.map(dotted);
        answers.splice(at % (answers.length + 1), 0, dotted(bad.n));
        await expect(pinRepoUrl('https://github.com/acme/app.git', p, resolvedBy(answers).resolve)).rejects.toThrow(RepoAddressRefusedError);
        await expect(pinRepoUrl('git@github.com:acme/app.git', p, resolvedBy(answers).resolve)).rejects.toThrow(
          /github\.com is not allowed: it resolves to (a|an|the) /,
        );
      }),
      { numRuns: 100 },
    );
    // The message names the kind, never the address it resolved to.
    await expect(pinRepoUrl('https://github.com/a/b', p, resolvedBy(['10.1.2.3']).resolve)).rejects.toThrow(
      /^repository host github\.com is not allowed: it resolves to a private address$/,
    );
    await expect(pinRepoUrl('https://github.com/a/b', p, resolvedBy(['::ffff:169.254.169.254']).resolve)).rejects.toThrow(/link-local/);
  });

  it('does not resolve what it refuses by name, literal addresses or local paths; a failed lookup is retryable', async () => {
    const never = resolvedBy(['8.8.8.8']);
    await expect(pinRepoUrl('https://gitlab.evil.com/a/b', p, never.resolve)).rejects.toThrow(/not in REPO_HOSTS/);
    expect(await pinRepoUrl('https://140.82.112.3/a/b', policy(['140.82.112.3']), never.resolve)).toEqual({
      url: 'https://140.82.112.3/a/b',
      config: [['http.followRedirects', 'false']],
    });
    expect(await pinRepoUrl('/srv/app.git', policy([], { allowLocal: true }), never.resolve)).toEqual({ url: '/srv/app.git', config: [] });
    expect(never.calls).toEqual([]);
    const failing = async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND github.com'), { code: 'ENOTFOUND' }));
    await expect(pinRepoUrl('https://github.com/a/b', p, failing)).rejects.toThrow(RepoHostUnresolvedError);
    await expect(pinRepoUrl('https://github.com/a/b', p, resolvedBy([]).resolve)).rejects.toThrow(/Cannot resolve repository host github\.com/);
  });
});

describe('the policy of a configuration', () => {
  const base = { DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db' };

  it('REPO_HOSTS: github.com by default, exact lowercase names, no wildcards; loopback and local off', () => {
    expect(repoHostPolicy(loadConfig(base))).toEqual({ hosts: new Set(['github.com']), allowLoopback: false, allowLocal: false });
    const config = loadConfig({ ...base, REPO_HOSTS: ' GitHub.com, gitlab.example.com. ,', ALLOW_LOOPBACK_REPOS: 'true' });
    expect(repoHostPolicy(config, 'GHE.example.com')).toEqual({
      hosts: new Set(['github.com', 'gitlab.example.com', 'ghe.example.com']),
      allowLoopback: true,
      allowLocal: false,
    });
    for (const bad of ['*.example.com', 'https://gitlab.example.com', 'gitlab.example.com/x', ',']) {
      expect(() => loadConfig({ ...base, REPO_HOSTS: bad }), bad).toThrow(ConfigError);
    }
  });
});
