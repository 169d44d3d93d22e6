/** Stages that run out of time escalate by themselves, on a real dev server's real clock. */
import { databaseKinds } from '../support/databases';
import { QUICK_PACK, bearer, quickCase, toWithSubject, useSystem, waitForEvent } from '../support/system';

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

    // Reminded once and given one more timescale; then the pack's final rule closes it unresolved.
    await expect(suite.temporal.workflow.getHandle(reference).result()).resolves.toMatchObject({ status: 'unresolved', endedAtStage: 3 });
    const view = await system.getJson(`/api/disagreements/${reference}`);
    expect(view.body.status).toBe('unresolved');
    expect(view.body.stage).toMatchObject({ number: 3, name: 'Partnership chair' });
    const escalations = view.body.events.filter((e: { type: string }) => e.type === 'escalated');
    expect(escalations.map((e: { detail: { reason: { kind: string; fromStage: number } } }) => e.detail.reason)).toEqual([
      expect.objectContaining({ kind: 'deadline', fromStage: 1 }),
      expect.objectContaining({ kind: 'deadline', fromStage: 2 }),
    ]);
    const passed = view.body.events.filter((e: { type: string }) => e.type === 'deadlinePassed').map((e: { stage: number }) => e.stage);
    expect(passed.slice(0, 3)).toEqual([1, 2, 3]);
    await waitForEvent(system, reference, 'closed');
  });

  it('goes on when the mail server refuses an address for good: not retried, recorded, shown, and the mailbox told', async () => {
    const { suite, system } = ctx;
    suite.mail.refuseRecipient('pete@quick.example.org');
    const opened = await system.postJson('/api/disagreements', quickCase());
    const reference: string = opened.body.reference;

    const notice = await suite.mail.waitFor(toWithSubject('unit@quick.example.org', new RegExp(`${reference}: stage 1.*could not be delivered`)));
    expect(notice.text).toContain('refused the address of the practitioner for good (code 550)');
    expect(notice.text).not.toContain('pete@quick.example.org');
    await waitForEvent(system, reference, 'deliveryFailed');
    // The case does not wait for the refused address: stage 1's deadline still escalates it.
    await suite.mail.waitFor(toWithSubject('deputy@quick.example.org', new RegExp(`${reference}: stage 2`)));

    const { rows } = await suite.db.query<{ refusal_code: number; sent_at: Date | null; n: number }>(
      "SELECT refusal_code, sent_at FROM notifications WHERE reference = $1 AND recipient_id = 'other.worker.0' AND kind = 'stageInvitation'",
      [reference],
    );
    expect(rows).toEqual([{ refusal_code: 550, sent_at: null }]);
    const view = await system.getJson(`/api/disagreements/${reference}`);
    const failed = view.body.events.filter((e: { type: string }) => e.type === 'deliveryFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ stage: 1, detail: { kind: 'stageInvitation', recipient: { id: 'other.worker.0' }, code: 550 } });
    expect(JSON.stringify(failed[0])).not.toContain('pete@quick.example.org');
    // Nothing reached the refused address, and the refusal was asked of the server once, not retried.
    expect(suite.mail.messages().filter((m) => m.to.includes('pete@quick.example.org') && m.subject.startsWith(reference))).toEqual([]);
    const page = await fetch(`${system.baseUrl}/cases/${reference}`, { headers: bearer(await system.keys.read('quick-test')) });
    expect(await page.text()).toContain('An email could not be delivered');
    const handle = suite.temporal.workflow.getHandle(reference);
    const history = await handle.fetchHistory();
    const sendAttempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1);
    expect(sendAttempts).toEqual([]);
    await handle.terminate('test finished');
  });
});
