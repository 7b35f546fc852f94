// Framework detection from the files of a commit. The order matters: an app's own Dockerfile
// wins, then the most specific framework.
export const FRAMEWORKS = ['dockerfile', 'nextjs', 'node', 'python', 'go', 'static'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export async function detectFramework(files: readonly string[], readFile: (file: string) => Promise<string | undefined>): Promise<Framework | undefined> {
  const has = (file: string) => files.includes(file);
  if (has('Dockerfile')) return 'dockerfile';
  if (has('package.json')) {
    const pkg = parsePackageJson(await readFile('package.json'));
    const deps = { ...pkg?.dependencies, ...pkg?.devDependencies };
    if ('next' in deps || files.some((f) => /^next\.config\.(js|mjs|ts|cjs)$/.test(f))) return 'nextjs';
    return 'node';
  }
  if (has('requirements.txt') || has('pyproject.toml') || has('Pipfile')) return 'python';
  if (has('go.mod')) return 'go';
  if (has('index.html') || has('public/index.html')) return 'static';
  return undefined;
}

function parsePackageJson(text: string | undefined): { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
