/**
 * The embedded mail catcher's page (/mail): development only. Mounted only when mail is caught
 * in-process; answers only requests made on this machine (the loopback address, and not relayed by
 * a proxy); shows mail only to someone signed in with the operations role, since every
 * partnership's decision links and sign-in codes are in it (a partnership admin could otherwise
 * read another partnership's codes and sign in as its people). Everything in a message is escaped by the views; only
 * http(s) addresses become links.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { MailCatcher } from '../mail/catcher';
import { logAccess, requirePerson } from './identity/access';
import { principalOf } from './identity/principal';

/** The connection itself comes from this machine, and no proxy says it relays someone else's. */
export function isLoopbackRequest(req: Request): boolean {
  const address = req.socket.remoteAddress ?? '';
  const loopback = address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address);
  const relayed = req.headers.forwarded !== undefined || req.headers['x-forwarded-for'] !== undefined || req.headers['x-real-ip'] !== undefined;
  return loopback && !relayed;
}

export interface TextPart {
  text: string;
  href?: string;
}

/** A message's text as parts: http(s) addresses (which become links) and the text between them. */
export function textParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"'`]+/g)) {
    const url = match[0].replace(/[.,;:!?)\]]+$/, '');
    let href: string | undefined;
    try {
      const parsed = new URL(url);
      href = parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
    } catch {
      href = undefined;
    }
    if (!href) continue;
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ text: url, href });
    last = match.index + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

export function mailPageRouter(catcher: MailCatcher): Router {
  const router = Router();
  const gate = (req: Request, res: Response, next: NextFunction) => {
    if (!isLoopbackRequest(req)) return res.status(404).render('not-found.njk');
    const principal = principalOf(res);
    if (principal?.kind !== 'person') return requirePerson('operations')(req, res, next);
    const allowed = principal.roles.some((r) => r.role === 'operations');
    logAccess({ allowed, reason: allowed ? 'operations' : 'notOperations', resource: 'operations', principal });
    if (!allowed) return res.status(403).render('forbidden.njk', { what: 'operations', email: principal.email });
    next();
  };
  router.use('/mail', gate);
  router.get('/mail', (_req, res) => res.render('mailbox.njk', { messages: catcher.messages().reverse() }));
  router.get('/mail/:id', (req, res) => {
    const message = catcher.messages().find((m) => String(m.id) === req.params.id);
    if (!message) return res.status(404).render('not-found.njk');
    res.render('message.njk', { m: message, parts: textParts(message.text) });
  });
  return router;
}
