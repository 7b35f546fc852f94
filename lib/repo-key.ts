// A repository's identity in a normalized form, so that https, ssh, scp-like and `owner/repo`
// spellings of the same GitHub repository compare equal (webhooks match projects by it).
export function repoKey(url: string): string {
  const trimmed = url.trim();
  if (trimmed.startsWith('file://') || trimmed.startsWith('/')) {
    return `file:${trimmed
      .replace(/^file:\/\//, '')
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')}`;
  }
  let hostAndPath: string;
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(trimmed);
  if (scp) hostAndPath = `${scp[1]}/${scp[2]}`;
  else if (/^[\w.-]+\/[\w.-]+$/.test(trimmed)) hostAndPath = `github.com/${trimmed}`;
  else
    hostAndPath = trimmed
      .replace(/^[a-z+]+:\/\//i, '')
      .replace(/^[^@/]+@/, '')
      .replace(/:\d+\//, '/');
  return hostAndPath
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}
