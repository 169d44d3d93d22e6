/** What people read about a hand-over and a note: the emails (no reason, no note text) and the timeline. */
import { createHash } from 'node:crypto';
import { renderNotification } from '../../mail/render';
import { describeEvent, type NoteText } from '../../api/timeline';
import type { Notification, StoredCaseEvent } from '../../shared/events';

const invitation: Notification = {
  key: 'BSCP-2026-ABC123/stage-2/raiser.seniorManager.0.h1/stageInvitation-handover-1',
  kind: 'stageInvitation',
  reference: 'BSCP-2026-ABC123',
  partnershipId: 'bromley',
  partnershipName: 'Bromley Safeguarding Children Partnership',
  timeZone: 'Europe/London',
  recipient: { id: 'raiser.seniorManager.0.h1', role: 'seniorManager', name: 'Kim Head-Teacher', email: 'kim@example.org' },
  stage: { number: 2, name: 'Escalate to line manager', deadline: '2026-12-04T17:00:00.000Z', isFinal: false },
  linkExpiresAt: '2026-12-08T17:00:00.000Z',
  handedOverBy: { name: 'Mo Deputy-Head', role: 'lineManager', agency: 'Hillside Primary School', to: 'fallback' },
};
const ctx = { link: 'https://x.example/respond/t', caseUrl: 'https://x.example/cases/BSCP-2026-ABC123', now: new Date('2026-11-30T10:00:00Z') };

describe('emails about a hand-over and a note', () => {
  it('tells the new person who passed the stage on, that the deadline is unchanged, with their own link and the case link', () => {
    const email = renderNotification(invitation, ctx);
    expect(email.subject).toBe('BSCP-2026-ABC123: stage 2: Escalate to line manager - action needed by 5pm on Friday 4 December');
    expect(email.text).toContain('Mo Deputy-Head (line manager, Hillside Primary School) was asked to decide this stage and said they are not the right person');
    expect(email.text).toContain('as the role the policy names next');
    expect(email.text).toContain('The deadline has not changed.');
    expect(email.text).toContain('https://x.example/respond/t');
    expect(email.text).toContain('https://x.example/cases/BSCP-2026-ABC123');
  });
  it('an ordinary invitation says nothing of a hand-over', () => {
    const { handedOverBy: _, ...plain } = invitation;
    expect(renderNotification(plain, ctx).text).not.toContain('not the right person');
  });
  it('tells the others a note was added, by whom (role), with the case link and nothing of the note', () => {
    const email = renderNotification({ ...invitation, kind: 'noteAdded', linkExpiresAt: undefined, handedOverBy: undefined, noteBy: { role: 'worker', agency: 'Hillside Primary School' } }, { ...ctx, link: undefined });
    expect(email.subject).toBe('BSCP-2026-ABC123: stage 2: Escalate to line manager - a note was added');
    expect(email.text).toContain('The practitioner (Hillside Primary School) added a note');
    expect(email.text).toContain('https://x.example/cases/BSCP-2026-ABC123');
    expect(email.text).not.toContain('/respond/');
  });
});

describe('the timeline of a hand-over and a note', () => {
  const at = '2026-11-30T10:00:00.000Z';
  const stageName = () => 'Escalate to line manager';
  it('names who passed the stage to whom, why, and that the deadline did not change', () => {
    const e = {
      seq: 9,
      type: 'handedOver',
      at,
      stage: 2,
      actor: 'raiser.lineManager.0',
      detail: { from: { id: 'raiser.lineManager.0', role: 'lineManager' }, to: [{ id: 'raiser.seniorManager.0.h1', role: 'seniorManager' }], kind: 'fallback', reason: 'The head decides.', deadline: at },
    } as StoredCaseEvent;
    expect(describeEvent(e, stageName)).toEqual({
      at,
      title: 'Stage 2: Escalate to line manager passed on: "I\'m not the right person"',
      lines: ['The line manager passed it to the role the policy names next: the senior manager.', 'Reason: The head decides.', 'The deadline did not change.'],
    });
  });
  it('shows a note with its author while its text matches the digest on the record, and not otherwise', () => {
    const body = 'A strategy meeting is booked.';
    const digest = createHash('sha256').update(body).digest('hex');
    const e = { seq: 10, type: 'noteAdded', at, stage: 2, actor: 'raiser.worker.0', detail: { noteId: 'n1', digest, by: { id: 'raiser.worker.0', role: 'worker' }, told: [{ id: 'other.worker.0', role: 'worker' }] } } as StoredCaseEvent;
    const note: NoteText = { authorName: 'Ann Teacher', authorAs: 'raiser', body, digest };
    expect(describeEvent(e, stageName, new Map([['n1', note]]))).toEqual({
      at,
      title: 'Note by Ann Teacher (the practitioner who raised it)',
      lines: [body, 'Emailed that a note was added: practitioner.'],
    });
    const altered = describeEvent(e, stageName, new Map([['n1', { ...note, body: 'A strategy meeting is not needed.' }]]));
    expect(altered.lines.join(' ')).not.toContain('not needed');
    expect(altered.lines[0]).toMatch(/does not match what was recorded/);
    expect(describeEvent(e, stageName).title).toBe('Note by the practitioner');
  });
});
