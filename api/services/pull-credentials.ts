// The registry credential of a workspace's pull-only Harbor robot, for External Secrets (its
// webhook provider asks GET /v1/pull-credentials/:workspaceId; docs/pull-credentials.md). It
// only reads what the worker stored (activities/pull-access.ts): the API holds no Harbor account
// that could create robots, and a poll every refresh interval never writes anything to Harbor.
import type { Env } from '../../lib/config.js';
import { CredentialCryptoError, parseKeyRing } from '../../lib/credential-crypto.js';
import type { Db } from '../../lib/db.js';
import { openPullSecret, pullRegistryHost } from '../../lib/pull-robot.js';
import { ApiError, notFound } from '../errors.js';

/** What the store's `jsonPath: $` hands to the ExternalSecret: the keys of a dockerconfigjson template. */
export interface PullCredentials {
  registry: string;
  username: string;
  password: string;
}

export function createPullCredentialService({ db, config }: { db: Db; config: Env }) {
  const ring = config.CREDENTIAL_KEYS ? parseKeyRing(config.CREDENTIAL_KEYS) : undefined;
  const registry = pullRegistryHost(config);

  return {
    async get(workspaceId: string): Promise<PullCredentials> {
      const workspace = await db.workspace.findUnique({ where: { id: workspaceId }, select: { pullRobot: true } });
      if (!workspace) throw notFound('Workspace');
      const robot = workspace.pullRobot;
      if (!robot?.secret) {
        // The worker makes the robot before the workspace's first release is committed, so
        // External Secrets only meets this in that short window, and retries.
        throw new ApiError(404, 'pull_credentials_pending', `Workspace ${workspaceId} has no pull robot yet: its first deploy makes one`);
      }
      if (!ring) throw new ApiError(503, 'credential_storage_off', 'This engine cannot read stored credentials: its operator has not set CREDENTIAL_KEYS');
      try {
        return { registry, username: robot.robotName, password: openPullSecret(ring, workspaceId, robot.secret) };
      } catch (error) {
        if (error instanceof CredentialCryptoError)
          throw new ApiError(503, 'credential_unreadable', `The workspace's pull credential cannot be decrypted: ${error.message}`);
        throw error;
      }
    },
  };
}

export type PullCredentialService = ReturnType<typeof createPullCredentialService>;
