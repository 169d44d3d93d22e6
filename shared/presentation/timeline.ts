/**
 * The case's events as sentences for the case page and the child's file, one per event type.
 * People are named where the caller knows them (`person`); otherwise by role and side, so two
 * practitioners are never both "the practitioner".
 */
import { createHash } from 'node:crypto';
import { outcomeLabel, roleLabel, sideWords, statusLabel } from './labels';
import { formatDate } from './dates';
import type { ActingClient, EscalationReason, Party, StoredCaseEvent } from '../events';
import { describeDeadline } from '../calendar/workingTime';

export type EventRecord = StoredCaseEvent;

export interface TimelineEntry {
  at: string;
  title: string;
  lines: string[];
}

/**
 * Who acted, in words, from their recipient id (`other.lineManager.0`) and role: "Tara Team-Manager
 * (line manager, Bromley Children's Social Care)". Without one, role and side.
 */
export type PersonWords = (id: string | null | undefined, role: string) => string;

/** "the line manager for the other side": a person by role and side when no name is known. */
export const byRoleAndSide: PersonWords = (id, role) => {
  const side = sideWords(id);
  return `the ${roleLabel(role)}${side ? ` for ${side}` : ''}`;
};

const roles = (list: Pick<Party, 'role'>[] | undefined) => [...new Set((list ?? []).map((p) => roleLabel(p.role)))].join(', ');
const ENDED_BY: Record<string, string> = { raiser: 'the practitioner who raised it', partnershipAdmin: 'a partnership admin', operator: 'an operator' };
/** An API client by its name and public id (older events have none). */
const client = (c: ActingClient | undefined) => (c?.id ? `the agency system \u201c${c.name}\u201d (API client ${c.id})` : undefined);
const endedBy = (d: { by: string; endedBy?: ActingClient }) => `By ${client(d.endedBy) ?? ENDED_BY[d.by] ?? d.by}.`;

/** A note's text and author as case_notes keeps them (api/routes/notes.ts), for `noteAdded` events. */
export interface NoteText {
  authorName: string;
  authorAs: string;
  body: string;
  /** As case_notes keeps it; the timeline checks the text itself against the record's digest. */
  digest: string;
}

const NOTE_AUTHOR_AS: Record<string, string> = { raiser: 'the practitioner who raised it', participant: 'taking part', partnershipAdmin: 'partnership admin' };

