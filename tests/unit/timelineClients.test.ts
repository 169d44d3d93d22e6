/** The timeline names the API client that opened or ended a case, and reads older events, which name none, as before. */
import { describeEvent } from '../../shared/presentation/timeline';
import type { StoredCaseEvent } from '../../shared/events';

const at = '2026-03-02T10:00:00.000Z';
const stageName = () => 'Discuss with the other worker';
const flags = { childProtectionPlan: false, lookedAfter: false, immediateHarm: false };
const client = { kind: 'apiClient' as const, id: 'ac_7k3f9q2m4x', name: 'Police case system' };

describe('the timeline and API clients', () => {
  it('says which client opened a case, and nothing of the kind for a case opened before clients had keys', () => {
    const opened = (detail: object): StoredCaseEvent => ({ seq: 0, type: 'opened', at, stage: null, actor: 'raiser.worker.0', detail: { partnership: 'generic', policyVersion: '1', category: 'x', flags, ...detail } });
    expect(describeEvent(opened({ openedBy: client }), stageName)).toEqual({
      at,
      title: 'Disagreement raised',
      lines: ['Through the agency system “Police case system” (API client ac_7k3f9q2m4x).'],
    });
    expect(describeEvent(opened({}), stageName)).toEqual({ at, title: 'Disagreement raised', lines: [] });
  });

  it('says which client withdrew or closed a case, and who did for older events', () => {
    const ended = (type: 'withdrawn' | 'closedByAdmin', detail: object) => ({ seq: 5, type, at, stage: 1, actor: null, detail: { by: 'partnershipAdmin', reason: 'Duplicate.', ...detail } }) as StoredCaseEvent;
    expect(describeEvent(ended('withdrawn', { endedBy: client }), stageName).lines).toEqual([
      'By the agency system “Police case system” (API client ac_7k3f9q2m4x).',
      'Reason: Duplicate.',
    ]);
    expect(describeEvent(ended('closedByAdmin', { endedBy: client }), stageName).lines[0]).toBe('By the agency system “Police case system” (API client ac_7k3f9q2m4x).');
    expect(describeEvent(ended('closedByAdmin', {}), stageName).lines).toEqual(['By a partnership admin.', 'Reason: Duplicate.']);
    expect(describeEvent(ended('withdrawn', { by: 'raiser' }), stageName).lines[0]).toBe('By the practitioner who raised it.');
  });
});
