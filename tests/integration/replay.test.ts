/**
 * Cases run for weeks: every recorded history must replay against today's workflow code without
 * nondeterminism. A change to the workflow's shape needs patched() and a new recorded history
 * (tests/support/recordHistory.ts); the old ones stay, as the cases already running.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../worker/createWorker';
import { dataConverter } from '../support/system';

const HISTORIES = join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

describe('replaying recorded cases against the current workflow code', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // another suite in this process installed it
    }
    workflowBundle = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') });
  });

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  const load = (file: string) => temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));

  it.each(files)('replays %s without nondeterminism', async (file) => {
    // Histories recorded by the tests are encrypted with the tests' key; older ones are plain.
    await expect(Worker.runReplayHistory({ workflowBundle, dataConverter }, load(file), file)).resolves.toBeUndefined();
  });

  it('has a history for every path the issue names', () => {
    for (const path of ['counterparts', 'notices-before', 'proforma', 'immediate-harm', 'panel', 'duty', 'withdrawn', 'closed-unresolved', 'everyone-informed', 'hand-over-and-notes', 'stage-clock', 'agreement-both-sides']) {
      expect(files.filter((f) => f.startsWith('v3-') && f.includes(path))).not.toEqual([]);
    }
  });

  it('fails with a DeterminismViolationError when a history does not match the code (negative control)', async () => {
    const file = files.find((f) => f.startsWith('v3-'))!;
    const history = load(file);
    // As if the workflow had once asked for someone else's deadline: the code asks for a deadline there.
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'computeDeadline')!;
    scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'selectPanel';
    await expect(Worker.runReplayHistory({ workflowBundle, dataConverter }, history, `${file} (altered)`)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
