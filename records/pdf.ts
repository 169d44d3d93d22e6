/**
 * The record and the proforma as PDFs, for the child's file and for the board. pdfkit with its
 * built-in Helvetica (no font files to ship), A4, and a plain layout of headings and label/value
 * rows that survives printing and photocopying.
 *
 * Tagged for screen readers (PDF/UA's structure: a Document of headings and paragraphs, the
 * language, the title shown instead of the file name); the marking and page numbers on every page
 * are pagination artifacts, so a screen reader does not read them between every paragraph.
 */
import { policyWithVersion } from '../shared/policyWording';
import PDFDocument from 'pdfkit';
import { formatDate, formatDateTime } from '../shared/presentation/dates';
import { LESSON_LABELS, capitalise } from '../shared/presentation/labels';
import {
  describePerson,
  type CaseRecord,
  type Decision,
  type Lessons,
  type StageVisit,
} from './caseRecord';
import type { Proforma, ProformaOutcome } from './proforma';

export interface PdfOptions {
  /** Tests turn compression off so the page content can be read from the raw bytes. */
  compress?: boolean;
}

type Doc = PDFKit.PDFDocument;

const REGULAR = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const GREY = '#505a5f';
const BLACK = '#0b0c0c';
const LABEL_WIDTH = 150;
const GAP = 12;


export async function renderRecordPdf(record: CaseRecord, options: PdfOptions = {}): Promise<Buffer> {
  const when = (iso: string | undefined) => (iso ? formatDateTime(iso, record.timeZone) : undefined);
  const doc = open(`Record of professional disagreement ${record.reference}`, `${record.partnership.name}: the record for the child's file`, options);
  const done = collect(doc);

  title(doc, `Professional disagreement ${record.reference}`, `${record.partnership.name}. Record for the child's file.`);
  heading(doc, 'The case');
  fields(doc, [
    ['Case reference', record.reference],
    ["Child's reference", record.childReference],
    ['Policy', policyWithVersion(record.policy.title ?? record.policy.name ?? record.partnership.name, record.policy.version)],
    ['About', record.category.label],
    ['Agencies', `${record.parties.raiser.agency.name} (raised it); ${record.parties.other.agency.name}`],
    ['Flags', record.flagLabels.join('; ') || 'None'],
    ['Status', record.statusLabel],
    ['Opened', when(record.openedAt)],
    ['Closed', when(record.closedAt)],
  ]);
  heading(doc, 'The disagreement');
  paragraph(doc, record.description);

  heading(doc, 'The practitioners');
  for (const [label, p] of [
    ['Raised by', record.parties.raiser],
    ['With', record.parties.other],
  ] as const) {
    fields(doc, [[label, [p.name, p.roleLabel, p.agency.name, p.email, p.phone].filter(Boolean).join(', ')]]);
  }

  heading(doc, 'Stages');
  if (record.stages.length === 0) paragraph(doc, 'The case has not entered a stage yet.');
  for (const stage of record.stages) recordStage(doc, stage, when);

  if (record.escalations.length > 0) {
    heading(doc, 'Escalations');
    for (const e of record.escalations) {
      fields(doc, [
        [`Stage ${e.fromStage} to ${e.toStage}`, `${when(e.at)}. ${e.because}`],
        ['Reasons', e.reasons],
      ]);
    }
  }

  heading(doc, 'Outcome');
  if (record.resolution) {
    fields(doc, [['Status', `${record.statusLabel} at stage ${record.resolution.stage}: ${record.resolution.stageName}`]]);
    decisionFields(doc, record.resolution, when);
  } else {
    paragraph(doc, record.status === 'resolved' ? 'Resolved; no outcome was recorded with it.' : 'Not resolved yet.');
  }

  heading(doc, 'Timeline');
  for (const group of record.timelineByStage) {
    subheading(doc, group.heading);
    for (const entry of group.entries) {
      const at = [when(entry.at), when(entry.lastAt)].filter(Boolean).join(' to ');
      keepTogether(doc, [entry.title, at, ...entry.lines].join('\n'));
      tag(doc, 'P', () => {
        doc.font(BOLD).fontSize(10).fillColor(BLACK).text(entry.title);
        doc.font(REGULAR).fontSize(9).fillColor(GREY).text(at);
        doc.fontSize(10).fillColor(BLACK);
        for (const line of entry.lines) doc.text(line);
      });
      doc.moveDown(0.5);
    }
  }

  marking(doc, 'OFFICIAL-SENSITIVE', 'OFFICIAL-SENSITIVE');
  doc.end();
  return done;
}

