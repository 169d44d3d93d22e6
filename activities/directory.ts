/**
 * Who holds a role for this case, at this moment: the two practitioners themselves, a role in
 * either agency of the disagreement (or the practitioner's counterpart), or a partnership role.
 * Rules and role holders may depend on the case and on the clock; an empty role falls back down
 * the listed roles.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ResolveRecipientsRequest, Recipient, SelectPanelRequest } from '../shared/events';
import { caseFactsOf, caseMatches, clockMatches, type LocalClock } from '../shared/policy/conditions';
import type { Contact, PolicyPack } from '../shared/policy/schema';
import { ENGLAND_OFFICE_HOURS, isWithinWorkingHours, localClock } from '../shared/calendar/workingTime';

export const WORKER_ROLE = 'worker';
export const COUNTERPART_ROLE = 'counterpart';

export function resolveRecipients(request: ResolveRecipientsRequest): Recipient[] {
  const { directory, refs, raiser, other } = request;
  const facts = caseFactsOf(request);
  const clock = clockAt(new Date(request.at ?? Date.now()), request.calendar);
  const found = new Map<string, Recipient>();
  const add = (r: Recipient) => {
    // One person holding two roles (a deputy head who is also the DSL) hears once.
    if (!found.has(r.email.toLowerCase())) found.set(r.email.toLowerCase(), r);
  };
  const heldNow = (contacts: Contact[] | undefined) => (contacts ?? []).filter((c) => clockMatches(c.when, clock));

  for (const ref of refs) {
    if (!caseMatches(ref.when, facts) || !clockMatches(ref.when, clock)) continue;
    if (ref.of === 'partnership') {
      const holders = firstHeld([ref.role, ...ref.fallback], (role) => heldNow(directory.partnership.roles[role]));
      holders.people.forEach((c, i) => add(person(c, `partnership.${holders.role}.${i}`, holders.role)));
      continue;
    }
    const sides = ref.of === 'both' ? (['raiser', 'other'] as const) : [ref.of];
    for (const side of sides) {
      const practitioner = side === 'raiser' ? raiser : other;
      if (ref.role === WORKER_ROLE) {
        add({ name: practitioner.name, email: practitioner.email, id: `${side}.${WORKER_ROLE}.0`, role: WORKER_ROLE, agencyId: practitioner.agencyId });
        continue;
      }
      const agency = agencyOf(directory, practitioner.agencyId);
      const roles =
        ref.role === COUNTERPART_ROLE
          ? [...((practitioner.role && request.counterparts?.[practitioner.role]) || []), ...ref.fallback]
          : [ref.role, ...ref.fallback];
      let holders = firstHeld(roles, (role) => heldNow(agency.roles[role]));
      const bypass = ref.bypassWhenAlso;
      if (bypass && holders.role === ref.role) {
        const alsoHolds = new Set(heldNow(agency.roles[bypass.role]).map((c) => c.email.toLowerCase()));
        if (holders.people.some((c) => alsoHolds.has(c.email.toLowerCase()))) {
          holders = firstHeld(bypass.use, (role) => heldNow(agency.roles[role]));
        }
      }
      holders.people.forEach((c, i) => add({ ...person(c, `${side}.${holders.role}.${i}`, holders.role), agencyId: agency.id }));
    }
  }
  return [...found.values()];
}

/**
 * A resolution panel: members from the agencies concerned first (where the policy asks for them
 * and they have one), then from the other agencies in directory order, until the panel is full.
 */
export function selectPanel({ directory, role, size, includeAgenciesConcerned, agenciesConcerned }: SelectPanelRequest): Recipient[] {
  const order = includeAgenciesConcerned
    ? [...agenciesConcerned, ...directory.agencies.map((a) => a.id).filter((id) => !agenciesConcerned.includes(id))]
    : directory.agencies.map((a) => a.id);
  const panel: Recipient[] = [];
  for (const agencyId of [...new Set(order)]) {
    if (panel.length >= size) break;
    const member = directory.agencies.find((a) => a.id === agencyId)?.roles[role]?.[0];
    if (member && !panel.some((p) => p.email.toLowerCase() === member.email.toLowerCase())) {
      panel.push({ ...person(member, `panel.${agencyId}.0`, role), agencyId });
    }
  }
  return panel;
}

function clockAt(at: Date, calendar: PolicyPack['calendar'] | undefined): LocalClock {
  const cal = calendar ?? ENGLAND_OFFICE_HOURS;
  const local = localClock(at, cal);
  return { weekday: local.weekday, time: local.time, bankHoliday: local.bankHoliday, officeHours: isWithinWorkingHours(at, cal) };
}

function agencyOf(directory: PolicyPack['directory'], agencyId: string) {
  const agency = directory.agencies.find((a) => a.id === agencyId);
  if (!agency) throw ApplicationFailure.nonRetryable(`Agency ${agencyId} is not in the partnership's directory`, 'UnknownAgency');
  return agency;
}

function firstHeld(roles: string[], lookup: (role: string) => Contact[]) {
  for (const role of roles) {
    const people = lookup(role);
    if (people.length > 0) return { role, people };
  }
  // An empty role is a gap in the directory, not a reason to stall the case: the stage goes
  // ahead with the others (and the record shows who was asked).
  return { role: roles[0] ?? 'unknown', people: [] as Contact[] };
}

const person = (c: Contact, id: string, role: string): Recipient => ({ name: c.name, email: c.email, id, role });

