// JSON renderings of the remote access API (`/api/json`), with the `_class` names, field
// names and shapes of Jenkins 2.4xx with the Pipeline and Folders plugins. `full` renders
// nested objects completely (used with `?tree=`, which may reach any exported property);
// without it nested builds are shallow, as at Jenkins' default depth 0.
import { MASK } from './log.js';
import type { Build, Folder, Item, Job, ParameterValue, QueueItem } from './model.js';
import { itemUrlPath } from './jobs.js';

export const CLASS = {
  hudson: 'hudson.model.Hudson',
  folder: 'com.cloudbees.hudson.plugins.folder.Folder',
  job: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
  run: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
  waiting: 'hudson.model.Queue$WaitingItem',
  buildable: 'hudson.model.Queue$BuildableItem',
  left: 'hudson.model.Queue$LeftItem',
  queue: 'hudson.model.Queue',
  parametersAction: 'hudson.model.ParametersAction',
  stringValue: 'hudson.model.StringParameterValue',
  stringDefinition: 'hudson.model.StringParameterDefinition',
  passwordValue: 'hudson.model.PasswordParameterValue',
  passwordDefinition: 'hudson.model.PasswordParameterDefinition',
  parametersProperty: 'hudson.model.ParametersDefinitionProperty',
  causeAction: 'hudson.model.CauseAction',
  userIdCause: 'hudson.model.Cause$UserIdCause',
  crumbIssuer: 'hudson.security.csrf.DefaultCrumbIssuer',
  allView: 'hudson.model.AllView',
} as const;

export function itemUrl(base: string, item: Item): string {
  return `${base}${itemUrlPath(item.path)}`;
}

export function buildUrl(base: string, build: Build): string {
  return `${itemUrl(base, build.job)}${build.number}/`;
}

export function jobColor(job: Job): string {
  if (job.disabled) return 'disabled';
  const last = job.builds[job.builds.length - 1];
  const lastDone = [...job.builds].reverse().find((b) => !b.building);
  const base = !lastDone ? 'notbuilt' : colorOf(lastDone.result);
  return last?.building ? `${base}_anime` : base;
}

function colorOf(result: Build['result']): string {
  switch (result) {
    case 'SUCCESS':
      return 'blue';
    case 'UNSTABLE':
      return 'yellow';
    case 'FAILURE':
      return 'red';
    case 'ABORTED':
      return 'aborted';
    default:
      return 'notbuilt';
  }
}

function itemSummary(base: string, item: Item): Record<string, unknown> {
  return item.kind === 'job'
    ? { _class: CLASS.job, name: item.name, url: itemUrl(base, item), color: jobColor(item) }
    : { _class: CLASS.folder, name: item.name, url: itemUrl(base, item) };
}

export function rootJson(base: string, root: Folder, numExecutors: number): Record<string, unknown> {
  return {
    _class: CLASS.hudson,
    assignedLabels: [{ name: 'built-in' }],
    mode: 'NORMAL',
    nodeDescription: "the Jenkins controller's built-in node",
    nodeName: '',
    numExecutors,
    description: null,
    jobs: [...root.children.values()].map((i) => itemSummary(base, i)),
    overallLoad: {},
    primaryView: { _class: CLASS.allView, name: 'all', url: `${base}/` },
    quietDownReason: null,
    quietingDown: false,
    slaveAgentPort: 50000,
    unlabeledLoad: { _class: 'jenkins.model.UnlabeledLoadStatistics' },
    url: `${base}/`,
    useCrumbs: true,
    useSecurity: true,
    views: [{ _class: CLASS.allView, name: 'all', url: `${base}/` }],
  };
}

export function folderJson(base: string, folder: Folder): Record<string, unknown> {
  const url = itemUrl(base, folder);
  return {
    _class: CLASS.folder,
    actions: [{}, { _class: 'com.cloudbees.plugins.credentials.ViewCredentialsAction' }],
    description: null,
    displayName: folder.name,
    displayNameOrNull: null,
    fullDisplayName: folder.path.join(' » '),
    fullName: folder.fullName,
    name: folder.name,
    url,
    healthReport: [],
    jobs: [...folder.children.values()].map((i) => itemSummary(base, i)),
    primaryView: { _class: CLASS.allView, name: 'All', url },
    views: [{ _class: CLASS.allView, name: 'All', url }],
  };
}

