// The Application resource as Argo CD's API serves it (pkg/apis/application/v1alpha1/types.go),
// limited to the fields the simulator fills. JSON names match the real ones exactly.

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
export type ConditionType =
  'ComparisonError' | 'InvalidSpecError' | 'SyncError' | 'UnknownError' | 'DeletionError' | 'OrphanedResourceWarning' | 'SharedResourceWarning';

export interface ApplicationSource {
  repoURL: string;
  path: string;
  targetRevision: string;
  helm: { releaseName: string; valueFiles: string[] };
}

export interface ApplicationDestination {
  server: string;
  namespace: string;
}

export interface SyncOperation {
  revision: string;
  prune?: boolean;
  dryRun?: boolean;
  syncOptions?: string[];
}

export interface Operation {
  sync: SyncOperation;
  initiatedBy: { username?: string; automated?: boolean };
  retry: Record<string, never>;
}

export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message: string;
  hookPhase: 'Running' | 'Succeeded' | 'Failed';
  syncPhase: 'Sync';
}

export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  message: string;
  syncResult?: { resources: ResourceResult[]; revision: string; source: ApplicationSource };
  startedAt: string;
  finishedAt?: string;
}

export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: SyncStatusCode;
  health?: { status: HealthStatusCode; message?: string };
}

export interface RevisionHistory {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: ApplicationSource;
  initiatedBy: { username?: string; automated?: boolean };
}

export interface ApplicationCondition {
  type: ConditionType;
  message: string;
  lastTransitionTime: string;
}

export interface ApplicationStatus {
  resources: ResourceStatus[];
  sync: { status: SyncStatusCode; comparedTo: { source: ApplicationSource; destination: ApplicationDestination }; revision?: string };
  health: { status: HealthStatusCode; message?: string };
  history?: RevisionHistory[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
  operationState?: OperationState;
  sourceType: 'Helm';
  summary: { externalURLs?: string[]; images?: string[] };
  controllerNamespace: string;
}

export interface Application {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
  };
  spec: {
    source: ApplicationSource;
    destination: ApplicationDestination;
    project: string;
    syncPolicy: { automated: { prune: boolean; selfHeal: boolean } };
  };
  status: ApplicationStatus;
  operation?: Operation;
}

/** One object of a rendered chart, reduced to what Argo CD shows about it. */
export interface RenderedResource {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Kubernetes (metav1.Time) timestamps have a resolution of one second. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
