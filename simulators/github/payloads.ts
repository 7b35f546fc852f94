// Webhook payloads as GitHub sends them: `push` (for tests and for branch changes made through
// the simulator's control API) and `ping` (on hook creation and POST .../pings).
import { createHash } from 'node:crypto';
import { ownerId } from './render.js';

export const ZERO_SHA = '0'.repeat(40);

export interface PushCommit {
  id: string;
  message: string;
  timestamp?: string;
  author?: { name: string; email: string; username?: string };
  added?: string[];
  removed?: string[];
  modified?: string[];
}

export interface PushPayloadOptions {
  owner: string;
  repo: string;
  /** `refs/heads/main`, or a bare branch name. */
  ref: string;
  before: string;
  after: string;
  /** Default: `after` is all zeros. */
  deleted?: boolean;
  /** Default: `before` is all zeros. */
  created?: boolean;
  forced?: boolean;
  cloneUrl?: string;
  defaultBranch?: string;
  private?: boolean;
  repositoryId?: number;
  /** Web host of html/clone/ssh URLs. Default `github.com`. */
  webHost?: string;
  /** Commits of the push (oldest first). Default: one commit `after` (none when deleted). */
  commits?: PushCommit[];
  /** Message of the default single commit. */
  message?: string;
  pusher?: { name: string; email: string };
  /** Login of the sender. Default `pusher.name`, else the owner. */
  sender?: string;
  /** Push time (ISO). Default now. */
  timestamp?: string;
}

const stableId = (seed: string) => 100_000_000 + (parseInt(createHash('sha1').update(seed).digest('hex').slice(0, 7), 16) % 800_000_000);

function simpleUser(login: string, web: string) {
  const id = ownerId(login);
  return {
    login,
    id,
    node_id: `U_${Buffer.from(`sim:${id}`).toString('base64url')}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: `https://api.${web.replace(/^https?:\/\//, '')}/users/${login}`,
    html_url: `${web}/${login}`,
    type: 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

/** A realistic `push` event payload (the fields receivers read, and the usual others). */
export function pushPayload(o: PushPayloadOptions): Record<string, unknown> {
  const host = o.webHost ?? 'github.com';
  const web = `https://${host}`;
  const fullName = `${o.owner}/${o.repo}`;
  const html = `${web}/${fullName}`;
  const ref = o.ref.startsWith('refs/') ? o.ref : `refs/heads/${o.ref}`;
  const deleted = o.deleted ?? o.after === ZERO_SHA;
  const created = o.created ?? o.before === ZERO_SHA;
  const timestamp = o.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const pusher = o.pusher ?? { name: o.owner, email: `${o.owner}@users.noreply.${host}` };
  const toCommit = (c: PushCommit, distinct = true) => {
    const author = c.author ?? { name: pusher.name, email: pusher.email, username: pusher.name };
    return {
      id: c.id,
      tree_id: createHash('sha1').update(`tree:${c.id}`).digest('hex'),
      distinct,
      message: c.message,
      timestamp: c.timestamp ?? timestamp,
      url: `${html}/commit/${c.id}`,
      author,
      committer: author,
      added: c.added ?? [],
      removed: c.removed ?? [],
      modified: c.modified ?? [],
    };
  };
  const commits = deleted ? [] : (o.commits ?? [{ id: o.after, message: o.message ?? `Update ${ref.replace(/^refs\/heads\//, '')}` }]).map((c) => toCommit(c));
  const epoch = Math.floor(Date.parse(timestamp) / 1000);
  return {
    ref,
    before: o.before,
    after: o.after,
    repository: {
      id: o.repositoryId ?? stableId(fullName.toLowerCase()),
      node_id: `R_${Buffer.from(`sim:${fullName}`).toString('base64url')}`,
      name: o.repo,
      full_name: fullName,
      private: o.private ?? false,
      owner: { name: o.owner, email: null, ...simpleUser(o.owner, web) },
      html_url: html,
      description: null,
      fork: false,
      // In push payloads `url` is the web URL and the times are epoch seconds.
      url: html,
      created_at: epoch,
      updated_at: timestamp,
      pushed_at: epoch,
      git_url: `git://${host}/${fullName}.git`,
      ssh_url: `git@${host}:${fullName}.git`,
      clone_url: o.cloneUrl ?? `${html}.git`,
      svn_url: html,
      visibility: o.private ? 'private' : 'public',
      default_branch: o.defaultBranch ?? 'main',
      master_branch: o.defaultBranch ?? 'main',
      stargazers: 0,
    },
    pusher,
    sender: simpleUser(o.sender ?? pusher.name, web),
    created,
    deleted,
    forced: o.forced ?? false,
    base_ref: null,
    compare: created ? `${html}/commit/${o.after.slice(0, 12)}` : `${html}/compare/${o.before.slice(0, 12)}...${o.after.slice(0, 12)}`,
    commits,
    head_commit: deleted ? null : (commits.at(-1) ?? null),
  };
}

const ZEN = [
  'Keep it logically awesome.',
  'Design for failure.',
  'Speak like a human.',
  'Half measures are as bad as nothing at all.',
  'Anything added dilutes everything else.',
];

/** The `ping` event GitHub sends when a hook is created or pinged. */
export function pingPayload(
  hookId: number,
  hook: Record<string, unknown>,
  repository: Record<string, unknown>,
  sender: Record<string, unknown>,
): Record<string, unknown> {
  return { zen: ZEN[hookId % ZEN.length], hook_id: hookId, hook, repository, sender };
}