function buildRef(base: string, build: Build | undefined, full: boolean): Record<string, unknown> | null {
  if (!build) return null;
  return full ? buildJson(base, build) : { _class: CLASS.run, number: build.number, url: buildUrl(base, build) };
}

export function jobJson(base: string, job: Job, queued: QueueItem | undefined, full: boolean): Record<string, unknown> {
  const builds = [...job.builds].reverse(); // newest first
  const done = builds.filter((b) => !b.building);
  const pick = (pred: (b: Build) => boolean) => buildRef(base, done.find(pred), full);
  return {
    _class: CLASS.job,
    actions: [
      ...(job.parameters ? [{ _class: CLASS.parametersProperty, parameterDefinitions: parameterDefinitions(job) }] : []),
      {},
      {},
      { _class: 'org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction' },
      { _class: 'com.cloudbees.plugins.credentials.ViewCredentialsAction' },
    ],
    description: '',
    displayName: job.name,
    displayNameOrNull: null,
    fullDisplayName: job.path.join(' » '),
    fullName: job.fullName,
    name: job.name,
    url: itemUrl(base, job),
    buildable: !job.disabled,
    builds: builds.slice(0, 100).map((b) => buildRef(base, b, full)),
    allBuilds: full ? builds.map((b) => buildRef(base, b, true)) : undefined,
    color: jobColor(job),
    firstBuild: buildRef(base, job.builds[0], full),
    healthReport: [],
    inQueue: queued !== undefined,
    keepDependencies: false,
    lastBuild: buildRef(base, builds[0], full),
    lastCompletedBuild: pick(() => true),
    lastFailedBuild: pick((b) => b.result === 'FAILURE'),
    lastStableBuild: pick((b) => b.result === 'SUCCESS'),
    lastSuccessfulBuild: pick((b) => b.result === 'SUCCESS' || b.result === 'UNSTABLE'),
    lastUnstableBuild: pick((b) => b.result === 'UNSTABLE'),
    lastUnsuccessfulBuild: pick((b) => b.result !== 'SUCCESS'),
    nextBuildNumber: job.nextBuildNumber,
    property: job.parameters ? [{ _class: CLASS.parametersProperty, parameterDefinitions: parameterDefinitions(job) }] : [],
    queueItem: queued ? queueItemJson(base, queued) : null,
    concurrentBuild: true,
    disabled: job.disabled,
    resumeBlocked: false,
  };
}

function parameterDefinitions(job: Job): Array<Record<string, unknown>> {
  return (job.parameters ?? []).map((p) =>
    p.type === 'password'
      ? // PasswordParameterDefinition exports no `trim`, and its default is a Secret: the default
        // PasswordParameterValue shows only its name.
        {
          _class: CLASS.passwordDefinition,
          defaultParameterValue: { _class: CLASS.passwordValue, name: p.name },
          description: p.description,
          name: p.name,
          type: 'PasswordParameterDefinition',
        }
      : {
          _class: CLASS.stringDefinition,
          defaultParameterValue: { _class: CLASS.stringValue, name: p.name, value: p.defaultValue },
          description: p.description,
          name: p.name,
          type: 'StringParameterDefinition',
          trim: false,
        },
  );
}

/** PasswordParameterValue.getValue() is not @Exported: a password shows its name only. */
function parameterValueJson(p: ParameterValue): Record<string, unknown> {
  return p.type === 'password' ? { _class: CLASS.passwordValue, name: p.name } : { _class: CLASS.stringValue, name: p.name, value: p.value };
}

function parametersAction(params: Build['params']): Record<string, unknown> {
  return { _class: CLASS.parametersAction, parameters: params.map(parameterValueJson) };
}

function causeAction(causes: Build['causes']): Record<string, unknown> {
  return {
    _class: CLASS.causeAction,
    causes: causes.map((c) => ({ _class: CLASS.userIdCause, shortDescription: `Started by user ${c.userName}`, userId: c.userId, userName: c.userName })),
  };
}

