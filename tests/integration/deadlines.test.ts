/** Stages that run out of time escalate by themselves, on a real dev server's real clock. */
import { databaseKinds } from '../support/databases';
import { QUICK_PACK, quickCase, toWithSubject, useSystem } from '../support/system';

describe.each(databaseKinds)('deadlines (%s)', (kind) => {
  const ctx = useSystem(kind, [QUICK_PACK]);

  it('escalates to line managers when stage one runs out of time, then on to the chair, then reminds the chair', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', quickCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;

    const deputy = await suite.mail.waitFor(toWithSubject('deputy@quick.example.org', new RegExp(`${reference}: stage 2`)));
    expect(deputy.text).toContain('escalated to you automatically because stage 1 ran out of time');
    // The police have no line manager listed, so the next tier is asked.
    await suite.mail.waitFor(toWithSubject('inspector@quick.example.org', new RegExp(`${reference}: stage 2`)));

    const chair = await suite.mail.waitFor(toWithSubject('chair@quick.example.org', new RegExp(`${reference}: stage 3`)));
    expect(chair.text).toContain('stage 2 ran out of time');
    await suite.mail.waitFor(toWithSubject('unit@quick.example.org', new RegExp(`${reference}: stage 3: .*for your information`)));

    // The final stage cannot escalate further: its people are reminded instead.
    const reminder = await suite.mail.waitFor(toWithSubject('chair@quick.example.org', new RegExp(`${reference}: stage 3.*deadline passed`)));
    expect(reminder.text).toContain('This is the final stage');

    const view = await system.getJson(`/api/disagreements/${reference}`);
    expect(view.body.status).toBe('open');
    expect(view.body.stage).toMatchObject({ number: 3, name: 'Partnership chair' });
    const escalations = view.body.events.filter((e: { type: string }) => e.type === 'escalated');
    expect(escalations.map((e: { detail: { reason: { kind: string; fromStage: number } } }) => e.detail.reason)).toEqual([
      expect.objectContaining({ kind: 'deadline', fromStage: 1 }),
      expect.objectContaining({ kind: 'deadline', fromStage: 2 }),
    ]);
    const passed = view.body.events.filter((e: { type: string }) => e.type === 'deadlinePassed').map((e: { stage: number }) => e.stage);
    expect(passed.slice(0, 3)).toEqual([1, 2, 3]);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
