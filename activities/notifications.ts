/**
 * Sends one notification at most once per key. The key is claimed in PostgreSQL before sending
 * and marked sent after; a retry of a sent key does nothing. A crash between the SMTP hand-off
 * and the mark can resend once, with the same Message-ID so mail systems can tell.
 *
 * A permanent refusal (SMTP 5xx: no such mailbox) is an answer, not a failure: it is kept with the
 * key and returned, never retried, so one bad address cannot hold a case (decision 11).
 */
import { proformaIdFor } from '../records/proformaStore';
import { createHash } from 'node:crypto';
import type { Delivery, Notification } from '../shared/events';
import { renderNotification } from '../mail/render';
import { readEmailSides } from './emailSides';
import { log } from '../shared/log';
import type { ActivityDeps } from './index';

interface Claimed {
  sent_at: Date | string | null;
  refused_at: Date | string | null;
  refusal_code: number | null;
  refusal: string | null;
}

export async function sendNotification(deps: ActivityDeps, n: Notification): Promise<Delivery> {
  const { db, mailer, links, publicUrl } = deps;
  const { rows } = await db.query<Claimed>(
    `INSERT INTO notifications (key, reference, kind, stage, recipient_id, recipient_role, email)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
     RETURNING sent_at, refused_at, refusal_code, refusal`,
    [n.key, n.reference, n.kind, n.stage.number, n.recipient.id, n.recipient.role, n.recipient.email],
  );
  const claimed = rows[0];
  if (claimed.sent_at) return { status: 'accepted', at: new Date(claimed.sent_at).toISOString() };
  if (claimed.refused_at) return { status: 'refused', at: new Date(claimed.refused_at).toISOString(), code: claimed.refusal_code ?? 550, response: claimed.refusal ?? '' };

  const now = new Date();
  // A send held up by an outage keeps its link usable for as long as it was meant to be.
  const delay = n.requestedAt ? Math.max(0, now.getTime() - new Date(n.requestedAt).getTime()) : 0;
  const link = n.linkExpiresAt
    ? `${publicUrl}/respond/${await links.issue({
        reference: n.reference,
        stage: n.stage.number,
        recipientId: n.recipient.id,
        expiresAt: new Date(new Date(n.linkExpiresAt).getTime() + delay),
      })}`
    : undefined;
  // A plain pointer to the case's page: no token, so a forwarded or leaked email opens nothing by
  // itself. The only capability an email carries is the decision link above (one case, stage and person).
  // The proforma email links to the proforma by its own id (issue 10): built from the record by
  // the one builder when read, never carried in the email or assembled by the workflow.
  const proformaUrl = n.kind === 'proforma' ? `${publicUrl}/partnerships/${encodeURIComponent(n.partnershipId)}/proformas/${await proformaIdFor(db, n.reference)}` : undefined;
  // The other side, named (issue 11): the two practitioners' names, roles and agencies from the case's row.
  const sides = n.kind === 'proforma' ? undefined : await readEmailSides(db, n.reference);
  const email = renderNotification(n, { link, caseUrl: `${publicUrl}/cases/${n.reference}`, now, proformaUrl, ...(sides ? { sides } : {}) });
  const messageId = `<${createHash('sha256').update(n.key).digest('hex').slice(0, 32)}@lscp-escalations>`;
  try {
    await mailer.send({ to: n.recipient.email, ...email, messageId });
  } catch (error) {
    const refusal = permanentRefusal(error);
    if (!refusal) throw error;
    const { rows: refused } = await db.query<{ refused_at: Date | string }>(
      'UPDATE notifications SET refused_at = now(), refusal_code = $2, refusal = $3 WHERE key = $1 RETURNING refused_at',
      [n.key, refusal.code, refusal.response],
    );
    log.error({ reference: n.reference, key: n.key, kind: n.kind, recipientRole: n.recipient.role, code: refusal.code }, 'email refused for good; the case goes on without it');
    return { status: 'refused', at: new Date(refused[0].refused_at).toISOString(), ...refusal };
  }
  const { rows: sent } = await db.query<{ sent_at: Date | string }>('UPDATE notifications SET sent_at = now(), message_id = $2 WHERE key = $1 RETURNING sent_at', [n.key, messageId]);
  return { status: 'accepted', at: new Date(sent[0].sent_at).toISOString() };
}

/**
 * SMTP 5xx answers are permanent (RFC 5321): the server will refuse the same message again. 4xx
 * answers and connection failures are transient and left to the activity's retries.
 */
export function permanentRefusal(error: unknown): { code: number; response: string } | undefined {
  const code = (error as { responseCode?: unknown })?.responseCode;
  if (typeof code !== 'number' || code < 500 || code > 599) return undefined;
  const response = String((error as { response?: unknown }).response ?? (error as Error).message ?? '');
  // The server's words often repeat the address: keep the code and the reason, not the address.
  return { code, response: response.replace(/<?[^\s<>@]+@[^\s<>]+>?/g, '<address>').slice(0, 300) };
}
