// The simulators as a process (`npm run simulators`, and `npm start` when no real Jenkins,
// Harbor or Argo CD is configured). Prints one JSON line with their URLs, then serves.
import path from 'node:path';
import { envSchema } from '../lib/config.js';
import { startWorld, type SimulatorName } from './world.js';

// SIM_ONLY=jenkins,argocd starts just those (the dev stack passes the systems it simulates).
// `ingress` in the list adds the ingress simulator, over the simulated Argo CD or ARGOCD_URL.
const listed = (process.env.SIM_ONLY || 'jenkins,harbor,argocd').split(',').map((s) => s.trim());
const only = listed.filter((name) => name !== 'ingress') as SimulatorName[];
const withIngress = listed.includes('ingress');
const pollMs = Number(process.env.SIM_ARGO_POLL_MS || 180_000);

const settings = envSchema
  .pick({
    JENKINS_USER: true,
    JENKINS_API_TOKEN: true,
    JENKINS_JOB: true,
    HARBOR_USERNAME: true,
    HARBOR_PASSWORD: true,
    HARBOR_PROJECT: true,
    ARGOCD_USERNAME: true,
    ARGOCD_PASSWORD: true,
    GITOPS_REPO_URL: true,
    GITOPS_BRANCH: true,
    HARBOR_URL: true,
    ARGOCD_TOKEN: true,
    ARGOCD_URL: true,
    APPS_DOMAIN: true,
  })
  .parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));

const world = await startWorld({
  credentials: {
    jenkins: { user: settings.JENKINS_USER, apiToken: settings.JENKINS_API_TOKEN },
    harbor: { username: settings.HARBOR_USERNAME, password: settings.HARBOR_PASSWORD, project: settings.HARBOR_PROJECT },
    argocd: { username: settings.ARGOCD_USERNAME, password: settings.ARGOCD_PASSWORD },
  },
  jenkinsJob: settings.JENKINS_JOB,
  gitops: { url: path.resolve(settings.GITOPS_REPO_URL), branch: settings.GITOPS_BRANCH },
  dataDir: path.resolve(process.env.SIM_DATA_DIR ?? '.data/simulators'),
  persistRegistry: true,
  helmBinary: process.env.SIM_HELM || undefined,
  // Argo CD polls Git every 3 minutes; the engine refreshes right after each push anyway.
  argoPollIntervalMs: pollMs,
  only,
  // With a real Harbor, simulated builds push to it and the simulated Argo CD pulls from it.
  externalRegistry: only.includes('harbor') ? undefined : { url: settings.HARBOR_URL, username: settings.HARBOR_USERNAME, password: settings.HARBOR_PASSWORD },
  argocdTokens: settings.ARGOCD_TOKEN ? [settings.ARGOCD_TOKEN] : undefined,
  ports: { jenkins: 8081, harbor: 8082, argocd: 8083 },
  ...(withIngress
    ? {
        ingress: {
          port: 18480,
          appsDomain: settings.APPS_DOMAIN,
          // Not simulating Argo CD (the real-cluster mode): read the configured one.
          ...(only.includes('argocd')
            ? {}
            : {
                argocd: settings.ARGOCD_TOKEN
                  ? { url: settings.ARGOCD_URL, token: settings.ARGOCD_TOKEN }
                  : { url: settings.ARGOCD_URL, username: settings.ARGOCD_USERNAME, password: settings.ARGOCD_PASSWORD },
              }),
        },
      }
    : {}),
});
process.stdout.write(`${JSON.stringify(world.urls)}\n`);

const stop = () => void world.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
