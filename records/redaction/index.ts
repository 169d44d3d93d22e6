/**
 * Takes identifying details out of free text before it may reach the anonymised proforma. The
 * result depends on the text alone: values the case holds (the parties' names, references) may be
 * passed to remove more, never needed to remove anything. Four passes, united:
 *
 * 1. our rules (./rules): UK identifiers, dates, ages and school years, addresses and postcodes,
 *    named schools and surgeries, phones, emails, handles, names after a title;
 * 2. compromise, a well-kept English NLP library: the people and places it finds;
 * 3. the gazetteer: every UK place of 1,000 people or more, and estates practitioners name;
 * 4. words: a first name or surname (compromise's lexicon) in any case, and any word that is not
 *    English (a 275,000-word dictionary) nor our safeguarding vocabulary: "kayden", "KAYDEN",
 *    "kay-kay", "Okonjo". A name that is also a common word ("Will", "Hope") goes where it reads as
 *    a name: capitalised inside a sentence, after a relation ("mum hope"), or next to another name.
 *
 * It errs towards removing: a false positive costs a word of context, a false negative can
 * identify a child. It is still a heuristic, which is why free text reaches a proforma only after
 * its author has seen this redaction and a partnership admin has approved it.
 */
import { COMMON_WORD_NAMES, getLexicon, nlp, placeKey, tokensOf } from './lexicon';
import { ruleSpans, type Label, type Span } from './rules';

export type { Label, Span } from './rules';

/** Relations after which a word is a name: "mum hope", "brother will". */
const RELATIONS = new Set(
  'mum mam mom mother dad father nan nana gran grandma grandad grandpa brother sister sibling stepdad stepmum partner boyfriend girlfriend friend uncle aunt auntie cousin son daughter baby carer child called named aka'.split(' '),
);
/** Before a place: "moved to hull", "lives in stone", "the smiths of cray". */
const PLACE_PREPOSITIONS = new Set('in at from near around outside to into towards via of'.split(' '));
/** compromise also finds these as people or places; they are how the proforma speaks of people. */
const NOT_IDENTIFYING = new Set(
  'mum mam mom mother dad father nan nana gran grandma grandad parent parents carer carers child children baby brother sister stepdad stepmum stepfather stepmother aunt auntie uncle cousin partner boyfriend girlfriend foster care social worker teacher police officer manager head school nurse gp doctor health visitor family i he she they we you him her them his their'.split(' '),
);

const MONTHS = new Set('january february march april may june july august september october november december'.split(' '));
const TITLES = new Set('mr mrs ms miss mx dr prof pc pcso dc ds sgt cllr rev'.split(' '));

interface Token {
  text: string;
  start: number;
  end: number;
}

/** Replaces every identifying value in `text` with a label in brackets: "[name] (aged [age])" reads on. */
export function redactText(text: string, known: readonly string[] = []): string {
  const clean = normalise(text);
  const spans = mergeSpans(findSpans(clean, known));
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += clean.slice(at, s.start) + `[${s.label}]`;
    at = s.end;
  }
  out += clean.slice(at);
  // "[name] [name]" and "[name], [name]" read better as one.
  return out.replace(/(\[[a-zA-Z ]+\])(?:[ ,]+\1)+/g, '$1');
}

/** Zero-width characters and look-alike apostrophes would let a name slip past the word lists. */
function normalise(text: string): string {
  // Control characters (NUL among them, which PostgreSQL refuses in text) go too; lines and tabs stay.
  // eslint-disable-next-line no-control-regex
  return text.normalize('NFKC').replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
}

