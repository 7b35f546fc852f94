import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HELM_RELEASE_NAME,
  NAME_LIMITS,
  NamingError,
  OCI_TAG,
  appHost,
  appName,
  appNames,
  dnsLabel,
  gitopsPath,
  imageRepository,
  imageTag,
  namespace,
  projectNameSchema,
  releaseName,
  userIdSchema,
  workspaceIdSchema,
} from './naming.js';
import { pathSegments } from './paths.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A valid DNS label of 1..max characters. */
function label(max: number) {
  return max === 1 ? fc.stringMatching(/^[a-z0-9]$/) : fc.stringMatching(new RegExp(`^[a-z0-9]([-a-z0-9]{0,${max - 2}}[a-z0-9])?$`));
}
const workspaceId = label(NAME_LIMITS.workspaceId);
const userId = label(NAME_LIMITS.userId);
const projectName = label(NAME_LIMITS.projectName);
const anyLabel = label(63);
const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));

describe('examples', () => {
  it('builds every name of a project', () => {
    expect(appName('ws1', 'alice', 'shop')).toBe('ws1-alice-shop');
    expect(releaseName('alice', 'shop')).toBe('alice-shop');
    expect(namespace('ws1', 'alice', 'user')).toBe('user-alice');
    expect(namespace('ws1', 'alice', 'workspace')).toBe('w3-ws1-alice');
    expect(gitopsPath('ws1', 'alice', 'shop')).toBe('apps/ws1/alice/shop');
    expect(appHost('shop', 'alice', 'apps.localhost')).toBe('shop-alice.apps.localhost');
    expect(appHost('shop', 'alice', 'apps.localhost', 'shop.example.com')).toBe('shop.example.com');
    expect(imageRepository('apps', 'ws1', 'alice', 'shop')).toBe('apps/ws1/alice-shop');
    expect(imageTag('3F2A9C1e5b7d9f0123456789abcdef0123456789', '1A2B3C4D-5e6f-4a7b-8c9d-0e1f2a3b4c5d')).toBe('3f2a9c1-1a2b3c4d');
    expect(appNames({ workspaceId: 'ws1', userId: 'alice', projectName: 'shop' }, 'user')).toEqual({
      appName: 'ws1-alice-shop',
      releaseName: 'alice-shop',
      namespace: 'user-alice',
      gitopsPath: 'apps/ws1/alice/shop',
    });
  });

  it('cuts long release names to 53 characters with a hash', () => {
    const user = 'u'.repeat(30);
    const project = 'p'.repeat(30);
    const name = releaseName(user, project);
    expect(name).toHaveLength(53);
    expect(name).toMatch(/^u{30}-p{13}-[0-9a-f]{8}$/);
    expect(releaseName(user, `${'p'.repeat(29)}q`)).not.toBe(name);
    // A cut that lands on a dash does not leave "--" or a trailing dash before the hash.
    expect(releaseName('a'.repeat(43), `b${'c'.repeat(20)}`)).toMatch(/^a{43}-[0-9a-f]{8}$/);
  });

  it('the limits make the longest application name exactly 63 characters', () => {
    const longest = appName('w'.repeat(NAME_LIMITS.workspaceId), 'u'.repeat(NAME_LIMITS.userId), 'p'.repeat(NAME_LIMITS.projectName));
    expect(longest).toHaveLength(63);
    expect(() => projectNameSchema.parse('p'.repeat(NAME_LIMITS.projectName + 1))).toThrow(/at most 21/);
  });

  it.each([
    ['upper case', 'Alice'],
    ['leading dash', '-alice'],
    ['trailing dash', 'alice-'],
    ['underscore', 'al_ice'],
    ['dot', 'al.ice'],
    ['slash', 'al/ice'],
    ['dot dot', '..'],
    ['empty', ''],
    ['unicode', 'alicé'],
    ['fullwidth', 'ａlice'],
    ['too long', 'a'.repeat(21)],
    ['newline', 'alice\n'],
  ])('refuses a user id with %s with a clear message', (_what, bad) => {
    expect(userIdSchema.safeParse(bad).success).toBe(false);
    expect(() => namespace('ws1', bad, 'user')).toThrow(NamingError);
    expect(() => namespace('ws1', bad, 'workspace')).toThrow(NamingError);
    expect(() => appName('ws1', bad, 'shop')).toThrow(/user id/);
    expect(() => gitopsPath('ws1', bad, 'shop')).toThrow(NamingError);
  });

  it('refuses bad custom domains, commit SHAs and deployment ids', () => {
    expect(() => appHost('shop', 'alice', 'apps.localhost', 'Shop.Example.com')).toThrow(NamingError);
    expect(() => appHost('shop', 'alice', 'apps.localhost', 'localhost')).toThrow(NamingError);
    expect(() => appHost('shop', 'alice', 'apps.localhost', 'a..b')).toThrow(NamingError);
    expect(() => imageTag('xyz', '1a2b3c4d-0000-4000-8000-000000000000')).toThrow(NamingError);
    expect(() => imageTag('3f2a9c1', 'not-a-uuid')).toThrow(NamingError);
    expect(() => imageRepository('Apps', 'ws1', 'alice', 'shop')).toThrow(NamingError);
    expect(NamingError.prototype).toBeInstanceOf(Error);
    expect(new NamingError('x').transient).toBe(false);
  });
});

