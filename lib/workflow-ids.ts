// Every name the engine gives Temporal and its own rows: workflow types, workflow ids and
// deployment triggers. The API, the activities and the workflows all spell them from here, so a
// workflow id in the database is always the one Temporal runs. Pure: the workflow sandbox
// imports it.

/** Workflow type names, as the worker registers them (workflows/index.ts exports these functions). */
export const WorkflowType = {
  lane: 'projectLane',
  deploy: 'deployWorkflow',
  undeploy: 'undeployWorkflow',
} as const;

/** The project's lane: one per project, for its whole life. */
export const laneWorkflowId = (projectId: string) => `project/${projectId}`;
/** One workflow per deployment row; its id is stored on the row. */
export const deploymentWorkflowId = (deploymentId: string) => `deployment/${deploymentId}`;
/** One undeploy per project, ever: its id is the project's, and so is the workflow's. */
export const undeployWorkflowId = (projectId: string) => `undeploy/${projectId}`;

/** How a deployment was asked for, as the database stores it (Prisma enum DeploymentTrigger). */
export const Trigger = {
  manual: 'manual',
  webhook: 'webhook',
  retry: 'retry',
  rollback: 'rollback',
  autoRollback: 'auto_rollback',
} as const;
export type StoredTrigger = (typeof Trigger)[keyof typeof Trigger];

/** The same trigger as the API and the DeployTrigger search attribute spell it. */
export type DeploymentTrigger = Exclude<StoredTrigger, 'auto_rollback'> | 'auto-rollback';
export const publicTrigger = (trigger: StoredTrigger): DeploymentTrigger => (trigger === Trigger.autoRollback ? 'auto-rollback' : trigger);

/** `requestedBy` of the rollbacks the engine starts itself. */
export const AUTO_ROLLBACK_REQUESTER = 'auto-rollback';
