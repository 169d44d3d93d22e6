/**
 * Operations staff find cases in the Temporal UI and CLI by search attributes, which hold no
 * personal data. These are the README's ready-made queries, run against the dev server.
 */
import { QUICK_PACK, newCase, quickCase, toWithSubject, useSystem, type Suite } from '../support/system';

async function listUntil(suite: Suite, query: string, done: (ids: string[]) => boolean): Promise<string[]> {
  let ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    ids = [];
    for await (const wf of suite.temporal.workflow.list({ query })) ids.push(wf.workflowId);
    if (done(ids)) return ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ids;
}

describe('finding cases in the Temporal UI', () => {
  const ctx = useSystem('pglite', [QUICK_PACK]);

  it('finds a partnership’s open cases, cases at the final stage, and cases due before a time', async () => {
    const { suite, system } = ctx;
    const body = newCase();
    const bromley = (await system.postJson('/api/disagreements', body)).body.reference as string;
    const quick = (await system.postJson('/api/disagreements', quickCase())).body.reference as string;
    await suite.mail.waitFor(toWithSubject('chair@quick.example.org', new RegExp(`${quick}: stage 3`)));

    const open = await listUntil(suite, 'LscpPartnership = "bromley" AND LscpStatus = "open"', (ids) => ids.includes(bromley));
    expect(open).toContain(bromley);
    expect(open).not.toContain(quick);

    const final = await listUntil(suite, 'LscpFinalStage = true AND LscpPartnership = "quick-test"', (ids) => ids.includes(quick));
    expect(final).toContain(quick);
    expect(await listUntil(suite, `LscpFinalStage = true AND WorkflowId = "${bromley}"`, (ids) => ids.length === 0)).toEqual([]);

    const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    expect(await listUntil(suite, `LscpStatus = "open" AND LscpStageDeadline < "${inAMonth}"`, (ids) => ids.includes(bromley))).toContain(bromley);
    expect(await listUntil(suite, `LscpStatus = "open" AND LscpStageDeadline < "${yesterday}" AND WorkflowId = "${bromley}"`, (ids) => ids.length === 0)).toEqual([]);

    const bromleyAtStageOne = await listUntil(suite, 'LscpStage = 1 AND LscpCategory = "levels-of-need" AND LscpAgencies = "bromley-csc"', (ids) => ids.includes(bromley));
    expect(bromleyAtStageOne).toContain(bromley);

    // The memo carries the reference; nothing in the search attributes or memo names a person or the child.
    const description = await suite.temporal.workflow.getHandle(bromley).describe();
    expect(await description.memo).toMatchObject({ reference: bromley, partnership: 'bromley' });
    const visible = JSON.stringify({ sa: description.typedSearchAttributes, memo: description.memo });
    for (const personal of [body.childReference, body.description, body.raiser.name, body.raiser.email, body.other.name, body.other.email]) {
      expect(visible).not.toContain(personal);
    }
    await suite.temporal.workflow.getHandle(bromley).terminate('test finished');
    await suite.temporal.workflow.getHandle(quick).terminate('test finished');
  });
});
