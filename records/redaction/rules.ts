/**
 * Our own rules: the identifiers no general-purpose library knows (UK references, police and
 * council ids, postcodes and districts, dates as practitioners write them, ages and school years,
 * named schools and surgeries, social-media handles). Each rule finds spans of the original text;
 * the redactor unites them with what compromise and the word lists find.
 */
import { getLexicon, tokensOf } from './lexicon';

export type Label = 'name' | 'place' | 'address' | 'postcode' | 'date' | 'age' | 'school year' | 'school' | 'GP surgery' | 'id' | 'phone' | 'email' | 'handle' | 'link' | 'removed';

export interface Span {
  start: number;
  end: number;
  label: Label;
}

interface Rule {
  name: string;
  label: Label;
  pattern: RegExp;
  /**
   * Which part of a match goes: by default all of it; a number names a capture group; a function
   * decides (returning nothing keeps the match).
   */
  take?: number | ((m: RegExpExecArray) => Span | Span[] | undefined);
}

const MONTH = String.raw`(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`;
const MONTH_NOT_MAY = String.raw`(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`;
const WEEKDAY = String.raw`(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday|s)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)`;
const DAY = String.raw`(?:[12]\d|3[01]|0?[1-9])`;
const ORD = String.raw`(?:st|nd|rd|th)`;
const WORD_ORDINAL = String.raw`(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[- ]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|thirty[- ]?first)`;
const NUMBER_WORD = String.raw`(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen)`;
const STREET = String.raw`(?:street|st|road|rd|avenue|ave|lane|ln|close|drive|dr|way|place|pl|court|ct|crescent|cres|gardens|gdns|grove|gr|terrace|tce|square|sq|mews|walk|rise|parade|vale|wharf|row|view|green|hill|park|gate|fold|garth|croft|chase|boulevard|walkway)`;
/** Street words that read as ordinary words unless a house number comes first: "22 Spring Bank". */
const STREET_AFTER_NUMBER = String.raw`(?:bank|mount|end|side|field|fields|meadows?|dale|brow|heights|approach|common|cross|grange|crest|holme|garth|paddock|lawns|nook|ings|orchard|bridge|wood|woods|gardens?)`;
/** The postcode areas of the United Kingdom, so "A1" or "Y3" is not taken for a district. */
const AREA = String.raw`(?:AB|AL|B|BA|BB|BD|BH|BL|BN|BR|BS|BT|CA|CB|CF|CH|CM|CO|CR|CT|CV|CW|DA|DD|DE|DG|DH|DL|DN|DT|DY|E|EC|EH|EN|EX|FK|FY|G|GL|GU|GY|HA|HD|HG|HP|HR|HS|HU|HX|IG|IM|IP|IV|JE|KA|KT|KW|KY|L|LA|LD|LE|LL|LN|LS|LU|M|ME|MK|ML|N|NE|NG|NN|NP|NR|NW|OL|OX|PA|PE|PH|PL|PO|PR|RG|RH|RM|S|SA|SE|SG|SK|SL|SM|SN|SO|SP|SR|SS|ST|SW|SY|TA|TD|TF|TN|TQ|TR|TS|TW|UB|W|WA|WC|WD|WF|WN|WR|WS|WV|YO|ZE)`;
/** "Section 47", "s17": the Children Act, not a Sheffield postcode. */
const CHILDREN_ACT = /^s(?:17|20|31|37|47)$/i;
const SOCIAL = String.raw`(?:snap(?:chat)?|sc|insta(?:gram)?|ig|tik ?tok|tt|facebook|fb|twitter|discord|whatsapp|kik|telegram|youtube|twitch|roblox|xbox|psn|gamertag|steam|threads|bereal|yubo|wizz)`;

