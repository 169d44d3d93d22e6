/**
 * The presentation module: one home for the words pages, emails and PDFs use, and the timeline
 * as people read it (grouped by stage, repeats collapsed, people named).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { FLAG_LABELS, flagLabels, outcomeLabel, roleLabel, statusLabel, statusTitle, yesNo } from '../../shared/presentation/labels';
import { formatDate, formatDateTime, formatShortDate, timeInWords } from '../../shared/presentation/dates';
import { byRoleAndSide, describeEvent } from '../../shared/presentation/timeline';
import { groupTimeline, type PlacedEntry } from '../../shared/presentation/timelineGroups';
import type { StoredCaseEvent } from '../../shared/events';
import nunjucks from 'nunjucks';
import { addViewHelpers } from '../../api/viewHelpers';

const ROOT = join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);

describe('the presentation module', () => {
  it('is where records/ and mail/ get their words: neither imports the web tier (api/)', () => {
    const offenders = ['records', 'mail', 'shared'].flatMap((dir) =>
      sourceFiles(join(ROOT, dir)).flatMap((file) => importsOf(file).filter((spec) => /(^|\/)api(\/|$)/.test(spec)).map((spec) => `${file}: ${spec}`)),
    );
    expect(offenders).toEqual([]);
  });

  it('has a lint rule that refuses an import of api/ from records/', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const config = (await eslint.calculateConfigForFile(join(ROOT, 'records', 'caseRecord.ts'))) as { rules: Record<string, unknown> };
    const [level, options] = config.rules['@typescript-eslint/no-restricted-imports'] as [number, { patterns: { group: string[] }[] }];
    expect(level).toBe(2);
    expect(options.patterns.flatMap((p) => p.group)).toContain('**/api/*');
  }, 60_000);

  it('words roles, outcomes, statuses and flags, never ids', () => {
    expect(roleLabel('lineManager')).toBe('line manager');
    expect(roleLabel('worker')).toBe('practitioner');
    expect(roleLabel('cpChair')).toBe('child protection chair');
    expect(outcomeLabel('notResolved')).toBe('not resolved');
    expect(statusLabel('unresolved')).toBe('closed unresolved');
    expect(statusTitle('unresolved')).toBe('Closed unresolved');
    expect(statusTitle('referred')).toBe('Referred on');
    expect(flagLabels({ childProtectionPlan: true, lookedAfter: false, immediateHarm: true })).toEqual([FLAG_LABELS.childProtectionPlan, FLAG_LABELS.immediateHarm]);
    expect([yesNo(true), yesNo(false), yesNo(undefined)]).toEqual(['Yes', 'No', 'No']);
  });

  it('gives dates in Europe/London: in words, and as dd/mm/yyyy for spreadsheets', () => {
    // 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    expect(formatShortDate('2026-06-30T23:30:00Z')).toBe('01/07/2026');
    expect(formatDateTime('2026-06-30T23:30:00Z')).toBe('1 July 2026 at 00:30');
    expect(formatDate('2027-01-15')).toBe('15 January 2027');
    expect(timeInWords('2026-11-25T15:27:00Z')).toBe('3:27pm on Wednesday 25 November 2026');
    expect(timeInWords('2026-07-01T11:00:00Z')).toBe('12pm on Wednesday 1 July 2026');
    expect(timeInWords('2026-11-25T00:05:00Z')).toBe('12:05am on Wednesday 25 November 2026');
  });
});

describe('the view helpers', () => {
  it('keep free text\'s line breaks and escape it, for a summary list\'s html', () => {
    const views = addViewHelpers(new nunjucks.Environment(null, { autoescape: true }));
    expect(views.renderString('{{ plan | preLine }}', { plan: 'Visit <b>Monday</b>\n"then" & review' })).toBe(
      '<span class="app-pre-line">Visit &lt;b&gt;Monday&lt;/b&gt;\n&quot;then&quot; &amp; review</span>',
    );
    expect(views.renderString('{{ m | monthInWords }} {{ d | longDate }}', { m: '2026-03', d: '2027-01-15' })).toBe('March 2026 15 January 2027');
  });
});

const at = (minute: number) => `2026-03-02T10:${String(minute).padStart(2, '0')}:00.000Z`;
const stageName = (n: number) => ['', 'Discuss with the other worker', 'Line managers'][n] ?? `stage ${n}`;

describe('the timeline', () => {
  it('says which practitioner recorded an outcome: by name where known, by side where not', () => {
    const outcome = (actor: string): StoredCaseEvent => ({ seq: 3, type: 'outcomeRecorded', at: at(0), stage: 1, actor, detail: { role: 'worker', outcome: 'notResolved', reasons: 'No.' } as never });
    expect(describeEvent(outcome('other.worker.0'), stageName).lines[0]).toBe('By the practitioner for the other side.');
    expect(describeEvent(outcome('raiser.worker.0'), stageName).lines[0]).toBe('By the practitioner for the side that raised it.');
    const named = describeEvent(outcome('other.worker.0'), stageName, (id) => (id === 'other.worker.0' ? 'Bob Social-Worker (practitioner, Bromley CSC)' : 'someone'));
    expect(named.lines[0]).toBe('By Bob Social-Worker (practitioner, Bromley CSC).');
    expect(byRoleAndSide('partnership.cpChair.0', 'cpChair')).toBe('the child protection chair');
    const entered: StoredCaseEvent = {
      seq: 1, type: 'stageEntered', at: at(0), stage: 1, actor: null,
      detail: { stageId: 'discuss', name: 'Discuss', deadline: at(0), reason: { kind: 'opened' }, participants: [{ id: 'raiser.worker.0', role: 'worker' }, { id: 'other.worker.0', role: 'worker' }] },
    };
    expect(describeEvent(entered, stageName).lines[0]).toBe('Taking part: the practitioner for the side that raised it, the practitioner for the other side.');
  });

  it('gives the move to the next stage a title of its own, and review dates in words', () => {
    const moved: StoredCaseEvent = { seq: 9, type: 'notified', at: at(0), stage: 2, actor: null, detail: { kind: 'caseMoved', told: [] } };
    expect(describeEvent(moved, stageName).title).toBe('Everyone involved told the case moved on to stage 2: Line managers');
    const review: StoredCaseEvent = { seq: 10, type: 'reviewScheduled', at: at(0), stage: 2, actor: null, detail: { reviewDate: '2027-01-15', at: '2027-01-15T09:00:00Z', named: [] } };
    expect(describeEvent(review, stageName).title).toBe('Review date set (15 January 2027)');
  });

  it('groups by stage and collapses repeats into one line with a count', () => {
    const e = (minute: number, stage: number | null, type: string, title: string, lines: string[] = []): PlacedEntry => ({ at: at(minute), stage, type, title, lines });
    const groups = groupTimeline(
      [
        e(0, null, 'opened', 'Disagreement raised'),
        e(1, 1, 'stageEntered', 'Entered stage 1'),
        e(2, 1, 'linkOpened', 'Link opened for stage 1', ['By Ann.']),
        e(3, 1, 'linkOpened', 'Link opened for stage 1', ['By Ann.']),
        e(4, 1, 'linkOpened', 'Link opened for stage 1', ['By Bob.']),
        e(5, 1, 'outcomeRecorded', 'Outcome recorded at stage 1: not resolved', ['By Bob.']),
        e(6, 1, 'linkOpened', 'Link opened for stage 1', ['By Ann.']),
        e(7, 2, 'stageEntered', 'Entered stage 2'),
        e(8, 2, 'outcomeRecorded', 'Outcome recorded at stage 2: resolved', ['By Tara.', 'Agreed plan: A']),
        e(9, 2, 'outcomeRecorded', 'Outcome recorded at stage 2: resolved', ['By Sam.', 'Agreed plan: A']),
        e(10, null, 'closed', 'Case closed'),
      ],
      stageName,
    );
    expect(groups.map((g) => g.heading)).toEqual(['Raised', 'Stage 1: Discuss with the other worker', 'Stage 2: Line managers']);
    expect(groups[1].entries.map((x) => x.title)).toEqual([
      'Entered stage 1',
      'Link opened for stage 1 (3 times)',
      'Outcome recorded at stage 1: not resolved',
      // Not next to the others: a separate line, so the order of what happened is kept.
      'Link opened for stage 1',
    ]);
    expect(groups[1].entries[1]).toMatchObject({ count: 3, at: at(2), lastAt: at(4), lines: ['By Ann.', 'By Bob.'] });
    // Two decisions with different words are two lines, never merged; the case's end joins its last stage.
    expect(groups[2].entries.map((x) => x.title)).toEqual(['Entered stage 2', 'Outcome recorded at stage 2: resolved', 'Outcome recorded at stage 2: resolved', 'Case closed']);
  });
});