export function describeEvent(e: StoredCaseEvent, stageName: (n: number) => string, person: PersonWords = byRoleAndSide, notes?: Map<string, NoteText>): TimelineEntry {
  const stage = e.stage ? `stage ${e.stage}: ${stageName(e.stage)}` : '';
  // The people asked to act, each named (or by role and side): two practitioners are two people.
  const named = (list: Party[] | undefined) => [...new Set((list ?? []).map((p) => person(p.id, p.role)))].join(', ');
  const entry = (title: string, ...lines: (string | number | false | undefined | null)[]) => ({ at: e.at, title, lines: lines.filter((l): l is string => typeof l === 'string' && l.length > 0) });
  switch (e.type) {
    case 'opened':
      return entry(
        'Disagreement raised',
        e.detail.openedBy && `Through ${client(e.detail.openedBy)}.`,
        e.detail.flags?.immediateHarm && 'The child was thought to be at risk of immediate harm.',
      );
    case 'immediateHarmAlerted':
      return entry('Immediate harm alert sent', `Told: ${roles(e.detail.alerted)}.`);
    case 'stageEntered':
      return entry(`Entered stage ${e.stage}: ${e.detail.name}`, `Taking part: ${named(e.detail.participants)}.`, reasonLine(e.detail.reason));
    case 'notified': {
      const d = e.detail;
      const refused = (d.delivered ?? []).filter((x) => x.delivery === 'refused');
      return entry(
        NOTICE_TITLES[d.kind]?.(stage) ?? `Emails sent for ${stage}`,
        d.participants?.length && `Asked to record the outcome: ${named(d.participants)}.`,
        d.told?.length && `Told for information: ${roles(d.told)}.`,
        refused.length > 0 && `Could not be delivered to: ${roles(refused)}.`,
      );
    }
    case 'deadlineMoved':
      return entry(`Deadline of ${stage} moved`, 'The emails inviting people to it were delivered late, so its time started when they were.');
    case 'deliveryFailed':
      return entry(
        `An email could not be delivered at ${stage}`,
        `The mail server refused the address of the ${roleLabel(e.detail.recipient.role)} for good (code ${e.detail.code}); the case went on without them.`,
        e.detail.told.length > 0 ? `Told: ${roles(e.detail.told)}.` : 'Nobody could be told: the partnership has no mailbox in its directory.',
      );
    case 'reminderSent':
      return entry(
        e.detail.kind === 'overdue'
          ? `Deadline passed: ${e.detail.mode === 'prompt' ? 'prompt sent before escalating' : 'final reminder sent'}`
          : `Reminder sent before the deadline of ${stage}`,
      );
    case 'deadlinePassed':
      return entry(`Deadline passed for ${stage}`, 'No outcome had been recorded.');
    case 'outcomeRecorded': {
      const d = e.detail;
      return entry(
        `Outcome recorded at ${stage}: ${outcomeLabel(d.outcome ?? '')}`,
        `By ${person(e.actor, d.role ?? 'unknown')}.`,
        'reasons' in d && d.reasons && `Reasons: ${d.reasons}`,
        'agreedOutcome' in d && d.agreedOutcome && `Agreed outcome: ${d.agreedOutcome}`,
        'agreedPlan' in d && d.agreedPlan && `Agreed plan: ${d.agreedPlan}`,
        'reviewDate' in d && d.reviewDate && `Review date: ${formatDate(d.reviewDate)}`,
        'outstandingIssues' in d && d.outstandingIssues && `Outstanding issues: ${d.outstandingIssues}`,
      );
    }
    case 'outcomeProposed': {
      const d = e.detail;
      return entry(
        `Resolution proposed at ${stage}`,
        `By ${person(e.actor, d.role ?? 'unknown')}; the other side is asked to confirm or dispute it.`,
        d.agreedOutcome && `Agreed outcome: ${d.agreedOutcome}`,
        d.agreedPlan && `Agreed plan: ${d.agreedPlan}`,
        d.reviewDate && `Review date: ${formatDate(d.reviewDate)}`,
        d.outstandingIssues && `Outstanding issues: ${d.outstandingIssues}`,
      );
    }
    case 'outcomeConfirmed':
      return entry(
        `Proposed resolution confirmed at ${stage}`,
        `By ${person(e.actor, e.detail.role ?? 'unknown')}, for the other side to the ${roleLabel(e.detail.proposedByRole ?? 'unknown')} who proposed it.`,
        (e.detail.awaiting ?? []).length > 0 && 'The remaining side is still asked to confirm it.',
      );
    case 'outcomeDisputed':
      return entry(
        `Proposed resolution disputed at ${stage}: not resolved`,
        `By ${person(e.actor, e.detail.role ?? 'unknown')}; the ${roleLabel(e.detail.proposedByRole ?? 'unknown')} had proposed it.`,
        e.detail.reasons && `Reasons: ${e.detail.reasons}`,
      );
    case 'outcomeProposalLapsed':
      return entry(
        `Proposed resolution not confirmed at ${stage}`,
        e.detail.because === 'deadline'
          ? `The ${roleLabel(e.detail.role ?? 'unknown')} proposed a resolution, but the other side had not confirmed it when the stage ran out of time.`
          : `The ${roleLabel(e.detail.role ?? 'unknown')} proposed a resolution, but the stage was recorded as not resolved before the other side confirmed it.`,
      );
    case 'escalated':
      return entry(`Escalated from stage ${e.stage} to stage ${e.detail.toStage}`, reasonLine(e.detail.reason));
    case 'panelConvened':
      return entry('Resolution panel convened', `Members from: ${(e.detail.members ?? []).map((m) => m.agencyId).join(', ')}.`);
    case 'outcomeNotified':
      return entry(`Outcome shared at ${stage}`, `Told: ${roles(e.detail.told)}.`);
    case 'proformaSent':
      return entry(`Anonymised proforma sent at ${stage}`, `To: ${roles(e.detail.recipients)}.`);
    case 'resolved':
      return entry(`Resolved at ${stage}`);
    case 'confirmationSent':
      return entry('Written confirmation sent', `To: ${roles(e.detail.recipients)}.`);
    case 'dutyAssigned':
      return entry(`Action after ${stage}: ${e.detail.name}`, `Owner: ${roles(e.detail.owners)}.`);
    case 'dutyDue':
      return entry(`Action due: ${e.detail.duty}`);
    case 'reviewScheduled':
      return entry(`Review date set (${formatDate(e.detail.reviewDate)})`, `A reminder will go to: ${roles(e.detail.named)}.`);
    case 'reviewDateReached':
      return entry(`Review date reached (${formatDate(e.detail.reviewDate)})`, `Reminded: ${roles(e.detail.told)}.`);
    case 'linkOpened':
      return entry(`Link opened for ${stage}`, `By ${person(e.actor, (e.actor ?? 'unknown.unknown').split('.')[1] ?? 'unknown')}, who it was sent to.`);
    case 'withdrawn':
      return entry('Case withdrawn', endedBy(e.detail), `Reason: ${e.detail.reason}`);
    case 'closedByAdmin':
      return entry('Case closed', endedBy(e.detail), `Reason: ${e.detail.reason}`);
    case 'closedUnresolved':
      return entry('Closed unresolved', `The final stage's time ran out, reminder included, with no decision recorded.`);
    case 'referred':
      return entry('Referred on', `The final stage's time ran out; the policy refers the case to: ${roles(e.detail.to)}.`);
    case 'handedOver': {
      const d = e.detail;
      return entry(
        `${capitalised(stage)} passed on: "I'm not the right person"`,
        `The ${roleLabel(d.from.role)} passed it to ${d.kind === 'fallback' ? 'the role the policy names next' : 'a colleague'}: the ${roles(d.to)}.`,
        `Reason: ${d.reason}`,
        'The deadline did not change.',
      );
    }
    case 'noteAdded': {
      const note = notes?.get(e.detail.noteId);
      // The record holds the text's digest: a note whose text no longer matches is not shown as if it did.
      const intact = note && createHash('sha256').update(note.body, 'utf8').digest('hex') === e.detail.digest;
      return entry(
        note ? `Note by ${note.authorName} (${NOTE_AUTHOR_AS[note.authorAs] ?? roleLabel(e.detail.by.role)})` : `Note by the ${roleLabel(e.detail.by.role)}`,
        intact ? note.body : note ? 'The text of this note does not match what was recorded, so it is not shown.' : undefined,
        e.detail.told.length > 0 && `Emailed that a note was added: ${roles(e.detail.told)}.`,
      );
    }
    case 'closed':
      return entry('Case closed', e.detail.status && e.detail.status !== 'resolved' ? `Status: ${statusLabel(e.detail.status)}.` : undefined);
    case 'clockPaused':
      return entry(`Clock paused at ${stage}`, clockBy(e.detail), `Reason: ${e.detail.reason}`, 'No reminders and no escalation while it is paused.');
    case 'clockResumed':
      return entry(`Clock resumed at ${stage}`, clockBy(e.detail), `The deadline moved on by the time it was paused, from ${shortTime(e.detail.from)} to ${shortTime(e.detail.to)}.`, e.detail.reason && `Reason: ${e.detail.reason}`);
    case 'deadlineChanged':
      return entry(
        `Deadline ${e.detail.change === 'extended' ? 'extended' : 'brought forward'} at ${stage}`,
        clockBy(e.detail),
        `From ${shortTime(e.detail.from)} to ${shortTime(e.detail.to)}.`,
        `Reason: ${e.detail.reason}`,
      );
    default:
      return entry((e as { type: string }).type);
  }
}

