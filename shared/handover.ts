/**
 * "I'm not the right person" (issue 11): who a person asked to decide a stage may hand it to.
 * Pure, from the case's own directory snapshot, so the workflow's refusal rules (workflows/rules.ts)
 * and the API's form (api/routes/handOver.ts) see the same choices.
 *
 * - A colleague: anyone in the directory of the same agency (for the partnership's own people, the
 *   partnership's roles), in any role, who is not already asked at this stage.
 * - The fallback role: the role the stage's policy falls back to after this person's own role
 *   (RoleRef `fallback`, Hull's "if no line manager is available, the next tier"): everyone who
 *   holds the first such role that someone not already asked holds.
 */
import type { PolicyPack, RoleRef } from './policy/schema';

export interface HandOverPerson {
  /** Recipient id: `raiser.lineManager.0`, `partnership.cpChair.0`, `panel.police.0`, ... */
  id: string;
  name: string;
  email: string;
  role: string;
  agencyId?: string;
}

export interface HandOverOptions {
  /** Where the colleagues come from: an agency's id, or `partnership`. Undefined when nowhere. */
  from?: string;
  /** Colleagues from the same directory, not already asked at this stage, in directory order. */
  colleagues: HandOverPerson[];
  /** The fallback role after this person's own, and its holders not already asked; undefined when the policy names none that anyone holds. */
  fallback?: { role: string; people: HandOverPerson[] };
}

export interface HandOverSituation {
  directory: PolicyPack['directory'];
  counterparts?: PolicyPack['counterparts'];
  /** The policy stage's participants (absent for a resolution panel, which has no fallback). */
  stageRefs?: RoleRef[];
  /** The practitioners' own roles, for `counterpart` refs. */
  practitionerRoles?: { raiser?: string; other?: string };
  /** The person handing the stage over. */
  person: HandOverPerson;
  /** Everyone asked to decide this stage now (the person included). */
  participants: { email: string }[];
  /** Addresses never offered: the two practitioners who disagree do not decide their own escalation. */
  never?: string[];
}

type Contact = PolicyPack['directory']['partnership']['roles'][string][number];

export function handOverOptions(s: HandOverSituation): HandOverOptions {
  const side = s.person.id.split('.')[0];
  const asked = new Set(s.participants.map((p) => p.email.toLowerCase()));
  asked.add(s.person.email.toLowerCase());
  for (const email of s.never ?? []) asked.add(email.toLowerCase());
  const roles = rolesOf(s, side);
  if (!roles) return { colleagues: [] };
  const idSide = side === 'partnership' ? 'partnership' : side === 'panel' ? `panel.${s.person.agencyId ?? ''}` : side;
  const agencyId = side === 'partnership' ? undefined : s.person.agencyId;
  const personOf = (c: Contact, role: string, i: number): HandOverPerson => ({
    id: `${idSide}.${role}.${i}`,
    name: c.name,
    email: c.email,
    role,
    ...(agencyId ? { agencyId } : {}),
  });

  const seen = new Set<string>();
  const colleagues: HandOverPerson[] = [];
  for (const [role, contacts] of Object.entries(roles.held)) {
    contacts.forEach((c, i) => {
      const email = c.email.toLowerCase();
      if (asked.has(email) || seen.has(email)) return;
      seen.add(email);
      colleagues.push(personOf(c, role, i));
    });
  }

  let fallback: HandOverOptions['fallback'];
  for (const role of fallbackRoles(s, side)) {
    const people = (roles.held[role] ?? []).map((c, i) => ({ c, i })).filter(({ c }) => !asked.has(c.email.toLowerCase()));
    if (people.length > 0) {
      fallback = { role, people: people.map(({ c, i }) => personOf(c, role, i)) };
      break;
    }
  }
  return { from: roles.from, colleagues, ...(fallback ? { fallback } : {}) };
}

/** The directory roles of the person's own agency (or the partnership's). */
function rolesOf(s: HandOverSituation, side: string): { from: string; held: Record<string, Contact[]> } | undefined {
  if (side === 'partnership') return { from: 'partnership', held: s.directory.partnership.roles };
  const agency = s.person.agencyId ? s.directory.agencies.find((a) => a.id === s.person.agencyId) : undefined;
  return agency ? { from: agency.id, held: agency.roles } : undefined;
}

/** The roles the stage's policy falls back to after this person's role, in order. */
function fallbackRoles(s: HandOverSituation, side: string): string[] {
  if (!s.stageRefs || side === 'panel') return [];
  const out: string[] = [];
  for (const ref of s.stageRefs) {
    const covers = ref.of === side || (ref.of === 'both' && (side === 'raiser' || side === 'other'));
    if (!covers) continue;
    const practitionerRole = side === 'raiser' || side === 'other' ? s.practitionerRoles?.[side] : undefined;
    const chain = ref.role === 'counterpart' ? [...((practitionerRole && s.counterparts?.[practitionerRole]) || []), ...ref.fallback] : [ref.role, ...ref.fallback];
    const at = chain.indexOf(s.person.role);
    if (at < 0) continue;
    for (const role of chain.slice(at + 1)) if (!out.includes(role)) out.push(role);
  }
  return out;
}
