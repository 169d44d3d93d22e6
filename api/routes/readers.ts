/**
 * Who has seen this file: a case's reads, newest first, 50 a page. The page is for the admins of
 * the case's partnership; the JSON for API clients with read scope of that partnership. Decided on
 * the principal alone: a view link or a shared staff key does not open it.
 */
import { apiRule } from '../apiClients';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { roleLabel } from '../../shared/presentation/labels';
import type { PolicyPack } from '../../shared/policy/schema';
import type { AppDeps } from '../app';
import { logAccess } from '../accessLog';
import { readsOf, type CaseRead, type ReadVia, type ReadWhat } from '../audit';
import { isPartnershipAdmin, principalOf, type Principal } from '../identity/principal';
import { sendProblem, sendValidationProblem } from '../problem';
import { referenceSchema } from '../schemas';

export const READS_PER_PAGE = 50;

const pageSchema = z.union([z.undefined(), z.string().regex(/^[1-9]\d{0,6}$/, 'must be a page number (1, 2, ...)')]).transform((v) => (v ? Number(v) : 1));

const WHAT: Record<ReadWhat, string> = {
  case: 'Case page',
  record: "Record for the child's file",
  'record.pdf': "Record for the child's file (PDF)",
  proforma: 'Anonymised proforma',
  'proforma.pdf': 'Anonymised proforma (PDF)',
  'proforma.json': 'Anonymised proforma (JSON)',
  'case.json': 'Case (JSON)',
  respond: 'Decision page behind an email link',
};

const VIA: Record<ReadVia, string> = { page: 'Web page', api: 'API' };

const SIDES: Record<string, string> = { raiser: "raiser's side", other: "other agency's side", partnership: 'partnership' };

/** A read as a row of the page's table: when, who, their role, what and how. */
function describeRead(read: CaseRead, policies: Map<string, PolicyPack>) {
  const partnershipName = (id: string) => policies.get(id)?.name ?? id;
  const { actor } = read;
  let who: { name: string; detail?: string };
  let roles: string[];
  switch (actor.kind) {
    case 'person':
      who = { name: actor.name ?? actor.id, detail: actor.id };
      roles = actor.roles
        .split(' ')
        .filter(Boolean)
        .map((r) => {
          const [role, partnership] = r.split(':');
          if (role === 'partnershipAdmin') return `Partnership admin, ${partnershipName(partnership)}`;
          if (role === 'operations') return 'Operations';
          return roleLabel(role);
        });
      if (roles.length === 0) roles = ['Taking part in the case'];
      break;
    case 'apiClient': {
      const [scope, partnership] = actor.roles.split(':');
      who = { name: actor.name ?? actor.id, detail: `API client ${actor.id}` };
      roles = [`API client (${scope === 'read' ? 'read' : scope}), ${partnershipName(partnership ?? '')}`];
      break;
    }
    case 'link': {
      const [side = ''] = actor.id.split('.');
      who = { name: `Holder of the email link sent to the ${roleLabel(actor.roles || 'unknown')}`, detail: SIDES[side] ? `${SIDES[side]} (${actor.id})` : actor.id };
      roles = [roleLabel(actor.roles || 'unknown')];
      break;
    }
    case 'apiKey':
      who = { name: 'Holder of a shared staff API key', detail: actor.id };
      roles = ['Staff (shared key)'];
      break;
  }
  return { at: read.at, when: WHEN.format(new Date(read.at)), who, roles, what: WHAT[read.what] ?? read.what, via: VIA[read.via] ?? read.via };
}

/** To the second: an audit tells reads a few seconds apart from one another. */
const WHEN = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'long', timeStyle: 'medium' });

const isReadClientOf = (principal: Principal | undefined, partnershipId: string) =>
  principal?.kind === 'apiClient' && principal.scope === 'read' && principal.partnershipId === partnershipId;

async function partnershipOf(deps: Pick<AppDeps, 'db'>, reference: string): Promise<string | undefined> {
  const { rows } = await deps.db.query<{ partnership_id: string }>('SELECT partnership_id FROM cases WHERE reference = $1', [reference]);
  return rows[0]?.partnership_id;
}

