/**
 * Server-side sessions (express-session, rows in PostgreSQL): an HttpOnly, SameSite=Lax cookie
 * (Secure whenever the service is served over https) holding a random id. Idle timeout: the row
 * and the cookie expire unless a request comes in time (rolling). Absolute timeout: a session
 * older than the limit is ended whatever its activity. Signing in always starts a new session
 * (no fixation); signing out deletes the row, so a copied cookie is useless afterwards.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { Database } from '../../db/database';
import type { PersonPrincipal, StaffRole } from './principal';
import { DatabaseSessionStore, sessionRef } from './sessionStore';

export const SESSION_COOKIE = 'lscp.sid';

/**
 * Over https the cookie carries the `__Host-` prefix: browsers then accept it only with Secure,
 * Path=/ and no Domain, so neither a sibling subdomain nor a plain-http page can plant or
 * overwrite a session (fixation by cookie tossing).
 */
export const sessionCookieName = (secure: boolean) => (secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE);

/** What a session knows about the person once they have proved who they are. */
export interface SignedInPerson {
  email: string;
  name: string;
  method: PersonPrincipal['method'];
  roles: StaffRole[];
  signedInAt: number;
}

declare module 'express-session' {
  interface SessionData {
    person?: SignedInPerson;
    /** Between sending someone to the identity provider and their return. */
    oidc?: { state: string; nonce: string; codeVerifier: string; returnTo: string };
    /** A code sent by email and not yet entered. */
    pendingCode?: { id: string; email: string; returnTo: string };
  }
}

export interface SessionSettings {
  secret: string;
  idleMs: number;
  absoluteMs: number;
  secure: boolean;
}

export const DEFAULT_IDLE_MS = 30 * 60_000;
export const DEFAULT_ABSOLUTE_MS = 10 * 60 * 60_000;

export function sessions(db: Database, settings: SessionSettings): RequestHandler[] {
  const store = new DatabaseSessionStore(db, settings.idleMs);
  const middleware = session({
    name: sessionCookieName(settings.secure),
    secret: settings.secret,
    store,
    resave: false,
    // No row and no cookie for someone who has not started signing in (mail scanners, crawlers).
    saveUninitialized: false,
    rolling: true,
    unset: 'destroy',
    cookie: { httpOnly: true, sameSite: 'lax', secure: settings.secure, maxAge: settings.idleMs, path: '/' },
  });
  const principal = (req: Request, res: Response, next: NextFunction) => {
    const person = req.session?.person;
    if (!person) return next();
    if (Date.now() - person.signedInAt > settings.absoluteMs) {
      // Past the absolute limit: ended here (a new, empty session in its place, so this request can
      // still start a sign-in), and the person is asked to sign in again.
      return req.session.regenerate((error) => next(error));
    }
    res.locals.principal = { kind: 'person', sessionRef: sessionRef(req.sessionID).slice(0, 16), ...person } satisfies PersonPrincipal & { signedInAt: number };
    next();
  };
  return [middleware, principal];
}

/** Starts a new session for a person who has just proved who they are (a fresh id: no fixation). */
export function signIn(req: Request, person: Omit<SignedInPerson, 'signedInAt'>): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((error) => {
      if (error) return reject(error);
      req.session.person = { ...person, email: person.email.toLowerCase(), signedInAt: Date.now() };
      req.session.save((saveError) => (saveError ? reject(saveError) : resolve()));
    }),
  );
}

export function signOut(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!req.session) return resolve();
    req.session.destroy((error) => (error ? reject(error) : resolve()));
  });
}

/** Only same-site paths: a returnTo can never send someone to another site after signing in. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.length > 500) return '/';
  return value;
}
