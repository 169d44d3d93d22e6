/**
 * Who is asking. Every request that reaches a protected page or endpoint carries exactly one
 * principal in `res.locals.principal`: a signed-in person (a server-side session) or an agency
 * system (an API client key). Nothing else grants access.
 */
import type { Response } from 'express';

/** Staff roles, each scoped: from the identity provider's roles claim (see README, "Who can see what"). */
export type StaffRole = { role: 'partnershipAdmin'; partnershipId: string } | { role: 'operations' };

export interface PersonPrincipal {
  kind: 'person';
  /** The session's id hash: safe to log, names nobody. */
  sessionRef: string;
  /** The verified address: staff from the identity provider (email_verified), others by email code. */
  email: string;
  name: string;
  /** How they proved who they are. */
  method: 'oidc' | 'emailCode';
  roles: StaffRole[];
}

export interface ApiClientPrincipal {
  kind: 'apiClient';
  clientId: string;
  name: string;
  partnershipId: string;
  /** intake: open cases (and end the cases it opened); read: read its partnership's cases and records. */
  scope: 'intake' | 'read';
}

export type Principal = PersonPrincipal | ApiClientPrincipal;

export const principalOf = (res: Response): Principal | undefined => res.locals.principal as Principal | undefined;

export const isPartnershipAdmin = (p: Principal | undefined, partnershipId: string): boolean =>
  p?.kind === 'person' && p.roles.some((r) => r.role === 'partnershipAdmin' && r.partnershipId === partnershipId);

export const isOperations = (p: Principal | undefined): boolean => p?.kind === 'person' && p.roles.some((r) => r.role === 'operations');

/** A label for the record and the audit: who did it, without anything about a child. */
export const actorOf = (p: Principal): { kind: Principal['kind']; id: string; name: string } =>
  p.kind === 'person' ? { kind: 'person', id: p.email, name: p.name } : { kind: 'apiClient', id: p.clientId, name: p.name };
