/**
 * The workflow's own rules on Temporal's time-skipping test server, with in-memory activities (the
 * samples' mocked-activities style): the record and the mailbox are arrays the test reads, the
 * mail server can refuse an address or be held "down", and record writes can be held, so races
 * and outages are set up on purpose rather than by timing.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { computeDeadline, reviewInstant } from '../../activities/deadlines';
import { resolveRecipients, selectPanel } from '../../activities/directory';
import { caseState, type DisagreementInput } from '../../shared/contract';
import type { CaseEvent, Delivery, Notification } from '../../shared/events';
import { loadPolicyPack } from '../../shared/policy/load';
import type { PolicyPack } from '../../shared/policy/schema';
import { locateTimeSkippingServer } from '../../scripts/test-server/locate';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../worker/createWorker';
import { QUICK_PACK } from './system';
import { registerSearchAttributes } from './timeSkipping';
import { noActivityInFlight } from './waits';


/** A gate a test opens when it chooses: what is behind it waits until then. */
export class Gate {
  private opened = false;
  private waiters: (() => void)[] = [];
  pass(): Promise<void> {
    return this.opened ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
  open(): void {
    this.opened = true;
    this.waiters.splice(0).forEach((w) => w());
  }
}

export interface FakeWorld {
  activities: Activities;
  /** Events in the order they reached the record. */
  record: CaseEvent[];
  /** Emails the mail server accepted. */
  mail: Notification[];
  /** Review reminders handed over by resolved cases. */
  reviews: unknown[];
  /** Addresses the mail server refuses for good. */
  refuse: Set<string>;
  /** While set, every send waits here (the mail server is down). */
  mailDown?: Gate;
  /** Writes that arrived before the event ahead of them: the race an ordered record never has. */
  gapAttempts: number;
  /** While set, writes of this event type wait here (the database is slow). */
  holdRecord?: { type: string; gate: Gate };
}

export function fakeWorld(): FakeWorld {
  const world: FakeWorld = {
    record: [],
    mail: [],
    refuse: new Set(),
    reviews: [],
    gapAttempts: 0,
    activities: undefined as unknown as Activities,
  };
  const sent = new Map<string, Delivery>();
  world.activities = {
    computeDeadline: async (r) => computeDeadline(r),
    reviewInstant: async (r) => reviewInstant(r),
    resolveRecipients: async (r) => resolveRecipients(r),
    selectPanel: async (r) => selectPanel(r),
    async recordEvent(event) {
      if (world.holdRecord?.type === event.type) await world.holdRecord.gate.pass();
      // As the database does: a retried write of a placed event is a no-op; a gap is a bug.
      const existing = world.record.find((e) => e.reference === event.reference && e.seq === event.seq);
      if (existing) return;
      const last = world.record.filter((e) => e.reference === event.reference).at(-1);
      if ((last?.seq ?? 0) + 1 !== event.seq) {
        world.gapAttempts += 1;
        throw new Error(`record gap: ${event.type} at ${event.seq} after ${last?.seq}`);
      }
      world.record.push(event);
    },
    async scheduleReviewReminder(input) {
      world.reviews.push(input);
    },
    async sendNotification(n) {
      const known = sent.get(n.key);
      if (known) return known;
      if (world.mailDown) await world.mailDown.pass();
      const at = new Date().toISOString();
      const delivery: Delivery = world.refuse.has(n.recipient.email)
        ? { status: 'refused', at, code: 550, response: '5.1.1 mailbox unavailable' }
        : { status: 'accepted', at };
      if (delivery.status === 'accepted') world.mail.push(n);
      sent.set(n.key, delivery);
      return delivery;
    },
  };
  return world;
}

export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  /** Runs `test` with a worker on a fresh task queue serving this world's activities. */
  withWorker<T>(world: FakeWorld, test: (taskQueue: string) => Promise<T>): Promise<T>;
}

