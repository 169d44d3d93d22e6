/**
 * The first opening of each decision link, recorded by the API outside the workflow (design
 * decision 11): a mail scanner or a flood of GETs adds at most one row per link and never reaches
 * Temporal.
 */
import type { Queryable } from './database';

export interface LinkOpening {
  jti: string;
  stage: number;
  recipientId: string;
  firstOpenedAt: string;
}

/** Keeps the first opening of a link; later ones change nothing. Unknown cases are ignored. */
export async function recordLinkOpening(db: Queryable, link: { jti: string; reference: string; stage: number; recipientId: string }): Promise<void> {
  await db.query(
    `INSERT INTO link_openings (jti, reference, stage, recipient_id)
     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM cases WHERE reference = $2)
     ON CONFLICT (jti) DO NOTHING`,
    [link.jti, link.reference, link.stage, link.recipientId],
  );
}

/** A case's link openings, first first: for the case page and the timeline. */
export async function linkOpeningsOf(db: Queryable, reference: string): Promise<LinkOpening[]> {
  const { rows } = await db.query<{ jti: string; stage: number; recipient_id: string; first_opened_at: string | Date }>(
    'SELECT jti, stage, recipient_id, first_opened_at FROM link_openings WHERE reference = $1 ORDER BY first_opened_at, jti',
    [reference],
  );
  return rows.map((r) => ({ jti: r.jti, stage: r.stage, recipientId: r.recipient_id, firstOpenedAt: new Date(r.first_opened_at).toISOString() }));
}
