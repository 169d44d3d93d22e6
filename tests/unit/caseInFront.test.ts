/**
 * The case as the person deciding a stage sees it (api/caseInFront.ts), built from a record, the
 * workflow's view of the stage, the policy and the invitations, with no HTTP or database.
 */
import { join } from 'node:path';
import { caseInFront, type CaseInFrontSources } from '../../api/caseInFront';
import type { CaseState, StageView } from '../../shared/contract';
import type { CaseRecord, StageVisit } from '../../records/caseRecord';
import { loadPolicyPack } from '../../shared/policy/load';

const bromley = loadPolicyPack(join(__dirname, '..', '..', 'policies', 'bromley.yaml'));
const school = { id: 'hillside-primary', name: 'Hillside Primary School', type: 'school' };
const csc = { id: 'bromley-csc', name: "Bromley Children's Social Care", type: 'family-services' };

const visit = (number: number, name: string, enteredAt: string, more: Partial<StageVisit> = {}): StageVisit => ({
  number,
  name,
  enteredAt,
  deadlinePassed: false,
  participants: [],
  informed: [],
  ...more,
});

/** Stage 1 ran out of time; stage 2's managers recorded "not resolved"; the case is at stage 3. */
const record: CaseRecord = {
  reference: 'BSCP-2026-ABC123',
  partnership: { id: 'bromley', name: bromley.name },
  policy: { name: bromley.name, title: bromley.policy.title, version: '1.5' },
  timeZone: 'Europe/London',
  status: 'open',
  statusLabel: 'Open',
  openedAt: '2026-03-02T09:15:00.000Z',
  childReference: 'UPN-A123456789012',
  category: { id: 'levels-of-need', label: 'Levels of need' },
  description: 'School believes the threshold is met.',
  flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false },
  flagLabels: ['Child protection plan'],
  parties: {
    raiser: { name: 'Ann Teacher', email: 'ann@example.org', phone: '020 7946 0555', agency: school },
    other: { name: 'Bob Social-Worker', email: 'bob@example.org', agency: csc, role: 'socialWorker', roleLabel: 'social worker' },
  },
  stages: [
    visit(1, 'Discuss with the other worker', '2026-03-02T09:15:00.000Z', {
      leftAt: '2026-03-09T17:00:00.000Z',
      deadlinePassed: true,
      participants: [
        { role: 'worker', roleLabel: 'practitioner', side: 'raiser', organisation: school.name },
        { role: 'worker', roleLabel: 'practitioner', side: 'other', organisation: csc.name },
      ],
    }),
    visit(2, 'Escalate to line manager', '2026-03-09T17:00:00.000Z', {
      leftAt: '2026-03-11T10:30:00.000Z',
      participants: [{ role: 'lineManager', roleLabel: 'line manager', side: 'raiser', organisation: school.name }],
      decision: {
        stage: 2,
        stageName: 'Escalate to line manager',
        outcome: 'notResolved',
        outcomeLabel: 'not resolved',
        by: { role: 'lineManager', roleLabel: 'line manager', side: 'other', organisation: csc.name },
        at: '2026-03-11T10:30:00.000Z',
        reasons: 'Social care still says the threshold is not met.',
      },
    }),
    visit(3, 'Escalate to senior managers', '2026-03-11T10:30:00.000Z'),
  ],
  escalations: [
    { fromStage: 1, toStage: 2, at: '2026-03-09T17:00:00.000Z', kind: 'deadline', because: 'Because stage 1 ran out of time.' },
    {
      fromStage: 2,
      toStage: 3,
      at: '2026-03-11T10:30:00.000Z',
      kind: 'notResolved',
      because: 'Because the line manager recorded that stage 2 was not resolved.',
      reasons: 'Social care still says the threshold is not met.',
    },
  ],
  decisions: [],
  timeline: [],
  timelineByStage: [],
};

const stage3: StageView = {
  number: 3,
  id: 'senior-managers',
  name: 'Escalate to senior managers',
  isFinal: false,
  panelAllowed: false,
  enteredAt: '2026-03-11T10:30:00.000Z',
  deadline: '2026-03-18T17:00:00.000Z',
  participants: [
    { id: 'raiser.seniorManager.0', name: 'Kim Head-Teacher', role: 'seniorManager' },
    { id: 'other.seniorManager.0', name: 'Sam Service-Manager', role: 'seniorManager' },
  ],
};

const state = (stage: StageView): CaseState & { stage: StageView } => ({
  reference: record.reference,
  partnership: 'bromley',
  policyVersion: '1.5',
  status: 'open',
  stage,
  decisions: [],
  resolutionRequires: ['agreedPlan'],
});

const sources = (more: Partial<CaseInFrontSources> = {}): CaseInFrontSources => ({
  record,
  state: state(stage3),
  policy: bromley,
  invitations: [
    { recipientId: 'raiser.seniorManager.0', role: 'seniorManager', email: 'school.head@example.org', refused: false },
    { recipientId: 'other.seniorManager.0', role: 'seniorManager', email: 'csc.service.manager@example.org', refused: true },
  ],
  recipientId: 'other.seniorManager.0',
  now: new Date('2026-03-12T09:00:00Z'),
  ...more,
});

