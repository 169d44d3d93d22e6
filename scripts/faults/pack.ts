/**
 * The fault pack: a partnership whose first stage lasts seconds (so faults land inside it and its
 * deadline escalates on a real clock) and whose second stage lasts long enough never to run out
 * during a scenario, so every case reaches a known end: escalated by deadline from stage 1,
 * resolved at stage 2 through a manager's link (that stage is decided by anyone taking part). The partnership mailbox hears of nothing on that
 * path, so anything it receives about a case is a delivery-failure notice.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PACK_ID = 'faults';
export const REFERENCE_PREFIX = 'FLT';
export const CATEGORY = 'need-for-action';

export const RAISER_AGENCY = 'school';
export const OTHER_AGENCY = 'police';
export const RAISER_MANAGER = 'deputy@faults.example.org';
export const OTHER_MANAGER = 'inspector@faults.example.org';
export const MAILBOX = 'unit@faults.example.org';
export const CHAIR = 'chair@faults.example.org';

export function faultPackYaml(stage1: string): string {
  return `# Written by the fault harness (scripts/faults/pack.ts).
id: ${PACK_ID}
name: Fault Test Partnership
referencePrefix: ${REFERENCE_PREFIX}
policy: { title: Fault test escalation policy, version: "0.1", ratified: 2026-01-01 }
calendar:
  timeZone: Europe/London
  holidays: none
  workingDay: { start: "09:00", end: "17:00" }
linkGrace: { period: PT30M }
categories:
  - { id: ${CATEGORY}, label: The need for action }
stages:
  - id: discuss
    name: Discuss with the other worker
    timescale: { period: ${stage1} }
    participants: [{ role: worker, of: both }]
  - id: line-managers
    name: Line managers
    timescale: { period: PT30M }
    participants: [{ role: lineManager, of: both }]
    # The harness tests faults, not agreement: one manager's link ends each case (issue 11's
    # both-sides confirmation is tested in tests/integration/agreement.test.ts).
    decidedBy: anyone
  - id: chair
    name: Partnership chair
    timescale: { period: PT30M }
    participants: [{ role: partnershipChair, of: partnership }]
    notify: [{ role: partnershipMailbox, of: partnership }]
directory:
  partnership:
    roles:
      partnershipChair: [{ name: Quinn Chair, email: ${CHAIR} }]
      partnershipMailbox: [{ name: Business unit, email: ${MAILBOX} }]
  agencies:
    - id: ${RAISER_AGENCY}
      name: Fault School
      type: school
      roles:
        lineManager: [{ name: Dee Deputy, email: ${RAISER_MANAGER} }]
    - id: ${OTHER_AGENCY}
      name: Fault Police
      type: police
      roles:
        lineManager: [{ name: Ian Inspector, email: ${OTHER_MANAGER} }]
`;
}

/** Writes the pack into a folder of its own, for the API's POLICY_DIR. */
export function writeFaultPack(dir: string, stage1: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${PACK_ID}.yaml`), faultPackYaml(stage1));
  return dir;
}

export interface Practitioners {
  raiser: string;
  other: string;
}

/** Each scenario's cases have practitioners of their own, so its emails are told apart. */
export function practitionersFor(tag: string): Practitioners {
  return { raiser: `sue.${tag}@faults.example.org`, other: `pete.${tag}@faults.example.org` };
}

export function newCaseBody(tag: string, childReference: string) {
  const people = practitionersFor(tag);
  return {
    partnership: PACK_ID,
    raiser: { name: 'Sue School', email: people.raiser, agency: RAISER_AGENCY },
    other: { name: 'Pete Police', email: people.other, agency: OTHER_AGENCY },
    childReference,
    category: CATEGORY,
    description: 'Fault test: school believes the threshold for action is met.',
    flags: { childProtectionPlan: false, lookedAfter: false, immediateHarm: false },
  };
}

export type ExpectedKind = 'invitation' | 'moved' | 'confirmation' | 'deliveryNotice';

export interface ExpectedMail {
  reference: string;
  to: string;
  kind: ExpectedKind;
  stage?: number;
  /** Any number of these is fine, at least one is expected (a notice per refused email, say). */
  atLeastOne?: boolean;
}

/**
 * The emails a case on the standard path sends, worked out from the pack: stage 1 invites both
 * practitioners; its deadline passes, so both are told the case moved on to stage 2, which
 * invites both line managers; "resolved" at stage 2 is confirmed to all four. A refused address
 * gets nothing; the mailbox is then told at least once.
 */
export function expectedMails(reference: string, people: Practitioners, refused: string[] = []): ExpectedMail[] {
  const all: ExpectedMail[] = [
    { reference, to: people.raiser, kind: 'invitation', stage: 1 },
    { reference, to: people.other, kind: 'invitation', stage: 1 },
    { reference, to: people.raiser, kind: 'moved', stage: 2 },
    { reference, to: people.other, kind: 'moved', stage: 2 },
    { reference, to: RAISER_MANAGER, kind: 'invitation', stage: 2 },
    { reference, to: OTHER_MANAGER, kind: 'invitation', stage: 2 },
    ...[people.raiser, people.other, RAISER_MANAGER, OTHER_MANAGER].map((to) => ({ reference, to, kind: 'confirmation' as const, stage: 2 })),
  ];
  const kept = all.filter((m) => !refused.includes(m.to));
  if (refused.length > 0) kept.push({ reference, to: MAILBOX, kind: 'deliveryNotice', atLeastOne: true });
  return kept;
}

/** What an email about a case is, from its subject (mail/render.ts) and, failing that, its text. */
export function classify(mail: { subject: string; to: string[]; text: string }): { reference?: string; kind: ExpectedKind | 'other'; stage?: number } {
  const { subject } = mail;
  const to = mail.to[0];
  const pattern = new RegExp(`\\b(${REFERENCE_PREFIX}-\\d{4}-[0-9A-Z]{6})\\b`);
  // A notice about a refused address may name the case only in its text.
  const reference = pattern.exec(subject)?.[1] ?? pattern.exec(mail.text)?.[1];
  // On the standard path the mailbox hears of nothing else.
  if (to === MAILBOX) return { reference, kind: 'deliveryNotice' };
  const resolved = /: resolved at stage (\d+)/.exec(subject);
  if (resolved) return { reference, kind: 'confirmation', stage: Number(resolved[1]) };
  // "- action needed by ..." is the invitation; reminders say "- reminder, action needed".
  const invitation = /: stage (\d+): .* - action needed\b/.exec(subject);
  if (invitation) return { reference, kind: 'invitation', stage: Number(invitation[1]) };
  // Everyone told so far hears the case moved on (mail/render.ts, caseMoved).
  const moved = /: stage (\d+): .* - escalated, for your information$/.exec(subject);
  if (moved) return { reference, kind: 'moved', stage: Number(moved[1]) };
  return { reference, kind: 'other' };
}
