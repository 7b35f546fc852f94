// Turns a failure caught in a workflow into the deployment's error: the step, a named type and
// a readable message. Deterministic (no I/O).
import { ActivityFailure, ApplicationFailure, TimeoutFailure, ChildWorkflowFailure, TerminatedFailure } from '@temporalio/workflow';
import type { DeploymentError } from '../activities/types.js';

export function describeFailure(error: unknown, step: DeploymentError['step']): DeploymentError {
  const cause = error instanceof ActivityFailure || error instanceof ChildWorkflowFailure ? error.cause : error;
  if (cause instanceof TimeoutFailure) {
    return { step, type: 'timeout', message: `Step ${step} did not finish within its time limit` };
  }
  if (cause instanceof TerminatedFailure) {
    return { step, type: 'terminated', message: 'The workflow was terminated by an operator' };
  }
  if (cause instanceof ApplicationFailure) {
    return { step, type: cause.type ?? 'error', message: cause.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { step, type: 'internal', message };
}
