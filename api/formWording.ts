/**
 * Error messages in the GOV.UK Design System's words ("Enter your name", "Select your agency"),
 * from the problems zod and the policy checks report ("is required", "must be an email address").
 * The API's JSON keeps its own terse messages; only the pages speak like this.
 */
import type { FieldProblem } from './problem';

export interface FieldWords {
  /** How the field is named inside a sentence: "your name", "the agreed outcome". */
  name: string;
  /** Chosen rather than typed (radios, selects): "Select …" instead of "Enter …". */
  choice?: boolean;
  /** For a format problem, an example of what is wanted. */
  like?: string;
  /** Sentences for the field's own rules, by how the raw message starts. */
  rules?: Record<string, string>;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function govukMessage(problem: FieldProblem, words: FieldWords | undefined): string {
  const { message } = problem;
  if (!words) return capitalise(message);
  for (const [start, sentence] of Object.entries(words.rules ?? {})) if (message.startsWith(start)) return sentence;
  if (/^is required|^Invalid input|expected string/i.test(message)) return `${words.choice ? 'Select' : 'Enter'} ${words.name}`;
  const tooLong = /^must be ([\d,]+) characters or fewer$/.exec(message);
  if (tooLong) return `${capitalise(words.name)} must be ${Number(tooLong[1].replace(/,/g, '')).toLocaleString('en-GB')} characters or fewer`;
  if (/^must be one of|^is not an? /.test(message)) return `Select ${words.name} from the list`;
  if (words.like) return `Enter ${words.name} in the correct format, like ${words.like}`;
  return `${capitalise(words.name)} ${message}`;
}
