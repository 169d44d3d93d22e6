/**
 * What the proforma keeps in the database (migration 0008): its random id, and the free text
 * offered for the partnership's learning, with who offered it, who approved or refused it, and when.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../db/database';

export const FREE_TEXT_FIELDS = ['reasons', 'agreedOutcome', 'agreedPlan', 'outstandingIssues', 'lessonsNotes'] as const;
export type FreeTextField = (typeof FREE_TEXT_FIELDS)[number];

export const FREE_TEXT_LABELS: Record<FreeTextField, string> = {
  reasons: 'Reasons',
  agreedOutcome: 'Agreed outcome',
  agreedPlan: 'Agreed plan',
  outstandingIssues: 'How outstanding issues will be pursued',
  lessonsNotes: 'Notes on lessons learned',
};

/** "PF-7Q2M-K9XD-3WFA": 60 random bits, unrelated to the case reference. */
export const proformaIdSchema = z.string().regex(/^PF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/, 'is not a proforma id');

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function newProformaId(): string {
  const chars = [...randomBytes(12)].map((b) => CROCKFORD[b & 31]).join('');
  return `PF-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

/** The case's proforma id, made the first time anyone needs it. */
export async function proformaIdFor(db: Queryable, reference: string): Promise<string> {
  await db.query('INSERT INTO proformas (reference, proforma_id) VALUES ($1, $2) ON CONFLICT (reference) DO NOTHING', [reference, newProformaId()]);
  const { rows } = await db.query<{ proforma_id: string }>('SELECT proforma_id FROM proformas WHERE reference = $1', [reference]);
  return rows[0].proforma_id;
}

/** The case a proforma id belongs to, within one partnership, or undefined. */
export async function referenceForProforma(db: Queryable, partnershipId: string, proformaId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ reference: string }>(
    'SELECT p.reference FROM proformas p JOIN cases c ON c.reference = p.reference WHERE p.proforma_id = $1 AND c.partnership_id = $2',
    [proformaId, partnershipId],
  );
  return rows[0]?.reference;
}

export interface Offer {
  stage: number;
  field: FreeTextField;
  /** The redacted text exactly as its author saw it. */
  text: string;
}

/** The author offers redacted text; an offer already made for that field and stage stays as it was. */
export async function offerTexts(db: Queryable, c: { reference: string; partnershipId: string; byId: string; byRole: string }, offers: Offer[]): Promise<void> {
  for (const o of offers) {
    await db.query(
      `INSERT INTO proforma_texts (reference, partnership_id, stage, field, offered_text, offered_by_id, offered_by_role)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (reference, stage, field) DO NOTHING`,
      [c.reference, c.partnershipId, o.stage, o.field, o.text, c.byId, c.byRole],
    );
  }
}

export interface OfferedText {
  id: string;
  proformaId: string;
  stage: number;
  field: FreeTextField;
  fieldLabel: string;
  offeredText: string;
  offeredByRole: string;
  offeredAt: string;
  status: 'offered' | 'approved' | 'refused';
  approvedText?: string;
  decidedBy?: string;
  decidedAt?: string;
}

interface Row {
  id: string | number;
  reference: string;
  stage: number;
  field: FreeTextField;
  offered_text: string;
  offered_by_role: string;
  offered_at: Date | string;
  status: OfferedText['status'];
  approved_text: string | null;
  decided_by: string | null;
  decided_at: Date | string | null;
}

/** A partnership's offered texts, waiting first, then the latest decided; each named by its proforma id, never the case. */
export async function listOffers(db: Queryable, partnershipId: string): Promise<OfferedText[]> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM proforma_texts WHERE partnership_id = $1 ORDER BY (status = 'offered') DESC, coalesce(decided_at, offered_at) DESC, id LIMIT 200`,
    [partnershipId],
  );
  const out: OfferedText[] = [];
  for (const r of rows) {
    out.push({
      id: String(r.id),
      proformaId: await proformaIdFor(db, r.reference),
      stage: r.stage,
      field: r.field,
      fieldLabel: FREE_TEXT_LABELS[r.field],
      offeredText: r.offered_text,
      offeredByRole: r.offered_by_role,
      offeredAt: new Date(r.offered_at).toISOString(),
      status: r.status,
      ...(r.approved_text !== null ? { approvedText: r.approved_text } : {}),
      ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
      ...(r.decided_at ? { decidedAt: new Date(r.decided_at).toISOString() } : {}),
    });
  }
  return out;
}

export type DecideResult = 'decided' | 'notFound' | 'alreadyDecided' | 'addsWords';

/**
 * An admin approves (perhaps with more removed) or refuses one offered text of their partnership.
 * An edit may only take words away: every word of the approved text must be in the offered one.
 */
export async function decideOffer(db: Queryable, partnershipId: string, id: string, by: string, decision: { approve: false } | { approve: true; text?: string }): Promise<DecideResult> {
  const { rows } = await db.query<Row>('SELECT * FROM proforma_texts WHERE id = $1 AND partnership_id = $2', [id, partnershipId]);
  const row = rows[0];
  if (!row) return 'notFound';
  if (row.status !== 'offered') return 'alreadyDecided';
  const approvedText = decision.approve ? (decision.text?.trim() || row.offered_text) : null;
  if (approvedText !== null && !onlyRemoves(row.offered_text, approvedText)) return 'addsWords';
  const { rows: updated } = await db.query(
    `UPDATE proforma_texts SET status = $3, approved_text = $4, decided_by = $5, decided_at = now() WHERE id = $1 AND partnership_id = $2 AND status = 'offered' RETURNING id`,
    [id, partnershipId, decision.approve ? 'approved' : 'refused', approvedText, by],
  );
  return updated.length ? 'decided' : 'alreadyDecided';
}

/** True when every word of `edited` is a word of `offered` (as often): an edit that only removes. */
export function onlyRemoves(offered: string, edited: string): boolean {
  const words = (t: string) => t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const available = new Map<string, number>();
  for (const w of words(offered)) available.set(w, (available.get(w) ?? 0) + 1);
  for (const w of words(edited)) {
    const n = available.get(w) ?? 0;
    if (n === 0) return false;
    available.set(w, n - 1);
  }
  return true;
}

/** Approved texts of one case, by stage and field. */
export async function approvedTexts(db: Queryable, reference: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ stage: number; field: string; approved_text: string }>(
    "SELECT stage, field, approved_text FROM proforma_texts WHERE reference = $1 AND status = 'approved'",
    [reference],
  );
  return new Map(rows.map((r) => [approvedKey(r.stage, r.field as FreeTextField), r.approved_text]));
}

export const approvedKey = (stage: number, field: FreeTextField) => `${stage}/${field}`;
