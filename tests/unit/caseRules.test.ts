/** The rules that decide whether a decision or an ending is accepted: pure, so tested here alone. */
import { Refusal, type RecordOutcomeRequest } from '../../shared/contract';
import { endingRefusal, outcomeRefusal, type DecidingStage } from '../../workflows/rules';
import { clockStartDelay } from '../../workflows/stage';

const stage2: DecidingStage = {
  status: 'open',
  required: ['reviewDate'],
  stage: { number: 2, participants: [{ id: 'raiser.lineManager.0' }, { id: 'other.lineManager.0' }], isFinal: false, panelAllowed: false, decided: false },
};
const request = (over: Partial<RecordOutcomeRequest> = {}): RecordOutcomeRequest => ({
  reference: 'BSCP-2026-TEST01',
  stage: 2,
  recipientId: 'other.lineManager.0',
  decision: { outcome: 'notResolved', reasons: 'The threshold is met.' },
  ...over,
});
const typeOf = (r: ReturnType<typeof outcomeRefusal>) => r?.type;

describe('outcomeRefusal: may this person record this outcome now?', () => {
  it('accepts a participant of the current stage with reasons', () => {
    expect(outcomeRefusal(stage2, request())).toBeUndefined();
  });
  it('refuses a closed case, whatever else', () => {
    expect(typeOf(outcomeRefusal({ ...stage2, status: 'withdrawn' }, request()))).toBe(Refusal.caseClosed);
    expect(typeOf(outcomeRefusal({ ...stage2, stage: undefined }, request()))).toBe(Refusal.caseClosed);
  });
  it('refuses a link for another stage', () => {
    expect(typeOf(outcomeRefusal(stage2, request({ stage: 1 })))).toBe(Refusal.staleStage);
    expect(typeOf(outcomeRefusal(stage2, request({ stage: 3 })))).toBe(Refusal.staleStage);
  });
  it('refuses a second decision at the same stage', () => {
    expect(typeOf(outcomeRefusal({ ...stage2, stage: { ...stage2.stage!, decided: true } }, request()))).toBe(Refusal.alreadyDecided);
  });
  it('refuses someone who does not take part in the stage', () => {
    expect(typeOf(outcomeRefusal(stage2, request({ recipientId: 'raiser.worker.0' })))).toBe(Refusal.notParticipant);
  });
  it('needs reasons for "not resolved", and refuses it at the final stage', () => {
    expect(typeOf(outcomeRefusal(stage2, request({ decision: { outcome: 'notResolved', reasons: '  ' } })))).toBe(Refusal.invalidDecision);
    const final = { ...stage2, stage: { ...stage2.stage!, isFinal: true } };
    expect(outcomeRefusal(final, request())?.message).toMatch(/final stage/);
  });
  it('lets only a final stage that allows it convene a panel', () => {
    expect(typeOf(outcomeRefusal(stage2, request({ decision: { outcome: 'panelConvened' } })))).toBe(Refusal.invalidDecision);
    const chair = { ...stage2, stage: { ...stage2.stage!, isFinal: true, panelAllowed: true } };
    expect(outcomeRefusal(chair, request({ decision: { outcome: 'panelConvened' } }))).toBeUndefined();
  });
  it('needs the agreed outcome and every field the policy requires for a resolution', () => {
    expect(outcomeRefusal(stage2, request({ decision: { outcome: 'resolved', agreedOutcome: '' } }))?.message).toMatch(/agreed outcome/);
    expect(outcomeRefusal(stage2, request({ decision: { outcome: 'resolved', agreedOutcome: 'Agreed.' } }))?.message).toMatch(/a review date/);
    expect(outcomeRefusal(stage2, request({ decision: { outcome: 'resolved', agreedOutcome: 'Agreed.', reviewDate: '2027-01-15' } }))).toBeUndefined();
  });
  it('refuses an outcome it does not know (a message sent straight to Temporal)', () => {
    expect(typeOf(outcomeRefusal(stage2, request({ decision: { outcome: 'maybe' } as never })))).toBe(Refusal.invalidDecision);
  });
});

describe('endingRefusal: may this case be ended this way?', () => {
  const by = (who: 'raiser' | 'partnershipAdmin', reason = 'Resolved between the agencies.') => ({ reference: 'BSCP-2026-TEST01', by: who, actor: who === 'raiser' ? 'raiser.worker.0' : 'admin', reason });
  it('lets the raiser withdraw and an admin withdraw or close an open case', () => {
    expect(endingRefusal('withdraw', 'open', by('raiser'))).toBeUndefined();
    expect(endingRefusal('withdraw', 'open', by('partnershipAdmin'))).toBeUndefined();
    expect(endingRefusal('close', 'open', by('partnershipAdmin'))).toBeUndefined();
  });
  it('does not let the raiser close a case', () => {
    expect(endingRefusal('close', 'open', by('raiser'))?.type).toBe(Refusal.notAllowed);
  });
  it('refuses anyone else, and an ending without a reason or an actor', () => {
    expect(endingRefusal('withdraw', 'open', { ...by('raiser'), by: 'operator' as never })?.type).toBe(Refusal.notAllowed);
    expect(endingRefusal('withdraw', 'open', by('raiser', ' \n '))?.message).toMatch(/reason is required/);
    expect(endingRefusal('withdraw', 'open', by('raiser', 'x'.repeat(2001)))?.message).toMatch(/2000 characters/);
    expect(endingRefusal('withdraw', 'open', { ...by('raiser'), actor: '' })?.type).toBe(Refusal.notAllowed);
  });
  it('refuses to end a case that has already ended', () => {
    for (const status of ['resolved', 'withdrawn', 'closed', 'unresolved', 'referred'] as const) {
      expect(endingRefusal('withdraw', status, by('partnershipAdmin'))?.type).toBe(Refusal.caseClosed);
    }
  });
});

describe('clockStartDelay: how far late invitations move a stage\'s deadline', () => {
  const entered = '2026-03-02T09:00:00.000Z';
  const week = '2026-03-09T17:00:00.000Z';
  const after = (ms: number) => new Date(Date.parse(entered) + ms).toISOString();
  it('ignores ordinary sending time', () => {
    expect(clockStartDelay(entered, week, after(5_000))).toBe(0);
    expect(clockStartDelay(entered, week, after(60_000))).toBe(0);
  });
  it('moves the deadline by the whole delay once it is more than a minute', () => {
    expect(clockStartDelay(entered, week, after(61_000))).toBe(61_000);
    expect(clockStartDelay(entered, week, after(3 * 3600_000))).toBe(3 * 3600_000);
  });
  it('counts a twentieth of a short stage as ordinary, no more', () => {
    const tenSeconds = after(10_000);
    expect(clockStartDelay(entered, tenSeconds, after(400))).toBe(0);
    expect(clockStartDelay(entered, tenSeconds, after(600))).toBe(600);
  });
});