describe('the case in front of the person deciding', () => {
  it('says which case, about which child, and what this stage asks by when, in the policy’s words', () => {
    const c = caseInFront(sources());
    expect(c).toMatchObject({
      reference: 'BSCP-2026-ABC123',
      childReference: 'UPN-A123456789012',
      description: 'School believes the threshold is met.',
      category: 'Levels of need',
      flagLabels: ['Child protection plan'],
      policy: { title: bromley.policy.title, version: '1.5' },
      requires: ['agreedPlan'],
      you: "Sam Service-Manager, senior manager, Bromley Children's Social Care",
    });
    expect(c.stage).toMatchObject({
      number: 3,
      of: '3 of 5',
      guidance: bromley.stages[2].guidance,
      deadlineInWords: 'by 5pm on Wednesday 18 March',
      due: '5pm on Wednesday 18 March',
      isFinal: false,
    });
  });

  it('gives both sides with what is held to reach them', () => {
    const { sides } = caseInFront(sources());
    expect(sides.raiser).toEqual({ side: 'raiser', name: 'Ann Teacher', agency: 'Hillside Primary School', email: 'ann@example.org', phone: '020 7946 0555' });
    expect(sides.other).toEqual({ side: 'other', name: 'Bob Social-Worker', role: 'Social worker', agency: "Bromley Children's Social Care", email: 'bob@example.org' });
  });

  it('lists who is asked at this stage with the address their invitation went to, and marks the reader and a refused address', () => {
    const policy = structuredClone(bromley);
    policy.directory.agencies.find((a) => a.id === 'hillside-primary')!.roles.seniorManager[0].phone = '020 7946 0999';
    const { invited } = caseInFront(sources({ policy }));
    expect(invited).toEqual([
      {
        name: 'Kim Head-Teacher',
        role: 'Senior manager, Hillside Primary School',
        actsFor: 'The side that raised it (Hillside Primary School)',
        email: 'school.head@example.org',
        phone: '020 7946 0999',
        you: false,
        undelivered: false,
      },
      {
        name: 'Sam Service-Manager',
        role: "Senior manager, Bromley Children's Social Care",
        actsFor: "The other side (Bromley Children's Social Care)",
        email: 'csc.service.manager@example.org',
        you: true,
        undelivered: true,
      },
    ]);
  });

  it('gives every earlier stage its outcome, who recorded it, the reasons, and how it moved on', () => {
    const { earlier } = caseInFront(sources());
    expect(earlier).toEqual([
      {
        number: 1,
        name: 'Discuss with the other worker',
        when: expect.stringMatching(/^2 March 2026.* to 9 March 2026/),
        takingPart: ['Practitioner, Hillside Primary School', "Practitioner, Bromley Children's Social Care"],
        movedOn: 'Because stage 1 ran out of time.',
      },
      {
        number: 2,
        name: 'Escalate to line manager',
        when: expect.stringMatching(/^9 March 2026.* to 11 March 2026/),
        takingPart: ['Line manager, Hillside Primary School'],
        outcome: {
          label: 'Not resolved',
          by: "The line manager, Bromley Children's Social Care",
          at: expect.stringMatching(/^11 March 2026/),
          reasons: 'Social care still says the threshold is not met.',
        },
        movedOn: 'Because the line manager recorded that stage 2 was not resolved.',
      },
    ]);
  });

  it('at stage 1 has nothing earlier, and gives the practitioners their own details from the case', () => {
    const stage1: StageView = {
      ...stage3,
      number: 1,
      id: 'discuss',
      name: 'Discuss with the other worker',
      participants: [
        { id: 'raiser.worker.0', name: 'Ann Teacher', role: 'worker' },
        { id: 'other.worker.0', name: 'Bob Social-Worker', role: 'worker' },
      ],
    };
    const c = caseInFront(sources({ record: { ...record, stages: [record.stages[0]], escalations: [] }, state: state(stage1), invitations: [], recipientId: 'raiser.worker.0' }));
    expect(c.earlier).toEqual([]);
    expect(c.invited.map((p) => [p.name, p.email, p.phone, p.you])).toEqual([
      ['Ann Teacher', 'ann@example.org', '020 7946 0555', true],
      ['Bob Social-Worker', 'bob@example.org', undefined, false],
    ]);
  });

  it("takes a panel's guidance from its stage, and counts it outside the policy's stages", () => {
    const panel: StageView = { ...stage3, number: 6, id: 'chair-panel', name: 'Resolution Panel', isFinal: true, participants: [] };
    const c = caseInFront(sources({ state: state(panel) }));
    expect(c.stage.guidance).toBe(bromley.stages[4].panel!.guidance);
    expect(c.stage.of).toBeUndefined();
  });

  it('still shows the case when the policy is not known', () => {
    const c = caseInFront(sources({ policy: undefined }));
    expect(c.stage).not.toHaveProperty('of');
    expect(c.stage).not.toHaveProperty('guidance');
    expect(c.invited.map((p) => p.phone)).toEqual([undefined, undefined]);
    expect(c.earlier).toHaveLength(2);
  });
});

describe('the case in front of the person deciding, at a final stage in its last chance (issue 11: one overdue)', () => {
  it('asks for the decision by the last chance, and says the stage is overdue and how late', () => {
    const final = { ...stage3, isFinal: true, deadline: '2026-03-10T17:00:00.000Z', lastChance: '2026-03-17T17:00:00.000Z', clockAdjustable: true };
    const c = caseInFront(sources({ state: state(final) }));
    expect(c.stage.deadline).toBe('2026-03-10T17:00:00.000Z');
    expect(c.stage.deadlineInWords).toBe('by 5pm on Tuesday 17 March');
    expect(c.stage.due).toBe('5pm on Tuesday 17 March (overdue: it was due 5pm on Tuesday 10 March, 1 day late)');
    // Paused: not overdue.
    expect(caseInFront(sources({ state: state({ ...stage3, deadline: '2026-03-10T17:00:00.000Z', pausedAt: '2026-03-09T09:00:00.000Z' }) })).stage.due).toBe('5pm on Tuesday 10 March');
  });
});
