/**
 * The codec endpoint (Temporal's remote codec protocol), so authorised staff can read encrypted
 * payloads in the Temporal UI or CLI: `temporal workflow show --codec-endpoint <url>/codec
 * --codec-auth "Bearer <read key>"`. For now it needs a read key (of any partnership: a payload
 * does not say whose it is); it is to become an operations staff session. Only the Temporal UI's
 * origin may call it from a browser.
 */
import { Router, type Request, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { AppDeps } from './app';
import { apiClientAuth, apiRule } from './apiClients';
import { sendValidationProblem, zodProblems } from './problem';

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
    if (deps.uiOrigin && req.get('origin') === deps.uiOrigin) {
      res.set({
        'Access-Control-Allow-Origin': deps.uiOrigin,
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        Vary: 'Origin',
      });
    }
    if (req.method === 'OPTIONS') return res.sendStatus(204);
    next();
  });
  router.use('/codec', apiClientAuth(deps), apiRule(deps, { scope: 'read', partnership: 'any' }));
  const handle = (direction: 'encode' | 'decode') => async (req: Request, res: Response) => {
    const body = payloadsSchema.safeParse(req.body);
    if (!body.success) return sendValidationProblem(res, zodProblems(body.error));
    const out = await deps.codec[direction](body.data.payloads.map(fromJson));
    res.json({ payloads: out.map(toJson) });
  };
  router.post('/codec/encode', handle('encode'));
  router.post('/codec/decode', handle('decode'));
  return router;
}
