import { resolveRecipients, selectPanel } from '../../activities/directory';
import { loadPolicyRegistry } from '../../shared/policy/load';
import type { PolicyPack } from '../../shared/policy/schema';

const bromley = loadPolicyRegistry().get('bromley')!;
const raiser = { name: 'Ann Teacher', email: 'ann@example.org', agencyId: 'hillside-primary' };
const other = { name: 'Bob Social-Worker', email: 'bob@example.org', agencyId: 'bromley-csc' };
const noFlags = { childProtectionPlan: false, lookedAfter: false, immediateHarm: false };
const resolve = (stage: number, kind: 'participants' | 'notify', flags = noFlags) =>
  resolveRecipients({ directory: bromley.directory, refs: bromley.stages[stage][kind], raiser, other, flags });

describe('resolving who takes part', () => {
  it('asks the two workers themselves at stage one', () => {
    expect(resolve(0, 'participants')).toEqual([
      { name: 'Ann Teacher', email: 'ann@example.org', id: 'raiser.worker.0', role: 'worker', agencyId: 'hillside-primary' },
      { name: 'Bob Social-Worker', email: 'bob@example.org', id: 'other.worker.0', role: 'worker', agencyId: 'bromley-csc' },
    ]);
  });

  it('asks the line managers of both agencies at stage two', () => {
    expect(resolve(1, 'participants').map((r) => [r.id, r.email])).toEqual([
      ['raiser.lineManager.0', 'school.deputy@example.org'],
      ['other.lineManager.0', 'csc.team.manager@example.org'],
    ]);
  });

  it('tells the CP chair only when the child has a plan, and the IRO only when looked after', () => {
    expect(resolve(1, 'notify')).toEqual([]);
    expect(resolve(1, 'notify', { ...noFlags, childProtectionPlan: true }).map((r) => r.role)).toEqual(['cpChair']);
    expect(resolve(1, 'notify', { ...noFlags, lookedAfter: true }).map((r) => r.role)).toEqual(['iro']);
  });

  it('falls back to the next role when an agency has nobody in the first', () => {
    const directory = {
      ...bromley.directory,
      agencies: bromley.directory.agencies.map((a) => (a.id === 'bromley-csc' ? { ...a, roles: { seniorManager: a.roles.seniorManager } } : a)),
    };
    const found = resolveRecipients({ directory, refs: bromley.stages[1].participants, raiser, other, flags: noFlags });
    expect(found.map((r) => r.id)).toEqual(['raiser.lineManager.0', 'other.seniorManager.0']);
  });

  it('writes once to a person who holds two of the roles asked for', () => {
    const refs = [
      { role: 'lineManager', of: 'raiser' as const, fallback: [] },
      { role: 'designatedSafeguardingLead', of: 'raiser' as const, fallback: [] },
    ];
    const found = resolveRecipients({ directory: bromley.directory, refs, raiser, other, flags: noFlags });
    expect(found).toHaveLength(1);
  });
});

describe('roles that depend on the clock and on the practitioner', () => {
  const calendar = bromley.calendar;
  const directory: PolicyPack['directory'] = {
    partnership: { roles: {} },
    agencies: [
      {
        id: 'police',
        name: 'Police',
        type: 'police',
        roles: {
          seniorLeader: [
            { name: 'SLT on call', email: 'slt@example.org', when: { time: { from: '07:00', to: '21:00' } } },
            { name: 'Night Duty Superintendent', email: 'night@example.org', when: { time: { from: '21:00', to: '07:00' } } },
          ],
        },
      },
      {
        id: 'school',
        name: 'School',
        type: 'school',
        roles: {
          headTeacher: [{ name: 'Head', email: 'head@example.org' }],
          designatedSafeguardingLead: [{ name: 'Head', email: 'head@example.org' }],
          safeguardingGovernor: [{ name: 'Governor', email: 'governor@example.org' }],
        },
      },
      { id: 'health', name: 'Health', type: 'health', roles: { namedDoctor: [{ name: 'Dr Named', email: 'named.doctor@example.org' }], lineManager: [{ name: 'LM', email: 'lm@example.org' }] } },
    ],
  };
  const at = (iso: string) => ({ at: iso, calendar });
  const ask = (refs: Parameters<typeof resolveRecipients>[0]['refs'], otherAgency: string, when: string, role?: string) =>
    resolveRecipients({ directory, refs, raiser: { ...raiser, agencyId: 'health', role }, other: { ...other, agencyId: otherAgency }, flags: noFlags, counterparts: { gp: ['namedDoctor', 'designatedDoctor'] }, ...at(when) }).map((r) => r.email);

  it('asks the night duty superintendent at 23:00 and the on-call senior leader at 10:00', () => {
    const refs = [{ role: 'seniorLeader', of: 'other' as const, fallback: [] }];
    expect(ask(refs, 'police', '2026-11-24T23:00:00Z')).toEqual(['night@example.org']);
    expect(ask(refs, 'police', '2026-11-24T10:00:00Z')).toEqual(['slt@example.org']);
    // 06:59 London in summer is 05:59 UTC: still night.
    expect(ask(refs, 'police', '2026-07-01T05:59:00Z')).toEqual(['night@example.org']);
  });

  it('goes out of hours to a different role at weekends and overnight', () => {
    const refs = [
      { role: 'seniorLeader', of: 'other' as const, fallback: [], when: { officeHours: false } },
      { role: 'headTeacher', of: 'other' as const, fallback: [], when: { officeHours: true } },
    ];
    expect(ask(refs, 'school', '2026-11-28T11:00:00Z')).toEqual([]); // Saturday: the school has no out-of-hours role
    expect(ask(refs, 'school', '2026-11-25T11:00:00Z')).toEqual(['head@example.org']);
  });

  it('bypasses a head teacher who is also the DSL to the safeguarding governor', () => {
    const refs = [{ role: 'headTeacher', of: 'other' as const, fallback: [], bypassWhenAlso: { role: 'designatedSafeguardingLead', use: ['safeguardingGovernor'] } }];
    expect(ask(refs, 'school', '2026-11-25T11:00:00Z')).toEqual(['governor@example.org']);
  });

  it("finds a practitioner's counterpart from their own role, and falls back when they have none", () => {
    const refs = [{ role: 'counterpart', of: 'raiser' as const, fallback: ['lineManager'] }];
    expect(ask(refs, 'police', '2026-11-25T11:00:00Z', 'gp')).toEqual(['named.doctor@example.org']);
    expect(ask(refs, 'police', '2026-11-25T11:00:00Z')).toEqual(['lm@example.org']);
  });

  it('follows rules only for the agency types they name', () => {
    const refs = [{ role: 'seniorLeader', of: 'other' as const, fallback: [], when: { otherAgencyType: ['police'] } }, { role: 'headTeacher', of: 'other' as const, fallback: [], when: { otherAgencyType: ['school'] } }];
    expect(ask(refs, 'school', '2026-11-25T11:00:00Z')).toEqual(['head@example.org']);
  });
});

describe('resolution panels', () => {
  it('seats the agencies concerned first, then others, up to the size', () => {
    const directory = {
      partnership: { roles: {} },
      agencies: ['a', 'b', 'c', 'd'].map((id) => ({ id, name: id, type: 'x', roles: { panelMember: [{ name: id, email: `${id}@example.org` }] } })),
    };
    const panel = selectPanel({ directory, role: 'panelMember', size: 3, includeAgenciesConcerned: true, agenciesConcerned: ['d', 'b'] });
    expect(panel.map((p) => p.agencyId)).toEqual(['d', 'b', 'a']);
  });
});
