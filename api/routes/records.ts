/**
 * The record for the child's file (page and PDF) and the anonymised proforma (page, PDF, JSON).
 * Pages answer a bad or unknown reference with the not-found page; the API with problem details.
 *
 * The proforma has one builder (records/proforma.ts) for all of them, and two addresses: below the
 * case, for those who may see the case; and by its own id below the partnership
 * (/partnerships/:id/proformas/:proformaId, partnership admins only), which is what the proforma
 * email links to, so the email names no case. Partnership admins approve or refuse the free text
 * offered for it at /partnerships/:id/proforma-texts.
 */
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../app';
import { recordReadOf, type ReadVia, type ReadWhat } from '../audit';
import { apiRule } from '../apiClients';
import { sendProblem, sendValidationProblem } from '../problem';
import { referenceSchema } from '../schemas';
import { z } from 'zod';
import { loadCaseRecord, type CaseRecord } from '../../records/caseRecord';
import { renderProformaPdf, renderRecordPdf } from '../../records/pdf';
import { loadProforma, type Proforma } from '../../records/proforma';
import { decideOffer, listOffers, proformaIdSchema, referenceForProforma } from '../../records/proformaStore';
import { formProtection } from '../csrf';
import { principalOf } from '../identity/principal';

/** An admin's answer to one offered text: approve (perhaps with more taken out) or refuse. */
const decisionSchema = z.object({
  decision: z.enum(['approve', 'refuse'], { error: 'choose approve or refuse' }),
  text: z
    .string()
    .max(5_000, 'must be 5,000 characters or fewer')
    // eslint-disable-next-line no-control-regex
    .refine((v) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(v), 'must not contain control characters')
    .optional(),
});

