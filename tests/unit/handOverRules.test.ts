/** "I'm not the right person" and notes: who a stage may be handed to, and the refusals (pure). */
import { Refusal, type AddNoteRequest, type HandOverRequest } from '../../shared/contract';
import { handOverOptions, type HandOverSituation } from '../../shared/handover';
import type { PolicyPack } from '../../shared/policy/schema';
import { handOverRefusal, noteRefusal, type HandingOverStage } from '../../workflows/rules';

const directory: PolicyPack['directory'] = {
  partnership: {
    roles: {
      partnershipChair: [{ name: 'Quinn Chair', email: 'chair@example.org' }],
      viceChair: [{ name: 'Vic Vice', email: 'vice@example.org' }],
    },
  },
  agencies: [
    {
      id: 'school',
      name: 'Hillside School',
      type: 'school',
      roles: {
        lineManager: [{ name: 'Dee Deputy', email: 'deputy@example.org' }, { name: 'Lou Second', email: 'lou@example.org' }],
        seniorManager: [{ name: 'Hal Head', email: 'head@example.org' }],
      },
    },
    { id: 'police', name: 'Police', type: 'police', roles: { lineManager: [{ name: 'Pat Sergeant', email: 'sergeant@example.org' }] } },
  ],
};

const dee = { id: 'raiser.lineManager.0', name: 'Dee Deputy', email: 'deputy@example.org', role: 'lineManager', agencyId: 'school' };
const pat = { id: 'other.lineManager.0', name: 'Pat Sergeant', email: 'sergeant@example.org', role: 'lineManager', agencyId: 'police' };
const situation = (over: Partial<HandOverSituation> = {}): HandOverSituation => ({
  directory,
  stageRefs: [{ role: 'lineManager', of: 'both', fallback: ['seniorManager'] }],
  person: dee,
  participants: [dee, pat],
  ...over,
});

describe('handOverOptions: who the stage may be handed to', () => {
  it('offers colleagues of the same agency not already asked, and the fallback role after the person\u2019s own', () => {
    const options = handOverOptions(situation());
    expect(options.from).toBe('school');
    expect(options.colleagues.map((p) => [p.id, p.email])).toEqual([
      ['raiser.lineManager.1', 'lou@example.org'],
      ['raiser.seniorManager.0', 'head@example.org'],
    ]);
    expect(options.fallback).toEqual({ role: 'seniorManager', people: [{ id: 'raiser.seniorManager.0', name: 'Hal Head', email: 'head@example.org', role: 'seniorManager', agencyId: 'school' }] });
  });
  it('never offers another agency\u2019s people, nor anyone already asked', () => {
    const emails = handOverOptions(situation()).colleagues.map((p) => p.email);
    expect(emails).not.toContain('sergeant@example.org');
    expect(emails).not.toContain('deputy@example.org');
  });
  it('has no fallback when the person already holds the last role of the chain, or the policy names none', () => {
    const hal = { id: 'raiser.seniorManager.0.h1', name: 'Hal Head', email: 'head@example.org', role: 'seniorManager', agencyId: 'school' };
    expect(handOverOptions(situation({ person: hal, participants: [hal, pat] })).fallback).toBeUndefined();
    expect(handOverOptions(situation({ stageRefs: [{ role: 'lineManager', of: 'both', fallback: [] }] })).fallback).toBeUndefined();
    // The police have nobody else at all: no colleague and no fallback.
    const police = handOverOptions(situation({ person: pat }));
    expect(police.colleagues).toEqual([]);
    expect(police.fallback).toBeUndefined();
  });
  it('never offers the two practitioners who disagree, even where the directory lists them', () => {
    const options = handOverOptions(situation({ never: ['LOU@example.org', 'someone@police.example.org'] }));
    expect(options.colleagues.map((p) => p.email)).toEqual(['head@example.org']);
  });
  it('offers the partnership\u2019s own people to a partnership role holder', () => {
    const chair = { id: 'partnership.partnershipChair.0', name: 'Quinn Chair', email: 'chair@example.org', role: 'partnershipChair' };
    const options = handOverOptions(situation({ person: chair, participants: [chair], stageRefs: [{ role: 'partnershipChair', of: 'partnership', fallback: ['viceChair'] }] }));
    expect(options.colleagues.map((p) => p.id)).toEqual(['partnership.viceChair.0']);
    expect(options.fallback?.people.map((p) => p.email)).toEqual(['vice@example.org']);
  });
});

