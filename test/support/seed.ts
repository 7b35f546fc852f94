// Rows a test needs without running deploys: releases that went live, a failed deploy, a log.
// Written straight to the database (the shapes the workflow itself writes).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../../lib/db.js';

const sha = () => randomBytes(20).toString('hex');
const digest = () => `sha256:${randomBytes(32).toString('hex')}`;

export interface SeededHistory {
  /** The release live before the current one (the default rollback target). */
  previous: string;
  /** The live release; it has a stored build log. */
  live: string;
  /** A failed deploy (retryable). */
  failed: string;
  log: string;
}

/** Two releases (the second live), a failed deploy and a build log for `projectId`. */
export async function seedHistory(db: Db, project: { id: string; workspaceId: string }, log = 'Step 1/3 : FROM node:20\nbuilt\n'): Promise<SeededHistory> {
  const base = {
    projectId: project.id,
    workspaceId: project.workspaceId,
    kind: 'deploy' as const,
    trigger: 'manual' as const,
    branch: 'main',
    framework: 'node',
    requestedBy: 'seed',
  };
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
  const release = (minutesAgo: number, replaced: boolean) => ({
    ...base,
    id: randomUUID(),
    status: 'succeeded' as const,
    commitSha: sha(),
    imageRepository: 'library/app',
    imageTag: 'seed',
    imageDigest: digest(),
    gitopsCommitSha: sha(),
    liveUrl: 'http://seed.apps.localhost',
    queuedAt: at(minutesAgo + 1),
    startedAt: at(minutesAgo + 1),
    finishedAt: at(minutesAgo),
    liveAt: at(minutesAgo),
    replacedAt: replaced ? at(minutesAgo - 5) : null,
  });
  const previous = release(20, true);
  const live = release(10, false);
  const failed = {
    ...base,
    id: randomUUID(),
    status: 'failed' as const,
    commitSha: sha(),
    errorStep: 'build',
    errorType: 'build_failed',
    errorMessage: 'seeded failure',
    queuedAt: at(3),
    finishedAt: at(2),
  };
  await db.deployment.createMany({ data: [previous, live, failed] });
  await db.project.update({ where: { id: project.id }, data: { liveDeploymentId: live.id } });
  const bytes = Buffer.byteLength(log);
  await db.buildLogChunk.create({ data: { deploymentId: live.id, offset: 0n, length: bytes, rawEnd: BigInt(bytes), text: log } });
  return { previous: previous.id, live: live.id, failed: failed.id, log };
}

/** A project row that has never had a lane, with one queued deployment (cancel answers not-in-lane). */
export async function seedQueued(db: Db, workspaceId: string, name: string, userId: string): Promise<{ projectId: string; deploymentId: string }> {
  const project = await db.project.create({
    data: { workspaceId, userId, name, repoUrl: 'https://git.example.com/seed/app.git', repoKey: `seed/${name}`, branch: 'main', appPort: 8080 },
  });
  const deploymentId = randomUUID();
  await db.deployment.create({
    data: { id: deploymentId, projectId: project.id, workspaceId, kind: 'deploy', trigger: 'manual', status: 'queued', branch: 'main', requestedBy: 'seed' },
  });
  return { projectId: project.id, deploymentId };
}
