/**
 * Labels people read, in one place for pages, emails and PDFs: roles, outcomes, statuses, flags,
 * lessons. Packs and the record hold ids (camelCase roles, `notResolved`); nothing shows an id.
 */
import type { CaseStatus } from '../contract';

export const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Role ids from packs are camelCase; people read them as words ("line manager"). */
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

/** An outcome inside a sentence: "not resolved". */
export function outcomeLabel(outcome: string): string {
  return { resolved: 'resolved', notResolved: 'not resolved', panelConvened: 'resolution panel convened' }[outcome] ?? outcome;
}

/**
 * Each status: its words inside a sentence, the GOV.UK tag colour it is shown in, and what "who
 * holds it" says once nobody does. The tag's text is the words with a capital.
 */
export const STATUSES: Record<CaseStatus, { words: string; label: string; tag: string; nobody: string }> = {
  open: { words: 'open', label: 'Open', tag: 'govuk-tag--blue', nobody: 'See the timeline' },
  resolved: { words: 'resolved', label: 'Resolved', tag: 'govuk-tag--green', nobody: 'Nobody: the case is resolved' },
  withdrawn: { words: 'withdrawn', label: 'Withdrawn', tag: 'govuk-tag--grey', nobody: 'Nobody: the case was withdrawn' },
  closed: { words: 'closed', label: 'Closed', tag: 'govuk-tag--grey', nobody: 'Nobody: the case was closed' },
  unresolved: { words: 'closed unresolved', label: 'Closed unresolved', tag: 'govuk-tag--red', nobody: 'Nobody: the case was closed unresolved' },
  referred: { words: 'referred on', label: 'Referred on', tag: 'govuk-tag--purple', nobody: 'Nobody here: the case was referred on' },
};

/** A status inside a sentence: "closed unresolved". */
export const statusLabel = (status: string): string => STATUSES[status as CaseStatus]?.words ?? status;

/** A status on its own (a tag, a table cell): "Closed unresolved". */
export const statusTitle = (status: string): string => STATUSES[status as CaseStatus]?.label ?? capitalise(status);

/** The case's flags, as a page, a PDF and a spreadsheet name them. */
export const FLAG_LABELS = {
  childProtectionPlan: 'Child protection plan',
  lookedAfter: 'Looked after child',
  immediateHarm: 'Thought to be at risk of immediate harm',
} as const;

export type FlagName = keyof typeof FLAG_LABELS;
export const FLAG_NAMES = Object.keys(FLAG_LABELS) as FlagName[];

/** The flags that are set, in words. */
export const flagLabels = (flags: Partial<Record<FlagName, boolean>>): string[] => FLAG_NAMES.filter((f) => flags[f]).map((f) => FLAG_LABELS[f]);

/** Lessons learned (Hull), as the record, its PDF and the proforma name them. */
export const LESSON_LABELS = {
  trainingNeed: 'Training need',
  commissioningNeed: 'Commissioning need',
  agencyGuidance: 'New agency guidance',
  partnershipGuidance: 'New partnership guidance',
} as const;

/** "Yes" or "No", as a spreadsheet user expects a flag. */
export const yesNo = (value: boolean | undefined) => (value ? 'Yes' : 'No');

/** Whose side a recipient id (`raiser.lineManager.0`) is on, in words. */
export function sideWords(id: string | null | undefined): string | undefined {
  const side = (id ?? '').split('.')[0];
  return side === 'raiser' ? 'the side that raised it' : side === 'other' ? 'the other side' : undefined;
}
