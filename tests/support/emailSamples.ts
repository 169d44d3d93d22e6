/**
 * One notification of every kind, rendered as the activity renders them (a real signed decision
 * link where a kind carries one), for the tests of how emails read: unit and on a phone in Chromium.
 */
import { renderNotification, type RenderedEmail } from '../../mail/render';
import type { EmailSides } from '../../mail/emailWords';
import type { Notification, NotificationKind } from '../../shared/events';
import { createLinkSigner } from '../../shared/links';

export const SAMPLE_BASE_URL = 'https://escalations.example.gov.uk';
export const SAMPLE_REFERENCE = 'BSCP-2026-ABC123';
export const SAMPLE_CASE_URL = `${SAMPLE_BASE_URL}/cases/${SAMPLE_REFERENCE}`;
export const SAMPLE_SIDES: EmailSides = {
  raiser: { name: 'Ann Teacher', role: 'designated safeguarding lead', agency: 'Hillside Primary School' },
  other: { name: 'Bob Social-Worker', role: 'social worker', agency: "Bromley Children's Social Care" },
};

const base: Notification = {
  key: `${SAMPLE_REFERENCE}/stage-2/raiser.lineManager.0/stageInvitation`,
  kind: 'stageInvitation',
  reference: SAMPLE_REFERENCE,
  partnershipId: 'bromley',
  partnershipName: 'Bromley Safeguarding Children Partnership',
  timeZone: 'Europe/London',
  recipient: { id: 'raiser.lineManager.0', role: 'lineManager', name: 'Mo Deputy-Head', email: 'mo@example.org' },
  stage: { number: 2, name: 'Escalate to line manager', guidance: 'Managers discuss the disagreement and agree a plan.', deadline: '2026-12-04T17:00:00.000Z', isFinal: false },
  reason: { kind: 'notResolved', fromStage: 1, byRole: 'worker' },
};
const practitioner = { id: 'other.worker.0', role: 'worker', name: 'Bob Social-Worker', email: 'bob@example.org', agencyId: 'bromley-csc' };
const mailbox = { id: 'partnership.mailbox.0', role: 'partnershipMailbox', name: 'Bromley partnership', email: 'bscp@example.org' };
const resolution = { outcome: 'resolved' as const, agreedOutcome: 'Secret', reviewDate: '2027-01-15', stage: 2, stageName: 'Escalate to line manager', recordedByRole: 'lineManager' };

/** Every kind, each as it is really sent (recipients and fields as the workflow fills them). */
export const SAMPLES: Record<NotificationKind, Partial<Notification>> = {
  stageInvitation: { linkExpiresAt: '2026-12-08T17:00:00.000Z' },
  deadlineReminder: { linkExpiresAt: '2026-12-08T17:00:00.000Z' },
  overdueReminder: { linkExpiresAt: '2026-12-08T17:00:00.000Z', overdue: { mode: 'prompt', escalatesAt: '2026-12-07T17:00:00.000Z' } },
  stageNotice: { recipient: { id: 'partnership.cpChair.0', role: 'cpChair', name: 'Chris Chair', email: 'cp.chairs@example.org' }, team: [{ role: 'lineManager', agency: 'Hillside Primary School' }, { role: 'teamManager', agency: "Bromley Children's Social Care" }] },
  escalationNotice: { recipient: { id: 'raiser.designatedSafeguardingLead.0', role: 'designatedSafeguardingLead', name: 'Dee Lead', email: 'dsl@example.org' } },
  caseMoved: { recipient: practitioner, team: [{ role: 'lineManager', agency: 'Hillside Primary School' }] },
  immediateHarmAlert: { recipient: { id: 'partnership.mash.0', role: 'mash', name: 'MASH', email: 'mash@example.org' }, reason: { kind: 'immediateHarm' } },
  outcomeNotice: { recipient: { id: 'partnership.cpChair.0', role: 'cpChair', name: 'Chris Chair', email: 'cp.chairs@example.org' }, outcome: { outcome: 'notResolved', byRole: 'lineManager' } },
  proforma: { recipient: mailbox },
  resolutionConfirmation: { recipient: { ...practitioner, id: 'raiser.worker.0', name: 'Ann Teacher' }, resolution, suggestDebrief: true },
  reviewDue: { resolution },
  dutyAssigned: { recipient: mailbox, duty: { name: 'send the written confirmation to the board', due: '2026-12-11T17:00:00.000Z' } },
  dutyDue: { recipient: mailbox, duty: { name: 'send the written confirmation to the board', due: '2026-12-11T17:00:00.000Z' } },
  deliveryFailedNotice: { recipient: mailbox, refused: { kind: 'stageInvitation', recipientRole: 'lineManager', code: 550 } },
  caseEnded: { recipient: practitioner, ending: { status: 'withdrawn', by: 'raiser' } },
  clockChanged: { linkExpiresAt: '2026-12-10T17:00:00.000Z', clock: { change: 'extended', by: 'participant', byRole: 'lineManager', from: '2026-12-04T17:00:00.000Z', to: '2026-12-08T17:00:00.000Z' } },
  noteAdded: { recipient: practitioner, noteBy: { role: 'lineManager', agency: 'Hillside Primary School' } },
  confirmationRequest: { recipient: { id: 'other.lineManager.0', role: 'lineManager', name: 'Tara Team-Manager', email: 'tara@example.org' }, linkExpiresAt: '2026-12-08T17:00:00.000Z', proposal: { byRole: 'lineManager', agency: 'Hillside Primary School' } },
};

export interface RenderedSample {
  kind: NotificationKind;
  notification: Notification;
  link?: string;
  email: RenderedEmail;
}

export async function renderSamples(): Promise<RenderedSample[]> {
  const links = createLinkSigner('a-test-secret-that-is-long-enough-to-sign-links');
  const now = new Date('2026-11-27T17:00:01Z');
  const rendered: RenderedSample[] = [];
  for (const [kind, fields] of Object.entries(SAMPLES) as [NotificationKind, Partial<Notification>][]) {
    const notification: Notification = { ...base, key: base.key.replace('stageInvitation', kind), kind, ...fields };
    const link = notification.linkExpiresAt
      ? `${SAMPLE_BASE_URL}/respond/${await links.issue({ reference: SAMPLE_REFERENCE, stage: 2, recipientId: notification.recipient.id, expiresAt: new Date(notification.linkExpiresAt) })}`
      : undefined;
    const proformaUrl = kind === 'proforma' ? `${SAMPLE_BASE_URL}/partnerships/bromley/proformas/pf_3b9d0c6e2a7f4e1b8c5d9a0f1e2d3c4b` : undefined;
    const email = renderNotification(notification, { link, caseUrl: SAMPLE_CASE_URL, now, proformaUrl, sides: SAMPLE_SIDES });
    rendered.push({ kind, notification, link, email });
  }
  return rendered;
}
