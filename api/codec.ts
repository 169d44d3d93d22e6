/**
 * The codec endpoint (Temporal's remote codec protocol), so authorised staff can read encrypted
 * payloads in the Temporal Web UI. The Web UI calls it from the browser with the staff session's
 * cookie (`includeCredentials`); only the UI's origin gets the CORS headers that let it. Who may
 * decode is `mayDecodePayloads`: a signed-in person with the operations or a partnership admin
 * role. API client keys never decode: a payload does not say whose it is.
 *
 * Decoding opens payloads with the whole key ring (current and retired keys), and shows anything
 * it cannot open exactly as stored. The UI is read-only: `/codec/encode` is refused, so nobody can
 * use the endpoint to seal a payload the worker would accept as ours.
 */
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { decodeForReading } from '../shared/codec';
import { z } from 'zod';
import type { AppDeps } from './app';
import { logAccess } from './accessLog';
import { principalOf, type Principal } from './identity/principal';
import { sendProblem, sendValidationProblem, zodProblems } from './problem';

/**
 * Who may read decrypted workflow payloads: people signed in with the operations role, whose work
 * is every partnership's cases. Not a partnership admin: a payload does not say whose case it is,
 * so decoding cannot be kept to their own partnership (they read their cases on the case pages,
 * where every read is recorded). Not people who only take part in cases, nor agency systems.
 */
export function mayDecodePayloads(principal: Principal | undefined): boolean {
  return principal?.kind === 'person' && principal.roles.some((r) => r.role === 'operations');
}

/** The codec's access decision: a signed-in person, by `mayDecodePayloads`. */
export function codecAccess(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    if (principal) {
      if (mayDecodePayloads(principal)) {
        // No case is known to record the read against: the access log keeps who decoded, and when.
        logAccess({ access: 'allowed', reason: 'operations', actor: principal, resource: 'codec' });
        return next();
      }
      logAccess({ access: 'refused', reason: 'notStaff', actor: principal, resource: 'codec' });
      return sendProblem(res, 403, 'Not allowed to read payloads', 'Decoded payloads are for operations staff; partnership admins read their cases on the case pages.');
    }
    logAccess({ access: 'refused', reason: 'noCredentials', actor: { kind: 'anonymous' }, resource: 'codec' });
    sendProblem(res, 401, 'Sign in to read payloads', 'Sign in as operations staff, then use the Temporal Web UI.');
  };
}

const payloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).default({}), data: z.string().default('') })),
});

type JsonPayload = z.infer<typeof payloadsSchema>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRouter(deps: AppDeps & { codec: PayloadCodec; uiOrigin?: string }): Router {
  const router = Router();
  router.use('/codec', (req, res, next) => {
    // The answer depends on the Origin: caches must keep one per origin.
    res.vary('Origin');
    // Only the configured UI origin, exactly, and with credentials: the browser then sends the
    // session cookie and lets the UI read the answer. Any other origin gets no CORS headers at all.
    if (deps.uiOrigin && req.get('origin') === deps.uiOrigin) {
      res.set({
        'Access-Control-Allow-Origin': deps.uiOrigin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Max-Age': '600',
      });
    }
    // A preflight carries no credentials: it is answered before access is decided.
    if (req.method === 'OPTIONS') return res.sendStatus(204);
    // A browser page of any other origin is refused outright, whoever's cookie it carries (the CLI
    // sends no Origin).
    const origin = req.get('origin');
    if (origin && origin !== deps.uiOrigin) {
      logAccess({ access: 'refused', reason: 'originNotAllowed', actor: principalOf(res), resource: 'codec' });
      return sendProblem(res, 403, 'Not allowed from this origin', 'Only the Temporal Web UI may call the codec endpoint from a browser.');
    }
    next();
  });
  router.use('/codec', codecAccess());
  router.post('/codec/decode', async (req: Request, res: Response) => {
    const body = payloadsSchema.safeParse(req.body);
    if (!body.success) return sendValidationProblem(res, zodProblems(body.error));
    const out = await decodeForReading(deps.codec, body.data.payloads.map(fromJson));
    res.json({ payloads: out.map(toJson) });
  });
  // Sealing is for the service's own API and workers: a payload sealed here would be accepted by the
  // worker as ours (a decision, a start). The Temporal UI is read-only, so it never needs this.
  router.post('/codec/encode', (_req: Request, res: Response) => {
    sendProblem(res, 403, 'The codec does not encode', 'The Temporal Web UI is read-only here: payloads are only sealed by the service itself. Record decisions and end cases through the service’s pages.');
  });
  return router;
}
