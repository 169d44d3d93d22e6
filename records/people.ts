/**
 * Who the people in a case's record are, by name: the record's events name people by recipient id
 * and role only (`other.lineManager.0`), so the record for the child's file looks their names up
 * here: the two practitioners from the case, everyone else from the address their email went to
 * (the notifications table) and the directory that holds that address (the case's snapshot of its
 * policy, then the partnership's current pack).
 */
import type { Queryable } from '../db/database';
import type { PolicyPack } from '../shared/policy/schema';

export interface KnownPerson {
  name: string;
  email?: string;
}

/** By `stage|recipientId`, and by recipient id alone for events with no stage. */
export type PeopleIndex = Map<string, KnownPerson>;

type Directory = Pick<PolicyPack['directory'], 'agencies' | 'partnership'>;

export interface AddressRow {
  stage: number;
  recipient_id: string;
  email: string;
}

/** Names for the addresses the case's emails went to, from the directories that hold them. */
export function indexPeople(addresses: AddressRow[], directories: (Directory | undefined)[]): PeopleIndex {
  const byEmail = new Map<string, string>();
  for (const directory of directories) {
    if (!directory) continue;
    const holders = [directory.partnership?.roles ?? {}, ...(directory.agencies ?? []).map((a) => a.roles ?? {})].flatMap((roles) => Object.values(roles).flat());
    for (const h of holders) if (h?.email && h.name && !byEmail.has(h.email.toLowerCase())) byEmail.set(h.email.toLowerCase(), h.name);
  }
  const people: PeopleIndex = new Map();
  for (const a of addresses) {
    const name = byEmail.get(a.email.toLowerCase());
    if (!name) continue;
    const person = { name, email: a.email };
    people.set(`${a.stage}|${a.recipient_id}`, person);
    if (!people.has(a.recipient_id)) people.set(a.recipient_id, person);
  }
  return people;
}

/** The addresses each recipient of the case was emailed at, one per stage and recipient. */
export async function readAddresses(db: Queryable, reference: string): Promise<AddressRow[]> {
  const { rows } = await db.query<AddressRow>(
    `SELECT DISTINCT ON (stage, recipient_id) stage, recipient_id, email
       FROM notifications WHERE reference = $1 ORDER BY stage, recipient_id, created_at`,
    [reference],
  );
  return rows;
}

/** The directory in a case's policy snapshot (`workflow_input.policy`), when it looks like one. */
export function snapshotDirectory(workflowInput: unknown): Directory | undefined {
  const directory = (workflowInput as { policy?: { directory?: Directory } } | null)?.policy?.directory;
  return directory && Array.isArray(directory.agencies) ? directory : undefined;
}
