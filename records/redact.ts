/**
 * Takes identifying details out of free text before it leaves the child's file (the anonymised
 * proforma). Two passes:
 *
 * 1. Patterns for what nobody listed: email addresses, UK phone numbers, UK postcodes, NHS
 *    numbers, dates, street addresses and names after a title (Mr, Mrs, Ms, Miss, Mx, Dr).
 * 2. Known values: the case's own identifying values (the parties' names and emails, the child's
 *    reference, names found in the case's text), matched whole-word and case-insensitively. A value
 *    made only of words (a name) also stands for each of its words longer than two letters, so
 *    "Kelly Smith" removes a later "Smith" on its own.
 *
 * Redaction errs towards removing too much: a false positive costs a word of context, a false
 * negative can identify a child. It is still a heuristic, so the proforma is built from structured
 * fields and only the free text that must be shared goes through here.
 */

export const REMOVED = '[removed]';

/** A letter or digit: what may not touch a known value for it to count as a whole word. */
const WORD_CHAR = String.raw`[\p{L}\p{N}_]`;
const MONTH = String.raw`(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)`;
const STREET = String.raw`(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Place|Pl|Court|Ct|Crescent|Cres|Gardens|Gdns|Grove|Gr|Terrace|Tce|Square|Sq|Hill|Park|Mews|Row|View|Walk|Rise|Green|Parade|Gate|Vale|Wharf|Yard|Estate)`;
/** A word with a capital first and at least one small letter: Smith, McDonald, O'Brien, Smith-Jones. */
const CAPITALISED = String.raw`\p{Lu}[\p{L}'’-]*\p{Ll}[\p{L}'’-]*`;

interface Rule {
  /** What the rule finds, for the documentation and for tests that name a rule. */
  name: string;
  pattern: RegExp;
  /** Defaults to replacing the whole match. */
  replace?: (match: string, ...groups: string[]) => string;
}

/**
 * Order matters only where patterns overlap: addresses before titles (so "Acacia Dr" is a street,
 * not a doctor), dates before phone and NHS numbers (so digits in a date are not half a number).
 */
export const PATTERNS: readonly Rule[] = [
  { name: 'email address', pattern: /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}/giu },
  {
    // Flat 3, Rowan House / Apartment 12B: the flat number and the building name after it.
    name: 'flat or unit',
    pattern: new RegExp(String.raw`\b(?:Flat|Apartment|Apt|Unit|Room)\s+\d+[A-Za-z]?(?:,?\s+${CAPITALISED}(?:\s+${CAPITALISED}){0,2}(?=[\s,.;]|$))?`, 'gu'),
  },
  {
    // 14 Acacia Avenue, 3a Mill Lane, 221B Baker St: a house number, up to three capitalised words
    // and a street word. The town after it stays: on its own it names a borough, not a home.
    name: 'street address',
    pattern: new RegExp(String.raw`\b\d{1,4}[A-Za-z]?,?\s+(?:${CAPITALISED}\s+){1,3}${STREET}\b`, 'gu'),
  },
  { name: 'postcode', pattern: /\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b/giu },
  { name: 'ISO date', pattern: /\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b/gu },
  { name: 'numeric date', pattern: /\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b/gu },
  {
    // 12 March 2015, 3rd of Sept, 1 Jan. 2020. Month and year alone ("March 2015") stay: they
    // are how the proforma itself dates things.
    name: 'date in words',
    // Case-sensitive: "stage 2 may be missed" is not a date.
    pattern: new RegExp(String.raw`\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?${MONTH}\b(?:\.?,?\s+\d{4}\b)?`, 'gu'),
  },
  { name: 'date in words, month first', pattern: new RegExp(String.raw`\b${MONTH}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?!\d)(?:,?\s+\d{4}\b)?`, 'gu') },
  { name: 'NHS number', pattern: /(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)/gu },
  {
    // 020 7946 0958, (020) 7946 0958, 07700 900123, +44 7700 900123: 0 or +44, then nine or ten
    // digits with single spaces, dots or hyphens between groups.
    name: 'UK phone number',
    pattern: /(?<![\d+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)(?:\d(?:\)\s?|[ .-])?){8,9}\d(?!\d)/gu,
  },
  {
    // Mrs Kelly Smith, Mr J. Smith, Dr Patel: the title stays, so the sentence still reads.
    name: 'name after a title',
    pattern: new RegExp(String.raw`\b(Mrs|Mr|Ms|Miss|Mx|Dr)(\.?\s+)(?:\p{Lu}\.?\s+)*${CAPITALISED}(?:\s+${CAPITALISED}){0,2}`, 'gu'),
    replace: (_match, title, gap) => `${title}${gap}${REMOVED}`,
  },
];

/**
 * Replaces every known identifying value and every pattern match in `text` with `[removed]`.
 * `known` may hold anything identifying; values shorter than three characters are ignored (they
 * would match inside ordinary text).
 */
