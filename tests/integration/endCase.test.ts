/**
 * Ending a case other than by a decision: staff withdraw or close it over the JSON API, the raiser
 * withdraws it from a page reached through their own link. Requests are checked (reason, reference,
 * key, CSRF, who is asking) before anything reaches the workflow.
 *
 * The tests marked "end to end" need the workflow's withdrawCase and closeCase Update handlers.
 */
import { randomUUID } from 'node:crypto';
import { Client, type Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connectTemporalForRequests } from '../../api/availability';
import { actingClient, verifyApiKey } from '../../api/apiClients';
import { openCase, validateNewCase } from '../../api/cases';
import type { Database } from '../../db/database';
import { bearer, newCase, useSystem, waitForEvent, type Running } from '../support/system';
import { closedPort, eventually } from '../support/waits';
import { csrfIn, type Page } from '../support/visitor';
import { lastEndRequest } from '../fixtures/endingsWorkflow';


/** Sent with the intake key that opens the tests' Bromley cases, unless other headers are given. */
const endRequest = async (system: Running, reference: string, ending: 'withdraw' | 'close', body: unknown, headers?: Record<string, string>) =>
  fetch(`${system.baseUrl}/api/disagreements/${reference}/${ending}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? bearer(await system.keys.intake('bromley'))) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

let suiteDb: Database | undefined;

/** The raiser or the other practitioner of a case, signed in by email code, at a browser. */
async function viewerFor(system: Running, reference: string, recipientId: 'raiser.worker.0' | 'other.worker.0') {
  const { rows } = await suiteDb!.query<{ email: string }>(
    `SELECT CASE WHEN $2 = 'raiser.worker.0' THEN raiser->>'email' ELSE other_party->>'email' END AS email FROM cases WHERE reference = $1`,
    [reference, recipientId],
  );
  const person = await system.as(rows[0].email);
  const answer = (page: Page) => ({ status: page.status, text: async () => page.html });
  return {
    get: async (path: string) => answer(await person.request(path, { follow: false })),
    post: async (path: string, form: Record<string, string>) => answer(await person.request(path, { form, follow: false })),
  };
}

/** The case's status in the record (written by the workflow's activity) becomes `status`. */
const statusBecomes = (system: Running, reference: string, status: string) =>
  eventually(`case ${reference} to be ${status}`, async () => ((await system.getJson(`/api/disagreements/${reference}`)).body.status === status ? true : undefined));


describe('withdrawing and closing a case', () => {
  const ctx = useSystem('pglite');
  beforeAll(() => {
    suiteDb = ctx.suite.db;
  });

  /** The client behind the standing Bromley intake key, as the record names it. */
  const intakeClient = async () => actingClient((await verifyApiKey(ctx.suite.db, await ctx.suite.keys.intake('bromley')))!);

  async function openOne() {
    const opened = await ctx.system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    await waitForEvent(ctx.system, opened.body.reference, 'stageEntered');
    return opened.body.reference as string;
  }

  it.each([
    ['no body', undefined, 'reason'],
    ['an empty reason', { reason: '   ' }, 'reason'],
    ['a reason that is not text', { reason: 42 }, 'reason'],
    ['a reason over 2000 characters', { reason: 'x'.repeat(2001) }, 'reason'],
    ['an unexpected field', { reason: 'Fine', by: 'raiser' }, ''],
  ])('refuses %s with a 400 naming the field', async (_what, body, path) => {
    const { system } = ctx;
    for (const ending of ['withdraw', 'close'] as const) {
      const res = await endRequest(system, 'BSCP-2026-ZZZZZZ', ending, body ?? '');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { errors: { path: string; message: string }[] };
      expect(problem.errors.map((e) => e.path)).toContain(path);
      for (const e of problem.errors) expect(e.message).toEqual(expect.any(String));
    }
  });

  it('refuses a malformed reference with a 400, an unknown case with a 404, and a caller without a key with a 401', async () => {
    const { system } = ctx;
    const malformed = await endRequest(system, 'not-a-reference', 'close', { reason: 'Duplicate' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { errors: { path: string }[] }).errors).toEqual([{ path: 'reference', message: expect.any(String) }]);
    const unknown = await endRequest(system, 'BSCP-2026-ZZZZZZ', 'withdraw', { reason: 'Duplicate' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ title: 'No such case' });
    const anonymous = await endRequest(system, 'BSCP-2026-ZZZZZZ', 'withdraw', { reason: 'Duplicate' }, {});
    expect(anonymous.status).toBe(401);
  });

  it('answers 409 for a case that has already ended, without asking the workflow', async () => {
    const { suite, system } = ctx;
    const reference = await openOne();
    await suite.db.query(`UPDATE cases SET status = 'resolved' WHERE reference = $1`, [reference]);
    for (const ending of ['withdraw', 'close'] as const) {
      const res = await endRequest(system, reference, ending, { reason: 'No longer needed' });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ status: 409, title: 'The case has already ended', detail: expect.stringContaining('resolved') });
    }
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('offers the withdraw page to the raiser only, with an error summary and CSRF protection', async () => {
    const { suite, system } = ctx;
    const reference = await openOne();

    const other = await viewerFor(system, reference, 'other.worker.0');
    const otherCase = await other.get(`/cases/${reference}`);
    expect(otherCase.status).toBe(200);
    expect(await otherCase.text()).not.toContain('Withdraw this disagreement');
    expect((await other.get(`/cases/${reference}/withdraw`)).status).toBe(403);
    expect((await fetch(`${system.baseUrl}/cases/${reference}/withdraw`, { redirect: 'manual' })).status).toBe(303);

    const raiser = await viewerFor(system, reference, 'raiser.worker.0');
    const casePage = await (await raiser.get(`/cases/${reference}`)).text();
    expect(casePage).toContain(`href="/cases/${reference}/withdraw"`);
    const form = await raiser.get(`/cases/${reference}/withdraw`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('Why are you withdrawing it?');
    const csrf = csrfIn(html)!;

    const noToken = await raiser.post(`/cases/${reference}/withdraw`, { reason: 'Resolved informally.' });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain('Your form had expired');
    const empty = await raiser.post(`/cases/${reference}/withdraw`, { _csrf: csrf, reason: '  ' });
    expect(empty.status).toBe(400);
    const emptyHtml = await empty.text();
    expect(emptyHtml).toContain('There is a problem');
    expect(emptyHtml).toContain('Enter why you are withdrawing the disagreement');
    const tooLong = await raiser.post(`/cases/${reference}/withdraw`, { _csrf: csrfIn(emptyHtml)!, reason: 'x'.repeat(2001) });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain('Why you are withdrawing the disagreement must be 2,000 characters or fewer');
    // Nothing reached the workflow.
    expect((await suite.temporal.workflow.getHandle(reference).describe()).status.name).toBe('RUNNING');
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  describe('with a stand-in workflow that accepts or refuses endings', () => {
    const standIn = {} as { worker: Worker; running: Promise<void>; taskQueue: string; unreachable: Connection };
    beforeAll(async () => {
      standIn.taskQueue = `endings-${randomUUID()}`;
      standIn.worker = await Worker.create({
        connection: ctx.suite.nativeConnection,
        taskQueue: standIn.taskQueue,
        workflowsPath: require.resolve('../fixtures/endingsWorkflow'),
        dataConverter: ctx.suite.dataConverter,
      });
      standIn.running = standIn.worker.run();
      standIn.unreachable = connectTemporalForRequests(`127.0.0.1:${await closedPort()}`);
    });
    afterAll(async () => {
      standIn.worker?.shutdown();
      await standIn.running;
      await standIn.unreachable?.close();
    });

    /** A recorded case whose workflow is the stand-in (its real start is found already done). */
    async function caseWithStandIn(refusal?: string) {
      const checked = validateNewCase(ctx.suite, newCase());
      if (!checked.ok) throw new Error('the test case is not valid');
      const broken = new Client({ connection: standIn.unreachable, dataConverter: ctx.suite.dataConverter });
      // Opened by the standing intake client, the only key that may end it.
      const opened = await openCase({ db: ctx.suite.db, temporal: broken }, checked.body, checked.pack, { openedBy: await intakeClient() });
      const reference = (opened as { reference: string }).reference;
      await ctx.suite.temporal.workflow.start('endingsStandIn', { taskQueue: standIn.taskQueue, workflowId: reference, args: refusal ? [refusal] : [] });
      return reference;
    }

    it('answers 200 with the ending when the workflow accepts it, with the reason trimmed and the client as the actor', async () => {
      const { system, suite } = ctx;
      const client = await intakeClient();
      for (const [ending, status] of [['withdraw', 'withdrawn'], ['close', 'closed']] as const) {
        const reference = await caseWithStandIn();
        const res = await endRequest(system, reference, ending, { reason: '  Raised in error.  ' });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ reference, status, at: expect.any(String), stage: 1 });
        expect(await suite.temporal.workflow.getHandle(reference).query(lastEndRequest)).toEqual({
          // Bound to its case: a sealed ending copied into another case names this one, and is refused.
          reference,
          by: 'partnershipAdmin',
          actor: client.id,
          reason: 'Raised in error.',
          endedBy: { kind: 'apiClient', id: client.id, name: client.name },
        });
        // The case's lost start was found done (the stand-in holds its id), and marked.
        const { rows } = await suite.db.query<{ started: boolean }>('SELECT workflow_started_at IS NOT NULL AS started FROM cases WHERE reference = $1', [reference]);
        expect(rows).toEqual([{ started: true }]);
      }
    });

    it.each([
      ['notAllowed', 403],
      ['caseClosed', 409],
      ['staleStage', 409],
    ])('maps the refusal %s to %i with problem details', async (refusal, status) => {
      const reference = await caseWithStandIn(refusal);
      const res = await endRequest(ctx.system, reference, 'withdraw', { reason: 'No longer needed' });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status, title: expect.any(String), detail: expect.stringContaining('Refused for the test') });
    });

    it('shows the raiser the confirmation when accepted, and the reason when refused', async () => {
      const { system } = ctx;
      const accepted = await caseWithStandIn();
      const raiser = await viewerFor(system, accepted, 'raiser.worker.0');
      const form = await (await raiser.get(`/cases/${accepted}/withdraw`)).text();
      const done = await raiser.post(`/cases/${accepted}/withdraw`, { _csrf: csrfIn(form)!, reason: 'The other agency has changed its decision.' });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('Disagreement withdrawn');
      expect(await ctx.suite.temporal.workflow.getHandle(accepted).query(lastEndRequest)).toEqual({ reference: accepted, by: 'raiser', actor: 'raiser.worker.0', reason: 'The other agency has changed its decision.' });

      const refused = await caseWithStandIn('notAllowed');
      const refusedRaiser = await viewerFor(system, refused, 'raiser.worker.0');
      const refusedForm = await (await refusedRaiser.get(`/cases/${refused}/withdraw`)).text();
      const answer = await refusedRaiser.post(`/cases/${refused}/withdraw`, { _csrf: csrfIn(refusedForm)!, reason: 'No longer needed.' });
      expect(answer.status).toBe(403);
      expect(await answer.text()).toContain('Refused for the test');
      const ended = await caseWithStandIn('caseClosed');
      const endedRaiser = await viewerFor(system, ended, 'raiser.worker.0');
      const endedForm = await (await endedRaiser.get(`/cases/${ended}/withdraw`)).text();
      const late = await endedRaiser.post(`/cases/${ended}/withdraw`, { _csrf: csrfIn(endedForm)!, reason: 'No longer needed.' });
      expect(late.status).toBe(409);
      expect(await late.text()).toContain('This case has already ended');
    });
  });

  // End to end: needs the workflow's withdrawCase Update.
  it('end to end: the raiser withdraws the case from its page, and it shows as withdrawn', async () => {
    const { system } = ctx;
    const reference = await openOne();
    const raiser = await viewerFor(system, reference, 'raiser.worker.0');
    const form = await (await raiser.get(`/cases/${reference}/withdraw`)).text();
    const done = await raiser.post(`/cases/${reference}/withdraw`, { _csrf: csrfIn(form)!, reason: 'The other agency has changed its decision.' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Disagreement withdrawn');

    await statusBecomes(system, reference, 'withdrawn');
    const page = await (await raiser.get(`/cases/${reference}`)).text();
    expect(page).toContain('Withdrawn');
    expect(page).not.toContain('Withdraw this disagreement');
    const again = await raiser.get(`/cases/${reference}/withdraw`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('This case has already ended');
  });

  // End to end: needs the workflow's withdrawCase and closeCase Updates.
  it('end to end: staff withdraw one case and close another over the API; a second ending is refused with 409', async () => {
    const { system } = ctx;
    const first = await openOne();
    const withdrawn = await endRequest(system, first, 'withdraw', { reason: '  Raised in error.  ' });
    expect(withdrawn.status).toBe(200);
    expect(await withdrawn.json()).toMatchObject({ reference: first, status: 'withdrawn', at: expect.any(String) });
    const twice = await endRequest(system, first, 'close', { reason: 'Tidying up' });
    expect(twice.status).toBe(409);

    const second = await openOne();
    const closed = await endRequest(system, second, 'close', { reason: 'Duplicate of another case.' });
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({ reference: second, status: 'closed' });
    await statusBecomes(system, second, 'closed');
  });
});
