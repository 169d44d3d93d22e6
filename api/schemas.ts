/** Every input the API takes, checked with zod; errors name the field and the problem. */
import { z } from 'zod';
import type { Outcome } from '../shared/contract';
import { phoneSchema } from '../shared/policy/schema';

const text = (max: number) => z.string().trim().min(1, 'is required').max(max, `must be ${max} characters or fewer`);

export const practitionerSchema = z.object({
  name: text(200),
  email: z.email('must be an email address'),
  agency: text(100).describe('agency id from the partnership directory'),
  /** The practitioner's own role (for example socialWorker, gp, schoolStaff), where the policy has counterparts. */
  role: z.string().trim().regex(/^[a-z][a-zA-Z0-9]*$/, 'must be a role id such as socialWorker').optional(),
  /** A work telephone number, shown to the people deciding the case; kept out of emails and Temporal. */
  phone: phoneSchema.optional(),
});

export const openDisagreementSchema = z
  .object({
    partnership: text(100),
    raiser: practitionerSchema,
    other: practitionerSchema,
    childReference: text(100).describe("the child's id in the raiser's agency system"),
    category: text(100),
    description: text(10_000),
    flags: z
      .object({
        childProtectionPlan: z.boolean().default(false),
        lookedAfter: z.boolean().default(false),
        immediateHarm: z.boolean().default(false),
      })
      .strict()
      .default({ childProtectionPlan: false, lookedAfter: false, immediateHarm: false }),
    /** Whether the child's case is open to the other agency or a new referral, where ladders differ. */
    caseStatus: z.enum(['open', 'newReferral']).default('open'),
    /** With immediate harm, a later stage to start at, where the policy allows it. */
    startAtStage: z.string().trim().min(1).optional(),
  })
  .strict();

export type OpenDisagreement = z.infer<typeof openDisagreementSchema>;

export const lessonKind = z.enum(['trainingNeed', 'commissioningNeed', 'agencyGuidance', 'partnershipGuidance']);

/** The decision form behind an email link. */
export const decisionFormSchema = z.discriminatedUnion(
  'outcome',
  [
    z.object({
      outcome: z.literal('resolved'),
      agreedOutcome: text(5_000),
      agreedPlan: z.string().trim().max(5_000).optional().transform((v) => v || undefined),
      reviewDate: z
        .string()
        .trim()
        .optional()
        .transform((v) => v || undefined)
        .pipe(z.iso.date('must be a date such as 2027-01-31').optional()),
      outstandingIssues: z.string().trim().max(5_000).optional().transform((v) => v || undefined),
      /** Hull's lessons learned: ticked boxes, and notes. */
      lessons: z.preprocess((v) => (v === undefined || v === '' ? undefined : [v].flat()), z.array(lessonKind).optional()),
      lessonsNotes: z.string().trim().max(5_000).optional().transform((v) => v || undefined),
    }),
    z.object({ outcome: z.literal('notResolved'), reasons: text(5_000) }),
    z.object({ outcome: z.literal('panelConvened'), reasons: z.string().trim().max(5_000).optional().transform((v) => v || undefined) }),
  ],
  { error: 'choose whether the disagreement was resolved' },
);

export type DecisionForm = z.infer<typeof decisionFormSchema>;

export const referenceSchema = z.string().regex(/^[A-Z]{2,6}-\d{4}-[0-9A-Z]{6}$/, 'is not a case reference');

/** The decision as the workflow takes it: lessons learned gathered into one object. */
export function toOutcome(form: DecisionForm): Outcome {
  if (form.outcome !== 'resolved') return form;
  const { lessons, lessonsNotes, ...rest } = form;
  if (!lessons?.length && !lessonsNotes) return rest;
  const ticked = new Set(lessons ?? []);
  return {
    ...rest,
    lessons: {
      trainingNeed: ticked.has('trainingNeed'),
      commissioningNeed: ticked.has('commissioningNeed'),
      agencyGuidance: ticked.has('agencyGuidance'),
      partnershipGuidance: ticked.has('partnershipGuidance'),
      ...(lessonsNotes ? { notes: lessonsNotes } : {}),
    },
  };
}
