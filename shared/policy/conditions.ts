/**
 * Whether a pack's `when` holds for a case. Pure and free of dates: the workflow judges stage
 * conditions itself; clock conditions are judged in an activity, which supplies the local clock.
 */
import type { CaseFlagName, CaseStatusName, ClockCondition, Condition, PolicyPack } from './schema';

export interface CaseFacts {
  flags: Record<CaseFlagName, boolean>;
  category: string;
  caseStatus: CaseStatusName;
  raiserAgencyType: string;
  otherAgencyType: string;
}

/** What conditions are judged against, from the case and the directory of its snapshot. */
export function caseFactsOf(c: {
  directory: PolicyPack['directory'];
  raiser: { agencyId: string };
  other: { agencyId: string };
  flags: Record<CaseFlagName, boolean>;
  category?: string;
  caseStatus?: CaseStatusName;
}): CaseFacts {
  const typeOf = (agencyId: string) => c.directory.agencies.find((a) => a.id === agencyId)?.type ?? '';
  return {
    flags: c.flags,
    category: c.category ?? '',
    caseStatus: c.caseStatus ?? 'open',
    raiserAgencyType: typeOf(c.raiser.agencyId),
    otherAgencyType: typeOf(c.other.agencyId),
  };
}

export interface LocalClock {
  /** 1 = Monday ... 7 = Sunday, in the pack's zone. */
  weekday: number;
  /** 'HH:mm' local. */
  time: string;
  bankHoliday: boolean;
  officeHours: boolean;
}

/** Older snapshots wrote `when` as a list of flags; read them the same way. */
export function asCondition(when: Condition | CaseFlagName[] | undefined): Condition | undefined {
  return Array.isArray(when) ? { flags: when } : when;
}

export function caseMatches(when: Condition | CaseFlagName[] | undefined, facts: CaseFacts): boolean {
  const c = asCondition(when);
  if (!c) return true;
  if (c.flags && !c.flags.some((flag) => facts.flags[flag])) return false;
  if (c.category && !c.category.includes(facts.category)) return false;
  if (c.caseStatus && !c.caseStatus.includes(facts.caseStatus)) return false;
  if (c.raiserAgencyType && !c.raiserAgencyType.includes(facts.raiserAgencyType)) return false;
  if (c.otherAgencyType && !c.otherAgencyType.includes(facts.otherAgencyType)) return false;
  return true;
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export function clockMatches(when: ClockCondition | undefined, clock: LocalClock): boolean {
  if (!when) return true;
  if (when.officeHours !== undefined && when.officeHours !== clock.officeHours) return false;
  if (when.bankHoliday !== undefined && when.bankHoliday !== clock.bankHoliday) return false;
  if (when.days && !when.days.includes(WEEKDAYS[clock.weekday - 1])) return false;
  if (when.time) {
    const { from, to } = when.time;
    // 'HH:mm' strings compare in time order; a window whose start is after its end wraps midnight.
    const inside = from <= to ? clock.time >= from && clock.time < to : clock.time >= from || clock.time < to;
    if (!inside) return false;
  }
  return true;
}
