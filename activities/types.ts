// Types shared by the workflows (as `import type`) and the activities.
import type { DeploymentTrigger } from '../lib/workflow-ids.js';

export const STEP_NAMES = ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'] as const;
export type StepName = (typeof STEP_NAMES)[number];
export type DeploymentKind = 'deploy' | 'rollback';
export type FinalStatus = 'succeeded' | 'failed' | 'cancelled' | 'superseded';

/** What the bookkeeping knows of a deployment when it starts (workflows/plan.ts decides the rest). */
export interface DeploymentFacts {
  projectId: string;
  workspaceId: string;
  trigger: DeploymentTrigger;
  /** Known at the start for rollbacks and retries; resolved by the first step otherwise. */
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
  /** Marks the deployment running with the workflow's steps; refuses a kind that is not the row's. */
  prepareDeployment(input: { deploymentId: string; kind: DeploymentKind; steps: StepName[] }): Promise<DeploymentFacts>;
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
  markStep(input: {
    deploymentId: string;
    step: StepName;
    status: 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
    detail?: string;
  }): Promise<void>;
}
