/**
 * Links in emails are capabilities: signed (HS256 JWT), bound to one case, stage and recipient,
 * expiring. They carry ids only, no names. Single use is enforced where the decision is stored.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';

export interface LinkClaims {
  reference: string;
  stage: number;
  recipientId: string;
  /** Unique id of this link, recorded when it is used. */
  jti: string;
  expiresAt: Date;
}

export class LinkError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'This link has expired' : 'This link is not valid');
  }
}

export interface LinkSigner {
  issue(claims: Omit<LinkClaims, 'jti'>): Promise<string>;
  verify(token: string): Promise<LinkClaims>;
}

const ISSUER = 'lscp-escalations';
const AUDIENCE = 'record-outcome';

export function createLinkSigner(secret: string): LinkSigner {
  if (secret.length < 32) throw new Error('LINK_SECRET must be at least 32 characters');
  const key = new TextEncoder().encode(secret);
  return {
    issue: ({ reference, stage, recipientId, expiresAt }) =>
      new SignJWT({ ref: reference, stg: stage })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(recipientId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
        if (typeof payload.ref !== 'string' || typeof payload.stg !== 'number' || !payload.sub || !payload.jti || !payload.exp) {
          throw new LinkError('invalid');
        }
        return {
          reference: payload.ref,
          stage: payload.stg,
          recipientId: payload.sub,
          jti: payload.jti,
          expiresAt: new Date(payload.exp * 1000),
        };
      } catch (error) {
        if (error instanceof LinkError) throw error;
        throw new LinkError(error instanceof errors.JWTExpired ? 'expired' : 'invalid');
      }
    },
  };
}
