// Workspaces with a token of every role, for tests that act as several tenants.
import { createApiToken, createWorkspace, TOKEN_ROLES, type TokenRole } from '../../lib/token-admin.js';
import { addWorkspaceUsers } from '../../lib/workspace-users.js';
import type { TestStack } from './engine-stack.js';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface Tenant {
  workspaceId: string;
  tokens: Record<TokenRole, string>;
  /** Calls the API with this workspace's token of `role`. */
  call<T = any>(role: TokenRole, method: string, route: string, body?: unknown): Promise<ApiAnswer<T>>;
}

/** Sends a request with a bearer token (or none) and reads the answer whatever its type. */
export async function callApi<T = any>(
  stack: Pick<TestStack, 'app'>,
  token: string | undefined,
  method: string,
  route: string,
  body?: unknown,
): Promise<ApiAnswer<T>> {
  const res = await stack.app.request(route, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a text/plain log): keep the text
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/**
 * The users the tests create projects for. A workspace may act only for the users listed for it
 * (lib/workspace-users.ts), so the test workspaces get these unless a test names its own.
 */
export const TEST_USERS: readonly string[] = [
  'alice',
  'ann',
  'b-c',
  'bea',
  'bob',
  'c',
  'c2',
  'carol',
  'cid',
  'dana',
  'dave',
  'dot',
  'erin',
  'eve',
  'finn',
  'frank',
  'gina',
  'gus',
  'hal',
  'hana',
  'ivan',
  'jo',
  'kim',
  'lee',
  'max',
  'y-zed',
  'zed',
];

/** Creates the workspace (unless it is the stack's own), lets it act for `users`, and one token per role. */
export async function createTenant(stack: TestStack, workspaceId: string, users: readonly string[] = TEST_USERS): Promise<Tenant> {
  if (workspaceId !== stack.config.DEV_WORKSPACE_ID) await createWorkspace(stack.db, { id: workspaceId, name: `Workspace ${workspaceId}` });
  if (users.length) await addWorkspaceUsers(stack.db, workspaceId, users);
  const tokens = {} as Record<TokenRole, string>;
  for (const role of TOKEN_ROLES) tokens[role] = (await createApiToken(stack.db, { workspaceId, name: `${workspaceId} ${role}`, role })).token;
  return { workspaceId, tokens, call: (role, method, route, body) => callApi(stack, tokens[role], method, route, body) };
}
