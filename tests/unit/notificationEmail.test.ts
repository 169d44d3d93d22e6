import { renderNotification } from '../../mail/render';
import type { Notification } from '../../shared/events';

const base: Notification = {
  key: 'BSCP-2026-ABC123/stage-2/raiser.lineManager.0/stageInvitation',
  kind: 'stageInvitation',
  reference: 'BSCP-2026-ABC123',
  partnershipId: 'bromley',
  partnershipName: 'Bromley Safeguarding Children Partnership',
  timeZone: 'Europe/London',
  recipient: { id: 'raiser.lineManager.0', role: 'lineManager', name: 'Mo Deputy-Head', email: 'mo@example.org' },
  stage: { number: 2, name: 'Escalate to line manager', deadline: '2026-12-04T17:00:00.000Z', isFinal: false },
  reason: { kind: 'deadline', fromStage: 1, deadline: '2026-11-27T17:00:00.000Z' },
  linkExpiresAt: '2026-12-08T17:00:00.000Z',
};
const now = new Date('2026-11-27T17:00:01Z');

describe('notification emails', () => {
  it('puts the reference, the stage and the deadline in words in the subject', () => {
    const email = renderNotification(base, { link: 'https://x.example/respond/t', caseUrl: 'https://x.example/cases/r', now });
    expect(email.subject).toBe('BSCP-2026-ABC123: stage 2: Escalate to line manager - action needed by 5pm on Friday 4 December');
  });

  it('says the case escalated by itself when the last stage ran out of time, in both parts', () => {
    const email = renderNotification(base, { link: 'https://x.example/respond/t', caseUrl: 'https://x.example/cases/r', now });
    for (const part of [email.text, email.html]) {
      expect(part).toContain('escalated to you automatically because stage 1 ran out of time');
      expect(part).toContain('https://x.example/respond/t');
    }
    expect(email.text).toContain('Please record the outcome by 5pm on Friday 4 December');
  });

  it('escapes names in the HTML part', () => {
    const email = renderNotification(
      { ...base, recipient: { ...base.recipient, name: '<script>x</script>' } },
      { link: 'https://x.example/respond/t', caseUrl: 'https://x.example/cases/r', now },
    );
    expect(email.html).not.toContain('<script>x</script>');
    expect(email.html).toContain('&lt;script&gt;');
  });

  it('confirms a resolution with the review date but without the agreed text', () => {
    const email = renderNotification(
      {
        ...base,
        kind: 'resolutionConfirmation',
        resolution: { outcome: 'resolved', agreedOutcome: 'Secret detail about the family', reviewDate: '2027-01-15', stage: 2, stageName: 'Escalate to line manager', recordedByRole: 'lineManager' },
      },
      { caseUrl: 'https://x.example/cases/r', now },
    );
    expect(email.subject).toBe('BSCP-2026-ABC123: resolved at stage 2: Escalate to line manager');
    expect(email.text).toContain('reviewed on 15 January 2027');
    expect(email.text + email.html).not.toContain('Secret detail');
  });

  describe('the case moved on (issue 11)', () => {
    const moved: Notification = {
      ...base,
      key: 'BSCP-2026-ABC123/stage-2/other.worker.0/caseMoved',
      kind: 'caseMoved',
      recipient: { id: 'other.worker.0', role: 'worker', name: 'Pat Police', email: 'pat@example.org', agencyId: 'police' },
      linkExpiresAt: undefined,
      team: [
        { role: 'lineManager', agency: 'Meadow Primary School' },
        { role: 'seniorManager', agency: 'Police' },
      ],
    };
    const ctx = { caseUrl: 'https://x.example/cases/BSCP-2026-ABC123', now };

    it('says why, to whom and by when, in both parts, with the case link and no decision link', () => {
      const email = renderNotification(moved, ctx);
      expect(email.subject).toBe('BSCP-2026-ABC123: stage 2: Escalate to line manager - escalated, for your information');
      for (const part of [email.text, email.html]) {
        expect(part).toContain('has moved to stage 2: Escalate to line manager.');
        expect(part).toContain('Why: stage 1 ran out of time (5pm on Friday 27 November) with no outcome recorded, so it escalated automatically.');
        expect(part).toContain('Who has it now: the line manager (Meadow Primary School) and the senior manager (Police).');
        expect(part).toContain('By when: they are asked to record an outcome by 5pm on Friday 4 December.');
        expect(part).toContain('You are getting this as one of the two practitioners');
        expect(part).toContain('https://x.example/cases/BSCP-2026-ABC123');
        expect(part).not.toContain('/respond/');
      }
    });

    it('names who recorded "not resolved", and tells someone told earlier why they hear of it', () => {
      const email = renderNotification(
        { ...moved, reason: { kind: 'notResolved', fromStage: 1, byRole: 'designatedSafeguardingLead' }, recipient: { ...moved.recipient, id: 'raiser.cpChair.0', role: 'cpChair' } },
        ctx,
      );
      expect(email.text).toContain('Why: the designated safeguarding lead at stage 1 recorded that it was not resolved.');
      expect(email.text).toContain('You are getting this because you were told of this case earlier.');
    });

    it('says an immediate-harm case started at its stage', () => {
      const email = renderNotification({ ...moved, reason: { kind: 'immediateHarm' } }, ctx);
      expect(email.text).toContain('has started at stage 2');
      expect(email.text).toContain('may be at immediate risk of harm');
    });

    it('reads on a phone: no word wider than a phone screen (no raw tokens), short paragraphs', () => {
      const email = renderNotification(moved, ctx);
      expect(email.text.split(/\n{2,}/).every((p) => p.length < 400)).toBe(true);
      expect(Math.max(...email.text.split(/\s+/).map((w) => w.length))).toBeLessThan(60);
    });
  });
});
