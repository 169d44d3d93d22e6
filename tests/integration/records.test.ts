/**
 * The record for the child's file and the anonymised proforma, from a realistic case written
 * straight into PGlite. The record must hold everything; the proforma (JSON, page and PDF) must
 * hold nothing that identifies the child, the family or the practitioners, and still be useful.
 * The pages are the product's own app, read by the partnership's admin signed in through the
 * development OpenID provider; the API with the shared staff key.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, type Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { connectTemporalForRequests } from '../../api/availability';
import type { Database } from '../../db/database';
import { appendEvent } from '../../db/record';
import { startMailCatcher, type MailCatcher } from '../../mail/catcher';
import { buildCaseRecord, type CaseRecord } from '../../records/caseRecord';
import { renderProformaPdf, renderRecordPdf } from '../../records/pdf';
import { loadProforma, type Proforma } from '../../records/proforma';
import { offerTexts, proformaIdFor } from '../../records/proformaStore';
import { redactText } from '../../records/redaction';
import { csrfIn, textOf } from '../support/visitor';
import { loadPolicyRegistry } from '../../shared/policy/load';
import type { PolicyPack } from '../../shared/policy/schema';
import { freshDatabase } from '../support/databases';
import { createApiClient } from '../../api/apiClients';
import { adminAccount, appDepsFor, signedInAsStaff, testIdentity } from '../support/system';
import type { Visitor } from '../support/visitor';

const REFERENCE = 'BSCP-2026-7K3F9Q';
const CHILD_REFERENCE = 'LCS-448812';
const RAISER = { name: 'Rachel Okonjo', email: 'rachel.okonjo@hillside-primary.example.org', agencyId: 'hillside-primary' };
const OTHER = { name: 'Daniel Whitfield', email: 'daniel.whitfield@bromley-csc.example.org', agencyId: 'bromley-csc', role: 'socialWorker' };
const AGREED_PLAN = 'Assessment to start within 5 working days. Joint home visit to Mrs Kelly Smith at 14 Acacia Avenue. School to send attendance weekly.';

/** Every instant the case's events carry: none of them may appear in the proforma as a date. */
const T = {
  opened: '2026-03-02T09:15:00.000Z',
  stage1: '2026-03-02T09:15:02.000Z',
  stage1Deadline: '2026-03-09T17:00:00.000Z',
  notResolved: '2026-03-05T14:40:00.000Z',
  escalated: '2026-03-05T14:40:05.000Z',
  stage2: '2026-03-05T14:40:06.000Z',
  stage2Deadline: '2026-03-12T17:00:00.000Z',
  resolvedOutcome: '2026-03-11T11:20:00.000Z',
  resolved: '2026-03-11T11:20:02.000Z',
};
const REVIEW_DATE = '2026-06-15';

const lineManagers = [
  { id: 'raiser.lineManager.0', role: 'lineManager' },
  { id: 'other.lineManager.0', role: 'lineManager' },
];
const resolution = {
  role: 'lineManager',
  outcome: 'resolved',
  agreedOutcome: "Children's social care will open a child and family assessment for Jayden; Rachel Okonjo will share attendance records with Daniel Whitfield.",
  agreedPlan: AGREED_PLAN,
  reviewDate: REVIEW_DATE,
  outstandingIssues: "Jayden's DOB 12/03/2015 is recorded wrongly in one system: Mr Smith to bring the birth certificate; email rachel.okonjo@hillside-primary.example.org when done.",
  lessons: {
    trainingNeed: true,
    commissioningNeed: false,
    agencyGuidance: true,
    partnershipGuidance: false,
    notes: 'Both agencies misread the threshold document. Daniel Whitfield to brief his team; Kelly can be reached on 07700 900123 about the visit.',
  },
};