/** Every span to remove, before merging. Exported for tests that ask which pass found what. */
export function findSpans(text: string, known: readonly string[] = []): Span[] {
  const lex = getLexicon();
  const spans: Span[] = [...ruleSpans(text), ...knownSpans(text, known)];

  // compromise: people and places.
  const doc = nlp()(text);
  for (const [list, label] of [
    [doc.people().json({ offset: true }), 'name'],
    [doc.places().json({ offset: true }), 'place'],
  ] as const) {
    for (const found of list as { text: string; offset: { start: number; length: number } }[]) {
      const words = tokensOf(found.text);
      if (words.length === 0 || words.every((w) => NOT_IDENTIFYING.has(w) || lex.safe.has(w))) continue;
      // compromise's span may take in punctuation, a relation or a title ("Stepdad Lee", "Dr Patel"): keep only the name.
      const inSpan = tokenise(text.slice(found.offset.start, found.offset.start + found.offset.length));
      const keep = (t: Token) => !NOT_IDENTIFYING.has(baseWord(t.text)) && !lex.safe.has(baseWord(t.text)) && !TITLES.has(baseWord(t.text));
      const first = inSpan.findIndex(keep);
      const last = inSpan.length - 1 - [...inSpan].reverse().findIndex(keep);
      if (first >= 0) spans.push({ start: found.offset.start + inSpan[first].start, end: found.offset.start + inSpan[last].end, label });
    }
  }

  const tokens = tokenise(text);
  spans.push(...placeSpans(text, tokens));

  // Words, one at a time, with their neighbours.
  const inSpan = (t: Token) => spans.some((s) => s.start <= t.start && t.end <= s.end);
  let previousWasName = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (inSpan(t)) {
      previousWasName = spans.some((s) => s.label === 'name' && s.start <= t.start && t.end <= s.end);
      continue;
    }
    const verdict = judgeWord(text, tokens, i, previousWasName, spans.filter((s) => s.label === 'name' || s.label === 'removed'));
    if (verdict) spans.push({ start: t.start, end: t.end, label: verdict });
    previousWasName = verdict === 'name';
  }
  return spans;
}

/** What one word is, if it identifies: a name, or an unknown word (removed). */
function judgeWord(text: string, tokens: Token[], i: number, previousWasName: boolean, nameSpans: Span[]): Label | undefined {
  const lex = getLexicon();
  const t = tokens[i];
  // Numbers and codes are the rules' business: "11pm", "3rd", "s47" are not names.
  if (/\d/.test(t.text)) return undefined;
  const word = baseWord(t.text);
  if (!word || !/\p{L}/u.test(word)) return undefined;
  if (lex.safe.has(word)) return undefined;
  const parts = word.split('-').filter(Boolean);
  const capitalised = /^\p{Lu}/u.test(t.text);
  const initial = sentenceInitial(text, t.start);
  const previous = i > 0 ? baseWord(tokens[i - 1].text) : '';
  const adjacentToPrevious = i > 0 && /^[ \t]+$/.test(text.slice(tokens[i - 1].end, t.start));

  for (const part of parts) {
    if (lex.safe.has(part)) continue;
    if (lex.names.has(part) && !COMMON_WORD_NAMES.has(part)) return 'name';
    if (COMMON_WORD_NAMES.has(part)) {
      // A capitalised month is a month ("in April 2015"); after a relation it is a name ("mum April").
      const capitalisedName = capitalised && !initial && previous !== 'the' && !MONTHS.has(part);
      if (capitalisedName || RELATIONS.has(previous) || (previousWasName && adjacentToPrevious)) return 'name';
      continue;
    }
    if (lex.surnames.has(part) && (capitalised || (previousWasName && adjacentToPrevious))) return 'name';
    // A family by its surname in the plural or possessive plural: "the Smiths", "the smiths' house", "the Joneses".
    const family = familySurname(part);
    if (family && (capitalised || previous === 'the' || (previousWasName && adjacentToPrevious))) return 'name';
    if (!lex.english.has(part) && !lex.english.has(stripSuffix(part))) return part.length <= 1 ? undefined : 'removed';
  }
  // "Kobe and Blessing": a capitalised word joined to a name by "and" is a name too.
  const beforePrevious = i > 1 ? tokens[i - 2] : undefined;
  if (capitalised && !initial && /^(?:and|&|or)$/i.test(previous) && beforePrevious && nameSpans.some((s) => s.start <= beforePrevious.start && beforePrevious.end <= s.end) && !lex.safe.has(word)) return 'name';
  // A capitalised word right after a name is its surname: "Kayden Bates", "Tyler Hall".
  if (previousWasName && adjacentToPrevious && capitalised && !lex.common.has(word)) return 'name';
  // After a relation, a name-like capitalised word: "mum Sky", "Nan Pat".
  if (RELATIONS.has(previous) && capitalised && !initial && !lex.common.has(word)) return 'name';
  return undefined;
}

