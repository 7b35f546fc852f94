// Which repository URLs the engine may connect to, and how to connect to exactly what was checked.
//
// A tenant's repository URL is a request to open a connection from inside the platform, so it
// must never reach the platform's own network (metadata service, database, private hosts). Two
// checks, the same rules:
//   - at project creation, without DNS (`checkRepoUrl`): the scheme, the host name against
//     REPO_HOSTS, and addresses written in the URL in any spelling;
//   - at connect time (`pinRepoUrl`): the same, then the name is resolved once and every
//     address it resolves to must be allowed; git is then made to connect to that address and no
//     other (curl's resolve pin for https, ssh's HostName for ssh), so a DNS answer that changes
//     between the check and the connection (rebinding) cannot get through.
// Host names are read the way the WHATWG URL parser reads them (Node's `URL`): lowercase,
// percent-decoded, and every IPv4 spelling (0x7f000001, 2130706433, 0177.0.0.1, 127.1) turned
// into dotted form, which is also how getaddrinfo/inet_aton and libcurl read them.
import { lookup } from 'node:dns/promises';
import { addressKind, describeKind } from './address-kind.js';
import type { Env } from './config.js';

/** The URL may not be connected to. The message says why; it never holds anything a server said. */
export class RepoAddressRefusedError extends Error {
  readonly isTransient = false;
  constructor(message: string) {
    super(message);
    this.name = 'RepoAddressRefusedError';
  }
}

/** The host name did not resolve (DNS may recover: worth a retry). */
export class RepoHostUnresolvedError extends Error {
  readonly isTransient = true;
  constructor(message: string) {
    super(message);
    this.name = 'RepoHostUnresolvedError';
  }
}

export interface RepoHostPolicy {
  /** Exact host names (and public IP literals) a repository may be on. */
  hosts: ReadonlySet<string>;
  /** Dev stack and tests: loopback addresses are allowed (never private or link-local ones). */
  allowLoopback: boolean;
  /** Dev stack and tests: `file://` URLs and absolute paths. */
  allowLocal: boolean;
}

/**
 * The policy of a configuration. `githubWebHost` is the web host of the GitHub integration
 * (GITHUB_API_URL's, when GITHUB_TOKEN is set): the engine already trusts it with its token.
 */
export function repoHostPolicy(config: Pick<Env, 'REPO_HOSTS' | 'ALLOW_LOOPBACK_REPOS' | 'ALLOW_LOCAL_REPOS'>, githubWebHost?: string): RepoHostPolicy {
  const hosts = new Set(config.REPO_HOSTS.map(canonicalHost));
  if (githubWebHost) hosts.add(canonicalHost(githubWebHost));
  return { hosts, allowLoopback: config.ALLOW_LOOPBACK_REPOS, allowLocal: config.ALLOW_LOCAL_REPOS };
}

export type RepoTarget =
  | { transport: 'local'; url: string }
  /** `url` is what git gets: for https the URL as parsed here, so git cannot read it differently. */
  | { transport: 'https' | 'ssh'; url: string; host: string; port: number; literal: boolean };

const refuse = (message: string): never => {
  throw new RepoAddressRefusedError(message);
};

/** A host as the WHATWG parser reads it for https, without a trailing dot (curl drops it too). */
function canonicalHost(raw: string): string {
  let host: string;
  try {
    host = new URL(`https://${raw}/`).hostname;
  } catch {
    return refuse(`repository host ${raw} is not a valid host name`);
  }
  if (host.length > 1 && host.endsWith('.') && !host.startsWith('[')) host = host.slice(0, -1);
  if (!host) refuse('the repository URL has no host');
  return host;
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    return refuse('the repository URL is not a valid URL');
  }
}

/** scp-like `[user@]host:path` (git's rule: no "://", and a ":" before any "/"). */
const SCP = /^(?:[^@/]+@)?(\[[^\]/]+\]|[^:/[\]]+):/;

interface ParsedRemote {
  transport: 'https' | 'ssh';
  url: string;
  rawHost: string;
  port: number;
  /** Plain http: only to a loopback address, with ALLOW_LOOPBACK_REPOS (the dev simulators). */
  plain?: boolean;
}

