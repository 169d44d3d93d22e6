/**
 * Exactly one case per request: an Idempotency-Key replays the first answer and starts nothing new,
 * concurrent duplicates serialise on the key, the raise form cannot open two cases by being sent
 * twice, a clash of references is settled at the insert, and a case whose workflow start was lost
 * is started by the reconciler.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { connectTemporalForRequests } from '../../api/availability';
import { openCase, validateNewCase } from '../../api/cases';
import { startCaseWorkflow } from '../../api/caseStart';
import { reconcileOnce, startReconciler } from '../../api/reconciler';
import type { DisagreementInput } from '../../shared/contract';
import { databaseKinds } from '../support/databases';
import { bearer, dataConverter, newCase, to, toWithSubject, useSystem, waitForEvent, type Running } from '../support/system';
import { closedPort, eventually, settledHistoryLength } from '../support/waits';

/** A case whose two practitioners have addresses of their own, so every email of this case (or of a duplicate) can be counted. */
function uniqueCase() {
  const id = randomUUID().slice(0, 8);
  return newCase({
    childReference: `UPN-${id}`,
    raiser: { name: 'Ann Teacher', email: `ann.${id}@example.org`, agency: 'hillside-primary' },
    other: { name: 'Bob Social-Worker', email: `bob.${id}@example.org`, agency: 'bromley-csc' },
  });
}

async function post(system: Running, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${system.baseUrl}/api/disagreements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(await system.keys.intake('bromley')), ...headers },
    body: JSON.stringify(body),
  });
}

