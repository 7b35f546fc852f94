import { describe, expect, it } from 'vitest';
import { applyTree, parseTree, TreeSyntaxError } from './tree.js';

describe('tree filter', () => {
  const job = {
    _class: 'Job',
    name: 'app',
    nextBuildNumber: 4,
    lastBuild: { _class: 'Run', number: 3, url: 'u3' },
    builds: [
      {
        _class: 'Run',
        number: 3,
        queueId: 12,
        result: null,
        actions: [{ _class: 'P', parameters: [{ _class: 'S', name: 'DEPLOY_ID', value: 'd3' }] }, {}, { _class: 'C', causes: [] }],
      },
      { _class: 'Run', number: 2, queueId: 11, result: 'SUCCESS', actions: [] },
    ],
  };

  it('keeps only the named fields, recursively, and always _class', () => {
    expect(applyTree(job, parseTree('builds[number,queueId]'))).toEqual({
      _class: 'Job',
      builds: [
        { _class: 'Run', number: 3, queueId: 12 },
        { _class: 'Run', number: 2, queueId: 11 },
      ],
    });
    expect(applyTree(job, parseTree('builds[number,actions[parameters[name,value]]]'))).toEqual({
      _class: 'Job',
      builds: [
        { _class: 'Run', number: 3, actions: [{ _class: 'P', parameters: [{ _class: 'S', name: 'DEPLOY_ID', value: 'd3' }] }, {}, { _class: 'C' }] },
        { _class: 'Run', number: 2, actions: [] },
      ],
    });
  });

  it('keeps null values, drops unknown names, reduces an object named without [] to its _class', () => {
    expect(applyTree(job, parseTree('name,nope,lastBuild,builds[result]'))).toEqual({
      _class: 'Job',
      name: 'app',
      lastBuild: { _class: 'Run' },
      builds: [
        { _class: 'Run', result: null },
        { _class: 'Run', result: 'SUCCESS' },
      ],
    });
  });

  it('slices arrays with {m,n}, {m,} and {n}', () => {
    expect(applyTree(job, parseTree('builds[number]{0,1}'))).toEqual({ _class: 'Job', builds: [{ _class: 'Run', number: 3 }] });
    expect(applyTree(job, parseTree('builds[number]{1,}'))).toEqual({ _class: 'Job', builds: [{ _class: 'Run', number: 2 }] });
    expect(applyTree(job, parseTree('builds[number]{1}'))).toEqual({ _class: 'Job', builds: [{ _class: 'Run', number: 2 }] });
  });

  it('rejects malformed expressions', () => {
    for (const bad of ['builds[number', 'builds[]', ',a', 'a]', 'builds{x}']) expect(() => parseTree(bad), bad).toThrow(TreeSyntaxError);
  });
});