function parseTarget(text: string, policy: RepoHostPolicy): { transport: 'local'; url: string } | ParsedRemote {
  if (/[\s\x00-\x1f\x7f-\x9f]/.test(text)) refuse('the repository URL must not contain white space or control characters');
  if (/^file:\/\//i.test(text) || text.startsWith('/')) {
    if (!policy.allowLocal) refuse('local repositories are not allowed');
    return { transport: 'local', url: text };
  }
  if (/^https:\/\//i.test(text)) {
    const url = parseUrl(text);
    if (url.username || url.password) refuse('the repository URL must not carry a user name or password');
    return { transport: 'https', url: url.href, rawHost: url.hostname, port: Number(url.port || 443) };
  }
  if (/^http:\/\//i.test(text) && policy.allowLoopback) {
    const url = parseUrl(text);
    if (url.username || url.password) refuse('the repository URL must not carry a user name or password');
    return { transport: 'https', url: url.href, rawHost: url.hostname, port: Number(url.port || 80), plain: true };
  }
  if (/^ssh:\/\//i.test(text)) {
    // ssh is not a special scheme: its host is opaque to the URL parser, read again as https's below.
    const url = parseUrl(text);
    if (url.password) refuse('the repository URL must not carry a password');
    return { transport: 'ssh', url: text, rawHost: url.hostname, port: Number(url.port || 22) };
  }
  const scp = text.includes('://') ? null : SCP.exec(text);
  if (scp) return { transport: 'ssh', url: text, rawHost: scp[1]!, port: 22 };
  return refuse('only https and ssh repository URLs are allowed');
}

/**
 * What can be checked without DNS: the scheme, the host name against the list, and an address
 * written as the host. Throws RepoAddressRefusedError with the rule that refused it.
 */
export function checkRepoUrl(input: string, policy: RepoHostPolicy): RepoTarget {
  const parsed = parseTarget(input, policy);
  if (parsed.transport === 'local') return parsed;
  const host = canonicalHost(parsed.rawHost);
  const kind = addressKind(host.startsWith('[') ? host.slice(1, -1) : host);
  if (parsed.plain && kind !== 'loopback') refuse('plain http repository URLs are allowed only to a loopback address (ALLOW_LOOPBACK_REPOS); use https');
  if (kind !== undefined && kind !== 'public') {
    if (kind === 'loopback' && policy.allowLoopback)
      return { transport: parsed.transport, url: withHost(parsed, host), host, port: parsed.port, literal: true };
    refuse(`repository host ${host} is not allowed: it is ${describeKind(kind)}`);
  }
  if (!policy.hosts.has(host)) refuse(`repository host ${host} is not in REPO_HOSTS`);
  return { transport: parsed.transport, url: withHost(parsed, host), host, port: parsed.port, literal: kind !== undefined };
}

/** https URLs get the canonical host (curl's resolve pin must match it exactly). */
function withHost(parsed: { transport: 'https' | 'ssh'; url: string }, host: string): string {
  if (parsed.transport !== 'https') return parsed.url;
  const url = new URL(parsed.url);
  url.hostname = host;
  return url.href;
}

/** All addresses of a host name, in the resolver's order. */
export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface PinnedRepo {
  /** The URL to give git. */
  url: string;
  /** git `-c` settings for the run (GitReadOptions.config): they pin the connection. */
  config: [string, string][];
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * Connect time: checks the URL, resolves its host once, refuses it when any address is not
 * allowed (a name that answers both a public and a private address is not a repository host we
 * can trust: a rebinding attack does exactly that), and returns how to make git use the first
 * address and nothing else.
 */
export async function pinRepoUrl(input: string, policy: RepoHostPolicy, resolve: Resolve = systemResolve): Promise<PinnedRepo> {
  const target = checkRepoUrl(input, policy);
  if (target.transport === 'local') return { url: target.url, config: [] };
  // A redirect to another host would be resolved by curl itself, past the pin.
  const noRedirects: [string, string][] = target.transport === 'https' ? [['http.followRedirects', 'false']] : [];
  if (target.literal) return { url: target.url, config: noRedirects };
  let addresses: string[];
  try {
    addresses = await resolve(target.host);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new RepoHostUnresolvedError(`Cannot resolve repository host ${target.host}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  if (addresses.length === 0) throw new RepoHostUnresolvedError(`Cannot resolve repository host ${target.host} (no addresses)`);
  for (const address of addresses) {
    const kind = addressKind(address) ?? 'reserved';
    if (kind === 'public' || (kind === 'loopback' && policy.allowLoopback)) continue;
    refuse(`repository host ${target.host} is not allowed: it resolves to ${describeKind(kind)}`);
  }
  const address = addresses[0]!;
  if (target.transport === 'https') {
    // git >= 2.37: curl connects to this address; TLS (SNI, certificate) still checks the name.
    return {
      url: target.url,
      config: [['http.curloptResolve', `${target.host}:${target.port}:${address.includes(':') ? `[${address}]` : address}`], ...noRedirects],
    };
  }
  // ssh connects to the address; the host key is still checked as the name's (known_hosts).
  return { url: target.url, config: [['core.sshCommand', `ssh -o HostName=${quote(address)} -o HostKeyAlias=${quote(target.host)}`]] };
}
