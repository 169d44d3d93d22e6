/**
 * The timeline as people read it: grouped by the stage the case was at, and with repeats (a link
 * opened five times in a row, reminders) collapsed into one line with a count.
 */
import type { TimelineEntry } from './timeline';

/** An entry with where it happened and what kind of event it was (for grouping and collapsing). */
export interface PlacedEntry extends TimelineEntry {
  /** The stage the event belongs to; null for events before the first stage (raising it). */
  stage: number | null;
  type: string;
}

export interface CollapsedEntry extends TimelineEntry {
  /** How many events this line stands for (1 for most). */
  count: number;
  /** When the last of them happened, where there are several. */
  lastAt?: string;
}

export interface TimelineGroup {
  /** null: before the first stage. */
  stage: number | null;
  heading: string;
  entries: CollapsedEntry[];
}

/** Events that repeat without saying anything new: consecutive ones become one line. */
const REPEATS = new Set(['linkOpened', 'reminderSent']);

/**
 * Consecutive runs of the same stage become one group, in order (a case that comes back to a
 * stage gets a second group). Events with no stage (the case raised, its end) join the group they
 * fall in, or open one headed "Raised" before any stage.
 */
export function groupTimeline(entries: PlacedEntry[], stageName: (n: number) => string): TimelineGroup[] {
  const groups: TimelineGroup[] = [];
  for (const e of entries) {
    let group = groups[groups.length - 1];
    const stage = e.stage ?? group?.stage ?? null;
    if (!group || group.stage !== stage) {
      group = { stage, heading: stage === null ? 'Raised' : `Stage ${stage}: ${stageName(stage)}`, entries: [] };
      groups.push(group);
    }
    const last = group.entries[group.entries.length - 1] as (CollapsedEntry & { type?: string }) | undefined;
    if (last && last.type === e.type && last.title === e.title && (REPEATS.has(e.type) || sameLines(last.lines, e.lines))) {
      last.count += 1;
      last.lastAt = e.at;
      for (const line of e.lines) if (!last.lines.includes(line)) last.lines.push(line);
      continue;
    }
    const entry: CollapsedEntry & { type: string } = { at: e.at, title: e.title, lines: [...e.lines], count: 1, type: e.type };
    group.entries.push(entry);
  }
  // The event type was only needed to collapse; pages get the words, the count in the title.
  for (const g of groups) g.entries = g.entries.map(({ type: _type, ...rest }: CollapsedEntry & { type?: string }) => ({ ...rest, title: countedTitle(rest) }));
  return groups;
}

/** "Link opened for stage 1: ... (3 times)". */
export const countedTitle = (e: CollapsedEntry) => (e.count > 1 ? `${e.title} (${e.count} times)` : e.title);

const sameLines = (a: string[], b: string[]) => a.length === b.length && a.every((line, i) => line === b[i]);
