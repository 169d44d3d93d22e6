/**
 * The words the pages' templates use, from the presentation module: one list, so the app and a
 * test's own view setup give templates the same helpers.
 */
import nunjucks from 'nunjucks';
import { policyVersionWords, policyWithVersion } from '../shared/policyWording';
import { describeDeadline } from '../shared/calendar/workingTime';
import { capitalise, roleLabel, statusTitle } from '../shared/presentation/labels';
import { formatDate, formatDateTime, monthInWords, timeInWords } from '../shared/presentation/dates';

export function addViewHelpers(views: nunjucks.Environment): nunjucks.Environment {
  views.addGlobal('roleLabel', roleLabel);
  views.addGlobal('statusLabel', statusTitle);
  views.addFilter('policyVersion', policyVersionWords);
  views.addGlobal('policyWithVersion', policyWithVersion);
  views.addFilter('inWords', (iso: string, zone = 'Europe/London') => (iso ? describeDeadline(new Date(iso), zone, new Date()).replace(/^by /, '') : ''));
  views.addFilter('dateTime', (iso: string) => formatDateTime(iso));
  views.addFilter('monthInWords', monthInWords);
  views.addFilter('longDate', (date: string) => (date ? formatDate(date) : ''));
  views.addFilter('timeInWords', (iso: string | Date) => (iso ? timeInWords(iso) : ''));
  // Free text with its line breaks kept, escaped, for a summary list's `html` (its `text` with the
  // class would show the macro's own leading line break as a blank line).
  views.addFilter('preLine', (text: unknown) => new nunjucks.runtime.SafeString(`<span class="app-pre-line">${escapeHtml(String(text ?? ''))}</span>`));
  views.addFilter('capitalizeFirst', (text: string) => capitalise(String(text ?? '')));
  return views;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
