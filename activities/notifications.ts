/**
 * Sends one notification at most once per key. The key is claimed in PostgreSQL before sending
 * and marked sent after; a retry of a sent key does nothing. A crash between the SMTP hand-off
 * and the mark can resend once, with the same Message-ID so mail systems can tell.
 */
import { createHash } from 'node:crypto';
import type { Notification } from '../shared/events';
import { renderNotification } from '../mail/render';
import { VIEW_LINK_DAYS } from '../shared/links';
import type { ActivityDeps } from './index';

export async function sendNotification(deps: ActivityDeps, n: Notification): Promise<{ sent: boolean }> {
  const { db, mailer, links, publicUrl } = deps;
  const { rows } = await db.query<{ sent_at: Date | null }>(
    `INSERT INTO notifications (key, reference, kind, stage, recipient_id, recipient_role, email)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
     RETURNING sent_at`,
    [n.key, n.reference, n.kind, n.stage.number, n.recipient.id, n.recipient.role, n.recipient.email],
  );
  if (rows[0].sent_at) return { sent: false };

  const link = n.linkExpiresAt
    ? `${publicUrl}/respond/${await links.issue({
        reference: n.reference,
        stage: n.stage.number,
        recipientId: n.recipient.id,
        expiresAt: new Date(n.linkExpiresAt),
      })}`
    : undefined;
  // The case page is for the people the case involves: their own read-only link to it.
  const view = await links.issueView({ reference: n.reference, recipientId: n.recipient.id, expiresAt: new Date(Date.now() + VIEW_LINK_DAYS * 86_400_000) });
  const email = renderNotification(n, { link, caseUrl: `${publicUrl}/cases/${n.reference}?access=${view}`, now: new Date() });
  const messageId = `<${createHash('sha256').update(n.key).digest('hex').slice(0, 32)}@lscp-escalations>`;
  await mailer.send({ to: n.recipient.email, ...email, messageId });
  await db.query('UPDATE notifications SET sent_at = now(), message_id = $2 WHERE key = $1', [n.key, messageId]);
  return { sent: true };
}
