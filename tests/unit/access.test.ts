import { caseAccessFor, type CaseFacts } from '../../api/identity/access';
import { devAccounts } from '../../api/identity/devProvider';
import { maskEmail } from '../../api/identity/emailCode';
import type { PersonPrincipal, Principal } from '../../api/identity/principal';
import { safeReturnTo } from '../../api/identity/sessions';
import { rolesFromClaim } from '../../api/identity/staffSignIn';
import { loadPolicyRegistry } from '../../shared/policy/load';
import { composeIdentity } from '../../system/root';

const person = (roles: PersonPrincipal['roles'] = []): PersonPrincipal => ({ kind: 'person', sessionRef: 'abc', email: 'a@example.org', name: 'A', method: 'emailCode', roles });
const facts = (over: Partial<CaseFacts> = {}): CaseFacts => ({ partnershipId: 'bromley', raiser: false, ...over });
const now = new Date('2026-11-24T12:00:00Z');

describe('who may see a case', () => {
  it('refuses anyone not signed in, and an API client on a page', () => {
    expect(caseAccessFor(undefined, facts({ raiser: true }), now)).toEqual({ allowed: false, reason: 'signedOut' });
    const client: Principal = { kind: 'apiClient', clientId: 'ac_1', name: 'x', partnershipId: 'bromley', scope: 'read' };
    expect(caseAccessFor(client, facts(), now)).toEqual({ allowed: false, reason: 'notAPerson' });
  });

  it('lets the raiser and a participant in from when they take part, and nobody before', () => {
    expect(caseAccessFor(person(), facts({ raiser: true }), now)).toEqual({ allowed: true, as: 'raiser' });
    expect(caseAccessFor(person(), facts({ participantSince: new Date('2026-11-24T11:00:00Z') }), now)).toEqual({ allowed: true, as: 'participant' });
    expect(caseAccessFor(person(), facts({ participantSince: new Date('2026-11-24T13:00:00Z') }), now)).toEqual({ allowed: false, reason: 'notTakingPart' });
    expect(caseAccessFor(person(), facts(), now)).toEqual({ allowed: false, reason: 'notTakingPart' });
  });

  it("lets a partnership's admins see its cases, and only its own; operations see none", () => {
    expect(caseAccessFor(person([{ role: 'partnershipAdmin', partnershipId: 'bromley' }]), facts(), now)).toEqual({ allowed: true, as: 'partnershipAdmin' });
    expect(caseAccessFor(person([{ role: 'partnershipAdmin', partnershipId: 'hull' }]), facts(), now).allowed).toBe(false);
    expect(caseAccessFor(person([{ role: 'operations' }]), facts(), now).allowed).toBe(false);
  });
});

describe('roles from the identity provider', () => {
  const partnerships = new Set(['bromley', 'hull']);
  it('reads partnership admins and operations, as a list or a space-separated string', () => {
    expect(rolesFromClaim(['partnership-admin:bromley', 'operations'], partnerships)).toEqual([{ role: 'partnershipAdmin', partnershipId: 'bromley' }, { role: 'operations' }]);
    expect(rolesFromClaim('partnership-admin:hull operations', partnerships)).toEqual([{ role: 'partnershipAdmin', partnershipId: 'hull' }, { role: 'operations' }]);
  });
  it('ignores unknown partnerships, other services’ roles and anything that is not a string', () => {
    expect(rolesFromClaim(['partnership-admin:nowhere', 'admin', 'Partnership-Admin:bromley', 42, null], partnerships)).toEqual([]);
    expect(rolesFromClaim(undefined, partnerships)).toEqual([]);
    expect(rolesFromClaim({ roles: ['operations'] }, partnerships)).toEqual([]);
  });
});

describe('the small rules of signing in', () => {
  it('only returns people to a page of this service', () => {
    expect(safeReturnTo('/cases/BSCP-2026-ABCDEF')).toBe('/cases/BSCP-2026-ABCDEF');
    for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '', undefined, 42, `/${'a'.repeat(600)}`]) expect(safeReturnTo(bad)).toBe('/');
  });
  it('masks an address enough to recognise, not to read', () => {
    expect(maskEmail('bob.sw@example.org')).toBe('b•••@example.org');
  });
  it('makes partnership admins of business units only, in the development provider', () => {
    const accounts = devAccounts(loadPolicyRegistry().values());
    const roles = (email: string) => accounts.find((a) => a.email === email)?.roles;
    expect(roles('bscp@example.org')).toEqual(['partnership-admin:bromley']);
    expect(roles('cp.chairs@example.org')).toEqual([]);
    expect(roles('operations@example.org')).toEqual(['operations']);
    expect(new Set(accounts.map((a) => a.email)).size).toBe(accounts.length);
  });
});

describe('the development provider', () => {
  const policies = loadPolicyRegistry();
  it('is off whenever a real issuer is set, and off when not allowed', async () => {
    const real = await composeIdentity({
      publicUrl: 'https://escalations.example.org',
      policies,
      sessionSecret: 'x'.repeat(32),
      developmentProvider: true,
      oidc: { issuer: 'https://login.example.org', clientId: 'lscp', clientSecret: 'secret' },
    });
    expect(real.devProvider).toBeUndefined();
    expect(real.staffSignIn).toBeDefined();
    expect(real.sessions.secure).toBe(true);
    const deployment = await composeIdentity({ publicUrl: 'https://escalations.example.org', policies, sessionSecret: 'x'.repeat(32), developmentProvider: false });
    expect(deployment.devProvider).toBeUndefined();
    expect(deployment.staffSignIn).toBeUndefined();
  });
});
