/**
 * Search attributes operations staff filter on in the Temporal UI. None holds personal data:
 * partnership and agency ids, stage number, status, category and the stage's deadline.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PARTNERSHIP = defineSearchAttributeKey('LscpPartnership', SearchAttributeType.KEYWORD);
export const STAGE = defineSearchAttributeKey('LscpStage', SearchAttributeType.INT);
export const STATUS = defineSearchAttributeKey('LscpStatus', SearchAttributeType.KEYWORD);
export const CATEGORY = defineSearchAttributeKey('LscpCategory', SearchAttributeType.KEYWORD);
export const AGENCIES = defineSearchAttributeKey('LscpAgencies', SearchAttributeType.KEYWORD_LIST);
export const STAGE_DEADLINE = defineSearchAttributeKey('LscpStageDeadline', SearchAttributeType.DATETIME);
export const IMMEDIATE_HARM = defineSearchAttributeKey('LscpImmediateHarm', SearchAttributeType.BOOL);
/** At the policy's last stage (the chair, the panel, the Heads of Safeguarding). */
export const FINAL_STAGE = defineSearchAttributeKey('LscpFinalStage', SearchAttributeType.BOOL);

/**
 * The stage's due deadline (shared/overdue.ts): the one people were given, never moved by the final
 * stage's last chance; empty while the clock is paused and once the case ends. Overdue cases:
 * `LscpStageDueAt < "<now>" AND ExecutionStatus = "Running"`.
 */
export const STAGE_DUE_AT = defineSearchAttributeKey('LscpStageDueAt', SearchAttributeType.DATETIME);

/** An email of the case was refused for good (an address to correct in the directory). */
export const DELIVERY_FAILED = defineSearchAttributeKey('LscpDeliveryFailed', SearchAttributeType.BOOL);

/** Name and server type of each, for `temporal server start-dev --search-attribute`. */
export const searchAttributeRegistrations: Record<string, 'Keyword' | 'Int' | 'KeywordList' | 'Datetime' | 'Bool'> = {
  [PARTNERSHIP.name]: 'Keyword',
  [STAGE.name]: 'Int',
  [STATUS.name]: 'Keyword',
  [CATEGORY.name]: 'Keyword',
  [AGENCIES.name]: 'KeywordList',
  [STAGE_DEADLINE.name]: 'Datetime',
  [IMMEDIATE_HARM.name]: 'Bool',
  [FINAL_STAGE.name]: 'Bool',
  [DELIVERY_FAILED.name]: 'Bool',
  [STAGE_DUE_AT.name]: 'Datetime',
};