type Row = [type: string, at: string, stage: number | null, actor: string | null, detail: object];
const EVENTS: Row[] = [
  ['opened', T.opened, null, 'raiser.worker.0', { partnership: 'bromley', policyVersion: '1.5', category: 'levels-of-need', flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false }, caseStatus: 'open' }],
  ['stageEntered', T.stage1, 1, null, { stageId: 'discuss', name: 'Discuss with the other worker', deadline: T.stage1Deadline, reason: { kind: 'opened' }, participants: [{ id: 'raiser.worker.0', role: 'worker' }, { id: 'other.worker.0', role: 'worker' }] }],
  [
    'outcomeRecorded',
    T.notResolved,
    1,
    'other.worker.0',
    {
      role: 'worker',
      outcome: 'notResolved',
      reasons:
        'We met on 4 March 2026. Jayden was seen at home by the duty worker and Mrs Kelly Smith says he is fine, so our view is that the threshold is not met. Mrs Smith can be reached on 020 7946 0958; NHS number 943 476 5919.',
    },
  ],
  ['escalated', T.escalated, 1, 'other.worker.0', { toStage: 2, reason: { kind: 'notResolved', fromStage: 1, byRole: 'worker' } }],
  ['stageEntered', T.stage2, 2, null, { stageId: 'line-managers', name: 'Escalate to line manager', deadline: T.stage2Deadline, reason: { kind: 'notResolved', fromStage: 1, byRole: 'worker' }, participants: lineManagers }],
  ['notified', T.stage2, 2, null, { kind: 'stageEntered', participants: lineManagers, told: [{ id: 'partnership.cpChair.0', role: 'cpChair' }] }],
  ['outcomeRecorded', T.resolvedOutcome, 2, 'other.lineManager.0', resolution],
  ['resolved', T.resolved, 2, 'other.lineManager.0', { ...resolution, lessons: undefined }],
];

async function insertCase(db: Database) {
  await db.query(
    `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags,
                        status, current_stage, stage_name, stage_deadline, opened_at, closed_at)
     VALUES ($1, 'bromley', '1.5', 'levels-of-need', $2, $3, $4, $5, $6, 'resolved', 2, 'Escalate to line manager', NULL, $7, $8)`,
    [
      REFERENCE,
      JSON.stringify(RAISER),
      JSON.stringify(OTHER),
      CHILD_REFERENCE,
      'Jayden Smith (DOB 12/03/2015) of 14 Acacia Avenue, Bromley BR1 3AB has missed 14 school days this term. His mother is on 020 7946 0958. School think the threshold for a child in need assessment is met; social care closed the referral.',
      JSON.stringify({ childProtectionPlan: true, lookedAfter: false, immediateHarm: false }),
      T.opened,
      T.resolved,
    ],
  );
  // The address the stage 2 invitation went to: the record names the manager who decided from it.
  await db.query(
    `INSERT INTO notifications (key, reference, kind, stage, recipient_id, recipient_role, email)
     VALUES ($1, $2, 'stageInvitation', 2, 'other.lineManager.0', 'lineManager', 'csc.team.manager@example.org')`,
    [`${REFERENCE}:2:other.lineManager.0:stageInvitation`, REFERENCE],
  );
  // Through the record's own writer: events are hash-chained, so a bare INSERT is refused.
  for (const [seq, [type, at, stage, actor, detail]] of EVENTS.entries()) {
    await appendEvent(db, { reference: REFERENCE, seq, type, at, stage, actor, detail: detail as Record<string, unknown> });
  }
}

