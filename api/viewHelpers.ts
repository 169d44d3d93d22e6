/**
 * The words the pages' templates use, from the presentation module: one list, so the app and a
 * test's own view setup give templates the same helpers.
 */
import type nunjucks from 'nunjucks';
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
  views.addFilter('capitalizeFirst', (text: string) => capitalise(String(text ?? '')));
  return views;
}
