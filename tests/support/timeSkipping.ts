/**
 * Whole policies in seconds: Temporal's time-skipping test server (the Java build from Maven
 * Central, see scripts/test-server) runs weeks of working days while the activities, the SMTP
 * server, PGlite and the HTTP API stay real.
 */
import type { Duration } from '@temporalio/common';

import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { startMailCatcher } from '../../mail/catcher';
import { loadPolicyRegistry } from '../../shared/policy/load';
import { locateTimeSkippingServer } from '../../scripts/test-server/locate';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../worker/createWorker';
import { searchAttributeRegistrations } from '../../shared/searchAttributes';
import { temporal } from '@temporalio/proto';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const INDEXED_TYPE = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;
import { freshDatabase } from './databases';
import { noActivityInFlight } from './waits';
import { dataConverter, startSystem, testKeys, type Running, type Suite } from './system';

/** The test server starts with no custom search attributes: register the workflow's. */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(Object.entries(searchAttributeRegistrations).map(([name, type]) => [name, INDEXED_TYPE[type]])),
  });
}

export interface TimeSkippingSuite extends Suite {
  env: TestWorkflowEnvironment;
  /** The server's current time. */
  now(): Promise<Date>;
  /** Skips forward (timers fire on the way) until the next local wall-clock time, e.g. 23:00 on a Saturday. */
  skipToLocal(time: string, weekday?: number): Promise<Date>;
  skip(duration: Duration): Promise<void>;
}

export async function startTimeSkippingSuite(): Promise<TimeSkippingSuite> {
  const executable = await locateTimeSkippingServer();
  const [env, { db, drop }, mail, bundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({ ...(executable ? { server: { executable } } : {}), client: { dataConverter } }),
    freshDatabase('pglite'),
    startMailCatcher(0),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') }),
  ]);
  await registerSearchAttributes(env);
  const now = async () => new Date(await env.currentTimeMs());
  return {
    env,
    db,
    keys: testKeys(db),
    mail,
    bundle,
    policies: loadPolicyRegistry(),
    temporal: env.client,
    nativeConnection: env.nativeConnection,
    dataConverter,
    now,
    skip: (duration) => env.sleep(duration),
    async skipToLocal(time, weekday) {
      const [hour, minute] = time.split(':').map(Number);
      let target = DateTime.fromJSDate(await now(), { zone: 'Europe/London' }).set({ hour, minute, second: 0, millisecond: 0 });
      while (target.toMillis() <= (await now()).getTime() + 1000 || (weekday !== undefined && target.weekday !== weekday)) {
        target = target.plus({ days: 1 }).set({ hour, minute });
      }
      await env.sleep(target.toMillis() - (await now()).getTime());
      return now();
    },
    async close() {
      await mail.close();
      await drop();
      await env.teardown();
    },
  };
}

/** Registers jest hooks: one time-skipping suite per file, a worker and API per test. */
export function useTimeSkippingSystem(setup?: (suite: TimeSkippingSuite) => void) {
  const ctx = {} as { suite: TimeSkippingSuite; system: Running };
  beforeAll(async () => {
    ctx.suite = await startTimeSkippingSuite();
    setup?.(ctx.suite);
  });
  afterAll(async () => {
    await ctx.suite?.close();
  });
  beforeEach(async () => {
    ctx.system = await startSystem(ctx.suite);
  });
  afterEach(async () => {
    // A case left running without its worker would hold the test server's clock for the next test.
    // A resolved case hands its review date to a reminder workflow of its own: end that too.
    for (const reference of ctx.system?.opened ?? []) {
      await settleAndCancel(ctx.suite, reference);
      await settleAndCancel(ctx.suite, `${reference}-review`);
    }
    await ctx.system?.stop();
  });
  return ctx;
}

/**
 * Waits until no activity of the case is in flight (up to about 60 s, for a loaded machine); false
 * when the case is not running. Before ending a case in a test: the test server answers a cancel
 * of an activity that completed at the same moment with ACTIVITY_UNKNOWN, fails the workflow task,
 * then redelivers an Update it had already accepted ("Already accepted update"), and the case is
 * stuck. The real server does not; this keeps the test server away from that race.
 */
export async function settled(suite: Pick<Suite, 'temporal'>, reference: string): Promise<boolean> {
  return noActivityInFlight(suite.temporal.workflow.getHandle(reference));
}

/**
 * Cancels a case a test has finished with, once no activity of it is in flight: the test server
 * keeps its clock locked for an activity whose workflow closed under it.
 */
export async function settleAndCancel(suite: Suite, reference: string): Promise<void> {
  const handle = suite.temporal.workflow.getHandle(reference);
  if (!(await settled(suite, reference))) return;
  await handle.cancel();
  // The cancelled case records its ending and tells everyone (real activities). On a loaded machine
  // the test server has been seen to keep such a case open past the hook's time; cleanup must not
  // fail the next test, so after a bounded wait the case is terminated, and said so.
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    handle.result().then(() => true, () => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 30_000))),
  ]);
  clearTimeout(timer);
  if (!closed) {
    console.warn(`settleAndCancel: ${reference} still open 30 s after cancel; terminated for cleanup`);
    await handle.terminate('test cleanup: still open 30 s after cancel').catch(() => undefined);
  }
}
