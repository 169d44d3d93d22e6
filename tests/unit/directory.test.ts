import { resolveRecipients } from '../../activities/directory';
import { loadPolicyRegistry } from '../../shared/policy/load';

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
