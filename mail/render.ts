/**
 * Turns a notification into an email: a subject with the case reference and stage, the deadline
 * in words, and the link. Nothing about the child and no free text, by construction: a
 * Notification carries neither. One template gives the plain-text body; the HTML part is built
 * from the same paragraphs.
 */
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import type { Notification } from '../shared/events';
import { describeDeadline } from '../shared/calendar/workingTime';

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(__dirname, 'templates')), { autoescape: false });
env.addFilter('dateOnly', (iso: string) => iso.slice(0, 10));

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderContext {
  link?: string;
  caseUrl: string;
  now: Date;
  /** For the proforma email: the proforma by its own id, below the partnership (never the case). */
  proformaUrl?: string;
}

const SUBJECT_ACTION: Record<Notification['kind'], string> = {
  stageInvitation: 'action needed',
  deadlineReminder: 'reminder, action needed',
  overdueReminder: 'deadline passed, action needed',
  stageNotice: 'for your information',
  escalationNotice: 'escalating, for your information',
  caseMoved: 'escalated, for your information',
  immediateHarmAlert: 'immediate harm reported',
  outcomeNotice: 'outcome recorded',
  proforma: 'anonymised proforma',
  resolutionConfirmation: 'resolved',
  reviewDue: 'review date today',
  dutyAssigned: 'action after the meeting',
  dutyDue: 'action due',
  deliveryFailedNotice: 'an email could not be delivered',
  caseEnded: 'case ended',
  confirmationRequest: 'confirm or dispute the proposed resolution',
};

export function renderNotification(n: Notification, ctx: RenderContext): RenderedEmail {
  const words = (iso: string) => describeDeadline(new Date(iso), n.timeZone, ctx.now);
  const bare = (iso: string) => words(iso).replace(/^by /, '');
  const deadline = words(n.stage.deadline);
  const reason = n.reason?.kind === 'deadline' ? { ...n.reason, deadlineInWords: bare(n.reason.deadline) } : n.reason;
  const reviewDate = n.resolution?.outcome === 'resolved' ? n.resolution.reviewDate : undefined;
  const text = env
    .render('notification.njk', {
      n,
      deadline,
      linkExpiry: n.linkExpiresAt ? bare(n.linkExpiresAt) : undefined,
      escalatesAt: n.overdue?.escalatesAt ? words(n.overdue.escalatesAt) : undefined,
      dutyDue: n.duty ? words(n.duty.due) : undefined,
      reason,
      reviewDate,
      link: ctx.link,
      caseUrl: ctx.caseUrl,
      proformaUrl: ctx.proformaUrl,
      proformaTextsUrl: ctx.proformaUrl?.replace(/\/proformas\/[^/]+$/, '/proforma-texts'),
      team: n.team?.length ? teamWords(n.team) : undefined,
      practitioner: PRACTITIONER_IDS.has(n.recipient.id),
      roleLabel,
      outcomeLabel,
      statusLabel,
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const stageLabel = `stage ${n.stage.number}: ${n.stage.name}`;
  const withDeadline = n.kind === 'stageInvitation' || n.kind === 'deadlineReminder' || n.kind === 'overdueReminder' || n.kind === 'confirmationRequest';
  // The proforma email names no case: the board's copy is not to be tied back to a child's file.
  if (n.kind === 'proforma') return { subject: `${n.partnershipName}: an anonymised proforma is ready`, text: text + '\n', html: toHtml(text, 'Anonymised proforma') };
  const subject =
    n.kind === 'resolutionConfirmation'
      ? `${n.reference}: resolved at ${stageLabel}`
      : `${n.reference}: ${stageLabel} - ${SUBJECT_ACTION[n.kind]}${withDeadline ? ` ${deadline}` : ''}`;
  return { subject, text: text + '\n', html: toHtml(text, n.reference) };
}

function toHtml(text: string, title: string): string {
  const paragraphs = text.split(/\n{2,}/).map((p) => `<p>${linkify(escape(p)).replace(/\n/g, '<br>')}</p>`);
  return [
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`,
    '<body style="font-family: Arial, sans-serif; font-size: 19px; line-height: 1.4; color: #0b0c0c; max-width: 640px">',
    ...paragraphs,
    '</body></html>',
  ].join('\n');
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const linkify = (s: string) => s.replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);

/** The two practitioners' recipient ids (workflows/case.ts practitioners()). */
const PRACTITIONER_IDS = new Set(['raiser.worker.0', 'other.worker.0']);

/** "the line manager (Primary School) and the team manager (Children's Social Care)". */
export function teamWords(team: NonNullable<Notification['team']>): string {
  const each = team.map((t) => `the ${roleLabel(t.role)}${t.agency ? ` (${t.agency})` : ''}`);
  return each.length > 1 ? `${each.slice(0, -1).join(', ')} and ${each.at(-1)}` : each[0];
}

/** Role ids from packs are camelCase; people read them as words. */
export function roleLabel(role: string): string {
  const known: Record<string, string> = {
    worker: 'practitioner',
    iro: 'independent reviewing officer',
    cpChair: 'child protection chair',
    mash: 'MASH',
    edt: 'emergency duty team',
    designatedSafeguardingLead: 'designated safeguarding lead',
  };
  return known[role] ?? role.replace(/([A-Z])/g, ' $1').toLowerCase();
}

export function statusLabel(status: string): string {
  return (
    { open: 'open', resolved: 'resolved', withdrawn: 'withdrawn', closed: 'closed', unresolved: 'closed unresolved', referred: 'referred on' }[status] ?? status
  );
}

export function outcomeLabel(outcome: string): string {
  return { resolved: 'resolved', notResolved: 'not resolved', panelConvened: 'resolution panel convened' }[outcome] ?? outcome;
}
