import { describe, expect, it } from 'vitest';
import { HOLD_ANNOTATION, argoCdSettings, heldIds, kwokNode, pullTokenObjects, withHoldList, type Stage } from './manifests.js';

const podReady: Stage = {
  metadata: { name: 'pod-ready' },
  spec: { selector: { matchExpressions: [{ key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' }] } },
};

describe('the kwok hold list', () => {
  it("adds one NotIn condition on the deployment id and keeps kwok's own conditions", () => {
    const held = withHoldList(podReady, ['d-1']);
    expect(held.spec.selector?.matchExpressions).toEqual([
      { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' },
      // A placeholder keeps the list valid when nothing is held (NotIn needs a value).
      { key: `.metadata.annotations["${HOLD_ANNOTATION}"]`, operator: 'NotIn', values: ['-', 'd-1'] },
    ]);
    expect(heldIds(held)).toEqual(['d-1']);
  });

  it('replaces the condition instead of adding a second one', () => {
    const twice = withHoldList(withHoldList(podReady, ['d-1']), ['d-1', 'd-2']);
    expect(twice.spec.selector?.matchExpressions).toHaveLength(2);
    expect(heldIds(twice)).toEqual(['d-1', 'd-2']);
    expect(heldIds(withHoldList(podReady))).toEqual([]);
  });
});

describe('cluster objects', () => {
  it('gives the kwok node the annotation kwok manages and room for pods', () => {
    const node = kwokNode() as { metadata: { annotations: Record<string, string> }; status: { allocatable: { pods: string } } };
    expect(node.metadata.annotations['kwok.x-k8s.io/node']).toBe('fake');
    expect(Number(node.status.allocatable.pods)).toBeGreaterThanOrEqual(100);
  });

  it("labels Argo CD's config maps and secret so Argo CD reads them, and keeps the password hash only", () => {
    const objects = argoCdSettings({ adminPasswordHash: '$2a$10$hash', serverSecretKey: 'k', url: 'http://127.0.0.1:1' }) as Array<{
      kind: string;
      metadata: { name: string; labels?: Record<string, string> };
      data?: Record<string, string>;
      stringData?: Record<string, string>;
    }>;
    for (const o of objects.filter((x) => x.kind === 'ConfigMap' || x.kind === 'Secret'))
      expect(o.metadata.labels?.['app.kubernetes.io/part-of']).toBe('argocd');
    const cm = objects.find((o) => o.metadata.name === 'argocd-cm');
    expect(cm?.data?.['admin.enabled']).toBe('true');
    const secret = objects.find((o) => o.kind === 'Secret');
    expect(secret?.stringData?.['admin.password']).toBe('$2a$10$hash');
    expect(objects.some((o) => o.kind === 'AppProject' && o.metadata.name === 'default')).toBe(true);
  });
});

describe('the pull-credential token for External Secrets', () => {
  it("is a Secret in its own namespace with the label ESO's webhook provider requires, the token under its key", () => {
    const [namespace, secret] = pullTokenObjects({ name: 'deploy-engine-pull-credentials', namespace: 'external-secrets', key: 'token' }, 't0k3n') as Array<{
      kind: string;
      metadata: { name: string; namespace?: string; labels?: Record<string, string> };
      data?: Record<string, string>;
    }>;
    expect(namespace).toMatchObject({ kind: 'Namespace', metadata: { name: 'external-secrets' } });
    expect(secret).toMatchObject({
      kind: 'Secret',
      metadata: { name: 'deploy-engine-pull-credentials', namespace: 'external-secrets', labels: { 'external-secrets.io/type': 'webhook' } },
    });
    expect(Buffer.from(secret!.data!.token!, 'base64').toString()).toBe('t0k3n');
  });
});
