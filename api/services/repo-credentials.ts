// A project's repository credential: written encrypted, never read back. The API only ever says
// whether one is set, with which user name, and since when.
import type { Env } from '../../lib/config.js';
import type { Db } from '../../lib/db.js';
import { encryptCredential, parseKeyRing } from '../../lib/credential-crypto.js';
import type { Logger } from '../../lib/logger.js';
import { ApiError, notFound } from '../errors.js';
import type { RepoCredentialInput } from '../repo-credential-schema.js';

export interface RepoCredentialView {
  username: string;
  setAt: Date;
}

export function createRepoCredentialService({ db, config, logger }: { db: Db; config: Env; logger?: Logger }) {
  const ring = config.CREDENTIAL_KEYS ? parseKeyRing(config.CREDENTIAL_KEYS) : undefined;

  async function findProject(workspaceId: string, projectId: string) {
    const project = await db.project.findFirst({ where: { id: projectId, workspaceId, deletedAt: null }, select: { id: true } });
    if (!project) throw notFound('Project');
    return project;
  }

  return {
    async set(workspaceId: string, projectId: string, input: RepoCredentialInput): Promise<RepoCredentialView> {
      await findProject(workspaceId, projectId);
      if (!ring) throw new ApiError(503, 'credential_storage_off', 'This engine cannot store credentials: its operator has not set CREDENTIAL_KEYS');
      const { envelope, keyId } = encryptCredential(ring, input.token, projectId);
      const row = await db.project.update({
        where: { id: projectId },
        data: { repoCredential: envelope, repoCredentialKeyId: keyId, repoCredentialUsername: input.username, repoCredentialSetAt: new Date() },
        select: { repoCredentialUsername: true, repoCredentialSetAt: true },
      });
      logger?.info('repository credential set', { projectId, keyId });
      return { username: row.repoCredentialUsername!, setAt: row.repoCredentialSetAt! };
    },

    async remove(workspaceId: string, projectId: string): Promise<void> {
      await findProject(workspaceId, projectId);
      await db.project.update({
        where: { id: projectId },
        data: { repoCredential: null, repoCredentialKeyId: null, repoCredentialUsername: null, repoCredentialSetAt: null },
      });
      logger?.info('repository credential removed', { projectId });
    },
  };
}

export type RepoCredentialService = ReturnType<typeof createRepoCredentialService>;
