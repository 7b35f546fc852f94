// Who a token is: a configured personal access token (every repository) or a live GitHub App
// installation token (only the repositories it was minted for). Both the REST API and git over
// smart HTTP ask here, so a revoked or expired token fails the same way on both.
import type { AppRegistry } from './apps.js';
import { repoKey } from './state.js';
import type { SimUser } from './types.js';

export interface Principal {
  user: SimUser;
  kind: 'pat' | 'installation';
  /** repoKey()s the token may see; undefined = every repository. */
  repos?: ReadonlySet<string>;
}

/** Users behind the configured tokens: the first is `sim-user`, then `sim-user-2`, ... */
export function usersForTokens(tokens: string[]): Map<string, SimUser> {
  return new Map(tokens.map((token, i) => [token, { login: i === 0 ? 'sim-user' : `sim-user-${i + 1}`, id: 9_000_001 + i }]));
}

export class Credentials {
  private readonly users: Map<string, SimUser>;
  private readonly revokedPats = new Set<string>();

  constructor(
    tokens: string[],
    readonly apps: AppRegistry,
  ) {
    this.users = usersForTokens(tokens);
  }

  reset(): void {
    this.revokedPats.clear();
  }

  resolve(token: string): Principal | undefined {
    const user = this.users.get(token);
    if (user) return this.revokedPats.has(token) ? undefined : { user, kind: 'pat' };
    const record = this.apps.liveToken(token);
    if (!record) return undefined;
    const installation = this.apps.installations.get(record.installationId);
    const app = installation && this.apps.apps.get(installation.appId);
    return app ? { user: app.bot, kind: 'installation', repos: record.repos } : undefined;
  }

  /** False when the simulator never issued that token. */
  revoke(token: string): boolean {
    if (this.users.has(token)) {
      this.revokedPats.add(token);
      return true;
    }
    return this.apps.tokens.delete(token);
  }

  /** Makes an installation token expire now; false for an unknown one (PATs do not expire: revoke them). */
  expire(token: string): boolean {
    const record = this.apps.tokens.get(token);
    if (!record) return false;
    record.expiresAtMs = Date.now() - 1;
    return true;
  }
}

export function canSee(principal: Principal | undefined, owner: string, repo: string): boolean {
  return principal !== undefined && (principal.repos === undefined || principal.repos.has(repoKey(owner, repo)));
}