export function recordsRouter(deps: Pick<AppDeps, 'db' | 'policies' | 'csrfSecret' | 'publicUrl'>): Router {
  const router = Router();
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    cookiePath: '/partnerships',
    // Binds the form token to the admin's session.
    boundTo: (_req) => (principalOf(_req.res!)?.kind === 'person' ? (principalOf(_req.res!) as { sessionRef: string }).sessionRef : ''),
  });

  /** The record, or undefined for a malformed or unknown reference (pages do not tell them apart). */
  const recordFor = async (raw: string): Promise<CaseRecord | undefined> => {
    const reference = referenceSchema.safeParse(raw);
    return reference.success ? loadCaseRecord(deps.db, deps.policies, reference.data) : undefined;
  };

  /** The API says which: a malformed reference is the caller's mistake (400), an unknown one 404. */
  const apiRecordFor = async (raw: string, res: Response): Promise<CaseRecord | undefined> => {
    const reference = referenceSchema.safeParse(raw);
    if (!reference.success) {
      sendValidationProblem(res, [{ path: 'reference', message: 'is not a case reference' }]);
      return undefined;
    }
    const record = await loadCaseRecord(deps.db, deps.policies, reference.data);
    if (!record) sendProblem(res, 404, 'No such case', `There is no case ${reference.data}`);
    return record;
  };

  const sendPdf = (res: Response, pdf: Buffer, filename: string) => {
    res.set({ 'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="${filename}"` }).send(pdf);
  };

  /** Who has seen this file: kept once the answer is ready, just before it goes out. */
  const recordRead = (req: Request, res: Response, record: CaseRecord, what: ReadWhat, via: ReadVia) =>
    recordReadOf(deps, req, res, { reference: record.reference, partnershipId: record.partnership.id, what, via });

  router.get('/cases/:reference/record', async (req, res) => {
    const record = await recordFor(req.params.reference);
    if (!record) return res.status(404).render('not-found.njk');
    await recordRead(req, res, record, 'record', 'page');
    res.render('record.njk', { record, pdfUrl: `/cases/${record.reference}/record.pdf` });
  });

  router.get('/cases/:reference/record.pdf', async (req, res) => {
    const record = await recordFor(req.params.reference);
    if (!record) return res.status(404).render('not-found.njk');
    const pdf = await renderRecordPdf(record);
    await recordRead(req, res, record, 'record.pdf', 'page');
    sendPdf(res, pdf, `${record.reference}-record.pdf`);
  });

  router.get('/api/disagreements/:reference/record.pdf', apiRule(deps, { scope: 'read', partnership: 'case' }), async (req, res) => {
    const record = await apiRecordFor(String(req.params.reference), res);
    if (!record) return;
    const pdf = await renderRecordPdf(record);
    await recordRead(req, res, record, 'record.pdf', 'api');
    sendPdf(res, pdf, `${record.reference}-record.pdf`);
  });

  /** The proforma below its case: the record and the proforma, or undefined (not found). */
  const proformaFor = async (raw: string) => {
    const reference = referenceSchema.safeParse(raw);
    return reference.success ? loadProforma(deps.db, deps.policies, reference.data) : undefined;
  };

  const showProforma = (res: Response, proforma: Proforma, base: string, jsonUrl?: string) =>
    res.render('proforma.njk', { proforma, pdfUrl: `${base}.pdf`, jsonUrl });

  router.get('/cases/:reference/proforma', async (req, res) => {
    const found = await proformaFor(req.params.reference);
    if (!found) return res.status(404).render('not-found.njk');
    await recordRead(req, res, found.record, 'proforma', 'page');
    showProforma(res, found.proforma, `/cases/${found.record.reference}/proforma`, `/api/disagreements/${found.record.reference}/proforma`);
  });

  router.get('/cases/:reference/proforma.pdf', async (req, res) => {
    const found = await proformaFor(req.params.reference);
    if (!found) return res.status(404).render('not-found.njk');
    const pdf = await renderProformaPdf(found.proforma);
    await recordRead(req, res, found.record, 'proforma.pdf', 'page');
    // Named by the proforma's id: the file may travel to the board without the case's reference.
    sendPdf(res, pdf, `${found.proforma.proformaId}.pdf`);
  });

  router.get('/api/disagreements/:reference/proforma', apiRule(deps, { scope: 'read', partnership: 'case' }), async (req, res) => {
    const record = await apiRecordFor(String(req.params.reference), res);
    if (!record) return;
    const found = await loadProforma(deps.db, deps.policies, record.reference);
    if (!found) return sendProblem(res, 404, 'No such case', `There is no case ${record.reference}`);
    await recordRead(req, res, record, 'proforma.json', 'api');
    res.json(found.proforma);
  });

  /** By the proforma's own id, within the admin's partnership (partnershipAdminOnly guards the prefix). */
  const proformaById = async (partnershipId: string, raw: string) => {
    const id = proformaIdSchema.safeParse(raw.replace(/\.pdf$/, ''));
    const reference = id.success ? await referenceForProforma(deps.db, partnershipId, id.data) : undefined;
    return reference ? loadProforma(deps.db, deps.policies, reference) : undefined;
  };

  router.get('/partnerships/:id/proformas/:proformaId', async (req, res) => {
    const wantsPdf = req.params.proformaId.endsWith('.pdf');
    const found = await proformaById(req.params.id, req.params.proformaId);
    if (!found) return res.status(404).render('not-found.njk');
    const base = `/partnerships/${encodeURIComponent(req.params.id)}/proformas/${found.proforma.proformaId}`;
    if (wantsPdf) {
      const pdf = await renderProformaPdf(found.proforma);
      await recordRead(req, res, found.record, 'proforma.pdf', 'page');
      return sendPdf(res, pdf, `${found.proforma.proformaId}.pdf`);
    }
    await recordRead(req, res, found.record, 'proforma', 'page');
    showProforma(res, found.proforma, base);
  });

  /** Free text offered for the partnership's learning, to approve or refuse. */
  const showOffers = async (req: Request, res: Response, status = 200, errors: { text: string; href: string }[] = []) => {
    const offers = await listOffers(deps.db, req.params.id as string);
    res.status(status).render('proforma-texts.njk', {
      partnershipId: req.params.id,
      partnershipName: deps.policies.get(req.params.id as string)?.name ?? req.params.id,
      waiting: offers.filter((o) => o.status === 'offered'),
      decided: offers.filter((o) => o.status !== 'offered'),
      csrfToken: generateCsrfToken(req, res),
      errors,
    });
  };

  router.get('/partnerships/:id/proforma-texts', (req, res) => showOffers(req, res));

  router.post('/partnerships/:id/proforma-texts/:textId', async (req, res) => {
    if (!validateRequest(req)) return res.status(403).render('forbidden.njk', { what: 'form' });
    const textId = z.string().regex(/^\d{1,15}$/).safeParse(req.params.textId);
    const form = decisionSchema.safeParse(req.body ?? {});
    if (!textId.success) return res.status(404).render('not-found.njk');
    if (!form.success) return showOffers(req, res, 400, form.error.issues.map((i) => ({ text: `${String(i.path[0] ?? 'decision')}: ${i.message}`, href: `#text-${textId.data}` })));
    const by = principalOf(res);
    const result = await decideOffer(deps.db, req.params.id, textId.data, by?.kind === 'person' ? by.email : 'unknown', form.data.decision === 'approve' ? { approve: true, text: form.data.text } : { approve: false });
    if (result === 'notFound') return res.status(404).render('not-found.njk');
    if (result === 'alreadyDecided') return showOffers(req, res, 409, [{ text: 'That text was already approved or refused.', href: `#text-${textId.data}` }]);
    if (result === 'addsWords') return showOffers(req, res, 400, [{ text: 'An edit may only take words out of the offered text, never add any.', href: `#text-${textId.data}` }]);
    res.redirect(303, `/partnerships/${encodeURIComponent(req.params.id)}/proforma-texts`);
  });

  return router;
}
