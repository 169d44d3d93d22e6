/** Who may read decrypted workflow payloads in the Temporal UI: operations staff, nobody else. */
import { mayDecodePayloads } from '../../api/codec';
import type { Principal } from '../../api/identity/principal';

const person = (roles: Extract<Principal, { kind: 'person' }>['roles']): Principal => ({
  kind: 'person',
  sessionRef: 's',
  email: 'x@example.org',
  name: 'X',
  method: 'oidc',
  roles,
});

describe('mayDecodePayloads', () => {
  it.each([
    ['an operations person', person([{ role: 'operations' }]), true],
    // A payload does not say whose case it is: decoding could not be kept to the admin's partnership.
    ['a partnership admin', person([{ role: 'partnershipAdmin', partnershipId: 'bromley' }]), false],
    ['a person with both roles', person([{ role: 'partnershipAdmin', partnershipId: 'hull' }, { role: 'operations' }]), true],
    ['a person taking part in cases only (no staff role)', person([]), false],
    ['a person signed in by email code with no role', { ...person([]), method: 'emailCode' } as Principal, false],
    ['an API client with read scope', { kind: 'apiClient', clientId: 'c', name: 'C', partnershipId: 'bromley', scope: 'read' } as Principal, false],
    ['an API client with intake scope', { kind: 'apiClient', clientId: 'c', name: 'C', partnershipId: 'bromley', scope: 'intake' } as Principal, false],
    ['nobody', undefined, false],
  ])('%s', (_who, principal, expected) => {
    expect(mayDecodePayloads(principal)).toBe(expected);
  });
});
