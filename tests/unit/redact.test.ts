/** Redaction of free text for the anonymised proforma: known values, then patterns. */
import { expandKnown, findNames, redactText, REMOVED } from '../../records/redact';

const R = REMOVED;

describe('redactText with known values', () => {
  const known = ['Rachel Okonjo', 'rachel.okonjo@hillside.sch.uk', 'LCS-448812', 'Jayden Smith-Carter'];

  it('removes a whole name, and each of its parts on its own', () => {
    expect(redactText('Rachel Okonjo called.', known)).toBe(`${R} called.`);
    expect(redactText('Okonjo called; Rachel wrote.', known)).toBe(`${R} called; ${R} wrote.`);
  });

  it('treats both halves of a hyphenated name as parts', () => {
    expect(redactText('Jayden Smith-Carter, then Jayden, then Carter, then Smith.', known)).toBe(`${R}, then ${R}, then ${R}, then ${R}.`);
  });

  it('ignores case', () => {
    expect(redactText('RACHEL OKONJO and jayden', known)).toBe(`${R} and ${R}`);
  });

  it('matches whole words only', () => {
    expect(redactText('Rachelle and Okonjos and Smithson are other people.', known)).toBe('Rachelle and Okonjos and Smithson are other people.');
  });

  it("keeps a possessive readable", () => {
    expect(redactText("Jayden's school", known)).toBe(`${R}'s school`);
  });

  it('removes emails and references whole, without splitting them into parts', () => {
    expect(redactText('Ref LCS-448812 from rachel.okonjo@hillside.sch.uk; LCS is the system.', known)).toBe(`Ref ${R} from ${R}; LCS is the system.`);
  });

  it('ignores known values of two letters or fewer', () => {
    expect(expandKnown(['Mo Li', 'Al'])).toEqual(['mo li']);
    expect(redactText('Mo and Li went to Al', ['Mo Li', 'Al'])).toBe('Mo and Li went to Al');
  });

  it('treats regular-expression characters in a known value literally', () => {
    expect(redactText('Case (A+B) closed, case AAB open', ['(A+B)'])).toBe(`Case ${R} closed, case AAB open`);
  });
});

describe('redactText patterns', () => {
  it.each([
    ['an email address', 'Write to kelly.smith99@example.co.uk today.', `Write to ${R} today.`],
    ['a London number', 'Call 020 7946 0958 after 5.', `Call ${R} after 5.`],
    ['a bracketed area code', 'Call (020) 7946 0958.', `Call ${R}.`],
    ['a mobile', 'Mobile 07700 900123.', `Mobile ${R}.`],
    ['an unspaced mobile', 'Mobile 07700900123.', `Mobile ${R}.`],
    ['an international number', 'Or +44 7700 900123.', `Or ${R}.`],
    ['a postcode', 'Lives in BR1 3AB now.', `Lives in ${R} now.`],
    ['a lower-case postcode without a space', 'postcode sw1a1aa given', `postcode ${R} given`],
    ['an NHS number', 'NHS number 943 476 5919.', `NHS number ${R}.`],
    ['an NHS number with hyphens', 'NHS 943-476-5919.', `NHS ${R}.`],
    ['a date of birth', 'DOB 12/03/2015.', `DOB ${R}.`],
    ['a two-digit year', 'seen 1.2.15 at home', `seen ${R} at home`],
    ['an ISO date', 'reviewed 2026-03-02', `reviewed ${R}`],
    ['a date in words', 'born 12 March 2015 in Kent', `born ${R} in Kent`],
    ['an ordinal date', 'on the 3rd of Sept we met', `on the ${R} we met`],
    ['a day and month', 'meeting on 14 Feb.', `meeting on ${R}.`],
    ['an abbreviated month and year', 'born 1 Jan. 2020 here', `born ${R} here`],
    ['a month-first date', 'since March 12, 2015 at least', `since ${R} at least`],
    ['a street address', 'visited 14 Acacia Avenue yesterday', `visited ${R} yesterday`],
    ['an abbreviated street', 'at 221B Baker St.', `at ${R}.`],
    ['a street at the end of a sentence', 'Visit 14 Acacia Avenue. Then school.', `Visit ${R}. Then school.`],
    ['a flat and building', 'Flat 3, Rowan House, is damp', `${R}, is damp`],
    ['a name after Mrs', 'Mrs Kelly Smith attended.', `Mrs ${R} attended.`],
    ['a surname after Mr with an initial', 'Mr J. Smith attended.', `Mr ${R} attended.`],
    ['a name after Dr', 'Dr Patel reviewed it.', `Dr ${R} reviewed it.`],
    ['a name after Miss and Ms', 'Miss Brown and Ms Grey-Jones', `Miss ${R} and Ms ${R}`],
  ])('removes %s', (_what, text, expected) => {
    expect(redactText(text, [])).toBe(expected);
  });

  it('merges removals next to each other', () => {
    expect(redactText('at 14 Acacia Avenue, BR1 3AB', [])).toBe(`at ${R}`);
    expect(redactText('14 Acacia Avenue, Bromley BR1 3AB', [])).toBe(`${R}, Bromley ${R}`);
  });

  it('leaves month and year alone: that is how the proforma dates things', () => {
    expect(redactText('Review in March 2026 and again in May.', [])).toBe('Review in March 2026 and again in May.');
  });

  it('leaves ordinary words and numbers alone', () => {
    const text = 'The school and the social worker agreed a plan at stage 2; it may be reviewed in 6 weeks. The Team Manager (CSC) will check 3 times a week.';
    expect(redactText(text, [])).toBe(text);
  });

  it('does not take a lower-case month word for a date', () => {
    expect(redactText('Stage 2 may be skipped.', [])).toBe('Stage 2 may be skipped.');
  });
});

describe('findNames', () => {
  it('finds names after titles and runs of capitalised words', () => {
    const names = findNames('On Monday Jayden Smith told staff that Mrs Kelly Smith and Mr Lee had moved.');
    expect(names).toEqual(expect.arrayContaining(['Jayden Smith', 'Kelly Smith', 'Lee']));
    expect(names).not.toContain('On Monday');
  });

  it('skips safeguarding vocabulary, acronyms and the words it is told are not names', () => {
    const names = findNames('A Child Protection Plan was agreed. MASH Referral made by Hillside Primary School.', ['Hillside Primary School']);
    expect(names).toEqual([]);
  });

  it('strips possessives', () => {
    expect(findNames("Jayden Smith's mother")).toEqual(['Jayden Smith']);
  });
});
