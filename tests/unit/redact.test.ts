/**
 * Redaction of free text before it may reach the anonymised proforma (records/redaction). The
 * corpus (tests/fixtures/redaction/corpus.txt) is written as practitioners write: lowercase names,
 * nicknames, names in capitals, typos; every identifying value is marked {{like this}}. Every marked
 * value must be gone, and most unmarked words must stay (so "remove everything" cannot pass).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactText } from '../../records/redaction';

const CORPUS = readFileSync(join(__dirname, '..', 'fixtures', 'redaction', 'corpus.txt'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() && !line.startsWith('#'));

const MARK = /\{\{(.+?)\}\}/g;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Whole-word and case-insensitive: "Kayden" is in "Kayden's" but not in "Kaydens". */
const stillThere = (text: string, value: string) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(value)}(?![\\p{L}\\p{N}])`, 'iu').test(text);
const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];

interface Result {
  line: string;
  out: string;
  values: string[];
  missed: string[];
  kept: number;
  total: number;
}

function run(line: string): Result {
  const values = [...line.matchAll(MARK)].map((m) => m[1]);
  const plain = line.replace(MARK, '$1');
  const out = redactText(plain);
  // The words that are not marked (a possessive after a mark belongs to the mark): each one found in the output counts once.
  const rest = words(line.replace(/\{\{(.+?)\}\}(?:['’]s)?/g, ' '));
  const available = new Map<string, number>();
  for (const w of words(out)) available.set(w, (available.get(w) ?? 0) + 1);
  let kept = 0;
  for (const w of rest) {
    const n = available.get(w) ?? 0;
    if (n > 0) {
      kept++;
      available.set(w, n - 1);
    }
  }
  return { line, out, values, missed: values.filter((v) => stillThere(out, v)), kept, total: rest.length };
}

describe('the redaction corpus', () => {
  const results = CORPUS.map(run);
  const values = results.reduce((n, r) => n + r.values.length, 0);
  const missed = results.flatMap((r) => r.missed.map((value) => ({ value, out: r.out })));
  const kept = results.reduce((n, r) => n + r.kept, 0);
  const total = results.reduce((n, r) => n + r.total, 0);

  afterAll(() => {
    // The figures for the report: values found of those marked, words kept of those not marked.
    console.log(`redaction corpus: ${CORPUS.length} sentences; identifying values found ${values - missed.length}/${values}; other words kept ${kept}/${total} (${((kept / total) * 100).toFixed(1)}%)`);
  });

  it('has at least 200 sentences and 250 marked values', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(200);
    expect(values).toBeGreaterThanOrEqual(250);
  });

  it('removes every marked identifying value', () => {
    expect(missed).toEqual([]);
  });

  it('keeps at least 90% of the words that identify nobody', () => {
    expect(kept / total).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps a sentence with nothing identifying whole', () => {
    const clean = results.filter((r) => r.values.length === 0);
    expect(clean.length).toBeGreaterThanOrEqual(40);
    const changed = clean.filter((r) => r.out !== r.line);
    // Typos may go (an unknown word is treated as a possible name); nothing else may.
    expect(changed.map((r) => r.out)).toEqual(changed.filter((r) => /wihtout|shcool|recieved|apointments|visted/.test(r.line)).map((r) => r.out));
  });
});

describe('redactText', () => {
  it('does not depend on what else the case contains: a name alone goes without being known', () => {
    // A name, or a word no dictionary knows, whichever finds it first.
    expect(redactText('jayden was seen')).toMatch(/^\[(name|removed)\] was seen$/);
    expect(redactText('Jayden Smith was seen. Later jayden said no.')).toMatch(/^\[name\] was seen\. Later \[(name|removed)\] said no\.$/);
  });

  it('lets known values add removals', () => {
    expect(redactText('Ask Zebedee about it', [])).toMatch(/^Ask \[(name|removed)\] about it$/);
    expect(redactText('the case file says cheese', ['cheese'])).toBe('the case file says [name]');
    expect(redactText('ref BSCP-2026-7K3F9Q', ['BSCP-2026-7K3F9Q'])).toBe('ref [id]');
  });

  it('takes out UK identifiers of every kind', () => {
    const cases: [string, string][] = [
      ['NHS 943 476 5919', 'NHS [id]'],
      ['NI number QQ123456C', 'NI number [id]'],
      ['UPN: H801200001001', 'UPN: [id]'],
      ['Mosaic 4521 and LCS id 77', 'Mosaic [id] and LCS id [id]'],
      ['collar number 2231', 'collar number [id]'],
      ['postcode HU9 1AB, district hu9', 'postcode [postcode], district [postcode]'],
      ['a s47 enquiry and s17 support', 'a s47 enquiry and s17 support'],
      ['call 01482 300300', 'call [phone]'],
      ['email a.b@example.org', 'email [email]'],
    ];
    for (const [text, want] of cases) expect(redactText(text)).toBe(want);
  });

  it('takes out dates in every common form, and keeps the month and year the proforma itself uses', () => {
    for (const date of ['3 april 2015', '2015/04/03', '03.04.15', '3rd of April', 'April 3rd', '03/04/2015', '3/4/15', '2015-04-03', 'Monday 3rd', 'the twenty-first of may']) {
      expect({ date, out: redactText(`seen on ${date} at home`) }).toEqual({ date, out: 'seen on [date] at home' });
    }
    expect(redactText('escalated in April 2015')).toBe('escalated in April 2015');
    expect(redactText('stage 2 may be missed')).toBe('stage 2 may be missed');
  });

  it('takes out ages and school years', () => {
    for (const [text, want] of [
      ['he is aged 7', 'he is [age]'],
      ['a 7yo boy', 'a [age] boy'],
      ['a 7 year old boy', 'a [age] boy'],
      ['in Year 3', 'in [school year]'],
      ['in yr3', 'in [school year]'],
      ['she is 15', 'she is [age]'],
    ]) {
      expect(redactText(text)).toBe(want);
    }
    expect(redactText('it took 3 years')).toBe('it took 3 years');
  });

  it("takes out what a security tester found surviving, and keeps code and section numbers as written", () => {
    for (const [text, want] of [
      ["the smiths' house; the Smiths were visited", "the [name]' house; the [name] were visited"],
      ['in year six', 'in [school year]'],
      ['referral from PC Jones 4471 (Met)', 'referral from PC [name] [id] (Met)'],
      ['Tiktok user lil_j.2015', 'Tiktok user [handle]'],
      ['Seen at Kings A&E', 'Seen at [place]'],
      ['the PRUH', 'the [place]'],
      ['family known as jj smiths of st pauls cray', 'family known as [name] of [place]'],
      ['they live in pauls cray', 'they live in [place]'],
      ['<script>alert(5)</script>', '<script>alert(5)</script>'],
      ['Freddie (5) and mum (32)', '[name] and mum [age]'],
      ['under section 47(2)', 'under section 47(2)'],
    ]) {
      expect({ text, out: redactText(text) }).toEqual({ text, out: want });
    }
  });

  it('is not fooled by zero-width characters inside a name', () => {
    expect(redactText('K\u200Bayden was seen')).toMatch(/^\[(name|removed)\] was seen$/);
  });
});
