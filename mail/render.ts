/**
 * Turns a notification into an email: a subject with the case reference and stage, the deadline
 * in words, and the link. Nothing about the child and no description text, by construction: a
 * Notification carries neither.
 */
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import type { Notification } from '../shared/events';
import { describeDeadline } from '../shared/calendar/workingTime';

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(__dirname, 'templates')), { autoescape: true });
const plain = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(__dirname, 'templates')), { autoescape: false });

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderContext {
  link?: string;
  caseUrl: string;
  now: Date;
}

const SUBJECT_ACTION: Record<Notification['kind'], string> = {
  stageInvitation: 'action needed',
  deadlineReminder: 'deadline passed, action needed',
  stageNotice: 'for your information',
  immediateHarmAlert: 'immediate harm reported',
  resolutionConfirmation: 'resolved',
};

export function renderNotification(n: Notification, ctx: RenderContext): RenderedEmail {
  const deadline = describeDeadline(new Date(n.stage.deadline), n.timeZone, ctx.now);
  const linkExpiry = n.linkExpiresAt ? describeDeadline(new Date(n.linkExpiresAt), n.timeZone, ctx.now).replace(/^by /, '') : undefined;
  const reason = n.reason?.kind === 'deadline'
    ? { ...n.reason, deadlineInWords: describeDeadline(new Date(n.reason.deadline), n.timeZone, ctx.now).replace(/^by /, '') }
    : n.reason;
  const reviewDate = n.resolution?.outcome === 'resolved' && n.resolution.reviewDate ? n.resolution.reviewDate : undefined;
  const view = { n, deadline, linkExpiry, reason, reviewDate, link: ctx.link, caseUrl: ctx.caseUrl, roleLabel };
  const stageLabel = `stage ${n.stage.number}: ${n.stage.name}`;
  const subject =
    n.kind === 'resolutionConfirmation'
      ? `${n.reference}: resolved at ${stageLabel}`
      : `${n.reference}: ${stageLabel} - ${SUBJECT_ACTION[n.kind]}${n.kind === 'stageInvitation' || n.kind === 'deadlineReminder' ? ` ${deadline}` : ''}`;
  return {
    subject,
    text: plain.render('notification.txt.njk', view).replace(/\n{3,}/g, '\n\n').trim() + '\n',
    html: env.render('notification.html.njk', view),
  };
}

/** Role ids from packs are camelCase; people read them as words. */
export function roleLabel(role: string): string {
  const known: Record<string, string> = {
    worker: 'practitioner',
    iro: 'independent reviewing officer',
    cpChair: 'child protection chair',
    mash: 'MASH',
    designatedSafeguardingLead: 'designated safeguarding lead',
  };
  return known[role] ?? role.replace(/([A-Z])/g, ' $1').toLowerCase();
}
