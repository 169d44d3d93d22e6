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
import { outcomeLabel, roleLabel, statusLabel } from '../shared/presentation/labels';
import { otherSideSentence, whySentence, type EmailSides } from './emailWords';

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
  /** The two practitioners (name, role, agency), read from the case by the activity: the email names the other side. */
  sides?: EmailSides;
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
  clockChanged: 'deadline changed',
  confirmationRequest: 'confirm or dispute the proposed resolution',
  noteAdded: 'a note was added',
};

export function renderNotification(n: Notification, ctx: RenderContext): RenderedEmail {
  const words = (iso: string) => describeDeadline(new Date(iso), n.timeZone, ctx.now);
  const bare = (iso: string) => words(iso).replace(/^by /, '');
  const deadline = words(n.stage.deadline);
  const reason = n.reason?.kind === 'deadline' ? { ...n.reason, deadlineInWords: bare(n.reason.deadline) } : n.reason;
  const reviewDate = n.resolution?.outcome === 'resolved' && n.resolution.reviewDate ? dateInWords(n.resolution.reviewDate) : undefined;
  const proformaTextsUrl = ctx.proformaUrl?.replace(/\/proformas\/[^/]+$/, '/proforma-texts');
  const links: LabelledLink[] = [
    ...(ctx.link ? [{ url: ctx.link, label: 'Record the outcome', button: true }] : []),
    { url: ctx.caseUrl, label: 'Open the case' },
    ...(ctx.proformaUrl ? [{ url: ctx.proformaUrl, label: 'Read the proforma' }] : []),
    ...(proformaTextsUrl ? [{ url: proformaTextsUrl, label: 'Offered text to approve' }] : []),
  ];
  const text = env
    .render('notification.njk', {
      n,
      deadline,
      linkExpiry: n.linkExpiresAt ? bare(n.linkExpiresAt) : undefined,
      escalatesAt: n.overdue?.escalatesAt ? words(n.overdue.escalatesAt) : undefined,
      dutyDue: n.duty ? words(n.duty.due) : undefined,
      clockFrom: n.clock ? bare(n.clock.from) : undefined,
      clockTo: n.clock ? bare(n.clock.to) : undefined,
      reason,
      reviewDate,
      link: ctx.link,
      caseUrl: ctx.caseUrl,
      proformaUrl: ctx.proformaUrl,
      proformaTextsUrl,
      team: n.team?.length ? teamWords(n.team) : undefined,
      handedOverBy: n.handedOverBy,
      practitioner: PRACTITIONER_IDS.has(n.recipient.id),
      roleLabel,
      outcomeLabel,
      statusLabel,
      whyYou: whySentence(n, roleLabel),
      otherSide: otherSideSentence(n, ctx.sides),
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const stageLabel = `stage ${n.stage.number}: ${n.stage.name}`;
  const withDeadline = n.kind === 'stageInvitation' || n.kind === 'deadlineReminder' || n.kind === 'overdueReminder' || n.kind === 'confirmationRequest';
  // The proforma email names no case: the board's copy is not to be tied back to a child's file.
  if (n.kind === 'proforma') return { subject: `${n.partnershipName}: an anonymised proforma is ready`, text: text + '\n', html: toHtml(text, 'Anonymised proforma', n.partnershipName, links) };
  const subject =
    n.kind === 'resolutionConfirmation'
      ? `${n.reference}: resolved at ${stageLabel}`
      : n.kind === 'clockChanged' && n.clock
        ? `${n.reference}: ${stageLabel} - ${CLOCK_SUBJECT[n.clock.change]}`
      : `${n.reference}: ${stageLabel} - ${SUBJECT_ACTION[n.kind]}${withDeadline ? ` ${deadline}` : ''}`;
  return { subject, text: text + '\n', html: toHtml(text, n.reference, n.partnershipName, links) };
}

const CLOCK_SUBJECT: Record<NonNullable<Notification['clock']>['change'], string> = {
  paused: 'clock paused',
  resumed: 'clock resumed, new deadline',
  extended: 'deadline extended',
  shortened: 'deadline brought forward',
};

/** A URL the email carries, with the words its HTML part shows instead (never a raw token as link text). */
interface LabelledLink {
  url: string;
  label: string;
  /** The one thing asked of the reader: a GOV.UK green button. */
  button?: boolean;
}

/**
 * Inline styles only (mail clients drop <style>), no tables, one column at most 640 px wide that
 * fits a 320 px phone: GOV.UK's type, colours, link and button.
 */
const STYLE = {
  body: 'margin: 0; padding: 0; background-color: #ffffff',
  column:
    'max-width: 640px; margin: 0 auto; padding: 15px; font-family: Arial, Helvetica, sans-serif; font-size: 19px; line-height: 1.4; color: #0b0c0c; overflow-wrap: break-word; word-wrap: break-word',
  header: 'margin: 0 0 20px; padding: 0 0 10px; border-bottom: 10px solid #1d70b8; font-weight: 700',
  p: 'margin: 0 0 20px',
  link: 'color: #1d70b8; text-decoration: underline',
  button:
    'display: inline-block; background-color: #00703c; color: #ffffff; text-decoration: none; font-size: 19px; line-height: 1.2; padding: 8px 10px 7px; border-bottom: 2px solid #002d18',
  footer: 'margin: 30px 0 0; padding: 15px 0 0; border-top: 1px solid #b1b4b6; font-size: 16px; color: #505a5f',
};

const URL_AT_END = /^(.*?)(https?:\/\/[^\s<>"]+)\s*$/;
const URL_ANYWHERE = /https?:\/\/[^\s<>"]+/g;

function toHtml(text: string, title: string, heading: string, links: LabelledLink[]): string {
  const labelOf = (url: string): LabelledLink => links.find((l) => l.url === url) ?? { url, label: url };
  const anchor = (l: LabelledLink) => `<a href="${escape(l.url)}" style="${l.button ? STYLE.button : STYLE.link}">${escape(l.label)}</a>`;
  const paragraphs = text.split(/\n{2,}/);
  const blocks: string[] = [];
  paragraphs.forEach((paragraph, index) => {
    const footer = index === paragraphs.length - 1;
    let lines: string[] = [];
    const flush = () => {
      if (lines.length) blocks.push(`<p style="${footer ? STYLE.footer : STYLE.p}">${lines.join('<br>')}</p>`);
      lines = [];
    };
    for (const line of paragraph.split('\n')) {
      const action = line.match(URL_AT_END);
      // "Open the case: <url>" or a URL on a line of its own: a link (or the button) standing alone.
      if (action && (action[1].trim() === '' || action[1].trim().endsWith(':'))) {
        const link = labelOf(action[2]);
        const before = action[1].trim().replace(/:$/, '');
        if (before && before.toLowerCase() !== link.label.toLowerCase()) lines.push(`${escape(before)}:`);
        flush();
        blocks.push(`<p style="${STYLE.p}">${anchor(link)}</p>`);
        continue;
      }
      lines.push(escape(line).replace(URL_ANYWHERE, (url) => anchor(labelOf(url.replace(/&amp;/g, '&')))));
    }
    flush();
  });
  return [
    '<!DOCTYPE html>',
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head>`,
    `<body style="${STYLE.body}">`,
    `<div style="${STYLE.column}">`,
    `<p style="${STYLE.header}">${escape(heading)}</p>`,
    ...blocks,
    '</div>',
    '</body></html>',
  ].join('\n');
}

/** "15 January 2027" for a date ("2027-01-15"), as the pages write it. */
function dateInWords(date: string): string {
  const parsed = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) ? date : new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'long' }).format(parsed);
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The two practitioners' recipient ids (workflows/case.ts practitioners()). */
const PRACTITIONER_IDS = new Set(['raiser.worker.0', 'other.worker.0']);

/** "the line manager (Primary School) and the team manager (Children's Social Care)". */
export function teamWords(team: NonNullable<Notification['team']>): string {
  const each = team.map((t) => `the ${roleLabel(t.role)}${t.agency ? ` (${t.agency})` : ''}`);
  return each.length > 1 ? `${each.slice(0, -1).join(', ')} and ${each.at(-1)}` : each[0];
}