export function buildJson(base: string, build: Build): Record<string, unknown> {
  const job = build.job;
  const index = job.builds.indexOf(build);
  const prev = index > 0 ? job.builds[index - 1] : undefined;
  const next = index >= 0 ? job.builds[index + 1] : undefined;
  const ref = (b: Build | undefined) => (b ? { number: b.number, url: buildUrl(base, b) } : null);
  const actions: Array<Record<string, unknown>> = [
    parametersAction(build.params),
    causeAction(build.causes),
    {
      _class: 'jenkins.metrics.impl.TimeInQueueAction',
      blockedDurationMillis: 0,
      blockedTimeMillis: 0,
      buildableDurationMillis: build.queuedMs,
      buildableTimeMillis: build.queuedMs,
      buildingDurationMillis: build.building ? Date.now() - build.timestamp : build.duration,
      executingTimeMillis: build.building ? Date.now() - build.timestamp : build.duration,
      executorUtilization: 1,
      subTaskCount: 0,
      waitingDurationMillis: 0,
      waitingTimeMillis: 0,
    },
    {},
  ];
  if (build.git) {
    const branch = { SHA1: build.git.sha, name: build.git.branch };
    actions.push({
      _class: 'hudson.plugins.git.util.BuildData',
      buildsByBranchName: {
        [build.git.branch]: { _class: 'hudson.plugins.git.util.Build', buildNumber: build.number, buildResult: null, marked: branch, revision: branch },
      },
      lastBuiltRevision: { SHA1: build.git.sha, branch: [branch] },
      remoteUrls: [build.git.remoteUrl],
      scmName: '',
    });
  }
  actions.push(
    { _class: 'org.jenkinsci.plugins.workflow.job.views.FlowGraphAction' },
    {},
    { _class: 'org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction' },
  );
  return {
    _class: CLASS.run,
    actions,
    artifacts: build.artifacts.map((a) => ({ displayPath: a.fileName, fileName: a.fileName, relativePath: a.relativePath })),
    building: build.building,
    description: build.description,
    displayName: `#${build.number}`,
    duration: build.duration,
    estimatedDuration: build.estimatedDuration,
    executor: null,
    fullDisplayName: `${job.path.join(' » ')} #${build.number}`,
    id: String(build.number),
    keepLog: false,
    number: build.number,
    queueId: build.queueId,
    result: build.result,
    timestamp: build.timestamp,
    url: buildUrl(base, build),
    changeSets: [],
    culprits: [],
    inProgress: build.building,
    nextBuild: ref(next),
    previousBuild: ref(prev),
  };
}

const why = {
  waiting: (item: QueueItem) => `In the quiet period. Expires in ${timeSpan(Math.max(0, item.waitingUntil - Date.now()))}`,
  buildable: () => 'Waiting for next available executor',
};

/** Jenkins' Util.getTimeSpanString, close enough: "4.9 sec", "120 ms", "1 min 5 sec". */
export function timeSpan(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} sec`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} sec`;
  const min = Math.floor(ms / 60_000);
  const sec = Math.round((ms % 60_000) / 1000);
  return sec ? `${min} min ${sec} sec` : `${min} min`;
}

export function queueItemJson(base: string, item: QueueItem): Record<string, unknown> {
  const common = {
    actions: [parametersAction(item.params), causeAction(item.causes)],
    blocked: false,
    buildable: item.stage === 'buildable',
    id: item.id,
    inQueueSince: item.inQueueSince,
    // Queue.Item.getParams: every value's getShortDescription, "NAME=****" for a password.
    params: item.params.map((p) => `\n${p.name}=${p.type === 'password' ? MASK : p.value}`).join(''),
    stuck: false,
    task: { _class: CLASS.job, name: item.job.name, url: itemUrl(base, item.job), color: jobColor(item.job) },
    url: `queue/item/${item.id}/`,
  };
  switch (item.stage) {
    case 'waiting':
      return { _class: CLASS.waiting, ...common, why: why.waiting(item), timestamp: item.waitingUntil };
    case 'buildable':
      return { _class: CLASS.buildable, ...common, why: why.buildable(), buildableStartMilliseconds: item.buildableSince ?? item.waitingUntil, pending: false };
    case 'left':
      return {
        _class: CLASS.left,
        ...common,
        why: null,
        cancelled: item.cancelled,
        executable: item.build ? { _class: CLASS.run, number: item.build.number, url: buildUrl(base, item.build) } : null,
      };
  }
}
