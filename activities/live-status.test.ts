// The "live at MY commit" rules, one pure case each, over applications shaped as Argo CD serves
// them (validated by the client's schema).
import { describe, expect, it } from 'vitest';
import { applicationSchema, type Application } from '../clients/argocd.js';
import { isRepoFetchError, liveStatus, type LiveStatusOptions } from './live-status.js';

const OURS = 'a'.repeat(40);
const PREVIOUS = 'b'.repeat(40);
const NEWER = 'c'.repeat(40);

const T0 = Date.parse('2025-05-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString().replace('.000Z', 'Z');

interface Fixture {
  revision?: string;
  sync?: string;
  health?: string;
  healthMessage?: string;
  operation?: string;
  op?: { revision: string; phase: string; message?: string; finishedAt?: number } | null;
  reconciledAt?: number;
  conditions?: Array<{ type: string; message: string }>;
}

/** An application as Argo CD serves it; by default live at OURS. */
function app(f: Fixture = {}): Application {
  const op = f.op === undefined ? { revision: OURS, phase: 'Succeeded', finishedAt: 5 } : f.op;
  return applicationSchema.parse({
    metadata: { name: 'ws1-alice-shop', namespace: 'argocd' },
    spec: { project: 'default' },
    status: {
      sync: { status: f.sync ?? 'Synced', ...(f.revision === '' ? {} : { revision: f.revision ?? OURS }) },
      health: { status: f.health ?? 'Healthy', ...(f.healthMessage ? { message: f.healthMessage } : {}) },
      ...(op
        ? {
            operationState: {
              operation: { sync: { revision: op.revision } },
              phase: op.phase,
              message: op.message ?? '',
              startedAt: at(1),
              ...(op.finishedAt !== undefined ? { finishedAt: at(op.finishedAt) } : {}),
              ...(op.phase === 'Running' ? {} : { syncResult: { revision: op.revision } }),
            },
          }
        : {}),
      reconciledAt: at(f.reconciledAt ?? 6),
      ...(f.conditions ? { conditions: f.conditions } : {}),
    },
    ...(f.operation ? { operation: { sync: { revision: f.operation } } } : {}),
  });
}

const options = (extra: Partial<LiveStatusOptions> = {}): LiveStatusOptions => ({ now: T0 + 60_000, degradedGraceMs: 30_000, ...extra });

describe('liveStatus', () => {
  it.each<[string, Application, Partial<LiveStatusOptions>, { state: string; type?: string }]>([
    ['Synced + Healthy at our SHA after a Succeeded operation is live', app(), {}, { state: 'live' }],
    ['no operationState at all (synced by an earlier sync of the same manifests) is live', app({ op: null }), {}, { state: 'live' }],
    ['reconciledAt equal to finishedAt (1 s resolution) is live', app({ reconciledAt: 5 }), {}, { state: 'live' }],
    [
      'the PREVIOUS commit Synced + Healthy is NOT live',
      app({ revision: PREVIOUS, op: { revision: PREVIOUS, phase: 'Succeeded', finishedAt: 5 } }),
      {},
      { state: 'waiting' },
    ],
    ['an operation in flight is not live', app({ operation: OURS, op: { revision: OURS, phase: 'Running' } }), {}, { state: 'waiting' }],
    ['an operationState still Running is not live', app({ op: { revision: OURS, phase: 'Running' } }), {}, { state: 'waiting' }],
    ['not compared since the operation finished is not live', app({ reconciledAt: 4 }), {}, { state: 'waiting' }],
    ['OutOfSync at our SHA is not live', app({ sync: 'OutOfSync' }), {}, { state: 'waiting' }],
    ['Progressing is not live', app({ health: 'Progressing' }), {}, { state: 'waiting' }],
    ['Missing is not live', app({ health: 'Missing' }), {}, { state: 'waiting' }],
    [
      'operation Failed for our SHA fails',
      app({ sync: 'OutOfSync', op: { revision: OURS, phase: 'Failed', message: 'one or more objects failed to apply', finishedAt: 5 } }),
      {},
      { state: 'failed', type: 'sync-failed' },
    ],
    [
      'operation Error for our SHA fails',
      app({ sync: 'OutOfSync', op: { revision: OURS, phase: 'Error', message: 'boom', finishedAt: 5 } }),
      {},
      { state: 'failed', type: 'sync-failed' },
    ],
    [
      'a Failed operation of the previous commit only waits',
      app({ revision: PREVIOUS, sync: 'OutOfSync', op: { revision: PREVIOUS, phase: 'Failed', finishedAt: 5 } }),
      {},
      { state: 'waiting' },
    ],
    [
      'ComparisonError (no revision reported) fails',
      app({ revision: '', sync: 'Unknown', conditions: [{ type: 'ComparisonError', message: 'Failed to load target state' }] }),
      {},
      { state: 'failed', type: 'comparison-error' },
    ],
    ['InvalidSpecError fails', app({ conditions: [{ type: 'InvalidSpecError', message: 'bad spec' }] }), {}, { state: 'failed', type: 'invalid-spec' }],
    [
      'SyncError fails',
      app({ sync: 'OutOfSync', conditions: [{ type: 'SyncError', message: `Failed sync attempt to ${OURS}` }] }),
      {},
      { state: 'failed', type: 'sync-error' },
    ],
    ['UnknownError fails', app({ conditions: [{ type: 'UnknownError', message: 'x' }] }), {}, { state: 'failed', type: 'unknown-error' }],
    ['DeletionError fails', app({ conditions: [{ type: 'DeletionError', message: 'x' }] }), {}, { state: 'failed', type: 'deletion-error' }],
    ['a warning condition does not fail', app({ conditions: [{ type: 'OrphanedResourceWarning', message: 'x' }] }), {}, { state: 'live' }],
    [
      'a chart ComparisonError is comparison-error',
      app({
        revision: '',
        sync: 'Unknown',
        conditions: [
          {
            type: 'ComparisonError',
            message:
              'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `helm template . --name-template x` failed exit status 1: Error: parse error',
          },
        ],
      }),
      {},
      { state: 'failed', type: 'comparison-error' },
    ],
    [
      'a repository ComparisonError is repo-unreachable',
      app({
        revision: '',
        sync: 'Unknown',
        conditions: [
          {
            type: 'ComparisonError',
            message:
              'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = failed to list refs: repository not found',
          },
        ],
      }),
      {},
      { state: 'failed', type: 'repo-unreachable' },
    ],
    [
      'a repository ComparisonError fails whichever revision the app shows',
      app({
        revision: PREVIOUS,
        sync: 'Unknown',
        conditions: [
          {
            type: 'ComparisonError',
            message:
              'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = failed to list refs: authentication required',
          },
        ],
      }),
      {},
      { state: 'failed', type: 'repo-unreachable' },
    ],
    [
      'SharedResourceWarning at our SHA is shared-resource',
      app({
        conditions: [{ type: 'SharedResourceWarning', message: 'Deployment/alice-shop is part of applications argocd/ws1-alice-shop and ws2-alice-shop' }],
      }),
      {},
      { state: 'failed', type: 'shared-resource' },
    ],
    [
      'SharedResourceWarning about another revision only waits',
      app({ revision: PREVIOUS, conditions: [{ type: 'SharedResourceWarning', message: 'x' }] }),
      {},
      { state: 'waiting' },
    ],
    [
      'an error condition about another revision only waits',
      app({ revision: PREVIOUS, conditions: [{ type: 'SyncError', message: 'old' }] }),
      {},
      { state: 'waiting' },
    ],
    ['Degraded first seen now waits', app({ health: 'Degraded', healthMessage: 'Back-off pulling image "x"' }), {}, { state: 'waiting' }],
    ['Degraded within the grace period waits', app({ health: 'Degraded' }), { degradedSince: T0 + 50_000 }, { state: 'waiting' }],
    [
      'Degraded past the grace period fails',
      app({ health: 'Degraded', healthMessage: 'Back-off pulling image "x"' }),
      { degradedSince: T0 },
      { state: 'failed', type: 'degraded' },
    ],
    [
      'a newer revision the caller knows of is superseded',
      app({ revision: NEWER, op: { revision: NEWER, phase: 'Succeeded', finishedAt: 5 } }),
      { knownNewer: (r) => r === NEWER },
      { state: 'superseded' },
    ],
    ['another revision without knownNewer only waits', app({ revision: NEWER }), {}, { state: 'waiting' }],
  ])('%s', (_name, application, extra, expected) => {
    expect(liveStatus(application, OURS, options(extra))).toMatchObject(expected);
  });

  it('hands back degradedSince while Degraded within the grace period, and the message when it fails', () => {
    const first = liveStatus(app({ health: 'Degraded' }), OURS, options());
    expect(first).toEqual({ state: 'waiting', reason: expect.stringContaining('Degraded') as unknown, degradedSince: T0 + 60_000 });
    const failed = liveStatus(app({ health: 'Degraded', healthMessage: 'Back-off pulling image "x"' }), OURS, options({ degradedSince: T0 + 20_000 }));
    expect(failed).toEqual({ state: 'failed', type: 'degraded', message: 'Degraded: Back-off pulling image "x"' });
  });

  it.each([
    ['rpc error: code = Unknown desc = failed to list refs: repository not found', true],
    ['rpc error: code = Unknown desc = failed to list refs: authentication required', true],
    ['failed to list refs: ssh: handshake failed: knownhosts: key is unknown', true],
    ['failed to list refs: ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain', true],
    ["rpc error: code = Internal desc = unable to resolve git revision : unable to resolve 'main' to a commit SHA", true],
    ['failed to list refs: dial tcp: lookup git.invalid: no such host', true],
    ['rpc error: code = Unknown desc = `helm template .` failed exit status 1: Error: YAML parse error', false],
    [
      'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:8081: connect: connection refused"',
      false,
    ],
  ])('isRepoFetchError(%s) is %s', (message, expected) => {
    expect(isRepoFetchError(message)).toBe(expected);
  });

  it('reports the superseding revision', () => {
    expect(liveStatus(app({ revision: NEWER }), OURS, options({ knownNewer: true }))).toEqual({ state: 'superseded', revision: NEWER });
  });
});
