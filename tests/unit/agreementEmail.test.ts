/** The email asking the other side to confirm or dispute a proposed resolution (issue 11). */
import { renderNotification } from '../../mail/render';
import type { Notification } from '../../shared/events';

const ask: Notification = {
  key: 'BSCP-2026-ABC123/stage-2/other.lineManager.0/confirmationRequest',
  kind: 'confirmationRequest',
  reference: 'BSCP-2026-ABC123',
  partnershipId: 'bromley',
  partnershipName: 'Bromley Safeguarding Children Partnership',
  timeZone: 'Europe/London',
  recipient: { id: 'other.lineManager.0', role: 'lineManager', name: 'Tara Team-Manager', email: 'tara@example.org' },
  stage: { number: 2, name: 'Escalate to line manager', deadline: '2026-12-04T17:00:00.000Z', isFinal: false },
  linkExpiresAt: '2026-12-08T17:00:00.000Z',
  proposal: { byRole: 'lineManager', agency: 'Hillside Primary School' },
};
const ctx = { link: 'https://x.example/respond/t', caseUrl: 'https://x.example/cases/BSCP-2026-ABC123', now: new Date('2026-11-30T09:00:00Z') };

describe('the request to confirm or dispute a proposed resolution', () => {
  it('names the stage and its deadline in the subject', () => {
    expect(renderNotification(ask, ctx).subject).toBe(
      'BSCP-2026-ABC123: stage 2: Escalate to line manager - confirm or dispute the proposed resolution by 5pm on Friday 4 December',
    );
  });

  it('says who proposed it and why this person is asked, with the link and the case record, in both parts', () => {
    const email = renderNotification(ask, ctx);
    for (const part of [email.text, email.html]) {
      expect(part).toContain('the line manager (Hillside Primary School) has recorded an agreed outcome');
      expect(part).toContain('you take part for the other side as line manager');
      expect(part).toContain('https://x.example/respond/t');
      expect(part).toContain('https://x.example/cases/BSCP-2026-ABC123');
    }
    expect(email.text).toContain('the case escalates to the next stage');
  });

  it('at the final stage, does not promise an escalation', () => {
    const email = renderNotification({ ...ask, stage: { ...ask.stage, isFinal: true } }, ctx);
    expect(email.text).not.toContain('escalates');
  });
});
