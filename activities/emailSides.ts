/**
 * The two practitioners as emails name them (issue 11: "emails name the other side"): name, role
 * and agency, read from the case's row when an email is sent. Professionals only: nothing about
 * the child or the family. The workflow's Notification carries none of it, so no workflow changed.
 */
import { z } from 'zod';
import type { Queryable } from '../db/database';
import type { EmailSide, EmailSides } from '../mail/emailWords';
import { roleLabel } from '../mail/render';

const practitioner = z.object({ name: z.string().min(1), agencyId: z.string().min(1), role: z.string().optional() });
const agencies = z.array(z.object({ id: z.string(), name: z.string() })).catch([]);

/** Undefined when there is no such case (or its row is not as expected): the email then names no sides. */
export async function readEmailSides(db: Queryable, reference: string): Promise<EmailSides | undefined> {
  const { rows } = await db.query<{ raiser: unknown; other_party: unknown; agencies: unknown }>(
    `SELECT raiser, other_party, workflow_input->'policy'->'directory'->'agencies' AS agencies FROM cases WHERE reference = $1`,
    [reference],
  );
  const row = rows[0];
  if (!row) return undefined;
  const raiser = practitioner.safeParse(row.raiser);
  const other = practitioner.safeParse(row.other_party);
  if (!raiser.success || !other.success) return undefined;
  const names = new Map(agencies.parse(row.agencies ?? []).map((a) => [a.id, a.name]));
  const side = (p: z.infer<typeof practitioner>): EmailSide => ({
    name: p.name,
    role: p.role ? roleLabel(p.role) : 'practitioner',
    agency: names.get(p.agencyId) ?? p.agencyId,
  });
  return { raiser: side(raiser.data), other: side(other.data) };
}