const stage2: HandingOverStage = {
  status: 'open',
  stage: { number: 2, participants: [{ id: dee.id }, { id: pat.id }], decided: false },
  options: handOverOptions(situation()),
};
const request = (over: Partial<HandOverRequest> = {}): HandOverRequest => ({
  reference: 'QTP-2026-TEST01',
  stage: 2,
  recipientId: dee.id,
  to: { kind: 'colleague', email: 'lou@example.org' },
  reason: 'I am on leave until after the deadline.',
  ...over,
});
const typeOf = (r: { type: string } | undefined) => r?.type;

describe('handOverRefusal: may this person hand the stage over?', () => {
  it('accepts a colleague from the directory (any case of the address) and the fallback role', () => {
    expect(handOverRefusal(stage2, request())).toBeUndefined();
    expect(handOverRefusal(stage2, request({ to: { kind: 'colleague', email: ' LOU@example.org ' } }))).toBeUndefined();
    expect(handOverRefusal(stage2, request({ to: { kind: 'fallback' } }))).toBeUndefined();
  });
  it('refuses a closed case, another stage, a decided stage and someone not asked at it', () => {
    expect(typeOf(handOverRefusal({ ...stage2, status: 'withdrawn' }, request()))).toBe(Refusal.caseClosed);
    expect(typeOf(handOverRefusal(stage2, request({ stage: 1 })))).toBe(Refusal.staleStage);
    expect(typeOf(handOverRefusal({ ...stage2, stage: { ...stage2.stage!, decided: true } }, request()))).toBe(Refusal.alreadyDecided);
    expect(typeOf(handOverRefusal(stage2, request({ recipientId: 'raiser.worker.0' })))).toBe(Refusal.notParticipant);
  });
  it('needs a reason, of a sensible length', () => {
    expect(typeOf(handOverRefusal(stage2, request({ reason: '   ' })))).toBe(Refusal.notAllowed);
    expect(typeOf(handOverRefusal(stage2, request({ reason: 'x'.repeat(1001) })))).toBe(Refusal.notAllowed);
  });
  it('refuses clearly when there is nobody to hand to: someone outside the directory, another agency, or no fallback held', () => {
    const outsider = handOverRefusal(stage2, request({ to: { kind: 'colleague', email: 'someone@else.example.org' } }));
    expect(outsider).toMatchObject({ type: Refusal.nobodyToHandTo, message: expect.stringMatching(/not in the directory of your organisation/) });
    expect(typeOf(handOverRefusal(stage2, request({ to: { kind: 'colleague', email: 'sergeant@example.org' } })))).toBe(Refusal.nobodyToHandTo);
    const police: HandingOverStage = { ...stage2, options: handOverOptions(situation({ person: pat })) };
    expect(handOverRefusal(police, request({ recipientId: pat.id, to: { kind: 'fallback' } }))).toMatchObject({ type: Refusal.nobodyToHandTo, message: expect.stringMatching(/names no other role/) });
  });
  it('refuses a request that names neither a colleague nor the fallback', () => {
    expect(typeOf(handOverRefusal(stage2, request({ to: { kind: 'boss' } as never })))).toBe(Refusal.notAllowed);
  });
});

describe('noteRefusal: may this note be added?', () => {
  const note = (over: Partial<AddNoteRequest> = {}): AddNoteRequest => ({
    reference: 'QTP-2026-TEST01',
    noteId: '8f14e45f-ceea-467f-a0e6-6d2b1c7a9b10',
    digest: 'a'.repeat(64),
    author: { kind: 'participant', email: 'deputy@example.org' },
    ...over,
  });
  it('accepts someone taking part, and a partnership admin', () => {
    expect(noteRefusal({ status: 'open', authorTakesPart: true }, note())).toBeUndefined();
    expect(noteRefusal({ status: 'open', authorTakesPart: false }, note({ author: { kind: 'partnershipAdmin', email: 'bu@example.org' } }))).toBeUndefined();
  });
  it('refuses a closed case, someone not taking part, and a note the service did not keep', () => {
    expect(typeOf(noteRefusal({ status: 'resolved', authorTakesPart: true }, note()))).toBe(Refusal.caseClosed);
    expect(typeOf(noteRefusal({ status: 'open', authorTakesPart: false }, note()))).toBe(Refusal.notParticipant);
    expect(typeOf(noteRefusal({ status: 'open', authorTakesPart: true }, note({ noteId: '../../etc' })))).toBe(Refusal.notAllowed);
    expect(typeOf(noteRefusal({ status: 'open', authorTakesPart: true }, note({ digest: 'short' })))).toBe(Refusal.notAllowed);
    expect(typeOf(noteRefusal({ status: 'open', authorTakesPart: true }, note({ author: { kind: 'raiser' as never, email: 'x@example.org' } })))).toBe(Refusal.notAllowed);
  });
});
