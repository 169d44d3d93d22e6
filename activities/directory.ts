/**
 * Who holds a role for this case: the two practitioners themselves, a role in either agency of
 * the disagreement, or a partnership role, falling back down the listed roles when one is empty.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ResolveRecipientsRequest, Recipient } from '../shared/events';
import type { RoleRef } from '../shared/policy/schema';

export const WORKER_ROLE = 'worker';

export function resolveRecipients({ directory, refs, raiser, other, flags }: ResolveRecipientsRequest): Recipient[] {
  const found = new Map<string, Recipient>();
  const add = (r: Recipient) => {
    // One person holding two roles (a deputy head who is also the DSL) hears once.
    if (!found.has(r.email.toLowerCase())) found.set(r.email.toLowerCase(), r);
  };
  for (const ref of refs) {
    if (ref.when && !ref.when.some((flag) => flags[flag])) continue;
    if (ref.of === 'partnership') {
      const holders = firstHeld(ref, (role) => directory.partnership.roles[role]);
      holders.people.forEach((c, i) => add({ ...c, id: `partnership.${holders.role}.${i}`, role: holders.role }));
      continue;
    }
    const sides = ref.of === 'both' ? (['raiser', 'other'] as const) : [ref.of];
    for (const side of sides) {
      const practitioner = side === 'raiser' ? raiser : other;
      if (ref.role === WORKER_ROLE) {
        add({ ...pick(practitioner), id: `${side}.${WORKER_ROLE}.0`, role: WORKER_ROLE, agencyId: practitioner.agencyId });
        continue;
      }
      const agency = directory.agencies.find((a) => a.id === practitioner.agencyId);
      if (!agency) {
        throw ApplicationFailure.nonRetryable(`Agency ${practitioner.agencyId} is not in the partnership's directory`, 'UnknownAgency');
      }
      const holders = firstHeld(ref, (role) => agency.roles[role]);
      holders.people.forEach((c, i) =>
        add({ ...c, id: `${side}.${holders.role}.${i}`, role: holders.role, agencyId: agency.id }),
      );
    }
  }
  return [...found.values()];
}

function firstHeld(ref: RoleRef, lookup: (role: string) => { name: string; email: string }[] | undefined) {
  for (const role of [ref.role, ...ref.fallback]) {
    const people = lookup(role) ?? [];
    if (people.length > 0) return { role, people };
  }
  // An empty role is a gap in the directory, not a reason to stall the case: nobody is added
  // for it, and the stage goes ahead with the others.
  return { role: ref.role, people: [] };
}

const pick = ({ name, email }: { name: string; email: string }) => ({ name, email });