/** Words before "Primary", "Surgery" that do not name one: "his primary school", "the local GP surgery". */
const GENERIC_INSTITUTION = new Set(
  `the a an his her their its our your my this that new old previous current local same other another nearest nearby primary secondary infant infants junior juniors
   high special grammar village catholic church rc ce community free independent private state mainstream alternative provision pupil referral unit gp gps doctors
   doctor's dentist dental walk-in sexual health mental family children's childrens school schools nursery college academy sixth form day boarding breakfast after
   forest pre pre-school registered surgery practice clinic centre early years residential secure hospital a&e camhs any no`
    .split(/\s+/)
    .filter(Boolean),
);
/** Where the run of words naming a school or surgery starts: after these, never including them. */
const INSTITUTION_STOP = new Set(
  `at to from in of and or with by for via into attends attended attend attending goes went go going moved moving move excluded exclusion contacted called rang
   phoned emailed told said visited visit left leave joined join started starts start changed change enrolled registered is was are were has had have be been
   not on off out about as but then when while since if so that the a an his her their its our your my this these those`
    .split(/\s+/)
    .filter(Boolean),
);

/** Words after which "(5)" is a person's age although they are not names: "mum (32)", "baby (1)". */
const PERSON_BEFORE_AGE = new Set(
  'mum mam mom mother dad father nan nana nanna gran grandma grandad grandpa brother sister sibling siblings stepdad stepmum partner boyfriend girlfriend friend uncle aunt auntie cousin son daughter baby child boy girl twin twins carer'.split(' '),
);
/** Capitalised words before a bracketed number that are not people: "Section 47(2)", "Option (2)", "Stage (1)". */
const NOT_A_PERSON_BEFORE_NUMBER = new Set(
  'section sections s option options stage stages step steps part parts paragraph para point points question questions item items appendix schedule rule article regulation page level levels figure table note notes action actions outcome outcomes recommendation recommendations priority category criteria round phase week weeks day days'.split(' '),
);
/** Between "PC" and a number, these are not a name: "officer attended 1200", "PC was 4471". */
const OFFICER_NOT_NAME = new Set(
  'the an and or was is were are has had have said says saw seen took attended visited called rang arrived reported noted found on at in to from of for with by about after before since their his her who which that this there then than also not no only around approx'.split(' '),
);
/** After "username", "handle", "gamertag": these are the sentence going on, not the handle. */
const HANDLE_LEAD_STOP = new Set('is was and or the a an of on for to in with has had not unknown unclear changed deleted blocked'.split(' '));

/*
 * Hospitals practitioners name without the word "hospital". Acronyms any case but whole words
 * ("PRUH", "qeh", "GOSH" only in capitals, see below); names that are ordinary words ("Kings",
 * "Princess Royal") only capitalised; names no dictionary has ("Alder Hey", "Evelina") any case.
 */
const HOSPITAL_ACRONYMS = String.raw`(?:PRUH|QEH|QEHB|UCLH|GOSH|LGI|RVI|BRI|QMC|RMCH|BCH|HRI|CUH|QEQM|UHCW|UHW|NMUH|WMUH|KCH|GSTT|RLH|RFH|JR|JRH|NGH|RBH|WGH|CHH)`;
const HOSPITAL_NAMES = String.raw`(?:kings|king's|kings college|king's college|guys|guy|st thomas|st thomas'|st georges|st george|evelina|royal london|royal free|alder hey|great ormond street|gt ormond st|addenbrookes|addenbrooke|whittington|homerton|northwick park|darent valley|stepping hill|wythenshawe|pinderfields|frimley park|southmead|princess royal|queen elizabeth|queen elizabeth's|royal alex|jimmys|jimmy|john radcliffe|leeds general|hull royal|castle hill|lewisham|chelsea and westminster|chelsea & westminster|noah's ark|noahs ark|sheffield children|birmingham children|manchester children|royal manchester children|bristol royal|great western|royal victoria|freeman|royal hallamshire|northern general|broomfield|basildon|royal sussex|royal devon|derriford|musgrove|royal bolton|royal oldham|royal preston|arrowe park|whiston|ormskirk|queens|queen's)`;
/** Acronyms that are also words ("gosh", "Bri"): removed only in capitals. */
const HOSPITAL_CAPITALS_ONLY = new Set(['gosh', 'jr', 'bri', 'rlh', 'chh']);
/** Hospital names that are ordinary words: removed only capitalised. */
const HOSPITAL_CAPITALISED_ONLY = new Set(['kings', "king's", 'guys', 'guy', "guy's", 'princess royal', 'queen elizabeth', "queen elizabeth's", 'jimmys', 'jimmy', "jimmy's", 'freeman', 'queens', "queen's", 'great western', 'royal victoria', 'broomfield', 'lewisham', 'castle hill', 'royal alex', 'whiston', 'basildon']);

