import { describe, expect, it } from 'vitest';
import { discoverApps, helmReleaseName } from './discovery.js';

describe('discoverApps', () => {
  it('generates apps only for charts exactly three folders below apps/', () => {
    const apps = discoverApps([
      'README.md',
      'apps/ws1/alice/shop/Chart.yaml',
      'apps/ws1/alice/shop/values.yaml',
      'apps/ws1/alice/shop/charts/redis/Chart.yaml',
      'apps/a/b/c/charts/x/Chart.yaml',
      'apps/ws1/alice/Chart.yaml',
      'apps/ws2/bob/blog/Chart.yaml',
    ]);
    expect(apps).toEqual([
      {
        name: 'ws1-alice-shop',
        workspaceId: 'ws1',
        userId: 'alice',
        projectName: 'shop',
        path: 'apps/ws1/alice/shop',
        namespace: 'user-alice',
        releaseName: 'alice-shop',
      },
      {
        name: 'ws2-bob-blog',
        workspaceId: 'ws2',
        userId: 'bob',
        projectName: 'blog',
        path: 'apps/ws2/bob/blog',
        namespace: 'user-bob',
        releaseName: 'bob-blog',
      },
    ]);
  });

  it('keeps the first path of a duplicate name in byte order, as the real ApplicationSet does (real-argocd conformance)', () => {
    // Found against the real Argo CD: 'apps/dev-b/...' sorts before 'apps/dev/...' ('-' < '/'),
    // so a folder written around the engine takes the name of an app that already runs.
    const files = ['apps/dev/b-c/shop/Chart.yaml', 'apps/dev-b/c/shop/Chart.yaml'];
    expect(discoverApps(files).map((a) => a.path)).toEqual(['apps/dev-b/c/shop']);
    expect(discoverApps([...files].reverse()).map((a) => a.path)).toEqual(['apps/dev-b/c/shop']);
  });
});

describe('helmReleaseName', () => {
  it('keeps names up to 53 characters', () => {
    expect(helmReleaseName('alice', 'shop')).toBe('alice-shop');
    const exact = helmReleaseName('u'.repeat(20), 'p'.repeat(32));
    expect(exact).toHaveLength(53);
  });

  it('cuts longer names to 53 characters with a hash that keeps them unique', () => {
    const a = helmReleaseName('a-very-long-user-id-0001', 'an-even-longer-project-name-number-one');
    const b = helmReleaseName('a-very-long-user-id-0001', 'an-even-longer-project-name-number-two');
    expect(a).toHaveLength(53);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
