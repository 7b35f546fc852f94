// The bootstrap manifests as rendered (the writer that commits them is tested beside it, in
// scripts/lib/gitops-bootstrap-writer.test.ts).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BootstrapConfigError, PULL_CREDENTIAL_STORE_NAME, renderBootstrapFiles } from './bootstrap.js';
import { renderAppConfig } from './chart.js';
import { appNames, parseIdentity } from './naming.js';

interface AppSetManifest {
  metadata: { name: string };
  spec: {
    goTemplate: boolean;
    goTemplateOptions: string[];
    generators: { git: { repoURL: string; revision: string; files: { path: string }[]; requeueAfterSeconds: number } }[];
    template: {
      metadata: { name: string; labels: Record<string, string> };
      spec: {
        source: { repoURL: string; targetRevision: string; path: string; helm: { releaseName: string } };
        destination: { namespace: string };
        syncPolicy: { automated: { prune: boolean; selfHeal: boolean }; syncOptions: string[] };
      };
    };
  };
}

/**
 * The few Go-template forms the ApplicationSet uses, evaluated the way the git files generator
 * would for one app.json (segments = the directory of the file split on "/").
 */
function renderGoTemplate(template: string, filePath: string, fileParams: Record<string, string>): string {
  const dir = path.posix.dirname(filePath);
  const segments = dir.split('/');
  return template.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    const index = /^index \.path\.segments (\d+)$/.exec(expr);
    if (index) return segments[Number(index[1])]!;
    const length = /^len \(index \.path\.segments (\d+)\)$/.exec(expr);
    if (length) return String(segments[Number(length[1])]!.length);
    if (expr === '.path.path') return dir;
    const key = /^\.(\w+)$/.exec(expr);
    if (key && key[1]! in fileParams) return fileParams[key[1]!]!;
    throw new Error(`unsupported template expression ${expr}`);
  });
}

