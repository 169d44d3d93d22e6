/**
 * Every side effect of a case. The factory receives its dependencies so tests inject real
 * test servers (SMTP, PostgreSQL) without globals.
 */
import type { Database } from '../db/database';
import type { CaseEvent, DeadlineRequest, Notification, ResolveRecipientsRequest, ReviewInstantRequest, SelectPanelRequest } from '../shared/events';
import type { LinkSigner } from '../shared/links';
import type { Mailer } from '../mail/mailer';
import { computeDeadline, reviewInstant } from './deadlines';
import { resolveRecipients, selectPanel } from './directory';
import { sendNotification } from './notifications';
import { recordEvent } from './records';

export interface ActivityDeps {
  db: Database;
  mailer: Mailer;
  links: LinkSigner;
  publicUrl: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    async computeDeadline(request: DeadlineRequest): Promise<string> {
      return computeDeadline(request);
    },
    async reviewInstant(request: ReviewInstantRequest): Promise<string> {
      return reviewInstant(request);
    },
    async resolveRecipients(request: ResolveRecipientsRequest) {
      return resolveRecipients(request);
    },
    async selectPanel(request: SelectPanelRequest) {
      return selectPanel(request);
    },
    async recordEvent(event: CaseEvent): Promise<void> {
      await recordEvent(deps.db, event);
    },
    async sendNotification(notification: Notification): Promise<{ sent: boolean }> {
      return sendNotification(deps, notification);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
