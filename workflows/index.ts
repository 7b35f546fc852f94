// The workflow functions the worker registers (its workflowsPath points here).
export { projectLane } from './lane.js';
export { deployWorkflow } from './deploy.js';
export { undeployWorkflow } from './undeploy.js';
