/**
 * Every access decision worth an operator's eye, logged without personal data: what was decided,
 * a reason code, the kind of actor and their role, the kind of resource and the case reference.
 * Never an email, a name, a child's reference, a token or a URL (a URL can hold a link's token).
 *
 * The caller hands over who asked (a principal, or what is known of them before sign-in); only
 * `kind` and roles are taken from it, so nothing else a principal carries can reach the log.
 */
import { log } from '../shared/log';
import type { Principal } from './identity/principal';
import { referenceSchema } from './schemas';

/** Why access was allowed or refused: codes, never free text. */
export type AccessReason =
  | 'noCredentials'
  | 'unknownKey'
  | 'linkInvalid'
  | 'linkExpired'
  | 'linkForAnotherCase'
  | 'noLinkForCase'
  | 'notPartnershipAdmin'
  | 'notReadClientOfPartnership'
  | 'notStaff'
  | 'originNotAllowed'
  | 'partnershipAdmin'
  | 'readClientOfPartnership'
  | 'operationsOrAdmin'
  | 'staffKey'
  // Sign-in and the pages behind it.
  | 'signedOut'
  | 'notAPerson'
  | 'notTakingPart'
  | 'raiser'
  | 'participant'
  | 'notTheRecipient'
  | 'recipient'
  | 'operations'
  | 'notOperations'
  | 'oidcFailed'
  | `signedIn:${'oidc' | 'emailCode'}`
  | `code:${'wrong' | 'expired' | 'used' | 'tooManyAttempts' | 'unknown'}`;

export type AccessResource = 'case' | 'record' | 'proforma' | 'withdraw' | 'readers' | 'api' | 'dashboard' | 'codec' | 'decisionLink' | 'session' | 'operations' | 'raise';

/**
 * Who asked, as far as is known: a principal, or before sign-in a link's holder, a shared key's
 * holder, or nobody who presented anything.
 */
export type AccessActor = Principal | { kind: 'link' } | { kind: 'apiKey' } | { kind: 'anonymous' };

export interface AccessDecision {
  access: 'allowed' | 'refused';
  reason: AccessReason;
  actor?: AccessActor;
  resource: AccessResource;
  /** The case reference (never the child's reference), when the request is about one case. */
  reference?: string;
}

/** What is logged: exactly these fields. */
export interface AccessLogLine {
  access: 'allowed' | 'refused';
  reason: AccessReason;
  actorKind: 'person' | 'apiClient' | 'link' | 'apiKey' | 'anonymous';
  /** Role names (a partnership admin's with its partnership id), an API client's scope; '' when none. */
  role: string;
  resource: AccessResource;
  reference?: string;
}

/** Role names only: `partnershipAdmin:bromley operations`, an API client's `read:bromley`. */
export function rolesText(actor: AccessActor | undefined): string {
  if (actor?.kind === 'person') return actor.roles.map((r) => (r.role === 'partnershipAdmin' ? `partnershipAdmin:${r.partnershipId}` : r.role)).join(' ');
  if (actor?.kind === 'apiClient') return `${actor.scope}:${actor.partnershipId}`;
  return '';
}

/** The line itself, built field by field from the decision (exported for the unit test). */
export function accessLogLine(decision: AccessDecision): AccessLogLine {
  return {
    access: decision.access,
    reason: decision.reason,
    actorKind: decision.actor?.kind ?? 'anonymous',
    role: rolesText(decision.actor),
    resource: decision.resource,
    // Only something shaped like a case reference: the address is the caller's to choose, and a
    // child's reference typed into it must not reach the log.
    ...(decision.reference && referenceSchema.safeParse(decision.reference).success ? { reference: decision.reference } : {}),
  };
}

/** Refusals are warnings (someone tried and failed), allowances information. */
export function logAccess(decision: AccessDecision): void {
  const line = accessLogLine(decision);
  if (line.access === 'refused') log.warn(line, 'access refused');
  else log.info(line, 'access allowed');
}
