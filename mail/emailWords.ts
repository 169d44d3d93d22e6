/**
 * The sentences every email carries besides its own news (issue 11): why this person is getting
 * it, and who disagrees with whom (the two practitioners, by name, role and agency: professionals,
 * never the child or the family). Pure: the activity reads the two sides from the case's row and
 * passes them in; the workflow's Notification carries neither.
 */
import type { Notification } from '../shared/events';

/** One of the two practitioners, as an email names them. */
export interface EmailSide {
  name: string;
  /** Their role in words: "practitioner", "social worker". */
  role: string;
  /** Their agency's name. */
  agency: string;
}

export interface EmailSides {
  raiser: EmailSide;
  other: EmailSide;
}

type RoleWords = (role: string) => string;

/** `raiser`, `other`, `partnership`, `panel`...: whose side a recipient id says they act for. */
const sideOf = (id: string) => id.split('.')[0];

export function isPractitioner(n: Pick<Notification, 'recipient'>): boolean {
  return n.recipient.id === 'raiser.worker.0' || n.recipient.id === 'other.worker.0';
}

const named = (s: EmailSide) => `${s.name} (${s.role}, ${s.agency})`;

/**
 * Who disagrees, from where this recipient stands: "You raised this disagreement with Bob
 * Social-Worker (social worker, Bromley Children's Social Care), the other side." Undefined for
 * the proforma (it must not be tied back to a case) and when the sides are not known.
 */
export function otherSideSentence(n: Pick<Notification, 'kind' | 'recipient'>, sides: EmailSides | undefined): string | undefined {
  if (!sides || n.kind === 'proforma') return undefined;
  const { raiser, other } = sides;
  const id = n.recipient.id;
  if (id === 'raiser.worker.0') return `You raised this disagreement with ${named(other)}, the other side.`;
  if (id === 'other.worker.0') return `${named(raiser)} raised this disagreement with you: they are the other side.`;
  if (sideOf(id) === 'raiser') return `You act for the side that raised it, ${named(raiser)}. The other side is ${named(other)}.`;
  if (sideOf(id) === 'other') return `You act for the side of ${named(other)}. The other side, who raised it, is ${named(raiser)}.`;
  return `The disagreement is between ${named(raiser)}, who raised it, and ${named(other)}.`;
}

/** One sentence: why this person is getting this email. Kinds added later get a general sentence. */
export function whySentence(n: Pick<Notification, 'kind' | 'recipient' | 'stage'>, roleLabel: RoleWords): string {
  const role = roleLabel(n.recipient.role);
  const stage = `stage ${n.stage.number}`;
  const practitioner = isPractitioner(n);
  switch (n.kind) {
    case 'stageInvitation':
      return practitioner
        ? `You are getting this because you are one of the two practitioners in the disagreement, and the policy asks you to take part in ${stage}.`
        : `You are getting this because the policy asks the ${role} to take part in ${stage}, and the directory names you.`;
    case 'deadlineReminder':
    case 'overdueReminder':
      return `You are getting this because you were asked to take part in ${stage} and nobody has recorded its outcome yet.`;
    case 'stageNotice':
      return `You are getting this because the policy asks that the ${role} is told when a case reaches ${stage}.`;
    case 'escalationNotice':
      return `You are getting this because the policy asks that the ${role} is told before a case reaches ${stage}.`;
    case 'immediateHarmAlert':
      return `You are getting this because the policy asks that the ${role} is told at once when a practitioner reports a risk of immediate harm.`;
    case 'outcomeNotice':
      return `You are getting this because the policy asks that the ${role} is told the outcome of ${stage}.`;
    case 'proforma':
      return `You are getting this because the partnership receives an anonymised proforma of each disagreement for its learning.`;
    case 'resolutionConfirmation':
      return practitioner
        ? `You are getting this as one of the two practitioners in the disagreement: everyone involved gets written confirmation of its outcome.`
        : `You are getting this because you took part in or were told of this case, and everyone involved gets written confirmation of its outcome.`;
    case 'reviewDue':
      return `You are getting this because you were involved when the agreed plan was made, and its review date is today.`;
    case 'dutyAssigned':
    case 'dutyDue':
      return `You are getting this because the policy gives this task to the ${role}.`;
    case 'deliveryFailedNotice':
      return `You are getting this because the partnership keeps the directory of who holds each role.`;
    case 'caseEnded':
      return practitioner
        ? 'You are getting this as one of the two practitioners in the disagreement.'
        : 'You are getting this because you took part in or were told of this case.';
    case 'clockChanged':
      return practitioner
        ? 'You are getting this as one of the two practitioners in the disagreement.'
        : `You are getting this because you were asked to take part in ${stage}.`;
    case 'confirmationRequest':
      return `You are getting this because you take part in ${stage} for the other side, and both sides decide it.`;
    case 'caseMoved':
      return practitioner
        ? 'You are getting this as one of the two practitioners in the disagreement.'
        : 'You are getting this because you were told of this case earlier.';
    default:
      return practitioner
        ? 'You are getting this as one of the two practitioners in the disagreement.'
        : `You are getting this because you are taking part in this case, as ${role}, or were told of it.`;
  }
}
