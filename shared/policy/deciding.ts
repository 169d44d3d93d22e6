/**
 * Who may decide a stage (issue 11, "agreement means agreement"), worked out from the pack alone.
 * Pure, with no zod, so the schema, the workflow and the API share it.
 *
 * - `anyone`: any participant records the outcome, as before.
 * - `bothSides`: "resolved" from one side is a proposal; someone taking part on the other side
 *   confirms it (then it is resolved) or disputes it (then it is not resolved, with their reasons).
 * - `{ role }`: only participants holding that role (or the role a pack's fallback gave them in its
 *   place) record the outcome, for example the chair.
 *
 * Absent from a stage: `bothSides` where its participants come from both parties' agencies (the two
 * sides meet), otherwise `anyone`.
 */

/** A role reference as the pack gives it (structurally, so this module needs no schema). */
export interface ParticipantRef {
  role: string;
  of: 'raiser' | 'other' | 'both' | 'partnership';
  fallback?: string[];
}

export type DecidedBy = 'anyone' | 'bothSides' | { role: string };

export interface DecidingStage {
  participants: ParticipantRef[];
  decidedBy?: DecidedBy;
}

/** The two parties to a disagreement; participants named by the partnership belong to neither. */
export type Side = 'raiser' | 'other';
export const SIDES: readonly Side[] = ['raiser', 'other'];

/** Do the stage's participants come from both parties' agencies? */
export function sidesMeet(participants: ParticipantRef[]): boolean {
  const of = new Set(participants.map((p) => p.of));
  return of.has('both') || (of.has('raiser') && of.has('other'));
}

/** The stage's rule, with the default applied. */
export function decidedByOf(stage: DecidingStage): DecidedBy {
  return stage.decidedBy ?? (sidesMeet(stage.participants) ? 'bothSides' : 'anyone');
}

/** The roles that count as a named role: the role itself, and those a participant ref falls back to in its place. */
export function deciderRoles(stage: DecidingStage, role: string): string[] {
  const refs = stage.participants.filter((p) => p.role === role);
  return [...new Set([role, ...refs.flatMap((p) => p.fallback ?? [])])];
}

/** What is wrong with a stage's `decidedBy`, for the schema (path below `decidedBy`). */
export function decidedByProblems(stage: DecidingStage): { path: string[]; message: string }[] {
  const rule = stage.decidedBy;
  if (rule === 'bothSides' && !sidesMeet(stage.participants)) {
    return [{ path: [], message: 'decidedBy is bothSides, but the participants do not come from both sides (use of: both, or raiser and other)' }];
  }
  if (typeof rule === 'object' && !stage.participants.some((p) => p.role === rule.role || (p.fallback ?? []).includes(rule.role))) {
    const roles = [...new Set(stage.participants.map((p) => p.role))].join(', ');
    return [{ path: ['role'], message: `decidedBy names the role "${rule.role}", which is not one of the stage's participants' roles (${roles})` }];
  }
  return [];
}

/** The side a recipient id is on (`raiser.lineManager.0`), or undefined for the partnership's people and panels. */
export function sideOf(recipientId: string): Side | undefined {
  const first = recipientId.split('.')[0];
  return first === 'raiser' || first === 'other' ? first : undefined;
}

/**
 * The rule as it applies to the people a stage actually has. Both sides must be there for their
 * agreement to be sought: when the directory gives only one side's people, any of them decides.
 * A named role nobody taking part holds leaves the stage to anyone taking part, so it can end.
 */
export type Deciding = { rule: 'anyone' } | { rule: 'bothSides'; sides: Side[] } | { rule: 'role'; roles: string[] };

export function decidingAt(stage: DecidingStage, people: { id: string; role: string }[]): Deciding {
  const rule = decidedByOf(stage);
  if (rule === 'anyone') return { rule: 'anyone' };
  if (rule === 'bothSides') {
    const sides = SIDES.filter((side) => people.some((p) => sideOf(p.id) === side));
    return sides.length === 2 ? { rule: 'bothSides', sides } : { rule: 'anyone' };
  }
  const roles = deciderRoles(stage, rule.role);
  return people.some((p) => roles.includes(p.role)) ? { rule: 'role', roles } : { rule: 'anyone' };
}
