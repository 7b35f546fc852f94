// Argo CD's RBAC, as much as the engine meets: an account may be refused applications (a
// policy.csv without `p, <account>, applications, get, default/<app>, allow`). The real server
// answers 403 `permission denied` for such an app whether or not it exists, with or without
// `?project=`, and leaves it out of lists (server/application/application.go, getAppEnforceRBAC).
export class RbacPolicy {
  /** account -> app names it may not get or sync (`*`: every app). */
  private readonly denied = new Map<string, Set<string>>();

  deny(account: string, apps: string[]): void {
    if (apps.length === 0) this.denied.delete(account);
    else this.denied.set(account, new Set(apps));
  }

  allows(account: string, app: string): boolean {
    const denied = this.denied.get(account);
    return !denied || !(denied.has('*') || denied.has(app));
  }

  snapshot(): Record<string, string[]> {
    return Object.fromEntries([...this.denied].map(([account, apps]) => [account, [...apps]]));
  }

  clear(): void {
    this.denied.clear();
  }
}