export function useWorkflowHarness(): { h: WorkflowHarness } {
  const ctx = {} as { h: WorkflowHarness };
  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // another suite in this process installed it
    }
    const executable = await locateTimeSkippingServer();
    const [env, bundle] = await Promise.all([
      TestWorkflowEnvironment.createTimeSkipping(executable ? { server: { executable } } : {}),
      bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') }),
    ]);
    await registerSearchAttributes(env);
    ctx.h = {
      env,
      bundle,
      async withWorker(world, test) {
        const taskQueue = `wf-${randomUUID()}`;
        const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: world.activities });
        try {
          return await worker.runUntil(test(taskQueue));
        } finally {
          // A case a failed test left running, without its worker, would hold the server's clock
          // for every later test: end whatever is still open on this task queue.
          for (const reference of new Set(world.record.map((e) => e.reference))) {
            await env.client.workflow.getHandle(reference).terminate('test over').catch(() => undefined);
          }
        }
      },
    };
  });
  afterAll(async () => {
    await ctx.h?.env.teardown();
  });
  return ctx;
}

/**
 * The quick pack with hour-long stages (time-skipping makes them instant), a duty after the line
 * managers' outcome and the partnership mailbox, changed further by `edit`.
 */
export function testPack(edit: (pack: PolicyPack) => void = () => undefined): PolicyPack {
  const pack = loadPolicyPack(QUICK_PACK);
  for (const stage of pack.stages) stage.timescale = { period: 'PT1H' };
  pack.stages[1].duties = [{ id: 'minutes', name: 'circulate the minutes', owner: [{ role: 'lineManager', of: 'raiser', fallback: [] }], due: { period: 'PT3H' } }];
  pack.linkGrace = { period: 'PT1H' };
  edit(pack);
  return pack;
}

export function caseInput(pack: PolicyPack, overrides: Partial<DisagreementInput> = {}): DisagreementInput {
  return {
    reference: `QTP-2026-${randomUUID().slice(0, 6).toUpperCase()}`,
    policy: pack,
    raiser: { name: 'Sue School', email: 'sue@quick.example.org', agencyId: 'school' },
    other: { name: 'Pete Police', email: 'pete@quick.example.org', agencyId: 'police' },
    category: 'need-for-action',
    flags: { childProtectionPlan: false, lookedAfter: false, immediateHarm: false },
    ...overrides,
  };
}

/** The types of a case's events, in record order. */
export const typesOf = (world: FakeWorld, reference: string) => world.record.filter((e) => e.reference === reference).map((e) => e.type);

/** Every event of the case reached the record once, in seq order, and none was ever tried out of turn. */
export function expectOrderedRecord(world: FakeWorld, reference: string): void {
  expect(world.gapAttempts).toBe(0);
  const seqs = world.record.filter((e) => e.reference === reference).map((e) => e.seq);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
}

/** Waits (in real time, the clock held) until the case is at `stage` with its invitations out. */
export async function atStage(handle: WorkflowHandle, world: FakeWorld, stage: number): Promise<void> {
  // Generous on purpose: a busy machine may take its time; the condition, not the clock, decides.
  for (let i = 0; i < 2400; i++) {
    const state = await handle.query(caseState);
    const invited = world.record.some((e) => e.reference === handle.workflowId && e.type === 'notified' && e.stage === stage);
    if (state.stage?.number === stage && invited) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`case never reached stage ${stage} with its invitations out`);
}

/** The refusal's type when the Update was refused (a business refusal); undefined when it was taken. */
export async function refusalOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) return error.cause.type ?? undefined;
    throw error;
  }
}

/**
 * A case left running without its worker would hold the test server's clock: end it here, between
 * steps (the test server mishandles a cancel racing an activity's completion, and the case sticks).
 */
export async function endCase(handle: WorkflowHandle): Promise<void> {
  await noActivityInFlight(handle);
  await handle.cancel();
  await handle.result().catch(() => undefined);
}
