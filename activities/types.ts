// Types shared by the workflows (as `import type`) and the activities.
export const STEP_NAMES = ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'] as const;
export type StepName = (typeof STEP_NAMES)[number];
export type DeploymentKind = 'deploy' | 'rollback';
export type DeploymentTrigger = 'manual' | 'webhook' | 'rollback' | 'auto-rollback' | 'retry';
export type FinalStatus = 'succeeded' | 'failed' | 'cancelled' | 'superseded';

/** Everything a deploy workflow needs to know, read from the database and the worker's config. */
export interface DeployPlan {
  deploymentId: string;
  projectId: string;
  workspaceId: string;
  kind: DeploymentKind;
  trigger: DeploymentTrigger;
  /** Steps this deployment runs, in order (a rollback skips resolve_source and build). */
  steps: StepName[];
  /** Time bound of each step, in ms. */
  stepTimeoutsMs: Record<StepName, number>;
  autoRollback: boolean;
  /** Known at plan time for rollbacks and retries; resolved by the first step otherwise. */
  commitSha?: string;
}

export interface SourceResult {
  commitSha: string;
  framework: string;
}

export interface BuildResult {
  buildNumber?: number;
  imageRepository: string;
  imageTag: string;
  imageDigest?: string;
  /** True when an image already built for this commit was reused (retry) and Jenkins was not called. */
  reused: boolean;
}

export interface VerifiedImage {
  imageDigest: string;
}

export interface ReleaseCommit {
  gitopsCommitSha: string;
}

export interface DeploymentError {
  step: StepName | 'queue';
  type: string;
  message: string;
}

export interface Outcome {
  status: FinalStatus;
  error?: DeploymentError;
  /** For superseded: the deployment that took its place. */
  supersededBy?: string;
}

/** The activities the workflows call (implemented in activities/*.ts). */
export interface DeployActivities {
  prepareDeployment(input: { deploymentId: string }): Promise<DeployPlan>;
  resolveSource(input: { deploymentId: string }): Promise<SourceResult>;
  build(input: { deploymentId: string }): Promise<BuildResult>;
  verifyImage(input: { deploymentId: string }): Promise<VerifiedImage>;
  commitRelease(input: { deploymentId: string }): Promise<ReleaseCommit>;
  awaitLive(input: { deploymentId: string }): Promise<void>;
  /** `autoRollback`: a failure also creates the rollback row that answers it, atomically. */
  recordOutcome(input: { deploymentId: string; outcome: Outcome; autoRollback?: boolean }): Promise<void>;
  /**
   * After a deploy failed past its GitOps commit: creates the `auto-rollback` deployment that
   * restores the project's live release, pauses auto-deploy, and returns its id (null when
   * nothing was ever live). Idempotent: a retry returns the same deployment.
   */
  startAutoRollback(input: { deploymentId: string }): Promise<{ rollbackId: string | null }>;
  /** Reports the deployment to GitHub (a no-op without a token or for other repositories). */
  reportToGitHub(input: { deploymentId: string; state: 'in_progress' | 'success' | 'failure' | 'inactive' }): Promise<void>;
  /** Stops the deployment's Jenkins build (or its queue item) if one exists; a no-op otherwise. */
  stopBuild(input: { deploymentId: string }): Promise<void>;
  markStep(input: { deploymentId: string; step: StepName; status: 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled'; detail?: string }): Promise<void>;
}