/** Who changed a stage's clock: the participant by role, or a partnership admin. */
const clockBy = (d: { by: string; role: string }) => (d.by === 'partnershipAdmin' ? 'By a partnership admin.' : `By the ${roleLabel(d.role ?? 'unknown')}.`);
/** A deadline in words, in England's time (the packs' zone): "5pm on Monday 23 March 2026". */
const shortTime = (iso: string) => describeDeadline(new Date(iso), 'Europe/London').replace(/^by /, '');

function reasonLine(reason: Partial<EscalationReason> | undefined): string | undefined {
  if (!reason) return undefined;
  if (reason.kind === 'deadline') return `Because stage ${reason.fromStage} ran out of time.`;
  if (reason.kind === 'notResolved' && reason.disputed) return `Because the ${roleLabel(reason.byRole ?? 'unknown')} disputed the resolution proposed at stage ${reason.fromStage}, so it was not resolved.`;
  if (reason.kind === 'notResolved') return `Because the ${roleLabel(reason.byRole ?? 'unknown')} recorded that stage ${reason.fromStage} was not resolved.`;
  if (reason.kind === 'panelConvened') return `Because the ${roleLabel(reason.byRole ?? 'unknown')} convened a resolution panel.`;
  if (reason.kind === 'immediateHarm') return 'Started here because of immediate harm.';
  return undefined;
}

/** Titles for the emails the record notes as `notified`, by kind; others are "Emails sent for ...". */
const NOTICE_TITLES: Partial<Record<string, (stage: string) => string>> = {
  beforeEntry: (stage) => `Told before ${stage}`,
  overdueReminder: (stage) => `Reminded at ${stage}`,
  caseMoved: (stage) => `Everyone involved told the case moved on to ${stage}`,
  caseEnded: () => 'Everyone involved told the case has ended',
};
const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
