// Typed search attributes: ops find any deploy in the Temporal UI with queries such as
// `ProjectId = "..." AND DeployStatus = "failed"`. Registered by scripts/lib/temporal-server.ts.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ProjectId = defineSearchAttributeKey('ProjectId', SearchAttributeType.KEYWORD);
export const WorkspaceId = defineSearchAttributeKey('WorkspaceId', SearchAttributeType.KEYWORD);
export const DeploymentId = defineSearchAttributeKey('DeploymentId', SearchAttributeType.KEYWORD);
export const CommitSha = defineSearchAttributeKey('CommitSha', SearchAttributeType.KEYWORD);
export const DeployTrigger = defineSearchAttributeKey('DeployTrigger', SearchAttributeType.KEYWORD);
export const DeployStatus = defineSearchAttributeKey('DeployStatus', SearchAttributeType.KEYWORD);
export const DeployKind = defineSearchAttributeKey('DeployKind', SearchAttributeType.KEYWORD);
