// The plan, as pure cases: which steps each kind runs, the limits it gives them, and when a
// failure puts the last release back.
import { describe, expect, it } from 'vitest';
import { BACKSTOP_MS, deployPlan, rollsBack, undeployPlan, type DeploySettings } from './plan.js';

const settings: DeploySettings = {
  timeoutsMs: { resolveSource: 1_000, build: 2_000, verifyImage: 3_000, commitRelease: 4_000, awaitLive: 5_000 },
  autoRollback: true,
};

describe('deployPlan', () => {
  it('a deploy runs the five steps in order, each bounded by its own setting; the long ones heartbeat', () => {
    expect(deployPlan('deploy', settings).steps).toEqual([
      { name: 'resolve_source', limitMs: 1_000, heartbeat: false },
      { name: 'build', limitMs: 2_000, heartbeat: true },
      { name: 'verify_image', limitMs: 3_000, heartbeat: true },
      { name: 'commit_release', limitMs: 4_000, heartbeat: false },
      { name: 'await_live', limitMs: 5_000 + BACKSTOP_MS, heartbeat: true },
    ]);
  });

  it('a rollback builds nothing: it confirms the image, commits and awaits', () => {
    expect(deployPlan('rollback', settings).steps.map((s) => s.name)).toEqual(['verify_image', 'commit_release', 'await_live']);
  });

  it('the live-URL probe runs inside await_live, so its timeout widens that bound', () => {
    const probed = deployPlan('deploy', { ...settings, liveUrlProbeMs: 7_000 });
    expect(probed.steps.find((s) => s.name === 'await_live')!.limitMs).toBe(5_000 + 7_000 + BACKSTOP_MS);
  });
});

describe('rollsBack', () => {
  const deploy = deployPlan('deploy', settings);
  it('a deploy that fails while awaiting live puts the last release back', () => {
    expect(rollsBack(deploy, 'await_live', 'app_degraded')).toBe(true);
    expect(rollsBack(deploy, 'await_live', 'timeout')).toBe(true);
  });
  it('not for failures that say nothing about the release', () => {
    for (const type of ['superseded', 'repo_unreachable', 'argocd_forbidden']) expect(rollsBack(deploy, 'await_live', type)).toBe(false);
  });
  it('not before the release was committed, not for a rollback, not with AUTO_ROLLBACK off', () => {
    expect(rollsBack(deploy, 'build', 'build_failed')).toBe(false);
    expect(rollsBack(deployPlan('rollback', settings), 'await_live', 'app_degraded')).toBe(false);
    expect(rollsBack(deployPlan('deploy', { ...settings, autoRollback: false }), 'await_live', 'app_degraded')).toBe(false);
  });
});

describe('undeployPlan', () => {
  it('the lane and the removal commit get UNDEPLOY_TIMEOUT in total; the wait for Argo CD a backstop beyond it', () => {
    expect(undeployPlan({ timeoutMs: 90_000, commitTimeoutMs: 5_000 })).toEqual({
      laneCloseMs: 90_000,
      removeFolder: { attemptMs: 5_000, totalMs: 90_000 },
      awaitGoneMs: 90_000 + BACKSTOP_MS,
    });
  });
});
