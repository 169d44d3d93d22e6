/**
 * Proves that the time-skipping test server we can obtain offline (the Java build from Maven
 * Central, via scripts/test-server) works with @temporalio/testing's time-skipping environment.
 * Self-contained: starts and stops its own server, independent of the shared dev server.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { locateTimeSkippingServer } from '../../scripts/test-server/locate';
import type { sleepyWorkflow } from '../fixtures/sleepyWorkflow';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('time-skipping test server obtained without internet access', () => {
  let env: TestWorkflowEnvironment | undefined;

  beforeAll(async () => {
    // undefined only where neither a launcher nor mvn+java exist; the SDK then downloads its own server.
    const executable = await locateTimeSkippingServer();
    env = await TestWorkflowEnvironment.createTimeSkipping(executable ? { server: { executable } } : {});
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sleeps for 30 days to completion, its clock jumping 30 days ahead of the real one', async () => {
    const testEnv = env!;
    expect(testEnv.supportsTimeSkipping).toBe(true);
    const taskQueue = `time-skipping-${randomUUID()}`;
    const worker = await Worker.create({
      connection: testEnv.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/sleepyWorkflow'),
    });

    const result = await worker.runUntil(
      testEnv.client.workflow.execute<typeof sleepyWorkflow>('sleepyWorkflow', {
        taskQueue,
        workflowId: `sleepy-${randomUUID()}`,
      }),
    );

    const { startedAt, wokeAt } = JSON.parse(result) as { startedAt: string; wokeAt: string };
    const slept = Date.parse(wokeAt) - Date.parse(startedAt);
    expect(slept).toBeGreaterThanOrEqual(30 * DAY_MS);
    expect(slept).toBeLessThan(31 * DAY_MS);
    // The server clock starts at real time; waking ~30 days after "now" means the timer was skipped, not waited out.
    expect(Date.parse(wokeAt) - Date.now()).toBeGreaterThan(29 * DAY_MS);
  });

  it('moves the server clock forward on env.sleep without waiting for it', async () => {
    const testEnv = env!;
    const before = await testEnv.currentTimeMs();
    await testEnv.sleep('7 days');
    const after = await testEnv.currentTimeMs();
    expect(after - before).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(after - before).toBeLessThan(8 * DAY_MS);
  });
});