describe('properties', () => {
  it('names built from valid ids are valid Kubernetes names and fit their limits', () => {
    fc.assert(
      fc.property(workspaceId, userId, projectName, (ws, user, project) => {
        const app = appName(ws, user, project);
        expect(app.length).toBeLessThanOrEqual(63);
        expect(app).toMatch(DNS_LABEL);
        expect(dnsLabel.safeParse(app).success).toBe(true);
        for (const scope of ['user', 'workspace'] as const) {
          const ns = namespace(ws, user, scope);
          expect(ns).toMatch(DNS_LABEL);
          expect(ns.length).toBeLessThanOrEqual(63);
        }
        const release = releaseName(user, project);
        expect(release.length).toBeLessThanOrEqual(53);
        expect(release).toMatch(HELM_RELEASE_NAME);
        const host = appHost(project, user, 'apps.example.com');
        expect(host.split('.')[0]!.length).toBeLessThanOrEqual(63);
      }),
      { numRuns: 500 },
    );
  });

  it('release names of any two DNS labels are <= 53, match Helm and stay unique after the cut', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(anyLabel, anyLabel), { minLength: 2, maxLength: 30, selector: ([u, p]) => `${u}-${p}` }), (pairs) => {
        const names = pairs.map(([user, project]) => releaseName(user, project));
        for (const [i, name] of names.entries()) {
          expect(name.length).toBeLessThanOrEqual(53);
          expect(name).toMatch(HELM_RELEASE_NAME);
          const [user, project] = pairs[i]!;
          const full = `${user}-${project}`;
          if (full.length <= 53) expect(name).toBe(full);
          else expect(full.startsWith(name.slice(0, -9).replace(/-+$/, ''))).toBe(true);
        }
        expect(new Set(names).size).toBe(names.length);
      }),
      { numRuns: 300 },
    );
  });

  it('workspace-scoped namespaces never collide: different (workspace, user) pairs, different namespaces', () => {
    // Ids that join into the same string with a plain "-" are exactly the risky inputs.
    const parts = fc.array(fc.constantFrom('a', 'b', 'a-b', 'b-a', 'a--b', '1'), { minLength: 2, maxLength: 4 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(parts, fc.nat(3)), { minLength: 2, maxLength: 20, selector: ([p, cut]) => `${p.join('/')}|${cut}` }), (pairs) => {
        const ids = new Map<string, string>();
        for (const [segments, cut] of pairs) {
          const at = 1 + (cut % (segments.length - 1));
          const ws = segments.slice(0, at).join('-');
          const user = segments.slice(at).join('-');
          if (!workspaceIdSchema.safeParse(ws).success || !userIdSchema.safeParse(user).success) continue;
          const ns = namespace(ws, user, 'workspace');
          const owner = `${ws}|${user}`;
          expect(ids.get(ns) ?? owner, ns).toBe(owner);
          ids.set(ns, owner);
        }
      }),
      { numRuns: 300 },
    );
    expect(namespace('a-b', 'c', 'workspace')).not.toBe(namespace('a', 'b-c', 'workspace'));
    expect(namespace('a-b', 'c', 'user')).toBe(namespace('a', 'c', 'user'));
  });

  it('long names that share their first 44 characters still get different release names', () => {
    fc.assert(
      fc.property(fc.uniqueArray(label(20), { minLength: 2, maxLength: 20 }), (suffixes) => {
        const names = suffixes.map((suffix) => releaseName('u'.repeat(40), `p${'x'.repeat(20)}${suffix}`));
        expect(new Set(names).size).toBe(names.length);
      }),
    );
  });

  it('GitOps paths stay confined: four safe segments under apps/', () => {
    fc.assert(
      fc.property(workspaceId, userId, projectName, (ws, user, project) => {
        const p = gitopsPath(ws, user, project);
        expect(pathSegments(p)).toEqual(['apps', ws, user, project]);
      }),
    );
  });

  it('any input either fails with NamingError or yields valid names (no half-valid output)', () => {
    const messy = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('..', '../x', 'a/b', '%2e%2e', 'a\u2215b', '\uFF0E\uFF0E', 'a\u2024b', 'A', '-a', 'a-', ''),
      label(25),
    );
    fc.assert(
      fc.property(messy, messy, messy, (ws, user, project) => {
        let path: string;
        try {
          path = gitopsPath(ws, user, project);
        } catch (error) {
          expect(error).toBeInstanceOf(NamingError);
          return;
        }
        expect(workspaceIdSchema.safeParse(ws).success && userIdSchema.safeParse(user).success && projectNameSchema.safeParse(project).success).toBe(true);
        expect(pathSegments(path)).toHaveLength(4);
        expect(appName(ws, user, project)).toMatch(DNS_LABEL);
      }),
      { numRuns: 1000 },
    );
  });

  it('image tags are valid OCI tags', () => {
    fc.assert(
      fc.property(hex(40), fc.uuid(), (sha, id) => {
        const tag = imageTag(sha, id);
        expect(tag).toMatch(OCI_TAG);
        expect(tag).toBe(`${sha.slice(0, 7)}-${id.replace(/-/g, '').slice(0, 8).toLowerCase()}`);
      }),
    );
  });
});
