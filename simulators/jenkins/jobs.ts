// The item tree (folders and jobs) and the mapping between job paths and URLs:
// 'platform/app-build' <-> /job/platform/job/app-build/.
import type { Folder, Item, Job, ParameterDefinition } from './model.js';

export class JobTree {
  readonly root: Folder = { kind: 'folder', path: [], name: '', fullName: '', children: new Map() };

  add(fullName: string, parameters: ParameterDefinition[] | undefined): Job {
    const path = splitJobPath(fullName);
    if (path.length === 0) throw new Error(`empty job path: ${JSON.stringify(fullName)}`);
    let folder = this.root;
    for (const [i, name] of path.slice(0, -1).entries()) {
      let next = folder.children.get(name);
      if (!next) {
        const p = path.slice(0, i + 1);
        next = { kind: 'folder', path: p, name, fullName: p.join('/'), children: new Map() };
        folder.children.set(name, next);
      }
      if (next.kind !== 'folder') throw new Error(`${next.fullName} is a job, not a folder`);
      folder = next;
    }
    const name = path[path.length - 1] ?? '';
    const job: Job = { kind: 'job', path, name, fullName: path.join('/'), parameters, disabled: false, nextBuildNumber: 1, builds: [] };
    folder.children.set(name, job);
    return job;
  }

  find(path: string[]): Item | undefined {
    let item: Item = this.root;
    for (const name of path) {
      if (item.kind !== 'folder') return undefined;
      const next = item.children.get(name);
      if (!next) return undefined;
      item = next;
    }
    return item;
  }

  findJob(fullName: string): Job | undefined {
    const item = this.find(splitJobPath(fullName));
    return item?.kind === 'job' ? item : undefined;
  }

  jobs(): Job[] {
    const out: Job[] = [];
    const walk = (folder: Folder) => {
      for (const child of folder.children.values()) {
        if (child.kind === 'job') out.push(child);
        else walk(child);
      }
    };
    walk(this.root);
    return out;
  }
}

export function splitJobPath(fullName: string): string[] {
  return fullName.split('/').filter(Boolean);
}

/** `/job/a/job/b/` for ['a', 'b'] (each segment URL-encoded). */
export function itemUrlPath(path: string[]): string {
  return path.length === 0 ? '/' : `/job/${path.map(encodeURIComponent).join('/job/')}/`;
}

/**
 * Hono routes on one path segment for the whole job path: this rewrites
 * `/job/a/job/b/12/api/json` to `/job/a%2Fb/12/api/json` (names encoded twice, so a name
 * can never forge a separator); `decodeJobParam` undoes it.
 */
export function collapseJobPath(pathname: string): string {
  const segments = pathname.split('/');
  if (segments[1] !== 'job' || !segments[2]) return pathname;
  const names = [segments[2]];
  let i = 3;
  while (segments[i] === 'job' && segments[i + 1]) {
    names.push(segments[i + 1] ?? '');
    i += 2;
  }
  const encoded = names.map((n) => encodeURIComponent(safeDecode(n))).join('/');
  return ['', 'job', encodeURIComponent(encoded), ...segments.slice(i)].join('/');
}

/** The `:job` route parameter (already URL-decoded once by Hono) back to path segments. */
export function decodeJobParam(param: string): string[] {
  return param.split('/').map(safeDecode);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