describe.each(databaseKinds)('exactly one case per request (%s)', (kind) => {
  const ctx = useSystem(kind);

  const casesFor = async (childReference: string) =>
    (await ctx.suite.db.query<{ reference: string }>('SELECT reference FROM cases WHERE child_reference = $1', [childReference])).rows.map((r) => r.reference);

  /** Waits for the case's stage-1 emails and for its workflow to settle, then counts every email to its two practitioners. */
  async function stageOneEmails(body: ReturnType<typeof uniqueCase>, reference: string) {
    const { suite, system } = ctx;
    const raiser = (body.raiser as { email: string }).email;
    const other = (body.other as { email: string }).email;
    await suite.mail.waitFor(toWithSubject(raiser, new RegExp(`${reference}: stage 1`)));
    await suite.mail.waitFor(toWithSubject(other, new RegExp(`${reference}: stage 1`)));
    await waitForEvent(system, reference, 'notified');
    await settledHistoryLength(suite.temporal.workflow.getHandle(reference));
    return suite.mail.messages().filter((m) => to(raiser)(m) || to(other)(m));
  }

  it('replays the first 201 for the same key and body, and opens and emails nothing new', async () => {
    const { system } = ctx;
    const body = uniqueCase();
    const key = randomUUID();
    const first = await post(system, body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const opened = (await first.json()) as { reference: string; url: string; status: string; policy: unknown };

    // The client timed out and sends it again (with its keys in another order: the same request).
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await post(system, reordered, { 'Idempotency-Key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/api/disagreements/${opened.reference}`);
    const replayed = (await again.json()) as typeof opened;
    // The same answer, its plain link to the case included.
    expect(replayed).toEqual(opened);
    expect(replayed.url).toBe(`${system.baseUrl}/cases/${opened.reference}`);

    expect(await casesFor(body.childReference as string)).toEqual([opened.reference]);
    const emails = await stageOneEmails(body, opened.reference);
    expect(emails.map((m) => m.subject)).toEqual([expect.stringContaining(`${opened.reference}: stage 1`), expect.stringContaining(`${opened.reference}: stage 1`)]);
    await ctx.suite.temporal.workflow.getHandle(opened.reference).terminate('test finished');
  });

  it('refuses the same key with a different body with a 422 naming the header, and writes nothing', async () => {
    const { system } = ctx;
    const key = randomUUID();
    const body = uniqueCase();
    const first = await post(system, body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const { reference } = (await first.json()) as { reference: string };

    const changed = { ...body, description: 'Something else entirely.' };
    const res = await post(system, changed, { 'Idempotency-Key': key });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { status: number; title: string; errors: { path: string; message: string }[] };
    expect(problem).toMatchObject({ status: 422, title: expect.stringContaining('Idempotency-Key') });
    expect(problem.errors).toEqual([{ path: 'Idempotency-Key', message: expect.stringContaining('different request body') }]);
    expect(await casesFor(body.childReference as string)).toEqual([reference]);
    await ctx.suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['holding spaces and symbols', 'not a key; DROP TABLE'],
  ])('refuses an Idempotency-Key that is %s with a 400 naming the header', async (_what, key) => {
    const { system } = ctx;
    const body = uniqueCase();
    const res = await post(system, body, { 'Idempotency-Key': key });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { title: string; errors: { path: string; message: string }[] };
    expect(problem.title).toContain('Idempotency-Key');
    expect(problem.errors).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
    expect(await casesFor(body.childReference as string)).toEqual([]);
  });

  it('opens one case for five concurrent POSTs with one key, and emails its stage-1 people once', async () => {
    const { system } = ctx;
    const body = uniqueCase();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(system, body, { 'Idempotency-Key': key })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    const references = new Set(await Promise.all(answers.map(async (a) => ((await a.json()) as { reference: string }).reference)));
    expect(references.size).toBe(1);
    const [reference] = [...references];
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);

    expect(await casesFor(body.childReference as string)).toEqual([reference]);
    const emails = await stageOneEmails(body, reference);
    expect(emails).toHaveLength(2);
    await ctx.suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('lands a raise form sent twice (one after the other, or at once) on one case', async () => {
    const { system } = ctx;
    const body = uniqueCase();
    const raiser = await system.as((body.raiser as { email: string }).email);
    const { html } = await raiser.get('/raise/bromley');
    const csrf = html.match(/name="_csrf" value="([^"]+)"/)![1];
    const submission = html.match(/name="_submission" value="([^"]+)"/)![1];
    const fields = {
      _csrf: csrf,
      _submission: submission,
      'raiser.name': 'Ann Teacher',
      'raiser.email': (body.raiser as { email: string }).email,
      'raiser.agency': 'hillside-primary',
      'other.name': 'Bob Social-Worker',
      'other.email': (body.other as { email: string }).email,
      'other.agency': 'bromley-csc',
      childReference: body.childReference as string,
      category: 'levels-of-need',
      description: 'School believes the threshold is met.',
      caseStatus: 'open',
      _confirm: 'yes', // past the check-your-answers page
    };
    const send = (values: Record<string, string>) => raiser.request('/raise/bromley', { form: values, follow: false });
    const referenceIn = (res: { headers: Headers }) => res.headers.get('location')?.match(/^\/raise\/raised\/([A-Z0-9-]+)$/)?.[1];

    const first = await send(fields);
    expect(first.status).toBe(303);
    const second = await send(fields);
    expect(second.status).toBe(303);
    expect(referenceIn(first)).toEqual(expect.any(String));
    expect(referenceIn(second)).toBe(referenceIn(first));
    // A double click: both sends at once.
    const together = await Promise.all([send(fields), send(fields)]);
    expect(together.map(referenceIn)).toEqual([referenceIn(first), referenceIn(first)]);
    expect(await casesFor(body.childReference as string)).toEqual([referenceIn(first)]);

    // The same form sent back with other answers is not dropped silently: the person is told.
    const edited = await send({ ...fields, description: 'Something else.' });
    expect(edited.status).toBe(409);
    expect(edited.html).toContain('already sent with different answers');
    expect(await casesFor(body.childReference as string)).toHaveLength(1);
    await ctx.suite.temporal.workflow.getHandle(referenceIn(first)!).terminate('test finished');
  });

  it('starts a case whose workflow start was lost, once, through the reconciler', async () => {
    const { suite, system } = ctx;
    const body = uniqueCase();
    const checked = validateNewCase(suite, body);
    if (!checked.ok) throw new Error('the test case is not valid');
    // The same code path as a request, with a Temporal that cannot be reached: the row is
    // committed, the start fails, and the case is left for the reconciler.
    const unreachable = connectTemporalForRequests(`127.0.0.1:${await closedPort()}`);
    let reference: string;
    try {
      const broken = new Client({ connection: unreachable, dataConverter });
      const opened = await openCase({ db: suite.db, temporal: broken, taskQueue: system.taskQueue }, checked.body, checked.pack);
      expect(opened).toMatchObject({ kind: 'opened', started: false });
      reference = (opened as { reference: string }).reference;
    } finally {
      await unreachable.close();
    }
    const row = async () =>
      (await suite.db.query<{ workflow_started_at: unknown; workflow_start_error: string | null }>('SELECT workflow_started_at, workflow_start_error FROM cases WHERE reference = $1', [reference])).rows[0];
    expect(await row()).toEqual({ workflow_started_at: null, workflow_start_error: expect.any(String) });
    await expect(suite.temporal.workflow.getHandle(reference).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    // Not yet due: a case still within its grace period is left to its own request.
    expect((await reconcileOnce({ db: suite.db, temporal: suite.temporal, taskQueue: system.taskQueue }, { afterSeconds: 3600 })).started).not.toContain(reference);

    const report = await reconcileOnce({ db: suite.db, temporal: suite.temporal, taskQueue: system.taskQueue }, { afterSeconds: 0 });
    expect(report.started).toContain(reference);
    expect(await row()).toEqual({ workflow_started_at: expect.anything(), workflow_start_error: null });
    expect((await suite.temporal.workflow.getHandle(reference).describe()).status.name).toBe('RUNNING');
    const emails = await stageOneEmails(body, reference);
    expect(emails).toHaveLength(2);

    // Idempotent: the next round has nothing to do, and a repeated start finds the running case.
    expect((await reconcileOnce({ db: suite.db, temporal: suite.temporal, taskQueue: system.taskQueue }, { afterSeconds: 0 })).started).not.toContain(reference);
    const { rows } = await suite.db.query<{ workflow_input: DisagreementInput }>('SELECT workflow_input FROM cases WHERE reference = $1', [reference]);
    await expect(startCaseWorkflow({ db: suite.db, temporal: suite.temporal, taskQueue: system.taskQueue }, rows[0].workflow_input)).resolves.toBeUndefined();
    await settledHistoryLength(suite.temporal.workflow.getHandle(reference));
    expect(suite.mail.messages().filter((m) => to((body.raiser as { email: string }).email)(m) || to((body.other as { email: string }).email)(m))).toHaveLength(2);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('starts a lost case by itself on its interval, and stops when told', async () => {
    const { suite, system } = ctx;
    const checked = validateNewCase(suite, uniqueCase());
    if (!checked.ok) throw new Error('the test case is not valid');
    const unreachable = connectTemporalForRequests(`127.0.0.1:${await closedPort()}`);
    let reference: string;
    try {
      const opened = await openCase({ db: suite.db, temporal: new Client({ connection: unreachable, dataConverter }), taskQueue: system.taskQueue }, checked.body, checked.pack);
      reference = (opened as { reference: string }).reference;
    } finally {
      await unreachable.close();
    }
    const lines: string[] = [];
    const reconciler = startReconciler({ db: suite.db, temporal: suite.temporal, taskQueue: system.taskQueue }, { afterSeconds: 0, intervalMs: 200, log: (line) => lines.push(line) });
    try {
      await eventually('the reconciler to start the case', async () => ((await suite.temporal.workflow.getHandle(reference).describe()).status.name === 'RUNNING' ? true : undefined));
      await eventually('the reconciler to say so', async () => (lines.some((l) => l.includes(reference)) ? true : undefined));
    } finally {
      await reconciler.stop();
    }
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('draws another reference when a generated one clashes with an existing case, at the insert', async () => {
    const { suite, system } = ctx;
    const existing = await post(system, uniqueCase());
    const { reference: taken } = (await existing.json()) as { reference: string };
    const body = uniqueCase();
    const checked = validateNewCase(suite, body);
    if (!checked.ok) throw new Error('the test case is not valid');
    const fresh = `BSCP-2026-${randomUUID().replace(/[^0-9]/g, '').slice(0, 6)}`;
    const drawn = [taken, fresh];
    const opened = await openCase({ db: suite.db, temporal: suite.temporal, taskQueue: system.taskQueue }, checked.body, checked.pack, {
      nextReference: () => drawn.shift()!,
    });
    expect(opened).toMatchObject({ kind: 'opened', reference: fresh, started: true });
    expect(await casesFor(body.childReference as string)).toEqual([fresh]);
    for (const r of [taken, fresh]) await suite.temporal.workflow.getHandle(r).terminate('test finished');
  });
});