/**
 * The text pdfkit wrote, in reading order. With compression off each line is a `[<hex> kern
 * <hex>] TJ` array of WinAnsi bytes; lines are joined with a space, or with nothing after a
 * hyphen (pdfkit wraps after hyphens), so wrapped values read whole again.
 */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  for (const m of raw.matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
    const hex = m[1] !== undefined ? [...m[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('') : m[2];
    lines.push(Buffer.from(hex, 'hex').toString('latin1'));
  }
  return lines.reduce((text, line) => (text === '' ? line : text.endsWith('-') ? text + line : `${text} ${line}`), '').replace(/\s+/g, ' ');
}

/** The document's Info Title: pdfkit writes it as an indirect string object. */
function pdfInfoTitle(pdf: Buffer): string | undefined {
  const raw = pdf.toString('latin1');
  const ref = /\/Title (\d+) 0 R/.exec(raw)?.[1];
  return ref ? new RegExp(`\\n${ref} 0 obj\\n\\((.*)\\)\\nendobj`).exec(raw)?.[1] : undefined;
}


/** An exact date in the ways people and machines write one. */
function dateForms(iso: string): string[] {
  const [y, m, d] = iso.slice(0, 10).split('-');
  const month = new Intl.DateTimeFormat('en-GB', { month: 'long', timeZone: 'UTC' }).format(new Date(`${iso.slice(0, 10)}T12:00:00Z`));
  const day = String(Number(d));
  return [`${y}-${m}-${d}`, `${d}/${m}/${y}`, `${day}/${Number(m)}/${y}`, `${day} ${month} ${y}`, `${d} ${month} ${y}`, `${month} ${day}, ${y}`];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Whole-word, case-insensitive: "Smith" is found in "Smith's" but not in "Smithson". */
const mentions = (text: string, value: string) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(value)}(?![\\p{L}\\p{N}])`, 'iu').test(text);

/** Everything identifying in the case; the case reference is checked separately (page links carry it). */
const IDENTIFYING = [
  CHILD_REFERENCE,
  RAISER.name,
  RAISER.email,
  OTHER.name,
  OTHER.email,
  'Rachel',
  'Okonjo',
  'Daniel',
  'Whitfield',
  'Jayden Smith',
  // The manager who decided stage 2, named in the record from the directory (never in the proforma).
  'Tara Team-Manager',
  'Jayden',
  'Smith',
  'Kelly',
  '12/03/2015',
  '14 Acacia Avenue',
  'Acacia',
  'BR1 3AB',
  '020 7946 0958',
  '07700 900123',
  '943 476 5919',
  ...[...Object.values(T), REVIEW_DATE, '2026-03-04'].flatMap(dateForms),
];

function expectNothingIdentifying(text: string, where: string) {
  const found = IDENTIFYING.filter((value) => mentions(text, value));
  expect({ where, found }).toEqual({ where, found: [] });
}

/** A read-scoped client of Bromley's, for the /api/ reads here. */
const KEY: Record<string, string> = {};

describe('the record for the child\'s file and the anonymised proforma (pglite)', () => {
  let db: Database;
  let drop: () => Promise<void>;
  let pack: PolicyPack;
  let server: Server;
  let mail: MailCatcher;
  let connection: Connection;
  let base: string;
  let admin: Visitor;
  let record: CaseRecord;
  let proforma: Proforma;
  let registry: ReturnType<typeof loadPolicyRegistry>;
  /** A page, as the partnership's admin signed in (their session cookie); the API, with the key. */
  const get = (path: string) => fetch(base + path, { headers: path.startsWith('/api/') ? KEY : { cookie: admin.cookieHeader } });

  beforeAll(async () => {
    ({ db, drop } = await freshDatabase('pglite'));
    const policies = loadPolicyRegistry();
    pack = policies.get('bromley')!;
    await insertCase(db);
    // The whole app, on the tests' Temporal dev server (these pages do not call it), with sign-in as the product has it.
    mail = await startMailCatcher(0);
    connection = connectTemporalForRequests(process.env.TEMPORAL_TEST_ADDRESS!);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const app = createApp(await appDepsFor({ db, policies, mail, temporal: new Client({ connection }) }, { publicUrl: base, identity: await testIdentity(base, policies) }));
    server.on('request', app);
    admin = await signedInAsStaff(base, adminAccount(policies, 'bromley').email);
    KEY.authorization = `Bearer ${(await createApiClient(db, { partnership: 'bromley', scope: 'read', name: 'Bromley records test' })).key}`;
    record = (await buildCaseRecord(db, pack, REFERENCE))!;
    proforma = (await loadProforma(db, policies, REFERENCE))!.proforma;
    registry = policies;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await connection?.close();
    await mail?.close();
    await drop?.();
  });

  describe('the record', () => {
    it('is undefined for an unknown case', async () => {
      expect(await buildCaseRecord(db, pack, 'BSCP-2026-ZZZZZZ')).toBeUndefined();
    });

    it('names the parties, the child, the policy and what it is about', () => {
      expect(record).toMatchObject({
        reference: REFERENCE,
        partnership: { id: 'bromley', name: 'Bromley Safeguarding Children Partnership' },
        policy: { name: pack.name, title: 'Escalation Policy - Resolving Professional Difference', version: '1.5' },
        childReference: CHILD_REFERENCE,
        category: { id: 'levels-of-need', label: 'Levels of need' },
        flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false },
        flagLabels: ['Child protection plan'],
        status: 'resolved',
        statusLabel: 'Resolved',
        openedAt: T.opened,
        closedAt: T.resolved,
        parties: {
          raiser: { name: RAISER.name, email: RAISER.email, agency: { id: 'hillside-primary', name: 'Hillside Primary School', type: 'school' } },
          other: { name: OTHER.name, email: OTHER.email, role: 'socialWorker', roleLabel: 'social worker', agency: { id: 'bromley-csc', name: "Bromley Children's Social Care", type: 'family-services' } },
        },
      });
      expect(record.description).toContain('Jayden Smith');
    });

    it('has each stage with its dates, who took part and what was decided', () => {
      expect(record.stages).toHaveLength(2);
      const [discuss, managers] = record.stages;
      expect(discuss).toMatchObject({
        number: 1,
        name: 'Discuss with the other worker',
        enteredAt: T.stage1,
        deadline: T.stage1Deadline,
        leftAt: T.escalated,
        deadlinePassed: false,
        participants: [
          { role: 'worker', roleLabel: 'practitioner', side: 'raiser', organisation: 'Hillside Primary School' },
          { role: 'worker', roleLabel: 'practitioner', side: 'other', organisation: "Bromley Children's Social Care" },
        ],
        decision: { outcome: 'notResolved', outcomeLabel: 'not resolved', at: T.notResolved, by: { role: 'worker', side: 'other' }, reasons: expect.stringContaining('threshold is not met') },
      });
      expect(discuss.enteredBecause).toBeUndefined();
      expect(managers).toMatchObject({
        number: 2,
        name: 'Escalate to line manager',
        enteredAt: T.stage2,
        deadline: T.stage2Deadline,
        leftAt: T.resolved,
        enteredBecause: 'Because the practitioner recorded that stage 1 was not resolved.',
        participants: [
          { roleLabel: 'line manager', organisation: 'Hillside Primary School' },
          { roleLabel: 'line manager', organisation: "Bromley Children's Social Care" },
        ],
        informed: [{ roleLabel: 'child protection chair', side: 'partnership', organisation: 'Bromley Safeguarding Children Partnership' }],
        decision: { outcome: 'resolved', agreedPlan: AGREED_PLAN, reviewDate: REVIEW_DATE, by: { roleLabel: 'line manager', organisation: "Bromley Children's Social Care" } },
      });
    });

    it('has the escalation and why, and the resolution with its plan, review date and lessons', () => {
      expect(record.escalations).toEqual([
        {
          fromStage: 1,
          toStage: 2,
          at: T.escalated,
          kind: 'notResolved',
          because: 'Because the practitioner recorded that stage 1 was not resolved.',
          reasons: expect.stringContaining('Mrs Kelly Smith'),
        },
      ]);
      expect(record.resolution).toMatchObject({
        stage: 2,
        stageName: 'Escalate to line manager',
        outcome: 'resolved',
        agreedOutcome: resolution.agreedOutcome,
        agreedPlan: AGREED_PLAN,
        reviewDate: REVIEW_DATE,
        outstandingIssues: resolution.outstandingIssues,
        lessons: resolution.lessons,
      });
    });

    it('has the full timeline in the words of the case page', () => {
      // The sentences are api/timeline.ts's; only their gist is pinned here.
      expect(record.timeline.map((t) => t.title)).toEqual([
        'Disagreement raised',
        'Entered stage 1: Discuss with the other worker',
        expect.stringMatching(/^Outcome recorded at stage 1.*not resolved$/),
        'Escalated from stage 1 to stage 2',
        'Entered stage 2: Escalate to line manager',
        expect.stringMatching(/stage 2/),
        expect.stringMatching(/^Outcome recorded at stage 2.*resolved$/),
        expect.stringMatching(/^Resolved at stage 2/),
      ]);
      expect(record.timeline[6].lines).toContain(`Agreed plan: ${AGREED_PLAN}`);
      expect(record.timeline.map((t) => t.at)).toEqual(EVENTS.map(([, at]) => at));
    });

    it('prints to a PDF with the reference, the marking and the agreed plan', async () => {
      const pdf = await renderRecordPdf(record, { compress: false });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdfInfoTitle(pdf)).toBe(`Record of professional disagreement ${REFERENCE}`);
      const text = pdfText(pdf);
      expect(text).toContain(REFERENCE);
      expect(text).toContain('OFFICIAL-SENSITIVE');
      expect(text).toContain(AGREED_PLAN);
      expect(text).toContain(CHILD_REFERENCE);
      expect(text).toContain('Timeline');
      expect(text).toContain('Escalated from stage 1 to stage 2');
    });

    it('names who decided, by name and agency, and groups the timeline by stage', () => {
      const [discuss, managers] = record.stages;
      expect(discuss.decision?.by).toMatchObject({ name: OTHER.name, roleLabel: 'practitioner', organisation: "Bromley Children's Social Care" });
      expect(managers.decision?.by).toMatchObject({ name: 'Tara Team-Manager', roleLabel: 'line manager', organisation: "Bromley Children's Social Care" });
      expect(record.decisions.map((d) => d.by.name)).toEqual([OTHER.name, 'Tara Team-Manager']);
      // Never "By the practitioner" when there are two: which one, by name and agency.
      expect(record.timeline[2].lines[0]).toBe(`By ${OTHER.name} (practitioner, Bromley Children's Social Care).`);
      expect(record.timeline[6].lines[0]).toBe("By Tara Team-Manager (line manager, Bromley Children's Social Care).");
      expect(record.timeline[6].lines).toContain('Review date: 15 June 2026');
      expect(record.timelineByStage.map((g) => [g.heading, g.entries.length])).toEqual([
        ['Raised', 1],
        ['Stage 1: Discuss with the other worker', 3],
        ['Stage 2: Escalate to line manager', 4],
      ]);
    });

    it('prints to a PDF tagged for screen readers and marked OFFICIAL-SENSITIVE at the head and foot of every page', async () => {
      // A long plan makes several pages.
      const long = { ...record, description: `${record.description}\n\n${'The school has recorded its concerns in detail. '.repeat(300)}` };
      const raw = (await renderRecordPdf(long, { compress: false })).toString('latin1');
      const objects = new Map([...raw.matchAll(/\n(\d+) 0 obj\n([\s\S]*?)\nendobj/g)].map((m) => [m[1], m[2]]));
      const pages = [...objects.values()].filter((o) => /\/Type \/Page\n/.test(o));
      expect(pages.length).toBeGreaterThan(2);
      const marking = Buffer.from('OFFICIAL-SENSITIVE', 'latin1').toString('hex');
      for (const page of pages) {
        const content = objects.get(/\/Contents (\d+) 0 R/.exec(page)![1])!;
        // Top and bottom of the page (pdfkit flips the y axis: a large y is near the top).
        const ys = [...content.matchAll(new RegExp(`1 0 0 1 [\\d.]+ ([\\d.]+) Tm\\n/F\\d+ \\d+ Tf\\n\\[<${marking}> 0\\] TJ`, 'g'))].map((m) => Number(m[1]));
        expect(ys.some((y) => y > 780)).toBe(true);
        expect(ys.some((y) => y < 60)).toBe(true);
        // As pagination artifacts, out of the reading order.
        expect(content).toMatch(/\/Artifact <<\n\/Type \/Pagination/);
      }
      const catalog = [...objects.values()].find((o) => /\/Type \/Catalog/.test(o))!;
      expect(catalog).toMatch(/\/Lang \(en-GB\)/);
      expect(objects.get(/\/MarkInfo (\d+) 0 R/.exec(catalog)![1])).toMatch(/\/Marked true/);
      const tree = objects.get(/\/StructTreeRoot (\d+) 0 R/.exec(catalog)![1])!;
      expect(tree).toMatch(/\/Type \/StructTreeRoot/);
      expect(objects.get(/\/ViewerPreferences (\d+) 0 R/.exec(catalog)![1])).toMatch(/\/DisplayDocTitle true/);
      // Structure: a document of headings and paragraphs.
      const types = [...raw.matchAll(/\/S \/(\w+)/g)].map((m) => m[1]);
      expect(types).toEqual(expect.arrayContaining(['Document', 'H1', 'H2', 'H3', 'P']));
    });

    it('shows the case page with the agencies, flags, agreed plan, review date, deciders by name and the timeline by stage', async () => {
      const res = await get(`/cases/${REFERENCE}`);
      expect(res.status).toBe(200);
      const text = textOf(await res.text());
      for (const expected of [
        `Raised by ${RAISER.name}, Hillside Primary School`,
        `With ${OTHER.name}, Bromley Children's Social Care`,
        'Flags Child protection plan',
        `Agreed plan ${AGREED_PLAN}`,
        'Review date 15 June 2026',
        "Tara Team-Manager (line manager, Bromley Children's Social Care)",
        'Stage 1: Discuss with the other worker',
        `By ${OTHER.name} (practitioner, Bromley Children's Social Care).`,
      ]) {
        expect(text).toContain(expected);
      }
      expect(text).not.toContain('By the practitioner.');
    });

    it('is served as a page and as a PDF download', async () => {
      const page = await get(`/cases/${REFERENCE}/record`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<style media="print" nonce="');
      expect(textOf(html)).toContain(AGREED_PLAN);
      expect(html).toContain(RAISER.email);
      expect(html).toContain(`href="/cases/${REFERENCE}/record.pdf"`);

      for (const path of [`/cases/${REFERENCE}/record.pdf`, `/api/disagreements/${REFERENCE}/record.pdf`]) {
        const res = await get(path);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/pdf');
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${REFERENCE}-record.pdf"`);
        expect(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
      }
    });
  });

  describe('the proforma', () => {
    it('is checked by a detector that does find what the record holds', async () => {
      // Without this, a broken pdfText or a mistyped value would make the checks below pass vacuously.
      const recordText = pdfText(await renderRecordPdf(record, { compress: false }));
      const found = IDENTIFYING.filter((value) => mentions(recordText, value));
      expect(found).toEqual(expect.arrayContaining([CHILD_REFERENCE, RAISER.name, OTHER.email, 'Jayden Smith', '12/03/2015', '14 Acacia Avenue', 'BR1 3AB', '020 7946 0958', '2 March 2026', '15 June 2026']));
    });

    it('keeps what the board needs to learn from the case', () => {
      expect(proforma).toMatchObject({
        title: 'Resolving inter-agency disagreements proforma',
        partnership: 'Bromley Safeguarding Children Partnership',
        policy: { version: '1.5' },
        agencies: { raiser: { name: 'Hillside Primary School', type: 'school' }, other: { name: "Bromley Children's Social Care", type: 'family-services' } },
        category: 'Levels of need',
        flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false },
        raised: 'March 2026',
        closed: 'March 2026',
        status: 'resolved',
        reached: { number: 2, name: 'Escalate to line manager' },
        stages: [
          { number: 1, name: 'Discuss with the other worker', entered: 'March 2026', outcome: { outcome: 'notResolved', by: "practitioner, Bromley Children's Social Care" } },
          { number: 2, name: 'Escalate to line manager', entered: 'March 2026', takingPart: ['line manager, Hillside Primary School', "line manager, Bromley Children's Social Care"], outcome: { outcome: 'resolved' } },
        ],
        escalations: [{ fromStage: 1, toStage: 2, month: 'March 2026', because: 'Because the practitioner recorded that stage 1 was not resolved.' }],
        resolution: { stage: 2, month: 'March 2026', reviewMonth: 'June 2026', by: "line manager, Bromley Children's Social Care" },
        lessons: { trainingNeed: true, commissioningNeed: false, agencyGuidance: true, partnershipGuidance: false },
      });
      // A proforma id of its own, not the reference nor anything made from it.
      expect(proforma.proformaId).toMatch(/^PF-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      for (const part of REFERENCE.split('-')) expect(proforma.proformaId).not.toContain(part);
      expect(proforma).not.toHaveProperty('description');
    });

    it('holds no free text by default: no reasons, outcome or plan in words, outstanding issues or lessons notes', () => {
      const json = JSON.stringify(proforma);
      for (const key of ['reasons', 'agreedOutcome', 'agreedPlan', 'outstandingIssues', 'notes']) expect(json).not.toContain(`"${key}"`);
      for (const words of ['threshold is not met', 'Assessment to start', 'misread the threshold', 'birth certificate']) expect(json).not.toContain(words);
    });

    it('holds nothing identifying as JSON, from the API too', async () => {
      const json = JSON.stringify(proforma);
      expectNothingIdentifying(json, 'proforma object');
      expect(json).not.toContain(REFERENCE);

      const res = await get(`/api/disagreements/${REFERENCE}/proforma`);
      expect(res.status).toBe(200);
      const served = await res.text();
      expect(JSON.parse(served)).toEqual(proforma);
      expectNothingIdentifying(served, 'proforma JSON');
      expect(served).not.toContain(REFERENCE);
    });

    it('holds nothing identifying as a page, and still shows the useful parts', async () => {
      const res = await get(`/cases/${REFERENCE}/proforma`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expectNothingIdentifying(html, 'proforma page HTML');
      const text = textOf(html);
      expectNothingIdentifying(text, 'proforma page text');
      for (const useful of ['Levels of need', 'Hillside Primary School', "Bromley Children's Social Care", 'Stage 2: Escalate to line manager', 'Training need', 'June 2026']) {
        expect(text).toContain(useful);
      }
      expect(html).toContain('<style media="print" nonce="');
    });

    it('holds nothing identifying as a PDF, and still shows the useful parts', async () => {
      const pdf = await renderProformaPdf(proforma, { compress: false });
      const text = pdfText(pdf);
      expectNothingIdentifying(text, 'proforma PDF text');
      expect(text).not.toContain(REFERENCE);
      expect(pdf.toString('latin1')).not.toContain(REFERENCE);
      for (const useful of ['Resolving inter-agency disagreements proforma', 'Levels of need', 'Hillside Primary School', 'Escalate to line manager', 'Training need', 'New agency guidance']) {
        expect(text).toContain(useful);
      }

      const res = await get(`/cases/${REFERENCE}/proforma.pdf`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
    });
  });

  describe('free text offered for the proforma', () => {
    const STAGE1_REASONS = EVENTS[2][4] as { reasons: string };
    let offered: { reasons: string; plan: string };

    beforeAll(async () => {
      offered = { reasons: redactText(STAGE1_REASONS.reasons), plan: redactText(AGREED_PLAN) };
      await offerTexts(db, { reference: REFERENCE, partnershipId: 'bromley', byId: 'other.worker.0', byRole: "Practitioner, Bromley Children's Social Care" }, [
        { stage: 1, field: 'reasons', text: offered.reasons },
        { stage: 2, field: 'agreedPlan', text: offered.plan },
      ]);
    });

    const offersPage = async (visitor: Visitor) => visitor.get('/partnerships/bromley/proforma-texts');
    const idOf = (html: string, fieldLabel: string) => new RegExp(`id="text-(\\d+)"[^]*?${fieldLabel}`).exec(html)?.[1];

    it('is redacted before it is offered: nothing identifying, the sense kept', () => {
      expectNothingIdentifying(offered.reasons, 'offered reasons');
      expectNothingIdentifying(offered.plan, 'offered plan');
      expect(offered.reasons).toContain('the threshold is not met');
      expect(offered.plan).toContain('School to send attendance weekly.');
    });

    it('stays out of the proforma while it is only offered', async () => {
      const now = (await loadProforma(db, registry, REFERENCE))!.proforma;
      expect(JSON.stringify(now)).not.toContain('threshold is not met');
      expect(now.resolution).not.toHaveProperty('agreedPlan');
    });

    it("is listed for the partnership's admins, by proforma id and never by case reference", async () => {
      const page = await offersPage(admin);
      expect(page.status).toBe(200);
      const text = textOf(page.html);
      expect(text).toContain(proforma.proformaId);
      expect(text).toContain('School to send attendance weekly.');
      expect(page.html).not.toContain(REFERENCE);
      expectNothingIdentifying(text, 'offers page');
    });

    it("refuses another partnership's admin, to see or to decide", async () => {
      const hullAdmin = await signedInAsStaff(base, adminAccount(registry, 'hull').email);
      expect((await offersPage(hullAdmin)).status).toBe(403);
      const mine = await offersPage(admin);
      const id = idOf(mine.html, 'Agreed plan')!;
      const tried = await hullAdmin.request(`/partnerships/bromley/proforma-texts/${id}`, { form: { _csrf: csrfIn(mine.html)!, decision: 'approve' }, follow: false });
      expect(tried.status).toBe(403);
      // Nor through their own partnership's address: the text is not theirs.
      const own = await hullAdmin.get('/partnerships/hull/proforma-texts');
      expect(own.status).toBe(200);
      // Hull's page has nothing waiting, so no form token to post with: refused by CSRF (403) or, with one, as unknown (404).
      const theirs = await hullAdmin.request(`/partnerships/hull/proforma-texts/${id}`, { form: { _csrf: csrfIn(own.html) ?? '', decision: 'approve' }, follow: false });
      expect([403, 404]).toContain(theirs.status);
      expect(JSON.stringify((await loadProforma(db, registry, REFERENCE))!.proforma)).not.toContain('attendance weekly');
      // And the proforma by id is not theirs either.
      expect((await hullAdmin.get(`/partnerships/bromley/proformas/${proforma.proformaId}`)).status).toBe(403);
      expect((await hullAdmin.get(`/partnerships/hull/proformas/${proforma.proformaId}`)).status).toBe(404);
    });

    it('refuses an edit that adds words, and a form without its CSRF token', async () => {
      const page = await offersPage(admin);
      const id = idOf(page.html, 'Agreed plan')!;
      const added = await admin.request(`/partnerships/bromley/proforma-texts/${id}`, { form: { _csrf: csrfIn(page.html)!, decision: 'approve', text: `${offered.plan} Jayden lives at home.` }, follow: false });
      expect(added.status).toBe(400);
      expect(textOf(added.html)).toContain('An edit may only take words out');
      const nul = await admin.request(`/partnerships/bromley/proforma-texts/${id}`, { form: { _csrf: csrfIn(added.html)!, decision: 'approve', text: 'Assessment\u0000' }, follow: false });
      // Refused before the route (text PostgreSQL cannot store), on a page with no form of its own.
      expect(nul.status).toBe(400);
      const twice = await admin.request(`/partnerships/bromley/proforma-texts/${id}`, { form: { _csrf: csrfIn(added.html)!, decision: ['approve', 'refuse'] }, follow: false });
      expect(twice.status).toBe(400);
      const noToken = await admin.request(`/partnerships/bromley/proforma-texts/${id}`, { form: { decision: 'approve' }, follow: false });
      expect(noToken.status).toBe(403);
    });

    it('appears once approved (with more taken out), in the JSON, the page by id and the PDF; a refused text does not', async () => {
      let page = await offersPage(admin);
      const planId = idOf(page.html, 'Agreed plan')!;
      const edited = offered.plan.replace(' School to send attendance weekly.', '');
      const token = csrfIn(page.html)!;
      const approved = await admin.request(`/partnerships/bromley/proforma-texts/${planId}`, { form: { _csrf: token, decision: 'approve', text: edited }, follow: false });
      expect(approved.status).toBe(303);
      // A decided text cannot be decided again.
      expect((await admin.request(`/partnerships/bromley/proforma-texts/${planId}`, { form: { _csrf: token, decision: 'refuse' }, follow: false })).status).toBe(409);
      page = await offersPage(admin);
      const reasonsId = idOf(page.html, 'Reasons')!;
      expect((await admin.request(`/partnerships/bromley/proforma-texts/${reasonsId}`, { form: { _csrf: csrfIn(page.html)!, decision: 'refuse' } })).status).toBe(200);

      const { rows } = await db.query<{ field: string; status: string; decided_by: string; offered_by_role: string }>('SELECT field, status, decided_by, offered_by_role FROM proforma_texts WHERE reference = $1 ORDER BY field', [REFERENCE]);
      expect(rows).toEqual([
        { field: 'agreedPlan', status: 'approved', decided_by: adminAccount(registry, 'bromley').email, offered_by_role: "Practitioner, Bromley Children's Social Care" },
        { field: 'reasons', status: 'refused', decided_by: adminAccount(registry, 'bromley').email, offered_by_role: "Practitioner, Bromley Children's Social Care" },
      ]);

      const now = (await loadProforma(db, registry, REFERENCE))!.proforma;
      expect(now.resolution?.agreedPlan).toBe(edited);
      expect(now.stages[1].outcome?.agreedPlan).toBe(edited);
      expect(JSON.stringify(now)).not.toContain('threshold is not met');
      expectNothingIdentifying(JSON.stringify(now), 'proforma with approved text');

      const json = (await (await get(`/api/disagreements/${REFERENCE}/proforma`)).json()) as Proforma;
      expect(json.resolution?.agreedPlan).toBe(edited);
      const byId = await admin.get(`/partnerships/bromley/proformas/${now.proformaId}`);
      expect(byId.status).toBe(200);
      expect(textOf(byId.html)).toContain('Assessment to start within 5 working days.');
      expect(byId.html).not.toContain(REFERENCE);
      expectNothingIdentifying(textOf(byId.html), 'proforma page by id');
      const pdf = pdfText(await renderProformaPdf(now, { compress: false }));
      expect(pdf).toContain('Assessment to start within 5 working days.');
      expectNothingIdentifying(pdf, 'proforma PDF with approved text');
      const served = await admin.request(`/partnerships/bromley/proformas/${now.proformaId}.pdf`);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-disposition')).toBe(`attachment; filename="${now.proformaId}.pdf"`);
    });

    it('keeps one proforma id per case', async () => {
      expect(await proformaIdFor(db, REFERENCE)).toBe(proforma.proformaId);
      expect((await admin.get('/partnerships/bromley/proformas/PF-0000-0000-0000')).status).toBe(404);
      expect((await admin.get('/partnerships/bromley/proformas/not-an-id')).status).toBe(404);
    });
  });

  describe('references that do not lead to a case', () => {
    it('give pages and PDFs the page that says there is no such case or it is not yours (access does not confirm a reference)', async () => {
      // Access is decided before the records' routes, on the case's facts: for a signed-in admin an
      // unknown or malformed reference is refused like another partnership's case, and shows nothing.
      for (const path of ['/cases/BSCP-2026-ZZZZZZ/record', '/cases/not-a-reference/record', '/cases/BSCP-2026-ZZZZZZ/proforma', '/cases/BSCP-2026-ZZZZZZ/record.pdf', '/cases/BSCP-2026-ZZZZZZ/proforma.pdf']) {
        const res = await get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        const text = textOf(await res.text());
        expect(text).toContain('You cannot see this case');
        expect(text).toContain('Either there is no such case, or you are not taking part in it');
      }
    });

    it('give problem details under /api: 400 when malformed, 404 when unknown', async () => {
      for (const suffix of ['proforma', 'record.pdf']) {
        const malformed = await get(`/api/disagreements/not-a-reference/${suffix}`);
        expect(malformed.status).toBe(400);
        expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const unknown = await get(`/api/disagreements/BSCP-2026-ZZZZZZ/${suffix}`);
        expect(unknown.status).toBe(404);
        expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await unknown.json()).toMatchObject({ status: 404, title: 'No such case' });
      }
    });
  });
});
