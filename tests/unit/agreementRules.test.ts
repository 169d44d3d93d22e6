/**
 * Agreement means agreement (issue 11): who may decide a stage under each rule, when "resolved"
 * is only a proposal, and who may confirm or dispute it. Pure rules, tested alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Refusal, type ConfirmOutcomeRequest, type RecordOutcomeRequest } from '../../shared/contract';
import { PolicyPackError, loadPolicyRegistry, parsePolicyPack } from '../../shared/policy/load';
import { decidedByOf, decidingAt, sideOf, type ParticipantRef } from '../../shared/policy/deciding';
import { confirmRefusal, outcomeRefusal, sidesToConfirm, type DecidingStage } from '../../workflows/rules';

const both: ParticipantRef[] = [{ role: 'lineManager', of: 'both' }];
const managers = [
  { id: 'raiser.lineManager.0', role: 'lineManager' },
  { id: 'other.seniorManager.0', role: 'seniorManager' },
];

describe('who decides a stage: the pack rule and its default', () => {
  it('defaults to both sides where the participants come from both parties, otherwise anyone', () => {
    expect(decidedByOf({ participants: both })).toBe('bothSides');
    expect(decidedByOf({ participants: [{ role: 'worker', of: 'raiser' }, { role: 'teamManager', of: 'other' }] })).toBe('bothSides');
    expect(decidedByOf({ participants: [{ role: 'worker', of: 'raiser' }, { role: 'lineManager', of: 'raiser' }] })).toBe('anyone');
    expect(decidedByOf({ participants: [{ role: 'partnershipChair', of: 'partnership' }] })).toBe('anyone');
    expect(decidedByOf({ participants: both, decidedBy: 'anyone' })).toBe('anyone');
  });

  it('tells the sides apart by recipient id; the partnership and panels are on neither', () => {
    expect(sideOf('raiser.lineManager.0')).toBe('raiser');
    expect(sideOf('other.worker.0')).toBe('other');
    expect(sideOf('partnership.partnershipChair.0')).toBeUndefined();
    expect(sideOf('panel.police.0')).toBeUndefined();
  });

  it('applies the rule to the people the stage has: one side present, or nobody holding the role, leaves it to anyone', () => {
    expect(decidingAt({ participants: both }, managers)).toEqual({ rule: 'bothSides', sides: ['raiser', 'other'] });
    expect(decidingAt({ participants: both }, managers.slice(0, 1))).toEqual({ rule: 'anyone' });
    const chaired = { participants: [{ role: 'chair', of: 'partnership' as const, fallback: ['viceChair'] }, { role: 'lineManager', of: 'both' as const }], decidedBy: { role: 'chair' } };
    expect(decidingAt(chaired, [{ id: 'partnership.viceChair.0', role: 'viceChair' }, ...managers])).toEqual({ rule: 'role', roles: ['chair', 'viceChair'] });
    expect(decidingAt(chaired, managers)).toEqual({ rule: 'anyone' });
  });
});

describe('policy packs say who decides', () => {
  const bromley = () => readFileSync(join(__dirname, '..', '..', 'policies', 'bromley.yaml'), 'utf8');
  const problemsOf = (text: string) => {
    try {
      parsePolicyPack(text, 'policies/x.yaml');
    } catch (error) {
      return (error as PolicyPackError).problems;
    }
    return [];
  };

  it('the seed packs: chairs decide their stages in Bromley and Chew Stoke; the stages where the two sides meet need both', () => {
    const packs = loadPolicyRegistry();
    expect(packs.get('bromley')!.stages.map((s) => decidedByOf(s))).toEqual(['bothSides', 'bothSides', 'bothSides', 'bothSides', { role: 'partnershipChair' }]);
    expect(packs.get('chew-stoke')!.stages.map((s) => decidedByOf(s))).toEqual(['anyone', 'bothSides', 'bothSides', 'bothSides', { role: 'lscbChair' }]);
  });

  it('refuses a named role none of the stage participants holds, naming the stage by number and id', () => {
    const text = bromley().replace('decidedBy: { role: partnershipChair }', 'decidedBy: { role: boardManager }');
    expect(problemsOf(text)).toEqual([
      { path: 'stages[4].decidedBy.role', message: expect.stringMatching(/^stage 5 \("chair"\): decidedBy names the role "boardManager", which is not one of the stage's participants' roles \(partnershipChair\)$/) },
    ]);
  });

  it('refuses bothSides where the participants come from one side only, and anything but the three forms', () => {
    expect(problemsOf(bromley().replace('decidedBy: { role: partnershipChair }', 'decidedBy: bothSides'))).toEqual([
      { path: 'stages[4].decidedBy', message: expect.stringMatching(/^stage 5 \("chair"\): decidedBy is bothSides, but the participants do not come from both sides/) },
    ]);
    expect(problemsOf(bromley().replace('decidedBy: { role: partnershipChair }', 'decidedBy: chair')).map((p) => p.path)).toEqual(['stages[4].decidedBy']);
  });
});

const stage = (over: Partial<NonNullable<DecidingStage['stage']>> = {}): DecidingStage => ({
  status: 'open',
  required: [],
  stage: {
    number: 2,
    participants: [...managers, { id: 'partnership.cpChair.0', role: 'cpChair' }],
    isFinal: false,
    panelAllowed: false,
    decided: false,
    deciding: { rule: 'bothSides', sides: ['raiser', 'other'] },
    ...over,
  },
});
const outcome = (recipientId: string, decision: RecordOutcomeRequest['decision']): RecordOutcomeRequest => ({ reference: 'BSCP-2026-TEST01', stage: 2, recipientId, decision });
const resolved = { outcome: 'resolved' as const, agreedOutcome: 'Joint visit on Monday.' };
const notResolved = { outcome: 'notResolved' as const, reasons: 'Still apart.' };
const answer = (recipientId: string, over: Partial<ConfirmOutcomeRequest> = {}): ConfirmOutcomeRequest => ({ reference: 'BSCP-2026-TEST01', stage: 2, recipientId, confirm: true, ...over });
const proposed = stage({ proposal: { recipientId: 'raiser.lineManager.0', awaiting: ['other'] } });

describe('both sides: "resolved" from one side is a proposal the other side confirms or disputes', () => {
  it('makes "resolved" a proposal awaiting the other side; the partnership’s people await both; other outcomes end the stage', () => {
    const deciding = { rule: 'bothSides' as const, sides: ['raiser' as const, 'other' as const] };
    expect(sidesToConfirm(deciding, 'raiser.lineManager.0', 'resolved')).toEqual(['other']);
    expect(sidesToConfirm(deciding, 'other.seniorManager.0', 'resolved')).toEqual(['raiser']);
    expect(sidesToConfirm(deciding, 'partnership.cpChair.0', 'resolved')).toEqual(['raiser', 'other']);
    expect(sidesToConfirm(deciding, 'raiser.lineManager.0', 'notResolved')).toBeUndefined();
    expect(sidesToConfirm({ rule: 'anyone' }, 'raiser.lineManager.0', 'resolved')).toBeUndefined();
    expect(sidesToConfirm({ rule: 'role', roles: ['cpChair'] }, 'partnership.cpChair.0', 'resolved')).toBeUndefined();
  });

  it('lets either side propose; once a proposal waits, refuses a second "resolved" but takes "not resolved" from anyone', () => {
    expect(outcomeRefusal(stage(), outcome('raiser.lineManager.0', resolved))).toBeUndefined();
    expect(outcomeRefusal(proposed, outcome('other.seniorManager.0', resolved))?.type).toBe(Refusal.awaitingConfirmation);
    expect(outcomeRefusal(proposed, outcome('raiser.lineManager.0', resolved))?.type).toBe(Refusal.awaitingConfirmation);
    expect(outcomeRefusal(proposed, outcome('other.seniorManager.0', notResolved))).toBeUndefined();
    expect(outcomeRefusal(proposed, outcome('raiser.lineManager.0', notResolved))).toBeUndefined();
  });

  it('lets only someone on the awaited side confirm or dispute; never the proposer, nor the partnership’s people', () => {
    expect(confirmRefusal(proposed, answer('other.seniorManager.0'))).toBeUndefined();
    expect(confirmRefusal(proposed, answer('raiser.lineManager.0'))?.type).toBe(Refusal.notOtherSide);
    expect(confirmRefusal(proposed, answer('partnership.cpChair.0'))?.type).toBe(Refusal.notOtherSide);
    expect(confirmRefusal(proposed, answer('other.worker.0'))?.type).toBe(Refusal.notParticipant);
  });

  it('needs reasons for a dispute', () => {
    expect(confirmRefusal(proposed, answer('other.seniorManager.0', { confirm: false }))?.type).toBe(Refusal.invalidDecision);
    expect(confirmRefusal(proposed, answer('other.seniorManager.0', { confirm: false, reasons: '   ' }))?.type).toBe(Refusal.invalidDecision);
    expect(confirmRefusal(proposed, answer('other.seniorManager.0', { confirm: false, reasons: 'x'.repeat(2001) }))?.type).toBe(Refusal.invalidDecision);
    expect(confirmRefusal(proposed, answer('other.seniorManager.0', { confirm: false, reasons: 'The plan leaves the child at home.' }))).toBeUndefined();
  });

  it('refuses an answer with nothing to answer, at another stage, once decided, or once the case has ended', () => {
    expect(confirmRefusal(stage(), answer('other.seniorManager.0'))?.type).toBe(Refusal.noProposal);
    expect(confirmRefusal(proposed, answer('other.seniorManager.0', { stage: 1 }))?.type).toBe(Refusal.staleStage);
    expect(confirmRefusal({ ...proposed, stage: { ...proposed.stage!, decided: true } }, answer('other.seniorManager.0'))?.type).toBe(Refusal.alreadyDecided);
    expect(confirmRefusal({ ...proposed, status: 'withdrawn' }, answer('other.seniorManager.0'))?.type).toBe(Refusal.caseClosed);
  });
});

describe('a named role decides: only those holding it record the outcome', () => {
  const chaired = stage({ deciding: { rule: 'role', roles: ['cpChair'] } });
  it('takes any outcome from the role, and refuses everyone else taking part', () => {
    expect(outcomeRefusal(chaired, outcome('partnership.cpChair.0', resolved))).toBeUndefined();
    expect(outcomeRefusal(chaired, outcome('partnership.cpChair.0', notResolved))).toBeUndefined();
    const refused = outcomeRefusal(chaired, outcome('raiser.lineManager.0', resolved));
    expect(refused).toEqual({ type: Refusal.notDecider, message: 'At stage 2 the outcome is recorded by the cp chair.' });
    expect(outcomeRefusal(chaired, outcome('other.seniorManager.0', notResolved))?.type).toBe(Refusal.notDecider);
  });
  it('under "anyone", anyone taking part records any outcome alone', () => {
    const anyone = stage({ deciding: { rule: 'anyone' } });
    expect(outcomeRefusal(anyone, outcome('raiser.lineManager.0', resolved))).toBeUndefined();
    expect(sidesToConfirm({ rule: 'anyone' }, 'raiser.lineManager.0', 'resolved')).toBeUndefined();
  });
});