export function redactText(text: string, known: string[]): string {
  let result = text;
  // Patterns first: a known "Smith" taken out of "Mr J. Smith" would leave the initial behind.
  for (const rule of PATTERNS) {
    result = result.replace(rule.pattern, (match, ...groups: unknown[]) => (rule.replace ? rule.replace(match, ...(groups as string[])) : REMOVED));
  }
  for (const value of expandKnown(known)) {
    result = result.replace(new RegExp(`(?<!${WORD_CHAR})${escapeRegExp(value)}(?!${WORD_CHAR})`, 'giu'), REMOVED);
  }
  return mergeAdjacent(result);
}

/**
 * The values to look for, longest first so "Kelly Smith" goes as one before "Kelly" is tried.
 * A value of words only (letters, spaces, hyphens, apostrophes) is a name and brings its parts;
 * anything with digits or @ (references, emails) is matched only whole.
 */
export function expandKnown(known: string[]): string[] {
  const values = new Set<string>();
  const add = (v: string) => {
    const trimmed = v.trim();
    if (trimmed.length > 2) values.add(trimmed.toLowerCase());
  };
  for (const value of known) {
    add(value);
    if (/^[\p{L}\s'’.-]+$/u.test(value)) {
      for (const part of value.split(/[\s.]+/)) {
        add(part);
        // Jones-Smith is also Jones and Smith; possessives are matched by the word boundary anyway.
        if (part.includes('-')) part.split('-').forEach(add);
      }
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * Words that start with a capital without being anyone's name: sentence openers, calendar words,
 * address words and the everyday vocabulary of safeguarding. Callers add their own (agency and
 * partnership names) to `findNames`.
 */
const NOT_NAMES = new Set(
  [
    'a an the this that these those there then when while after before since during until if as at in on of by for from to with without and but or so because however although',
    'mr mrs ms miss mx dr',
    'i he she they we you it his her their our your its him them us me my mine',
    'mother father mum mam dad mummy daddy parent parents stepfather stepmother stepmum stepdad grandmother grandfather nan nana grandma grandad brother sister sibling siblings baby child children young person family carer carers aunt uncle partner',
    'monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december',
    'street road avenue lane close drive way place court crescent gardens grove terrace square hill park mews row view walk rise green parade gate vale flat house estate',
    'social care worker workers services service team manager managers head teacher school primary secondary academy college nursery health visitor visiting nurse midwife doctor gp hospital police officer sergeant inspector constable detective',
    'child protection plan conference core group strategy meeting discussion section early help assessment referral safeguarding lead designated designate named partnership board chair panel court order review looked after lac cin cp mash dsl iro',
    'local authority council department agency agencies unit office centre center trust nhs county borough city',
  ]
    .join(' ')
    .split(' '),
);

/**
 * Names a text is likely to contain, to add to the known values so that a later mention of only
 * part of the name goes too ("Jayden Smith" in the description, then "Jayden" in a reason):
 * the name after each title, and each run of two or more capitalised words that are not ordinary
 * words, acronyms or in `notNames`. A heuristic, and deliberately eager.
 */
export function findNames(text: string, notNames: Iterable<string> = []): string[] {
  const ignore = new Set(NOT_NAMES);
  for (const phrase of notNames) {
    for (const word of phrase.toLowerCase().split(/[^\p{L}'’]+/u)) if (word) ignore.add(stripPossessive(word));
  }
  const isOrdinary = (word: string) => ignore.has(word.toLowerCase()) || /^\p{Lu}+$/u.test(word);
  const names = new Set<string>();

  for (const match of text.matchAll(new RegExp(String.raw`\b(?:Mrs|Mr|Ms|Miss|Mx|Dr)\.?\s+((?:\p{Lu}\.?\s+)*${CAPITALISED}(?:\s+${CAPITALISED}){0,2})`, 'gu'))) {
    names.add(stripPossessive(match[1]));
  }
  for (const match of text.matchAll(new RegExp(String.raw`${CAPITALISED}(?:[ \t]+${CAPITALISED})+`, 'gu'))) {
    // Split the run at ordinary words: "On Monday Jayden Smith" holds the name "Jayden Smith".
    let current: string[] = [];
    const flush = () => {
      if (current.length >= 2) names.add(current.join(' '));
      current = [];
    };
    for (const word of match[0].split(/[ \t]+/).map(stripPossessive)) {
      if (isOrdinary(word)) flush();
      else current.push(word);
    }
    flush();
  }
  return [...names];
}

/** Consecutive removals ("[removed], [removed]") read better as one. */
function mergeAdjacent(text: string): string {
  const removed = escapeRegExp(REMOVED);
  return text.replace(new RegExp(`${removed}(?:[ ,]+${removed})+`, 'g'), REMOVED);
}

const stripPossessive = (word: string) => word.replace(/['’]s$/u, '');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
