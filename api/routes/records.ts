/**
 * The record for the child's file (page and PDF) and the anonymised proforma (page, PDF, JSON).
 * Pages answer a bad or unknown reference with the not-found page; the API with problem details.
 */
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../app';
import { recordReadOf, type ReadVia, type ReadWhat } from '../audit';
import { apiRule } from '../apiClients';
import { sendProblem, sendValidationProblem } from '../problem';
import { referenceSchema } from '../schemas';
import { loadCaseRecord, type CaseRecord } from '../../records/caseRecord';
import { renderProformaPdf, renderRecordPdf } from '../../records/pdf';
import { buildProforma } from '../../records/proforma';

export function recordsRouter(deps: Pick<AppDeps, 'db' | 'policies'>): Router {
  const router = Router();

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

  router.get('/cases/:reference/proforma', async (req, res) => {
    const record = await recordFor(req.params.reference);
    if (!record) return res.status(404).render('not-found.njk');
    await recordRead(req, res, record, 'proforma', 'page');
    res.render('proforma.njk', {
      proforma: buildProforma(record),
      pdfUrl: `/cases/${record.reference}/proforma.pdf`,
      jsonUrl: `/api/disagreements/${record.reference}/proforma`,
    });
  });

  router.get('/cases/:reference/proforma.pdf', async (req, res) => {
    const record = await recordFor(req.params.reference);
    if (!record) return res.status(404).render('not-found.njk');
    const pdf = await renderProformaPdf(buildProforma(record));
    await recordRead(req, res, record, 'proforma.pdf', 'page');
    // The file name carries the reference, as the record's does; the document inside does not.
    sendPdf(res, pdf, `${record.reference}-proforma.pdf`);
  });

  router.get('/api/disagreements/:reference/proforma', apiRule(deps, { scope: 'read', partnership: 'case' }), async (req, res) => {
    const record = await apiRecordFor(String(req.params.reference), res);
    if (!record) return;
    const proforma = buildProforma(record);
    await recordRead(req, res, record, 'proforma.json', 'api');
    res.json(proforma);
  });

  return router;
}
