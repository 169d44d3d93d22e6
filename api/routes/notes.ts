/**
 * A note to the case that the other participants see (issue 11). Anyone who may see the case page
 * (the raiser, anyone taking part, the partnership's admins; api/identity/access.ts) writes plain
 * text; the API keeps it in PostgreSQL (case_notes, append-only) and asks the workflow, through the
 * Update `addNote`, to place a `noteAdded` event on the record (in the workflow's own order of the
 * hash chain) with the note's id and digest, and to email the others that a note was added. The
 * text never enters Temporal history or an email.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { Refusal, addNote } from '../../shared/contract';
import type { AppDeps } from '../app';
import type { Queryable } from '../../db/database';
import { viewerOf } from '../identity/access';
import { readCase } from '../cases';
import { formProtection } from '../csrf';
import { referenceSchema } from '../schemas';
import { RETRY_AFTER_SECONDS } from '../availability';
import { ensureStarted } from '../caseStart';

export const NOTE_MAX = 2_000;

export const noteSchema = z.object({
  note: z
    .string({ error: 'Enter your note' })
    .trim()
    .min(1, 'Enter your note')
    .max(NOTE_MAX, `Your note must be ${NOTE_MAX.toLocaleString('en-GB')} characters or fewer`),
});

/** sha256 of the note's text as stored: the record's event names it, so the chain anchors the text. */
export const noteDigest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A note as the timeline shows it. */
export interface StoredNote {
  id: string;
  authorName: string;
  authorAs: 'raiser' | 'participant' | 'partnershipAdmin';
  body: string;
  /** The text still matches the digest the record holds for it (checked where the event is read). */
  digest: string;
}

/** Every note of a case, by id, for the timeline. */
export async function notesOf(db: Queryable, reference: string): Promise<Map<string, StoredNote>> {
  const { rows } = await db.query<{ id: string; author_name: string; author_as: StoredNote['authorAs']; body: string; digest: string }>(
    'SELECT id, author_name, author_as, body, digest FROM case_notes WHERE reference = $1 ORDER BY at',
    [reference],
  );
  return new Map(rows.map((r) => [r.id, { id: r.id, authorName: r.author_name, authorAs: r.author_as, body: r.body, digest: r.digest }]));
}

/**
 * The author's name as the case knows them: one of the two practitioners as the case names them, else
 * as the partnership's directory names the address, else as they signed in (a code sign-in knows only
 * the address).
 */
async function authorName(deps: AppDeps, reference: string, partnership: string, person: { email: string; name: string }): Promise<string> {
  const email = person.email.toLowerCase();
  const { rows } = await deps.db.query<{ raiser: { name: string; email: string }; other_party: { name: string; email: string } }>(
    'SELECT raiser, other_party FROM cases WHERE reference = $1',
    [reference],
  );
  const side = [rows[0]?.raiser, rows[0]?.other_party].find((p) => p?.email?.toLowerCase() === email);
  if (side) return side.name;
  const directory = deps.policies.get(partnership)?.directory;
  const holders = directory ? [directory.partnership.roles, ...directory.agencies.map((a) => a.roles)].flatMap((roles) => Object.values(roles).flat()) : [];
  return holders.find((h) => h.email.toLowerCase() === email)?.name ?? person.name;
}

export function notesRouter(deps: AppDeps): Router {
  const router = Router();
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    // A cookie of its own (not the withdraw form's), bound to this case.
    cookiePath: '/cases/',
    boundTo: (req) => `note:${String(req.params.reference ?? '')}`,
  });

  /** The case, open, for a viewer caseAccess has let in; otherwise the right page has been sent. */
  const openCase = async (req: Request, res: Response) => {
    const reference = referenceSchema.safeParse(req.params.reference);
    const c = reference.success ? await readCase(deps, reference.data) : undefined;
    if (!c || !viewerOf(res)) {
      res.status(404).render('not-found.njk');
      return undefined;
    }
    if (c.status !== 'open') {
      res.status(409).render('note-ended.njk', { reference: c.reference, status: c.status });
      return undefined;
    }
    return c;
  };

  const showForm = (req: Request, res: Response, reference: string, status: number, values: Record<string, unknown>, errors: { text: string }[]) =>
    res.status(status).render('note.njk', {
      reference,
      csrfToken: generateCsrfToken(req, res),
      values,
      noteMax: NOTE_MAX,
      errors: errors.map((e) => ({ ...e, href: '#note' })),
    });

  router.get('/cases/:reference/notes/new', async (req, res) => {
    const c = await openCase(req, res);
    if (!c) return;
    showForm(req, res, c.reference, 200, {}, []);
  });

  router.post('/cases/:reference/notes', async (req, res) => {
    const c = await openCase(req, res);
    if (!c) return;
    const viewer = viewerOf(res)!;
    const values = (req.body ?? {}) as Record<string, unknown>;
    if (!validateRequest(req)) return showForm(req, res, c.reference, 403, values, [{ text: 'Your form had expired. Check your note and send it again.' }]);
    const form = noteSchema.safeParse({ note: typeof values.note === 'string' ? values.note : undefined });
    if (!form.success) return showForm(req, res, c.reference, 400, values, [{ text: form.error.issues[0].message }]);
    if (!c.started) await ensureStarted(deps, c.reference);

    // The text first, in PostgreSQL; then the workflow places it on the record. A note whose Update is
    // refused stays unreferenced (the table is append-only) and is never shown.
    const id = randomUUID();
    const digest = noteDigest(form.data.note);
    await deps.db.query('INSERT INTO case_notes (id, reference, author_email, author_name, author_as, body, digest) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      id,
      c.reference,
      viewer.person.email.toLowerCase(),
      await authorName(deps, c.reference, c.policy.partnership, viewer.person),
      viewer.as,
      form.data.note,
      digest,
    ]);
    try {
      await deps.temporal.workflow.getHandle(c.reference).executeUpdate(addNote, {
        args: [{ reference: c.reference, noteId: id, digest, author: { kind: viewer.as === 'partnershipAdmin' ? 'partnershipAdmin' : 'participant', email: viewer.person.email } }],
      });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return res.status(409).render('note-ended.njk', { reference: c.reference, status: 'closed' });
      if (!(error instanceof WorkflowUpdateFailedError)) throw error;
      const type = error.cause instanceof ApplicationFailure ? error.cause.type : undefined;
      if (type === Refusal.caseClosed) return res.status(409).render('note-ended.njk', { reference: c.reference, status: 'closed' });
      if (/No registered handler for update/.test(error.cause?.message ?? '')) {
        res.set('Retry-After', String(RETRY_AFTER_SECONDS));
        return showForm(req, res, c.reference, 503, values, [{ text: 'Notes cannot be added to this case just now. Try again later.' }]);
      }
      return showForm(req, res, c.reference, type === Refusal.notParticipant ? 403 : 409, values, [{ text: error.cause?.message ?? 'Your note could not be added.' }]);
    }
    res.render('note-added.njk', { reference: c.reference });
  });

  return router;
}