export async function renderProformaPdf(p: Proforma, options: PdfOptions = {}): Promise<Buffer> {
  const doc = open(`${p.title}, ${p.partnership}`, `${p.title}, ${p.partnership}`, options);
  const done = collect(doc);
  const agency = (a: Proforma['agencies']['raiser']) => (a.type ? `${a.name} (${a.type})` : a.name);

  title(doc, p.title, `${p.partnership}. Anonymised: built from recorded fields; practitioners' words only where offered and approved.`);
  heading(doc, 'The disagreement');
  fields(doc, [
    ['Proforma', p.proformaId],
    ['Partnership', p.partnership],
    ['Policy', policyWithVersion(p.policy.title ?? p.partnership, p.policy.version)],
    ['Raising agency', agency(p.agencies.raiser)],
    ['Other agency', agency(p.agencies.other)],
    ['About', p.category],
    ['Flags', p.flagLabels.join('; ') || 'None'],
    ['Raised', p.raised],
    ['Closed', p.closed],
    ['Status', p.statusLabel],
    ['Highest stage reached', p.reached ? `${p.reached.number}: ${p.reached.name}` : 'None'],
  ]);

  heading(doc, 'Stages');
  for (const s of p.stages) {
    subheading(doc, `Stage ${s.number}: ${s.name}`);
    fields(doc, [
      ['Entered', s.entered],
      ['Taking part', s.takingPart.join('; ')],
      ['Deadline passed', s.deadlinePassed ? 'Yes' : undefined],
    ]);
    if (s.outcome) outcomeFields(doc, s.outcome);
  }

  if (p.escalations.length > 0) {
    heading(doc, 'Escalations');
    for (const e of p.escalations) {
      fields(doc, [
        // Words before the month, so "Stage 1 to 2" and "March" never read as a date.
        [`Stage ${e.fromStage} to ${e.toStage}`, `Escalated in ${e.month}. ${e.because}`],
        ['Reasons', e.reasons],
      ]);
    }
  }

  heading(doc, 'Outcome');
  if (p.resolution) {
    fields(doc, [
      ['Resolved', `${p.resolution.month}, at stage ${p.resolution.stage}: ${p.resolution.stageName}`],
      ['Review', p.resolution.reviewMonth],
    ]);
    outcomeFields(doc, p.resolution);
  } else {
    paragraph(doc, 'Not resolved yet.');
  }

  heading(doc, 'Lessons learned');
  if (p.lessons) {
    const lessons = p.lessons;
    fields(doc, [
      ...(Object.keys(LESSON_LABELS) as (keyof typeof LESSON_LABELS)[]).map((k): Row => [LESSON_LABELS[k], lessons[k] ? 'Yes' : 'No']),
      ['Notes', lessons.notes],
    ]);
  } else {
    paragraph(doc, 'None were recorded.');
  }

  marking(doc, undefined, `Anonymised proforma ${p.proformaId}`);
  doc.end();
  return done;
}