/** UK places from the gazetteer: any case for a name that is not an English word, capitalised or after "in"/"at"/"to" for one that is. */
function placeSpans(text: string, tokens: Token[]): Span[] {
  const lex = getLexicon();
  const spans: Span[] = [];
  // Apostrophes do not count: "st pauls cray" is St Paul's Cray, "kings lynn" King's Lynn.
  const lower = tokens.map((t) => placeKey(t.text));
  for (let i = 0; i < tokens.length; i++) {
    const candidates = lex.places.get(lower[i]);
    if (!candidates) continue;
    for (const place of candidates) {
      if (!place.every((w, k) => lower[i + k] === w)) continue;
      const last = tokens[i + place.length - 1];
      const allEnglish = place.every((w) => lex.english.has(w) || lex.common.has(w) || lex.safe.has(w) || /^\d+$/.test(w));
      const capitalised = /^\p{Lu}/u.test(tokens[i].text) && !(place.length === 1 && sentenceInitial(text, tokens[i].start));
      const afterPreposition = i > 0 && PLACE_PREPOSITIONS.has(lower[i - 1]) && (!lex.common.has(place.join(' ')) || lex.knownPlaces.has(place.join(' ')));
      // A name of two words or more, one of them not a common word, is the place in any case: "pauls cray", "chew magna".
      const distinctive = place.length > 1 && place.some((w) => !lex.common.has(w) && !/^\d+$/.test(w));
      if (!allEnglish || capitalised || afterPreposition || distinctive) {
        spans.push({ start: tokens[i].start, end: last.end, label: 'place' });
        break;
      }
    }
  }
  return spans;
}

/** The case's own values (names, references), whole-word and in any case; a name also stands for its parts. */
function knownSpans(text: string, known: readonly string[]): Span[] {
  const values = new Set<string>();
  for (const value of known) {
    const v = value.trim();
    if (v.length > 2) values.add(v);
    if (/^[\p{L}\s'’.-]+$/u.test(v)) for (const part of v.split(/[\s.-]+/)) if (part.length > 2) values.add(part);
  }
  const spans: Span[] = [];
  for (const value of values) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\p{L}\\p{N}_])`, 'giu');
    for (const m of text.matchAll(pattern)) spans.push({ start: m.index, end: m.index + m[0].length, label: /@/.test(value) ? 'email' : /\d/.test(value) ? 'id' : 'name' });
  }
  return spans;
}

/** Overlapping and touching spans become one, labelled by the longest. */
export function mergeSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: (Span & { longest: number })[] = [];
  for (const s of sorted) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) {
      if (s.end - s.start > last.longest) {
        last.label = s.label;
        last.longest = s.end - s.start;
      }
      last.end = Math.max(last.end, s.end);
    } else merged.push({ ...s, longest: s.end - s.start });
  }
  return merged.map(({ start, end, label }) => ({ start, end, label }));
}

function tokenise(text: string): Token[] {
  return [...text.matchAll(/[\p{L}\p{N}_]+(?:['’.&-][\p{L}\p{N}_]+)*/gu)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
}

/** Lower case, without a possessive or a contraction: "Kayden's" is "kayden", "didn't" is "didn". */
function baseWord(token: string): string {
  return token
    .toLowerCase()
    .replace(/’/g, "'")
    .replace(/'(?:s|re|ll|ve|d|m|t)$/u, '')
    .replace(/n't$/u, '')
    .replace(/\.+$/u, '');
}

/** "smiths" is the Smith family, "joneses" the Jones family: a surname that is not also a common word, in the plural. */
function familySurname(word: string): string | undefined {
  const lex = getLexicon();
  for (const stem of [word.replace(/e?s'?$/u, ''), word.replace(/s'?$/u, '')]) {
    if (stem !== word && stem.length > 2 && lex.surnames.has(stem) && !lex.common.has(stem) && !COMMON_WORD_NAMES.has(stem)) return stem;
  }
  return undefined;
}

/** Plural and verb endings the dictionary may lack for a word it has. */
function stripSuffix(word: string): string {
  return word.replace(/(?:'s|s|es|ed|ing)$/u, '');
}

function sentenceInitial(text: string, at: number): boolean {
  const before = text.slice(0, at).replace(/[\s"'“‘([-]+$/u, '');
  return before === '' || /[.!?:;\n•*]$/u.test(before);
}