export function readersRouter(deps: Pick<AppDeps, 'db' | 'policies'>): Router {
  const router = Router();

  router.get('/cases/:reference/readers', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const refuse = (reference?: string) => {
      logAccess({ access: 'refused', reason: 'notPartnershipAdmin', actor: principal, resource: 'readers', reference });
      res.status(403).render('readers-refused.njk', { signedIn: Boolean(principal) });
    };
    // Nobody who is not a partnership admin learns anything here, not even whether the case exists.
    if (!(principal?.kind === 'person' && principal.roles.some((r) => r.role === 'partnershipAdmin'))) return refuse();
    const reference = referenceSchema.safeParse(req.params.reference);
    const page = pageSchema.safeParse(req.query.page);
    if (!reference.success || !page.success) return res.status(404).render('not-found.njk');
    const partnershipId = await partnershipOf(deps, reference.data);
    // An unknown case and another partnership's look the same: a reference is not confirmed to exist.
    if (!partnershipId || !isPartnershipAdmin(principal, partnershipId)) return refuse(reference.data);

    const { total, reads } = await readsOf(deps.db, reference.data, { limit: READS_PER_PAGE, offset: (page.data - 1) * READS_PER_PAGE });
    const pages = Math.max(1, Math.ceil(total / READS_PER_PAGE));
    if (page.data > pages) return res.status(404).render('not-found.njk');
    logAccess({ access: 'allowed', reason: 'partnershipAdmin', actor: principal, resource: 'readers', reference: reference.data });
    const href = (n: number) => `/cases/${reference.data}/readers${n > 1 ? `?page=${n}` : ''}`;
    res.render('readers.njk', {
      reference: reference.data,
      partnershipName: deps.policies.get(partnershipId)?.name ?? partnershipId,
      rows: reads.map((r) => describeRead(r, deps.policies)),
      total,
      from: total === 0 ? 0 : (page.data - 1) * READS_PER_PAGE + 1,
      to: (page.data - 1) * READS_PER_PAGE + reads.length,
      pagination:
        pages > 1
          ? {
              previous: page.data > 1 ? { href: href(page.data - 1) } : undefined,
              next: page.data < pages ? { href: href(page.data + 1) } : undefined,
              items: Array.from({ length: pages }, (_, i) => i + 1)
                .filter((n) => n === 1 || n === pages || Math.abs(n - page.data) <= 2)
                .flatMap((n, i, shown) => [
                  ...(i > 0 && n - shown[i - 1] > 1 ? [{ ellipsis: true }] : []),
                  { number: n, href: href(n), current: n === page.data },
                ]),
            }
          : undefined,
    });
  });

  router.get('/api/disagreements/:reference/readers', apiRule(deps, { scope: 'read', partnership: 'case' }), async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const refuse = (reference?: string) => {
      logAccess({ access: 'refused', reason: 'notReadClientOfPartnership', actor: principal, resource: 'readers', reference });
      sendProblem(res, 403, 'Not allowed', "Who has seen a case is for API clients with read scope of the case's partnership.");
    };
    if (!principal) {
      logAccess({ access: 'refused', reason: 'noCredentials', resource: 'readers' });
      res.set('WWW-Authenticate', 'Bearer');
      return sendProblem(res, 401, 'An API client key is needed', "Send the key of an API client with read scope of the case's partnership.");
    }
    if (!(principal.kind === 'apiClient' && principal.scope === 'read')) return refuse();
    const reference = referenceSchema.safeParse(req.params.reference);
    const page = pageSchema.safeParse(req.query.page);
    if (!reference.success || !page.success) {
      return sendValidationProblem(res, [
        ...(reference.success ? [] : [{ path: 'reference', message: 'is not a case reference' }]),
        ...(page.success ? [] : [{ path: 'page', message: 'must be a page number (1, 2, ...)' }]),
      ]);
    }
    const partnershipId = await partnershipOf(deps, reference.data);
    if (!partnershipId) return sendProblem(res, 404, 'No such case', `There is no case ${reference.data}`);
    if (!isReadClientOf(principal, partnershipId)) return refuse(reference.data);
    const { total, reads } = await readsOf(deps.db, reference.data, { limit: READS_PER_PAGE, offset: (page.data - 1) * READS_PER_PAGE });
    logAccess({ access: 'allowed', reason: 'readClientOfPartnership', actor: principal, resource: 'readers', reference: reference.data });
    res.json({ reference: reference.data, total, page: page.data, perPage: READS_PER_PAGE, reads });
  });

  return router;
}
