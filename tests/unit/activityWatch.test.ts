/** An activity retrying for longer than the set time is logged as an error, with nothing personal. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { watched } from '../../activities/watch';
import { log } from '../../shared/log';

describe('watched activities', () => {
  const minutes = (n: number) => n * 60_000;
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(log, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => errors.mockRestore());

  const run = (attempt: number, scheduledAgoMs: number) =>
    new MockActivityEnvironment({
      attempt,
      scheduledTimestampMs: Date.now() - scheduledAgoMs,
      workflowExecution: { workflowId: 'BSCP-2026-7K3F9Q', runId: 'run' },
    }).run(watched('sendNotification', minutes(10), async (x: number) => x * 2), 21);

  it('says nothing of a first attempt, or of retries within the set time', async () => {
    await expect(run(1, minutes(30))).resolves.toBe(42);
    await expect(run(5, minutes(9))).resolves.toBe(42);
    expect(errors).not.toHaveBeenCalled();
  });

  it('logs an error, with the case reference and the attempt, once an activity is stuck', async () => {
    await expect(run(12, minutes(25))).resolves.toBe(42);
    expect(errors).toHaveBeenCalledWith(
      { activity: 'sendNotification', reference: 'BSCP-2026-7K3F9Q', attempt: 12, stuckForSeconds: expect.any(Number) },
      'activity stuck: still retrying',
    );
  });
});
