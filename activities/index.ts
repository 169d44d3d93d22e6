/**
 * Every side effect of a case. The factory receives its dependencies so tests inject real
 * test servers (SMTP, PostgreSQL) without globals.
 */
import type { Client } from '@temporalio/client';
import type { Database } from '../db/database';
import type { ReviewReminderInput } from '../workflows/reviewReminder';
import type { CaseEvent, DeadlineRequest, Delivery, Notification, Recipient, ResolveRecipientsRequest, ReviewInstantRequest, SelectPanelRequest } from '../shared/events';
import type { LinkSigner } from '../shared/links';
import type { Mailer } from '../mail/mailer';
import { computeDeadline, reviewInstant } from './deadlines';
import { resolveRecipients, selectPanel } from './directory';
import { sendNotification } from './notifications';
import { recordEvent } from './records';
import { scheduleReviewReminder } from './reviews';
import { STUCK_AFTER_MS, heartbeating, watched } from './watch';

export interface ActivityDeps {
  db: Database;
  mailer: Mailer;
  links: LinkSigner;
  publicUrl: string;
  /** Starts review reminders (a workflow of their own). */
  temporal?: Client;
  /** An activity still retrying this long after it was first scheduled is logged as stuck. */
  stuckAfterMs?: number;
}

export function createActivities(deps: ActivityDeps) {
  const stuck = deps.stuckAfterMs ?? STUCK_AFTER_MS;
  return {
    computeDeadline: watched('computeDeadline', stuck, async (request: DeadlineRequest): Promise<string> => computeDeadline(request)),
    reviewInstant: watched('reviewInstant', stuck, async (request: ReviewInstantRequest): Promise<string> => reviewInstant(request)),
    resolveRecipients: watched('resolveRecipients', stuck, async (request: ResolveRecipientsRequest): Promise<Recipient[]> => resolveRecipients(request)),
    selectPanel: watched('selectPanel', stuck, async (request: SelectPanelRequest): Promise<Recipient[]> => selectPanel(request)),
    recordEvent: watched('recordEvent', stuck, async (event: CaseEvent): Promise<void> => recordEvent(deps.db, event)),
    scheduleReviewReminder: watched('scheduleReviewReminder', stuck, async (input: ReviewReminderInput): Promise<void> => scheduleReviewReminder(deps.temporal, input)),
    sendNotification: watched('sendNotification', stuck, async (notification: Notification): Promise<Delivery> => heartbeating(() => sendNotification(deps, notification))),
  };
}

export type Activities = ReturnType<typeof createActivities>;