function recordStage(doc: Doc, stage: StageVisit, when: (iso: string | undefined) => string | undefined) {
  subheading(doc, `Stage ${stage.number}: ${stage.name}`);
  fields(doc, [
    ['Entered', when(stage.enteredAt)],
    ['Why', stage.enteredBecause],
    ['Deadline', when(stage.deadline)],
    ['Deadline passed', stage.deadlinePassed ? 'Yes, before an outcome was recorded' : undefined],
    ['Left', when(stage.leftAt)],
    ['Taking part', stage.participants.map(describePerson).join('; ') || undefined],
    ['Told', stage.informed.map(describePerson).join('; ') || undefined],
  ]);
  if (stage.decision) decisionFields(doc, stage.decision, when);
}

function decisionFields(doc: Doc, d: Decision, when: (iso: string | undefined) => string | undefined) {
  fields(doc, [
    ['Outcome', capitalise(d.outcomeLabel)],
    ['Recorded by', `${capitalise(describePerson(d.by))}, ${when(d.at)}`],
    ['Reasons', d.reasons],
    ['Agreed outcome', d.agreedOutcome],
    ['Agreed plan', d.agreedPlan],
    ['Review date', d.reviewDate ? formatDate(d.reviewDate) : undefined],
    ['Outstanding issues', d.outstandingIssues],
    ...(d.lessons ? lessonRows(d.lessons) : []),
  ]);
}

function outcomeFields(doc: Doc, o: ProformaOutcome) {
  fields(doc, [
    ['Outcome', capitalise(o.outcomeLabel)],
    ['Recorded by', o.by],
    ['Reasons', o.reasons],
    ['Agreed outcome', o.agreedOutcome],
    ['Agreed plan', o.agreedPlan],
    ['Outstanding issues', o.outstandingIssues],
  ]);
}

function lessonRows(lessons: Lessons): Row[] {
  const flagged = (Object.keys(LESSON_LABELS) as (keyof typeof LESSON_LABELS)[]).filter((k) => lessons[k]).map((k) => LESSON_LABELS[k]);
  return [
    ['Lessons', flagged.join('; ') || 'None identified'],
    ['Lessons notes', lessons.notes],
  ];
}

function open(title: string, subject: string, options: PdfOptions): Doc {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 56, bottom: 64, left: 56, right: 56 },
    compress: options.compress ?? true,
    // Pages stay in memory until the end so the footer can number them ("page 2 of 5").
    bufferPages: true,
    // Tagged PDF (PDF 1.7): structure, the language, and the title in the window's title bar.
    tagged: true,
    pdfVersion: '1.7',
    displayTitle: true,
    lang: 'en-GB',
    info: { Title: title, Subject: subject, Creator: 'Resolve a professional disagreement' },
  });
  const root = doc.struct('Document');
  doc.addStructure(root);
  roots.set(doc, root);
  doc.font(REGULAR).fillColor(BLACK);
  return doc;
}

/** Each document's structure root: every heading and paragraph is added to it, in reading order. */
const roots = new WeakMap<Doc, PDFKit.PDFStructureElement>();

/** Draws into one structure element (H1, H2, P...) of the document; page breaks are carried over. */
function tag(doc: Doc, type: string, draw: () => void) {
  roots.get(doc)!.add(doc.struct(type, {}, draw));
}

/** Listens before anything is written, so no chunk is missed. */
function collect(doc: Doc): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

function title(doc: Doc, text: string, caption: string) {
  tag(doc, 'H1', () => doc.font(BOLD).fontSize(20).fillColor(BLACK).text(text));
  doc.moveDown(0.3);
  tag(doc, 'P', () => doc.font(REGULAR).fontSize(11).fillColor(GREY).text(caption).fillColor(BLACK));
  doc.moveDown(0.5);
}

function heading(doc: Doc, text: string) {
  // A heading at the foot of a page with nothing under it reads as a mistake: move it on.
  if (room(doc) < 80) doc.addPage();
  doc.moveDown(0.8);
  tag(doc, 'H2', () => doc.font(BOLD).fontSize(15).fillColor(BLACK).text(text, doc.page.margins.left));
  doc.moveDown(0.4);
}