const span = (m: RegExpExecArray, start: number, end: number, label: Label): Span => ({ start: m.index + start, end: m.index + end, label });

/** The span of capture group `g` within a match (the `d` flag gives its indices). */
function group(m: RegExpExecArray, g: number, label: Label): Span | undefined {
  const at = m.indices?.[g];
  return at ? { start: at[0], end: at[1], label } : undefined;
}

export const RULES: readonly Rule[] = [
  { name: 'email address', label: 'email', pattern: /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu },
  { name: 'web address', label: 'link', pattern: /\b(?:https?:\/\/|www\.)[^\s<>"]+/giu },
  { name: 'social-media handle', label: 'handle', pattern: /(?<![\p{L}\p{N}._%+-])@[\p{L}\p{N}_.]{2,}/gu },
  {
    // "snap: kayden_b07", "her insta is lil.k", "tiktok account called kaysworld": the name after the app.
    name: 'handle after an app',
    label: 'handle',
    pattern: new RegExp(String.raw`\b${SOCIAL}\b(?:\s+(?:name|handle|username|user ?name|gamer ?tag|tag|account|acc|id|profile|page))*(\s*(?:[:=]|is|was|as|called|named)?\s*)["'“‘]?([\p{L}\p{N}_.-]{2,})`, 'giud'),
    take: (m) => {
      const handle = m[2];
      const lead = m[1].trim();
      const looksLikeHandle = /[\d_.]/.test(handle) || /^[:=]|^(called|named)$/i.test(lead) || /["'“‘]$/.test(m[0].slice(0, m[0].length - handle.length));
      const word = handle.toLowerCase();
      if (!looksLikeHandle && (lead === '' || ['is', 'was', 'as'].includes(lead.toLowerCase())) && getLexicon().english.has(word)) return undefined;
      return group(m, 2, 'handle');
    },
  },
  {
    // "user lil_j.2015", "username kay_b", "his account is jj.2011", "gamertag: KZ":
    // after "username", "handle" or "gamertag" any word; after "user", "account", "profile", "page" one that looks like a handle.
    name: 'handle after user or account',
    label: 'handle',
    pattern: /\b(user ?name|handle|gamer ?tag|user|account|acc|profile|page|channel)(\s*(?:name)?\s*(?:[:=]|is|was|as|called|named)?\s*)["'“‘]?([\p{L}\p{N}_][\p{L}\p{N}_.-]*[\p{L}\p{N}_]|[\p{L}\p{N}_]{2,})/giud,
    take: (m) => {
      const handle = m[3];
      const strong = /^(?:user ?name|handle|gamer ?tag)$/i.test(m[1]) || /[:=]|called|named/i.test(m[2]);
      const looksLikeHandle = /[_]|[\p{L}][.][\p{L}\p{N}]|[\p{N}][.][\p{L}]|\p{L}.*\p{N}|\p{N}.*\p{L}/u.test(handle) && !/^\d+(?:st|nd|rd|th|am|pm)$/i.test(handle);
      if (looksLikeHandle) return group(m, 3, 'handle');
      if (!strong) return undefined;
      const word = handle.toLowerCase();
      return HANDLE_LEAD_STOP.has(word) ? undefined : group(m, 3, 'handle');
    },
  },
  {
    // A word with an underscore, or letters and digits joined by dots ("lil_j", "kay.b.07", "jj.2011"), is a handle wherever it stands.
    name: 'handle-shaped word',
    label: 'handle',
    pattern: /(?<![\p{L}\p{N}_.@-])(?=[\p{L}\p{N}_.]*(?:_|\p{L}\.|\.\p{L}))(?=[\p{L}\p{N}_.]*\p{L})(?=[\p{L}\p{N}_.]*(?:_|\p{N}))[\p{L}\p{N}_]+(?:[._][\p{L}\p{N}_]+)+(?![\p{L}\p{N}_@-]|\.[\p{L}\p{N}])/gu,
    take: (m) => (/^(?:e\.g|i\.e|a\.m|p\.m|d\.o\.b|a\.k\.a|n\.b|p\.s)$/i.test(m[0]) || /^\d+(?:\.\d+)*$/.test(m[0]) ? undefined : span(m, 0, m[0].length, 'handle')),
  },
  {
    // 020 7946 0958, (01482) 300300, 07700 900123, +44 7700 900123.
    name: 'UK phone number',
    label: 'phone',
    pattern: /(?<![\d+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)(?:\d(?:\)\s?|[ .-])?){8,9}\d(?!\d)/gu,
  },
  { name: 'NHS number', label: 'id', pattern: /(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)/gu },
  { name: 'National Insurance number', label: 'id', pattern: /\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]?\b/giu },
  { name: 'unique pupil number', label: 'id', pattern: /\b[A-Z]\d{11}[A-Z\d]\b/giu },
  // Dates before ids and postcodes, so "03.04.15" is a date and not a reference.
  { name: 'ISO or year-first date', label: 'date', pattern: /\b\d{4}[/.-]\d{1,2}[/.-]\d{1,2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b/gu },
  { name: 'numeric date', label: 'date', pattern: /\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b/gu },
  { name: 'day and month in figures', label: 'date', pattern: /\b(?:0?[1-9]|[12]\d|3[01])\/(?:0?[1-9]|1[0-2])\b(?!\/)/gu },
  {
    // 3 april 2015, 3rd of April, 3rd April '15, 14th may. "2 may be" is not a date: lower-case "may" needs an ordinal, "of" or a year.
    name: 'date in words, day first',
    label: 'date',
    pattern: new RegExp(
      String.raw`\b(?:${WEEKDAY}\.?,?\s+(?:the\s+)?)?(?:${DAY}${ORD}?\s*(?:of\s+)?${MONTH_NOT_MAY}\b\.?|${DAY}${ORD}\s*(?:of\s+)?may\b|${DAY}\s+of\s+may\b|${DAY}\s+may(?=,?\s+'?\d{2,4}\b)|(?:the\s+)?${WORD_ORDINAL}\s+of\s+${MONTH}\b)(?:,?\s+(?:'\d{2}|\d{4}|\d{2})\b)?`,
      'giu',
    ),
  },
  // Case-sensitive: "3 May" is a date, "stage 2 may be missed" is not.
  { name: 'day and May', label: 'date', pattern: new RegExp(String.raw`\b${DAY}(?:${ORD})?\s+May\b(?:,?\s+(?:'\d{2}|\d{4})\b)?`, 'gu') },
  {
    name: 'date in words, month first',
    label: 'date',
    pattern: new RegExp(String.raw`\b${MONTH}\.?\s+(?:the\s+)?${DAY}(?:${ORD})?(?!\d)(?:,?\s+\d{4}\b)?(?!\s*(?:years?|yrs?|months?|weeks?|days?|hours?|pupils?|children|people)\b)`, 'giu'),
    take: (m) => (/^may\s+\d{1,2}$/i.test(m[0]) && !/^May/.test(m[0]) ? undefined : span(m, 0, m[0].length, 'date')),
  },
  {
    // "on monday 3rd", "Tuesday the 5th", "on the 14th", "the 3rd of".
    name: 'day of the month',
    label: 'date',
    pattern: new RegExp(String.raw`\b(?:${WEEKDAY}\.?\s+(?:the\s+)?${DAY}${ORD}|(?<=\b(?:on|by|from|until|till|since|before|after)\s+)(?:the\s+)?${DAY}${ORD}|the\s+${DAY}${ORD}(?=\s+of\b))\b`, 'giu'),
  },
  {
    // "born March 2015", "DOB: 3.4.15", "date of birth 2015": everything that dates a birth.
    name: 'date of birth',
    label: 'date',
    pattern: new RegExp(String.raw`\b(?:born|dob|d\.o\.b\.?|date of birth|birthday)\b[:\s]*(?:(?:on|in)\s+)?((?:(?:${DAY}${ORD}?|${MONTH}|\d{4}|of|the)[\s,./-]*){1,4})`, 'giud'),
    take: (m) => (m[1].trim() ? group(m, 1, 'date') : undefined),
  },
  { name: 'year and month of birth', label: 'date', pattern: /\b(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])\b/gu },
  {
    name: 'age',
    label: 'age',
    pattern: new RegExp(
      String.raw`\b(?:aged?\s*:?\s*(?:\d{1,2}|${NUMBER_WORD})(?:\s*(?:and\s+a\s+half|½))?(?:\s*(?:years?|yrs?|months?|mths?|weeks?|wks?))?(?:\s*old)?|(?:\d{1,2}|${NUMBER_WORD})\s*(?:-\s*)?(?:yo|y\/o|y\.o\.?|(?:years?|yrs?|yr|months?|mths?|weeks?|wks?)\s*-?\s*(?:old|of\s+age)))\b`,
      'giu',
    ),
  },
  {
    // "she is 15", "the father is believed to be 21", "Jenson, 9, has", "mum (Tracey, 34)": a bare age.
    name: 'bare age',
    label: 'age',
    pattern: /\b(?:is|was|be|turned|turns|turning|now|aged)\s+(\d{1,2})\b(?!\s*(?:%|percent|per|minutes?|mins?|hours?|hrs?|days?|weeks?|times?|miles?|pounds?|kg|am|pm|o'clock|[:.]\d))|(?<=\p{L}),\s*(\d{1,2})(?=\s*[,)])/giud,
    take: (m) => group(m, m[1] ? 1 : 2, 'age'),
  },
  {
    // "Freddie (5)", "jayden (7)", "mum (32)", "Child A (4yrs)": a number in brackets after a person is their age.
    // After an ordinary word it is not: "alert(5)", "option (2)", "section 47(2)", "referrals (3)".
    name: 'age after a name',
    label: 'age',
    pattern: /(?<![\p{L}\p{N}_])([\p{L}][\p{L}'’-]*)(\s*)(\((?:\d{1,2}|\d{1,2}\s*(?:yrs?|y|m|mths?))\))/giud,
    take: (m) => {
      const lex = getLexicon();
      const word = m[1].toLowerCase().replace(/’/g, "'").replace(/'s$/, '');
      const personish =
        PERSON_BEFORE_AGE.has(word) ||
        (lex.names.has(word) && !lex.common.has(word)) ||
        (/^\p{Lu}/u.test(m[1]) && !NOT_A_PERSON_BEFORE_NUMBER.has(word)) ||
        (word.length > 1 && !lex.english.has(word) && !lex.common.has(word));
      return personish ? group(m, 3, 'age') : undefined;
    },
  },
  { name: 'school year', label: 'school year', pattern: /\b(?:year|yr|y)\s*-?\s*(?:[1-9]|1[0-3]|r)\b(?!\s*(?:olds?|old|of|ago)\b)/giu },
  {
    // "in year six", "Year Eleven": a school year in words (not "year one of the plan", "in the first year two workers left").
    name: 'school year in words',
    label: 'school year',
    pattern: /(?<!\b(?:first|second|third|last|next|this|that|every|each|per|same|one|whole|full|financial|academic|calendar|a)\s+)\b(?:year|yr)\s*-?\s*(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen)\b(?!\s*(?:olds?|of|ago|later|earlier|before|after|since|years?|months?|weeks?|days?|times?)\b)/giu,
  },
  {
    name: 'police officer number',
    label: 'id',
    pattern: /\b(?:pc|pcso|dc|ds|di|dci|sgt|sergeant|insp|inspector|officer|collar|warrant|badge|shoulder)\.?\s*(?:number|no\.?|num|#)?\s*[:.]?\s*(\d{2,6})\b/giud,
    take: 1,
  },
  {
    // "PC Jones 4471", "pc a. khan 2231", "DC Smith, 7781": the collar number after the officer's name.
    name: 'police officer number after a name',
    label: 'id',
    pattern: /\b(?:pc|pcso|dc|ds|di|dci|sgt|sergeant|insp|inspector|constable|officer)\.?\s+((?:[\p{L}][\p{L}'’.-]*\s+){0,2}[\p{L}][\p{L}'’-]*)[\s,]*(?:\(|\b(?:collar|shoulder|badge|warrant)?\s*(?:number|no\.?|num|#)?\s*[:.]?\s*)(\d{3,6})\b(?!\s*(?:%|percent|minutes?|mins?|hours?|hrs?|days?|weeks?|times?|miles?|pounds?|am|pm|[:.]\d))/giud,
    take: (m) => {
      const words = tokensOf(m[1]);
      // "the officer said 1200 people": a verb or a function word between is not a name.
      return words.some((w) => OFFICER_NOT_NAME.has(w)) ? undefined : group(m, 2, 'id');
    },
  },
  {
    // crime ref 14/56789/21, incident 0456 of 03/04, log number 123, STORM 2345, Mosaic id 123456, CP plan no CP/2023/0456.
    name: 'reference after its name',
    label: 'id',
    pattern:
      /\b(?:crime|incident|occurrence|log|storm|niche|athena|cad|ref(?:erence)?|case|file|mosaic|lcs|liquidlogic|eclipse|carefirst|care first|ics|person|child|client|family|subject|cp plan|plan|cin|lac|ehcp|upn|uln|nhs|hospital|unit|docket|warrant|court)\b\.?\s*(?:ref(?:erence)?|number|no\.?|num|#|id|identifier)?\s*(?:is|was)?\s*[:.=-]?\s*((?=[\p{L}\p{N}/-]*\d)[\p{L}\p{N}]+(?:[/-][\p{L}\p{N}]+)*(?:\s+of\s+\d[\d/]*)?)/giud,
    take: 1,
  },
  { name: 'reference with slashes', label: 'id', pattern: /\b(?=[\p{L}\p{N}/-]*\d)[\p{L}\p{N}]+(?:[/-][\p{L}\p{N}]+){2,}\b/gu },
  {
    name: 'full postcode',
    label: 'postcode',
    pattern: new RegExp(String.raw`\b${AREA}\d[A-Z\d]?\s*\d[A-Z]{2}\b`, 'giu'),
  },
  {
    name: 'postcode district',
    label: 'postcode',
    pattern: new RegExp(String.raw`\b${AREA}\d[A-Z\d]?\b`, 'giu'),
    take: (m) => (CHILDREN_ACT.test(m[0]) ? undefined : span(m, 0, m[0].length, 'postcode')),
  },
  {
    // Letters and digits together: kaydenx07, LCS448812, A123456. Not "10am", "3rd", "24hrs", "s47".
    name: 'code of letters and digits',
    label: 'id',
    pattern: /\b(?=[\p{L}_]*\d)(?=[\p{N}_]*\p{L})[\p{L}\p{N}_]{4,}\b/gu,
    take: (m) => (/^\d+(?:s|am|pm|st|nd|rd|th|yo|yrs?|hrs?|mins?|wks?|mths?|days?|kg|g|ml|mg|cm|mm|m|km|x)$/i.test(m[0]) || /^(?:ks|y|yr|s|gcse)\d+$/i.test(m[0]) ? undefined : span(m, 0, m[0].length, 'id')),
  },
  { name: 'long number', label: 'id', pattern: /(?<![\p{L}\p{N}])\d[\d ]{3,}\d(?![\p{L}\p{N}])/gu, take: (m) => (/^(?:19|20)\d{2}$/.test(m[0]) ? undefined : span(m, 0, m[0].length, 'id')) },
  {
    // 14 Acacia Avenue, 3a mill lane, Flat 2, 17 Rowan House.
    name: 'street address',
    label: 'address',
    pattern: new RegExp(String.raw`\b\d{1,4}[a-z]?,?\s+(?:[\p{L}'’-]+\s+){1,3}(?:${STREET}|${STREET_AFTER_NUMBER}|house|court|lodge|cottages?|flats|buildings?|mansions|tower|estate)\b`, 'giu'),
  },
  { name: 'flat or unit', label: 'address', pattern: /\b(?:flat|apartment|apt|room|house number)\s+\d+[a-z]?\b/giu },
  {
    // "lives on Mill Lane", "in acacia avenue", "off Holderness Road": a street without its number.
    name: 'street by name',
    label: 'address',
    pattern: new RegExp(String.raw`\b(?:on|in|off|along|at|near|from|to|of|down|up)\s+((?:[\p{L}'’-]+\s+){1,2}${STREET})\b`, 'giud'),
    take: (m) => {
      const words = tokensOf(m[1]).slice(0, -1);
      const generic = new Set(['the', 'a', 'an', 'his', 'her', 'their', 'this', 'that', 'same', 'main', 'high', 'family', 'crown', 'magistrates', 'youth', 'county', 'one', 'no', 'any', 'every', 'right', 'wrong', 'other', 'long', 'next', 'back', 'front', 'their', 'its', 'my', 'our', 'whole', 'local', 'car', 'play', 'skate', 'theme', 'retail', 'bus', 'train']);
      return words.some((w) => !generic.has(w)) && !/^(?:the|a|an|his|her|their|its|my|our)$/i.test(words[0] ?? '') ? group(m, 1, 'address') : undefined;
    },
  },
  {
    // Hospitals by the short names and acronyms practitioners use: "the PRUH", "QEH", "Alder Hey", "Kings" (capitalised).
    name: 'hospital short name',
    label: 'place',
    pattern: new RegExp(String.raw`(?<![\p{L}\p{N}])(?:${HOSPITAL_ACRONYMS}|(?:${HOSPITAL_NAMES})(?:'s|’s|s')?)(?![\p{L}\p{N}])`, 'giu'),
    take: (m) => {
      const key = m[0].toLowerCase().replace(/’/g, "'");
      if (HOSPITAL_CAPITALS_ONLY.has(key) && m[0] !== m[0].toUpperCase()) return undefined;
      if (HOSPITAL_CAPITALISED_ONLY.has(key) && !/^\p{Lu}/u.test(m[0])) return undefined;
      return span(m, 0, m[0].length, 'place');
    },
  },
  {
    // Hillside Primary, st mary's rc primary, Beech Medical Centre, Orchard Surgery.
    name: 'named school or surgery',
    label: 'school',
    pattern:
      /((?:[\p{L}'’.&-]+\s+){1,4})(primary|infants?|juniors?|academy|school|college|nursery|pre-?school|surgery|medical centre|medical practice|health centre|practice|clinic|children'?s centre|family centre|high|hospital|infirmary|a&e|a and e|emergency department|children's hospital|maternity unit|paediatric ward|children's ward)(?![\p{L}\p{N}])/giud,
    take: (m) => {
      const words = [...m[1].matchAll(/[\p{L}'’.&-]+/gu)];
      // A sentence ends at a full stop after a word that is not an abbreviation ("Avenue." but not "St.").
      const ended = (w: string) => /\.$/.test(w) && !/^(?:st|rc|ce|dr|mt|c\.?of\.?e)\.$/i.test(w);
      // The name is the run of words just before the institution word, back to the first stop word.
      let from = words.length;
      const stops = (k: number) => {
        const w = words[k][0];
        // "Women and Childrens Hospital": an "and" between capitalised words is part of the name.
        if (/^(?:and|&)$/i.test(w) && k > 0 && /^\p{Lu}/u.test(words[k - 1][0]) && /^\p{Lu}/u.test(words[k + 1]?.[0] ?? m[2])) return false;
        return ended(w) || INSTITUTION_STOP.has(w.toLowerCase().replace(/[’]/g, "'"));
      };
      while (from > 0 && !stops(from - 1)) from--;
      const named = words.slice(from);
      if (named.every((w) => GENERIC_INSTITUTION.has(w[0].toLowerCase().replace(/[’]/g, "'")))) return undefined;
      const first = named.find((w) => !GENERIC_INSTITUTION.has(w[0].toLowerCase()))!;
      const start = m.index + (first.index ?? 0);
      const end = m.indices![2][1];
      const label: Label = /hospital|infirmary|a&e|a and e|emergency|maternity|ward/i.test(m[2]) ? 'place' : /surgery|medical|practice|health|clinic/i.test(m[2]) ? 'GP surgery' : 'school';
      return { start, end, label };
    },
  },
  {
    // "known as 'bubba'", "mum calls him lil man", "goes by KK": whatever follows is a name.
    name: 'nickname',
    label: 'name',
    pattern: /\b(?:known as|aka|a\.k\.a\.?|nick-?named?|nickname is|calls? (?:him|her|them)(?:self|selves)?|called|goes by|prefers to be called)\s+["'“‘]?((?:lil|little|big|baby)\s+[\p{L}'’-]+|[\p{L}'’-]+(?:[ -][\p{L}'’-]+)?(?=["'”’]))|\b(?:known as|aka|a\.k\.a\.?|nick-?named?|nickname is|calls? (?:him|her|them)|goes by|prefers to be called)\s+["'“‘]?([\p{L}'’-]+)/giud,
    take: (m) => group(m, m[1] ? 1 : 2, 'name'),
  },
  {
    // Mrs Smith, mr and mrs jones, Dr Patel, PC Hughes: the title stays, so the sentence still reads.
    name: 'name after a title',
    label: 'name',
    pattern: /\b(?:mr|mrs|ms|miss|mx|dr|prof|cllr|rev|fr|pc|pcso|dc|ds|dci|sgt|judge|hhj)\.?\s+(?:and\s+(?:mr|mrs|ms|miss|mx|dr)\.?\s+)?((?:\p{L}\.?\s+){0,2}[\p{L}'’-]+)/giud,
    take: (m) => {
      const word = m[1].toLowerCase();
      if (/^(?:and|or|the|a|said|says|was|is|has|had|will|would|to|from|of|in|on|at)$/.test(word)) return undefined;
      return group(m, 1, 'name');
    },
  },
];

/** Every span our rules find in `text`. */
export function ruleSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    for (const m of text.matchAll(rule.pattern)) {
      const found = typeof rule.take === 'function' ? rule.take(m as RegExpExecArray) : typeof rule.take === 'number' ? group(m as RegExpExecArray, rule.take, rule.label) : span(m as RegExpExecArray, 0, m[0].length, rule.label);
      for (const s of [found ?? []].flat()) if (s.end > s.start) spans.push(s);
    }
  }
  return spans;
}
