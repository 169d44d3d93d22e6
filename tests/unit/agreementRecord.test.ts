/**
 * The child's record and the timeline read a both-sides stage (issue 11): a confirmed proposal is
 * the stage's decision, named as the proposer's; a dispute is "not resolved" with the disputer's
 * reasons; an unconfirmed proposal is said to have lapsed.
 */
import type { StoredEvent } from '../../db/record';
import { assembleCaseRecord, type CaseRecordRow } from '../../records/caseRecord';

const row: CaseRecordRow = {
  reference: 'BSCP-2026-AGREE1',
  partnership_id: 'bromley',
  policy_version: '1.5',
  category: 'levels-of-need',
  raiser: { name: 'Ann Teacher', email: 'ann@example.org', agencyId: 'hillside-primary' },
  other_party: { name: 'Bob Social-Worker', email: 'bob@example.org', agencyId: 'bromley-csc' },
  child_reference: 'UPN-A1',
  description: 'About the referral.',
  flags: { childProtectionPlan: false, lookedAfter: false, immediateHarm: false },
  opened_at: '2026-11-02T09:00:00Z',
  status: 'resolved',
  closed_at: '2026-11-05T09:00:00Z',
};
let seq = 0;
const event = (type: string, stage: number | null, actor: string | null, detail: Record<string, unknown>): StoredEvent => ({ seq: ++seq, type, at: `2026-11-0${Math.min(seq, 9)}T10:00:00Z`, stage, actor, detail });
const proposal = { role: 'worker', awaiting: ['other'], outcome: 'resolved', agreedOutcome: 'Reopen the referral.', agreedPlan: 'Strategy meeting.' };
const events: StoredEvent[] = [
  event('stageEntered', 1, null, { stageId: 'discuss', name: 'Discuss with the other worker', deadline: '2026-11-09T17:00:00Z', reason: { kind: 'opened' }, participants: [] }),
  event('outcomeProposed', 1, 'raiser.worker.0', proposal),
  event('outcomeDisputed', 1, 'other.worker.0', { role: 'worker', reasons: 'Not safe tonight.', proposedBy: 'raiser.worker.0', proposedByRole: 'worker' }),
  event('escalated', 1, 'other.worker.0', { toStage: 2, reason: { kind: 'notResolved', fromStage: 1, byRole: 'worker', disputed: true } }),
  event('stageEntered', 2, null, { stageId: 'line-managers', name: 'Escalate to line manager', deadline: '2026-11-16T17:00:00Z', reason: { kind: 'notResolved', fromStage: 1, byRole: 'worker', disputed: true }, participants: [] }),
  event('outcomeProposed', 2, 'other.lineManager.0', { ...proposal, role: 'lineManager', awaiting: ['raiser'], agreedOutcome: 'Strategy meeting today.' }),
  event('deadlinePassed', 2, null, { deadline: '2026-11-16T17:00:00Z' }),
  event('outcomeConfirmed', 2, 'raiser.lineManager.0', { role: 'lineManager', proposedBy: 'other.lineManager.0', proposedByRole: 'lineManager', awaiting: [] }),
  event('resolved', 2, 'other.lineManager.0', { outcome: 'resolved', agreedOutcome: 'Strategy meeting today.' }),
];

describe('the record of a stage both sides decide', () => {
  const record = assembleCaseRecord(row, events, undefined);

  it('takes a dispute as "not resolved" with the disputer’s reasons, and a confirmed proposal as the resolution', () => {
    expect(record.stages[0].decision).toMatchObject({ outcome: 'notResolved', reasons: 'Not safe tonight.', by: { side: 'other', role: 'worker' } });
    expect(record.escalations[0]).toMatchObject({ fromStage: 1, toStage: 2, kind: 'notResolved', reasons: 'Not safe tonight.' });
    expect(record.stages[1].decision).toMatchObject({ outcome: 'resolved', agreedOutcome: 'Strategy meeting today.', by: { side: 'other', role: 'lineManager' } });
    expect(record.resolution).toMatchObject({ agreedOutcome: 'Strategy meeting today.' });
  });

  it('tells each step on the timeline', () => {
    const titles = record.timeline.map((t) => [t.title, ...t.lines].join(' '));
    expect(titles).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Resolution proposed at stage 1: Discuss with the other worker By Ann Teacher (practitioner, hillside-primary); the other side is asked to confirm or dispute it. Agreed outcome: Reopen the referral.'),
        expect.stringContaining('Proposed resolution disputed at stage 1: Discuss with the other worker: not resolved By Bob Social-Worker (practitioner, bromley-csc); the practitioner had proposed it. Reasons: Not safe tonight.'),
        expect.stringContaining('Because the practitioner disputed the resolution proposed at stage 1, so it was not resolved.'),
        expect.stringContaining('Proposed resolution confirmed at stage 2: Escalate to line manager By the line manager, hillside-primary, for the other side to the line manager who proposed it.'),
      ]),
    );
  });

  it('says when a proposal lapsed unconfirmed', () => {
    const lapsed = assembleCaseRecord(row, [events[0], events[1], event('outcomeProposalLapsed', 1, 'raiser.worker.0', { role: 'worker', awaiting: ['other'], because: 'deadline' })], undefined);
    expect(lapsed.stages[0].decision).toBeUndefined();
    expect(lapsed.timeline.at(-1)).toMatchObject({
      title: 'Proposed resolution not confirmed at stage 1: Discuss with the other worker',
      lines: ['The practitioner proposed a resolution, but the other side had not confirmed it when the stage ran out of time.'],
    });
  });
});