function subheading(doc: Doc, text: string) {
  if (room(doc) < 60) doc.addPage();
  doc.moveDown(0.4);
  tag(doc, 'H3', () => doc.font(BOLD).fontSize(12).fillColor(BLACK).text(text, doc.page.margins.left));
  doc.moveDown(0.3);
}

function paragraph(doc: Doc, text: string) {
  tag(doc, 'P', () => doc.font(REGULAR).fontSize(10).fillColor(BLACK).text(text, doc.page.margins.left, doc.y, { width: contentWidth(doc) }));
  doc.moveDown(0.5);
}

type Row = [label: string, value: string | undefined];

/** Label and value side by side; rows without a value are left out rather than shown empty. */
function fields(doc: Doc, rows: Row[]) {
  const left = doc.page.margins.left;
  const valueWidth = contentWidth(doc) - LABEL_WIDTH - GAP;
  for (const [label, value] of rows) {
    if (value === undefined || value === '') continue;
    doc.fontSize(10);
    const height = Math.max(doc.font(BOLD).heightOfString(label, { width: LABEL_WIDTH }), doc.font(REGULAR).heightOfString(value, { width: valueWidth }));
    if (height > room(doc)) {
      if (height > usableHeight(doc)) {
        // Longer than a page (a long plan): label above, value flowing across pages.
        tag(doc, 'P', () => {
          doc.font(BOLD).text(label, left, doc.y, { width: contentWidth(doc) });
          doc.font(REGULAR).text(value, left, doc.y, { width: contentWidth(doc) });
        });
        doc.moveDown(0.3);
        continue;
      }
      doc.addPage();
    }
    const y = doc.y;
    // One paragraph per row: a screen reader reads the label, then its value.
    tag(doc, 'P', () => {
      doc.font(BOLD).fillColor(BLACK).text(label, left, y, { width: LABEL_WIDTH });
      doc.font(REGULAR).text(value, left + LABEL_WIDTH + GAP, y, { width: valueWidth });
    });
    doc.x = left;
    doc.y = y + height + 4;
  }
}

/** Starts a new page first when a short block would otherwise be split across two. */
function keepTogether(doc: Doc, text: string) {
  const height = doc.font(REGULAR).fontSize(10).heightOfString(text, { width: contentWidth(doc) });
  if (height > room(doc) && height < usableHeight(doc)) doc.addPage();
}

/**
 * The marking at the head and foot of every page, and page numbers, written once all pages exist,
 * as pagination artifacts (not part of the document's reading order).
 */
function marking(doc: Doc, header: string | undefined, footer: string) {
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const { top, bottom } = doc.page.margins;
    // Writing inside the margins would otherwise make pdfkit start a new page.
    doc.page.margins.bottom = 0;
    doc.page.margins.top = 0;
    const left = doc.page.margins.left;
    const width = contentWidth(doc);
    if (header) {
      doc.markContent('Artifact', { type: 'Pagination', attached: ['Top'] });
      doc.font(BOLD).fontSize(9).fillColor(BLACK).text(header, left, 28, { width, align: 'center', lineBreak: false });
      doc.endMarkedContent();
    }
    const y = doc.page.height - 40;
    doc.markContent('Artifact', { type: 'Pagination', attached: ['Bottom'] });
    doc.font(BOLD).fontSize(9).fillColor(BLACK).text(footer, left, y, { width, align: 'center', lineBreak: false });
    doc.font(REGULAR).fontSize(8).fillColor(GREY).text(`Page ${i - start + 1} of ${count}`, left, y, { width, align: 'right', lineBreak: false });
    doc.endMarkedContent();
    doc.page.margins.bottom = bottom;
    doc.page.margins.top = top;
  }
  doc.fillColor(BLACK);
}

const contentWidth = (doc: Doc) => doc.page.width - doc.page.margins.left - doc.page.margins.right;
const usableHeight = (doc: Doc) => doc.page.height - doc.page.margins.top - doc.page.margins.bottom;
const room = (doc: Doc) => doc.page.height - doc.page.margins.bottom - doc.y;
