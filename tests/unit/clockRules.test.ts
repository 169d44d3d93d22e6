/** Who may pause, resume or change a stage's deadline, and which changes are refused (workflows/rules.ts clockRefusal). */
import { MAX_DEADLINE_AHEAD_DAYS, Refusal, type ChangeDeadlineRequest, type ClockRequest } from '../../shared/contract';
import { clockRefusal, MAX_REASON_LENGTH, type ClockedStage } from '../../workflows/rules';

const NOW = '2026-03-20T12:00:00.000Z';
const stage2: ClockedStage = {
  status: 'open',
  now: NOW,
  stage: {
    number: 2,
    participants: [{ id: 'raiser.lineManager.0' }, { id: 'other.lineManager.0' }],
    adjustable: true,
    deadline: '2026-03-23T17:00:00.000Z',
    passed: false,
    decided: false,
  },
};
const at = (over: Partial<NonNullable<ClockedStage['stage']>>): ClockedStage => ({ ...stage2, stage: { ...stage2.stage!, ...over } });
const ask = (over: Partial<ClockRequest> = {}): ClockRequest => ({ reference: 'BSCP-2026-TEST01', stage: 2, by: 'participant', actor: 'other.lineManager.0', reason: 'Waiting for the strategy meeting on Friday.', ...over });
const change = (deadline: string, over: Partial<ChangeDeadlineRequest> = {}): ChangeDeadlineRequest => ({ ...ask(), reason: 'The meeting moved.', deadline, ...over });
const typeOf = (r: ReturnType<typeof clockRefusal>) => r?.type;

describe('clockRefusal: may this person change the stage clock now?', () => {
  it("lets the stage's participants and a partnership admin pause, resume and change the deadline", () => {
    expect(clockRefusal('pause', stage2, ask())).toBeUndefined();
    expect(clockRefusal('pause', stage2, ask({ by: 'partnershipAdmin', actor: 'partnershipAdmin' }))).toBeUndefined();
    expect(clockRefusal('resume', at({ pausedAt: '2026-03-19T09:00:00Z' }), ask({ reason: undefined }))).toBeUndefined();
    expect(clockRefusal('change', stage2, change('2026-03-27T17:00:00.000Z'))).toBeUndefined();
    expect(clockRefusal('change', stage2, change('2026-03-21T17:00:00.000Z'))).toBeUndefined();
  });
  it('refuses anyone else: a practitioner not in the stage, an unknown kind of person, nobody named', () => {
    expect(typeOf(clockRefusal('pause', stage2, ask({ actor: 'raiser.worker.0' })))).toBe(Refusal.notParticipant);
    expect(typeOf(clockRefusal('pause', stage2, ask({ by: 'raiser' as never })))).toBe(Refusal.notAllowed);
    expect(typeOf(clockRefusal('pause', stage2, ask({ actor: ' ' })))).toBe(Refusal.notAllowed);
  });
  it('refuses a closed case and a stale stage', () => {
    expect(typeOf(clockRefusal('pause', { ...stage2, status: 'resolved' }, ask()))).toBe(Refusal.caseClosed);
    expect(typeOf(clockRefusal('pause', { ...stage2, stage: undefined }, ask()))).toBe(Refusal.caseClosed);
    expect(typeOf(clockRefusal('pause', stage2, ask({ stage: 1 })))).toBe(Refusal.staleStage);
  });
  it('needs a reason to pause or change, not to resume; and not too long a one', () => {
    expect(typeOf(clockRefusal('pause', stage2, ask({ reason: '  ' })))).toBe(Refusal.notAllowed);
    expect(typeOf(clockRefusal('change', stage2, change('2026-03-27T17:00:00Z', { reason: '' })))).toBe(Refusal.notAllowed);
    expect(typeOf(clockRefusal('pause', stage2, ask({ reason: 'x'.repeat(MAX_REASON_LENGTH + 1) })))).toBe(Refusal.notAllowed);
  });
  it('pauses a running clock once, resumes only a paused one, and changes the deadline only while it runs', () => {
    const paused = at({ pausedAt: '2026-03-19T09:00:00Z' });
    expect(clockRefusal('pause', paused, ask())?.message).toBe('The clock is already paused.');
    expect(clockRefusal('resume', stage2, ask())?.message).toBe('The clock is not paused.');
    expect(clockRefusal('change', paused, change('2026-03-27T17:00:00Z'))?.message).toBe('Resume the clock before changing the deadline.');
  });
  it('keeps the clock of a stage whose deadline passed, that is decided, or that began before clocks could change', () => {
    expect(typeOf(clockRefusal('pause', at({ passed: true }), ask()))).toBe(Refusal.invalidClockChange);
    expect(typeOf(clockRefusal('change', at({ passed: true }), change('2026-03-27T17:00:00Z')))).toBe(Refusal.invalidClockChange);
    expect(typeOf(clockRefusal('pause', at({ decided: true }), ask()))).toBe(Refusal.invalidClockChange);
    expect(typeOf(clockRefusal('pause', at({ adjustable: false }), ask()))).toBe(Refusal.invalidClockChange);
  });
  it('never shortens into the past, and extends at most eight weeks ahead', () => {
    expect(clockRefusal('change', stage2, change('2026-03-20T11:59:00Z'))?.message).toBe('The new deadline must be in the future.');
    expect(clockRefusal('change', stage2, change(NOW))?.message).toBe('The new deadline must be in the future.');
    const limit = new Date(Date.parse(NOW) + MAX_DEADLINE_AHEAD_DAYS * 86_400_000);
    expect(clockRefusal('change', stage2, change(limit.toISOString()))).toBeUndefined();
    expect(clockRefusal('change', stage2, change(new Date(limit.getTime() + 60_000).toISOString()))?.message).toBe('The new deadline must be within 8 weeks from now.');
    expect(clockRefusal('change', stage2, change('not a date'))?.message).toBe('The new deadline must be a real date and time.');
    expect(clockRefusal('change', stage2, change('2026-03-23T17:00:00.000Z'))?.message).toBe('The new deadline is the same as the current one.');
  });
});
