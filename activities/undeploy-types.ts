// Types of the undeploy (DELETE /v1/projects/:id), shared by workflows/undeploy.ts (as
// `import type`) and activities/undeploy.ts. One undeploy per project: its id is the project id.
export const UNDEPLOY_STEPS = ['close_lane', 'remove_folder', 'await_gone', 'release_names'] as const;
export type UndeployStep = (typeof UNDEPLOY_STEPS)[number];
export type UndeployStatus = 'running' | 'succeeded' | 'failed';

/** What the bookkeeping knows of the project being undeployed (workflows/plan.ts holds the limits). */
export interface UndeployFacts {
  projectId: string;
  workspaceId: string;
  appName: string;
}

export interface UndeployError {
  step: UndeployStep;
  type: string;
  message: string;
}

export interface UndeployOutcome {
  status: 'succeeded' | 'failed';
  /** The GitOps commit that removed the folder; null when there was no folder to remove. */
  gitopsCommitSha: string | null;
  error?: UndeployError;
}

export interface UndeployActivities {
  /** Reads the project; marks the undeploy running (again, after a failed one). */
  prepareUndeploy(input: { projectId: string }): Promise<UndeployFacts>;
  markUndeployStep(input: { projectId: string; step: UndeployStep }): Promise<void>;
  /** After the lane closed: deployment rows it never knew of (queued in the database only) are cancelled. */
  cancelStrayDeployments(input: { projectId: string }): Promise<{ cancelled: number }>;
  /** The project's folder removed in one GitOps commit with `Undeploy-Id: <projectId>`. */
  removeAppFolder(input: { projectId: string }): Promise<{ gitopsCommitSha: string | null }>;
  /** Until Argo CD answers 404 for the app (its resources pruned by the finalizer first). */
  awaitAppGone(input: { projectId: string }): Promise<void>;
  /** Records the outcome; on success the project's cluster names are released. Idempotent. */
  finishUndeploy(input: { projectId: string; outcome: UndeployOutcome }): Promise<void>;
}
