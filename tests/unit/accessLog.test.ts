/** Access decisions are logged with codes, kinds and roles: never an email, a name, a token or a child's reference. */
import { accessLogLine, logAccess } from '../../api/accessLog';
import type { ApiClientPrincipal, PersonPrincipal } from '../../api/identity/principal';
import { log } from '../../shared/log';

const admin: PersonPrincipal = {
  kind: 'person',
  sessionRef: 'sess-7f3a91c2',
  email: 'rachel.okonjo@bromley.example.org',
  name: 'Rachel Okonjo',
  method: 'oidc',
  roles: [{ role: 'partnershipAdmin', partnershipId: 'bromley' }, { role: 'operations' }],
};
const client: ApiClientPrincipal = { kind: 'apiClient', clientId: 'hillside-mis', name: 'Hillside Primary MIS', partnershipId: 'bromley', scope: 'read' };

describe('logAccess', () => {
  let warn: jest.SpyInstance;
  let info: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    info = jest.spyOn(log, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  /** Everything handed to the logger, as the JSON line pino would write. */
  const written = (spy: jest.SpyInstance) => JSON.stringify(spy.mock.calls);

  it('logs a refusal as a warning with the decision, the actor kind and role, the resource and the case reference', () => {
    logAccess({ access: 'refused', reason: 'notPartnershipAdmin', actor: admin, resource: 'readers', reference: 'BSCP-2026-7K3F9Q' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toEqual({
      access: 'refused',
      reason: 'notPartnershipAdmin',
      actorKind: 'person',
      role: 'partnershipAdmin:bromley operations',
      resource: 'readers',
      reference: 'BSCP-2026-7K3F9Q',
    });
    expect(info).not.toHaveBeenCalled();
  });

  it("holds none of the principal's email, name or session, however the decision was built", () => {
    logAccess({ access: 'refused', reason: 'notStaff', actor: admin, resource: 'codec' });
    logAccess({ access: 'allowed', reason: 'partnershipAdmin', actor: admin, resource: 'readers', reference: 'BSCP-2026-7K3F9Q' });
    // Even a caller who passes more than the type allows cannot get it logged.
    logAccess({ access: 'refused', reason: 'noLinkForCase', actor: { ...admin, token: 'eyJhbGciOiJIUzI1NiJ9.secret' } as PersonPrincipal, resource: 'case', reference: 'BSCP-2026-7K3F9Q' });
    const everything = written(warn) + written(info);
    for (const personal of [admin.email, admin.name, 'Rachel', 'Okonjo', admin.sessionRef, 'eyJhbGciOiJIUzI1NiJ9']) expect(everything).not.toContain(personal);
    for (const [line] of [...warn.mock.calls, ...info.mock.calls]) {
      expect(Object.keys(line).sort()).toEqual(expect.arrayContaining(['access', 'actorKind', 'reason', 'resource', 'role']));
      expect(Object.keys(line).every((k) => ['access', 'reason', 'actorKind', 'role', 'resource', 'reference'].includes(k))).toBe(true);
    }
  });

  it("logs an API client's kind and scope, not its name or id", () => {
    logAccess({ access: 'allowed', reason: 'readClientOfPartnership', actor: client, resource: 'readers', reference: 'BSCP-2026-7K3F9Q' });
    expect(info.mock.calls[0][0]).toEqual({ access: 'allowed', reason: 'readClientOfPartnership', actorKind: 'apiClient', role: 'read:bromley', resource: 'readers', reference: 'BSCP-2026-7K3F9Q' });
    expect(written(info)).not.toContain(client.name);
  });

  it("drops a reference that is not shaped like a case reference (a child's reference typed into the address)", () => {
    expect(accessLogLine({ access: 'refused', reason: 'noLinkForCase', resource: 'case', reference: 'UPN-A123456789012' })).toEqual({
      access: 'refused',
      reason: 'noLinkForCase',
      actorKind: 'anonymous',
      role: '',
      resource: 'case',
    });
  });

  it('names an actor known only by what it presented, before sign-in', () => {
    expect(accessLogLine({ access: 'refused', reason: 'linkExpired', actor: { kind: 'link' }, resource: 'record', reference: 'HSCP-2026-ABCDEF' })).toMatchObject({ actorKind: 'link', role: '' });
    expect(accessLogLine({ access: 'refused', reason: 'unknownKey', actor: { kind: 'apiKey' }, resource: 'api' })).toMatchObject({ actorKind: 'apiKey', role: '' });
  });
});