describe('renderBootstrapFiles', () => {
  const files = renderBootstrapFiles({ repoUrl: 'https://git.example.com/platform/gitops.git', branch: 'main', namespaceScope: 'user' });

  it('renders the app of apps, the ApplicationSet, the namespace and the registry secret guide', () => {
    expect(Object.keys(files).sort()).toEqual(['applicationset-user-projects.yaml', 'argocd-app-of-apps.yaml', 'namespace.yaml', 'registry-secret.md']);
    const app = parse(files['argocd-app-of-apps.yaml']!) as {
      kind: string;
      spec: { source: { path: string; repoURL: string; targetRevision: string }; syncPolicy: unknown };
    };
    expect(app.kind).toBe('Application');
    expect(app.spec.source).toMatchObject({ path: 'bootstrap', repoURL: 'https://git.example.com/platform/gitops.git', targetRevision: 'main' });
    expect(app.spec.syncPolicy).toEqual({ automated: { prune: true, selfHeal: true } });
    const ns = parse(files['namespace.yaml']!) as { kind: string; metadata: { name: string; annotations: Record<string, string> } };
    expect(ns).toMatchObject({ kind: 'Namespace', metadata: { name: 'argocd' } });
    expect(ns.metadata.annotations['argocd.argoproj.io/sync-options']).toContain('Prune=false');
  });

  it('the ApplicationSet uses a git files generator over app.json with Go templates', () => {
    const text = files['applicationset-user-projects.yaml']!;
    expect(text).toContain('ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_NEW_GIT_FILE_GLOBBING=true');
    const set = parse(text) as AppSetManifest;
    expect(set.spec.goTemplate).toBe(true);
    expect(set.spec.goTemplateOptions).toEqual(['missingkey=error']);
    expect(set.spec.generators).toEqual([
      { git: { repoURL: 'https://git.example.com/platform/gitops.git', revision: 'main', files: [{ path: 'apps/*/*/*/app.json' }], requeueAfterSeconds: 30 } },
    ]);
    const template = set.spec.template;
    expect(template.metadata.name).toBe('{{index .path.segments 1}}-{{index .path.segments 2}}-{{index .path.segments 3}}');
    expect(template.spec.destination.namespace).toBe('user-{{index .path.segments 2}}');
    expect(template.spec.source.helm.releaseName).toBe('{{.releaseName}}');
    expect(template.spec.source.path).toBe('{{.path.path}}');
    expect(template.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(template.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
  });

  it.each(['user', 'workspace'] as const)(
    'the ApplicationSet template (NAMESPACE_SCOPE=%s) gives the names of the naming rules for the file the engine writes',
    (scope) => {
      const scoped = renderBootstrapFiles({ repoUrl: 'https://git.example.com/platform/gitops.git', branch: 'main', namespaceScope: scope });
      const set = parse(scoped['applicationset-user-projects.yaml']!) as AppSetManifest;
      for (const raw of [
        { workspaceId: 'ws1', userId: 'alice', projectName: 'shop' },
        { workspaceId: 'a-b', userId: 'c', projectName: 'shop' },
        { workspaceId: 'w'.repeat(20), userId: '7'.repeat(20), projectName: 'p'.repeat(21) },
      ]) {
        const id = parseIdentity(raw);
        const names = appNames(id, scope);
        const file = `${names.gitopsPath}/app.json`;
        const params = JSON.parse(renderAppConfig(id, scope)) as Record<string, string>;
        expect(renderGoTemplate(set.spec.template.metadata.name, file, params)).toBe(names.appName);
        expect(renderGoTemplate(set.spec.template.spec.destination.namespace, file, params)).toBe(names.namespace);
        expect(renderGoTemplate(set.spec.template.spec.source.helm.releaseName, file, params)).toBe(names.releaseName);
        expect(renderGoTemplate(set.spec.template.spec.source.path, file, params)).toBe(names.gitopsPath);
      }
    },
  );

  it('with NAMESPACE_SCOPE=workspace, the same user in two workspaces gets two namespaces', () => {
    const scoped = renderBootstrapFiles({ repoUrl: 'https://git.example.com/platform/gitops.git', branch: 'main', namespaceScope: 'workspace' });
    const destination = (parse(scoped['applicationset-user-projects.yaml']!) as AppSetManifest).spec.template.spec.destination.namespace;
    const ns = (dir: string) => renderGoTemplate(destination, `${dir}/app.json`, {});
    expect(ns('apps/acme/alice/shop')).toBe('w4-acme-alice');
    expect(ns('apps/globex/alice/shop')).toBe('w6-globex-alice');
    expect(ns('apps/a-b/c/shop')).not.toBe(ns('apps/a/b-c/shop'));
    expect(scoped['registry-secret.md']).toContain('kubectl -n w4-acme-alice create secret');
  });

  it('keeps credentials out of Git', () => {
    const doc = files['registry-secret.md']!;
    expect(doc).toContain('docker-registry');
    expect(doc).toMatch(/No credential ever goes into this\s+repository/);
    expect(doc).not.toMatch(/password:\s*\S/i);
  });
});

describe('the pull-credential ClusterSecretStore', () => {
  const render = (engineUrl: string, storeName?: string) =>
    renderBootstrapFiles({
      repoUrl: 'https://git.example.com/platform/gitops.git',
      branch: 'main',
      namespaceScope: 'user',
      pullCredentials: { engineUrl, ...(storeName ? { storeName } : {}) },
    });

  it('is left out unless asked for (a cluster without External Secrets cannot sync the kind)', () => {
    expect(Object.keys(renderBootstrapFiles({ repoUrl: 'https://git.example.com/g.git', branch: 'main', namespaceScope: 'user' }))).not.toContain(
      'cluster-secret-store-registry.yaml',
    );
  });

  it("renders the webhook provider that asks the engine for the workspace named by remoteRef.key, with the token from the admin's Secret", () => {
    const text = render('https://deploy.example.com/')['cluster-secret-store-registry.yaml']!;
    expect(parse(text)).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: PULL_CREDENTIAL_STORE_NAME },
      spec: {
        provider: {
          webhook: {
            url: 'https://deploy.example.com/v1/pull-credentials/{{ .remoteRef.key }}',
            method: 'GET',
            headers: { Authorization: 'Bearer {{ .auth.token }}' },
            result: { jsonPath: '$' },
            secrets: [{ name: 'auth', secretRef: { name: 'deploy-engine-pull-credentials', key: 'token', namespace: 'external-secrets' } }],
          },
        },
      },
    });
    expect(PULL_CREDENTIAL_STORE_NAME).toBe('deploy-engine-registry');
    // ESO's templates stay literal (this folder is plain YAML, not a Helm chart), and no secret is in it.
    expect(text).toContain('/v1/pull-credentials/{{ .remoteRef.key }}');
    expect(text).toMatch(/external-secrets\.io\/type=webhook/);
    expect(text).not.toMatch(/Bearer (?!\{\{)\S/);
    expect(text).not.toMatch(/^\s*(token|password|data|stringData):/m);
  });

  it("keeps a path prefix, takes another store name, and refuses a URL that cannot be the engine's", () => {
    const store = parse(render('https://platform.example.com/deploy-engine', 'registry-b')['cluster-secret-store-registry.yaml']!) as {
      metadata: { name: string };
      spec: { provider: { webhook: { url: string } } };
    };
    expect(store.metadata.name).toBe('registry-b');
    expect(store.spec.provider.webhook.url).toBe('https://platform.example.com/deploy-engine/v1/pull-credentials/{{ .remoteRef.key }}');
    for (const bad of ['deploy.example.com', 'ftp://deploy.example.com', 'https://u:p@deploy.example.com', 'https://deploy.example.com/?x=1'])
      expect(() => render(bad), bad).toThrow(BootstrapConfigError);
  });
});
