/** The case's events as sentences for the case page and the child's file. */
import { outcomeLabel, roleLabel } from '../mail/render';

interface Party {
  role: string;
  agencyId?: string;
}

interface Reason {
  kind: string;
  fromStage?: number;
  byRole?: string;
}

/** The fields events carry in their detail (each type uses some of them). */
interface Detail {
  name?: string;
  kind?: string;
  mode?: string;
  role?: string;
  duty?: string;
  toStage?: number;
  reviewDate?: string;
  outcome?: string;
  reasons?: string;
  agreedOutcome?: string;
  agreedPlan?: string;
  outstandingIssues?: string;
  reason?: Reason;
  flags?: { immediateHarm?: boolean };
  participants?: Party[];
  told?: Party[];
  alerted?: Party[];
  recipients?: Party[];
  owners?: Party[];
  members?: Party[];
}

export interface EventRecord {
  seq: number;
  type: string;
  at: string;
  stage: number | null;
  actor: string | null;
  detail: Detail;
}

export interface TimelineEntry {
  at: string;
  title: string;
  lines: string[];
}

const roles = (list: { role: string }[] | undefined) => [...new Set((list ?? []).map((p) => roleLabel(p.role)))].join(', ');

export function describeEvent(e: EventRecord, stageName: (n: number) => string): TimelineEntry {
  const d: Detail = e.detail ?? {};
  const stage = e.stage ? `stage ${e.stage}: ${stageName(e.stage)}` : '';
  const entry = (title: string, ...lines: (string | number | false | undefined)[]) => ({ at: e.at, title, lines: lines.filter((l): l is string => typeof l === 'string' && l.length > 0) });
  switch (e.type) {
    case 'opened':
      return entry('Disagreement raised', d.flags?.immediateHarm && 'The child was thought to be at risk of immediate harm.');
    case 'immediateHarmAlerted':
      return entry('Immediate harm alert sent', `Told: ${roles(d.alerted)}.`);
    case 'stageEntered':
      return entry(`Entered stage ${e.stage}: ${d.name}`, `Taking part: ${roles(d.participants)}.`, reasonLine(d.reason));
    case 'notified':
      return entry(
        d.kind === 'beforeEntry' ? `Told before stage ${e.stage}` : d.kind === 'overdueReminder' ? `Reminded at ${stage}` : `Emails sent for ${stage}`,
        d.participants?.length && `Asked to record the outcome: ${roles(d.participants)}.`,
        d.told?.length && `Told for information: ${roles(d.told)}.`,
      );
    case 'reminderSent':
      return entry(d.kind === 'overdue' ? `Deadline passed: ${d.mode === 'prompt' ? 'prompt sent before escalating' : 'reminder sent'}` : `Reminder sent before the deadline of ${stage}`);
    case 'deadlinePassed':
      return entry(`Deadline passed for ${stage}`, 'No outcome had been recorded.');
    case 'outcomeRecorded':
      return entry(
        `Outcome recorded at ${stage}: ${outcomeLabel(d.outcome ?? '')}`,
        `By the ${roleLabel(d.role ?? 'unknown')}.`,
        d.reasons && `Reasons: ${d.reasons}`,
        d.agreedOutcome && `Agreed outcome: ${d.agreedOutcome}`,
        d.agreedPlan && `Agreed plan: ${d.agreedPlan}`,
        d.reviewDate && `Review date: ${d.reviewDate}`,
        d.outstandingIssues && `Outstanding issues: ${d.outstandingIssues}`,
      );
    case 'escalated':
      return entry(`Escalated from stage ${e.stage} to stage ${d.toStage}`, reasonLine(d.reason));
    case 'panelConvened':
      return entry('Resolution panel convened', `Members from: ${(d.members ?? []).map((m) => m.agencyId).join(', ')}.`);
    case 'outcomeNotified':
      return entry(`Outcome shared at ${stage}`, `Told: ${roles(d.told)}.`);
    case 'proformaSent':
      return entry(`Anonymised proforma sent at ${stage}`, `To: ${roles(d.recipients)}.`);
    case 'resolved':
      return entry(`Resolved at ${stage}`);
    case 'confirmationSent':
      return entry('Written confirmation sent', `To: ${roles(d.recipients)}.`);
    case 'dutyAssigned':
      return entry(`Action after ${stage}: ${d.name}`, `Owner: ${roles(d.owners)}.`);
    case 'dutyDue':
      return entry(`Action due: ${d.duty}`);
    case 'reviewDateReached':
      return entry(`Review date reached (${d.reviewDate})`, `Reminded: ${roles(d.told)}.`);
    case 'linkOpened':
      return entry(`Link opened for ${stage}`, `By the ${roleLabel((e.actor ?? 'unknown.unknown').split('.')[1] ?? 'unknown')} it was sent to.`);
    case 'closed':
      return entry('Case closed');
    default:
      return entry(e.type);
  }
}

function reasonLine(reason: Reason | undefined): string | undefined {
  if (!reason) return undefined;
  if (reason.kind === 'deadline') return `Because stage ${reason.fromStage} ran out of time.`;
  if (reason.kind === 'notResolved') return `Because the ${roleLabel(reason.byRole ?? 'unknown')} recorded that stage ${reason.fromStage} was not resolved.`;
  if (reason.kind === 'panelConvened') return `Because the ${roleLabel(reason.byRole ?? 'unknown')} convened a resolution panel.`;
  if (reason.kind === 'immediateHarm') return 'Started here because of immediate harm.';
  return undefined;
}
