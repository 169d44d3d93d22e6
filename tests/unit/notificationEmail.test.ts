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
    expect(email.text).toContain('reviewed on 2027-01-15');
    expect(email.text + email.html).not.toContain('Secret detail');
  });
});
