/**
 * A partnership's escalation policy as data. One validated document per partnership: no
 * partnership has code of its own. Pure zod, safe to use anywhere (workflow code receives the
 * already-validated snapshot and evaluates it with ./conditions).
 */
import { z } from 'zod';
import { decidedByProblems } from './deciding';

const id = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9-]*$/, 'must start with a lower-case letter and use letters, digits and hyphens');
const roleName = z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'must be a camelCase role name such as lineManager');
const isoDate = z.iso.date();
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time such as 09:00');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const caseFlagName = z.enum(['childProtectionPlan', 'lookedAfter', 'immediateHarm']);
export const caseStatusName = z.enum(['open', 'newReferral']);

/** Conditions on the clock, judged in the pack's calendar when a stage is entered. */
const clockConditionShape = {
  /** Inside the calendar's working hours on a working day (false: evenings, weekends, bank holidays). */
  officeHours: z.boolean().optional(),
  /** A local time window; `from` later than `to` wraps past midnight (21:00 to 07:00). */
  time: z.object({ from: clock, to: clock }).optional(),
  days: z.array(weekday).min(1).optional(),
  bankHoliday: z.boolean().optional(),
};
export const clockConditionSchema = z.object(clockConditionShape).strict();

/** When a rule applies. Every condition given must hold; a list holds when any of its items matches. */
export const conditionSchema = z
  .object({
    flags: z.array(caseFlagName).min(1).optional(),
    category: z.array(id).min(1).optional(),
    otherAgencyType: z.array(z.string().min(1)).min(1).optional(),
    raiserAgencyType: z.array(z.string().min(1)).min(1).optional(),
    caseStatus: z.array(caseStatusName).min(1).optional(),
    ...clockConditionShape,
  })
  .strict();

/** `when: [childProtectionPlan]` is short for `when: { flags: [childProtectionPlan] }`. */
const whenSchema = z.union([z.array(caseFlagName).min(1).transform((flags): Condition => ({ flags })), conditionSchema]);

/** A telephone number as people write it: digits, spaces, brackets, hyphens, an optional leading +. */
export const phoneSchema = z.string().trim().regex(/^\+?[0-9][0-9 ()-]{5,24}$/, 'must be a telephone number such as 020 7946 0123');

export const contactSchema = z.object({
  name: z.string().min(1),
  email: z.email(),
  /** Shown to the people deciding a stage, so they can call the other side; never emailed. */
  phone: phoneSchema.optional(),
  /** Hours this person holds the role, where it changes with the clock (night duty, out-of-hours teams). */
  when: clockConditionSchema.optional(),
});

/** Who, relative to the disagreement: the raiser's agency, the other agency, both, or the partnership. */
export const roleRefSchema = z.object({
  /**
   * A role in the directory; or `worker` (the practitioner themselves); or `counterpart` (the role
   * the pack's counterparts table gives for the practitioner's own role, Hull style).
   */
  role: roleName,
  of: z.enum(['raiser', 'other', 'both', 'partnership']),
  /** Roles tried in order when nobody holds `role` (Hull: "if no line manager is available, the next tier"). */
  fallback: z.array(roleName).default([]),
  when: whenSchema.optional(),
  /** Barnet: a head teacher who is also the DSL is bypassed to the safeguarding governor. */
  bypassWhenAlso: z.object({ role: roleName, use: z.array(roleName).min(1) }).optional(),
});

/** Timescales: working days or hours in the pack's calendar, or a plain ISO-8601 period of elapsed time. */
export const timescaleSchema = z.union([
  z.object({ workingDays: z.number().int().min(0) }).strict(),
  z.object({ workingHours: z.number().positive() }).strict(),
  z.object({ period: z.iso.duration() }).strict(),
]);

const notifyOn = z.enum(['stageEntered', 'outcomeRecorded', 'resolved']);

export const stageSchema = z.object({
  id,
  name: z.string().min(1),
  /** What the policy expects to happen at this stage, shown to the people taking part. */
  guidance: z.string().optional(),
  expectedOutcome: z.string().optional(),
  /** The stage applies only to cases that meet this (for example the other agency's type). */
  when: whenSchema.optional(),
  timescale: timescaleSchema,
  /** The people who meet and record the outcome. */
  participants: z.array(roleRefSchema).min(1),
  /** People told on entry who do not record the outcome. */
  notify: z.array(roleRefSchema).default([]),
  /** People told before the case enters this stage (Hull: every DSL before the senior managers). */
  notifyBefore: z.array(roleRefSchema).default([]),
  /** Reminders to the stage's people this long before its deadline (ISO-8601 periods, e.g. P1D). */
  reminders: z.array(z.object({ before: z.iso.duration() })).default([]),
  /**
   * What the deadline does: escalate at once (the default), or prompt the stage's people and
   * escalate after a grace period if still nobody has recorded an outcome.
   */
  onDeadline: z
    .union([z.literal('escalate'), z.object({ prompt: z.object({ grace: z.lazy(() => timescaleSchema) }) })])
    .default('escalate'),
  /** Final stage only: the chair may convene a resolution panel instead of deciding alone. */
  panel: z
    .object({
      name: z.string().default('Resolution panel'),
      size: z.number().int().min(2).default(3),
      /** Role that agencies' panel members hold in the directory. */
      role: roleName,
      /** The agencies in the disagreement sit on the panel (where they have a member). */
      includeAgenciesConcerned: z.boolean().default(true),
      timescale: z.lazy(() => timescaleSchema),
      guidance: z.string().optional(),
    })
    .optional(),
  /**
   * Who may decide the stage (issue 11, "agreement means agreement"): `anyone` taking part,
   * `bothSides` (one side records the agreed outcome, someone on the other side confirms or
   * disputes it; "not resolved" from either side ends the stage at once), or a named role of the
   * stage's participants (`{ role: partnershipChair }`). When absent: `bothSides` where the
   * participants come from both parties' agencies, otherwise `anyone` (shared/policy/deciding.ts).
   */
  decidedBy: z.union([z.literal('anyone'), z.literal('bothSides'), z.object({ role: roleName }).strict()]).optional(),
  /** Duties that follow an outcome at this stage, each with its own deadline (minutes, a plan). */
  duties: z
    .array(z.object({ id, name: z.string().min(1), owner: z.array(roleRefSchema).min(1), due: z.lazy(() => timescaleSchema) }))
    .default([]),
});

export const agencySchema = z.object({
  id,
  name: z.string().min(1),
  /** police, school, health, family-services, early-years, ...: what ladders and conditions key on. */
  type: z.string().min(1),
  roles: z.record(roleName, z.array(contactSchema)).default({}),
});

export const resolutionField = z.enum(['agreedPlan', 'reviewDate', 'outstandingIssues']);

export const policyPackSchema = z
  .object({
    id,
    name: z.string().min(1),
    policy: z.object({
      title: z.string().min(1),
      version: z.string().min(1),
      ratified: isoDate,
      reviewDue: isoDate.optional(),
      source: z.string().optional(),
    }),
    /** Prefix of case references, for example BSCP in BSCP-2026-7K3F9Q. */
    referencePrefix: z.string().regex(/^[A-Z]{2,6}$/, 'must be 2 to 6 capital letters'),
    calendar: z.object({
      timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/London'),
      holidays: z.enum(['england-and-wales', 'none']),
      workingDay: z.object({ start: clock, end: clock }),
    }),
    /** How long a link stays usable after its stage's deadline. */
    linkGrace: timescaleSchema.default({ workingDays: 2 }),
    categories: z.array(z.object({ id, label: z.string().min(1) })).min(1),
    /** Practitioner roles and who their counterpart is at the line-manager stage, in order of preference. */
    counterparts: z.record(roleName, z.array(roleName).min(1)).default({}),
    stages: z.array(stageSchema).min(1),
    immediateHarm: z
      .object({
        /** Stage a case with immediate harm starts at, unless the raiser chooses one of `mayStartAt`. */
        startAtStage: id.optional(),
        mayStartAt: z.array(id).default([]),
        notify: z.array(roleRefSchema).default([]),
      })
      .optional(),
    /**
     * When the final stage's time runs out (after its reminders and one more timescale): close the
     * case unresolved (the default), or refer it on to the people named, so no case waits for ever.
     */
    finalDeadline: z
      .discriminatedUnion('then', [
        z.object({ then: z.literal('closeUnresolved') }).strict(),
        z.object({ then: z.literal('referOn'), referTo: z.array(roleRefSchema).min(1) }).strict(),
      ])
      .default({ then: 'closeUnresolved' }),
    /**
     * Who hears when an email is refused for good (an address that does not exist): the partnership
     * mailbox by default, so someone can correct the directory.
     */
    deliveryProblems: z
      .array(roleRefSchema)
      .default([{ role: 'partnershipMailbox', of: 'partnership', fallback: ['boardMailbox', 'boardManager'] }]),
    /** Partnership-wide notifications: who is told of what, from which stage onwards. */
    notify: z
      .array(
        z.object({
          to: z.array(roleRefSchema).min(1),
          on: z.array(notifyOn).min(1),
          /** From this stage onwards (inclusive); every stage when absent. */
          fromStage: id.optional(),
          /** Send the anonymised proforma (nothing identifying the child or family) with it. */
          proforma: z.boolean().default(false),
        }),
      )
      .default([]),
    resolution: z
      .object({
        /** Fields a resolution must have in this partnership (Hull: an agreed plan with a review date). */
        require: z.array(resolutionField).default([]),
        /** Suggest a debrief to the people involved after resolution (Chew Stoke). */
        suggestDebrief: z.boolean().default(false),
        /** Wake the case on the review date and remind the people named. */
        remindOnReviewDate: z.boolean().default(true),
      })
      .default({ require: [], suggestDebrief: false, remindOnReviewDate: true }),
    directory: z.object({
      partnership: z.object({ roles: z.record(roleName, z.array(contactSchema)).default({}) }),
      agencies: z.array(agencySchema).min(1),
    }),
  })
  .superRefine((pack, ctx) => {
    const stageIds = new Set<string>();
    pack.stages.forEach((stage, i) => {
      if (stageIds.has(stage.id)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'id'], message: `duplicate stage id "${stage.id}"` });
      stageIds.add(stage.id);
      if (stage.when && hasClock(stage.when)) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'when'], message: 'a stage cannot depend on the clock; put clock conditions on its participants' });
      }
      for (const problem of decidedByProblems(stage)) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'decidedBy', ...problem.path], message: `stage ${i + 1} ("${stage.id}"): ${problem.message}` });
      }
      if (stage.panel && i !== pack.stages.length - 1) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'panel'], message: 'only the final stage can convene a panel' });
      }
    });
    const checkStageRef = (ref: string | undefined, path: (string | number)[]) => {
      if (ref && !stageIds.has(ref)) ctx.addIssue({ code: 'custom', path, message: `no stage has id "${ref}"` });
    };
    checkStageRef(pack.immediateHarm?.startAtStage, ['immediateHarm', 'startAtStage']);
    pack.immediateHarm?.mayStartAt.forEach((s, i) => checkStageRef(s, ['immediateHarm', 'mayStartAt', i]));
    pack.notify.forEach((rule, i) => checkStageRef(rule.fromStage, ['notify', i, 'fromStage']));

    const agencyIds = new Set<string>();
    pack.directory.agencies.forEach((agency, i) => {
      if (agencyIds.has(agency.id)) ctx.addIssue({ code: 'custom', path: ['directory', 'agencies', i, 'id'], message: `duplicate agency id "${agency.id}"` });
      agencyIds.add(agency.id);
    });
    const categories = new Set(pack.categories.map((c) => c.id));
    const partnershipRoles = pack.directory.partnership.roles;
    const checkRefs = (refs: RoleRef[], path: (string | number)[]) =>
      refs.forEach((ref, i) => {
        (ref.when?.category ?? []).forEach((c, j) => {
          if (!categories.has(c)) ctx.addIssue({ code: 'custom', path: [...path, i, 'when', 'category', j], message: `no category has id "${c}"` });
        });
        if (ref.of !== 'partnership') return;
        const held = [ref.role, ...ref.fallback].some((role) => (partnershipRoles[role] ?? []).length > 0);
        if (!held) ctx.addIssue({ code: 'custom', path: [...path, i, 'role'], message: `nobody in directory.partnership.roles holds "${ref.role}"` });
      });
    pack.stages.forEach((stage, i) => {
      checkRefs(stage.participants, ['stages', i, 'participants']);
      checkRefs(stage.notify, ['stages', i, 'notify']);
      checkRefs(stage.notifyBefore, ['stages', i, 'notifyBefore']);
      stage.duties.forEach((duty, j) => checkRefs(duty.owner, ['stages', i, 'duties', j, 'owner']));
    });
    if (pack.immediateHarm) checkRefs(pack.immediateHarm.notify, ['immediateHarm', 'notify']);
    pack.notify.forEach((rule, i) => checkRefs(rule.to, ['notify', i, 'to']));
    const usesCounterpart = pack.stages.some((s) => s.participants.some((p) => p.role === 'counterpart'));
    if (usesCounterpart && Object.keys(pack.counterparts).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['counterparts'], message: 'stages ask for a counterpart, so the pack needs a counterparts table' });
    }
  });

function hasClock(condition: Condition): boolean {
  return condition.officeHours !== undefined || condition.time !== undefined || condition.days !== undefined || condition.bankHoliday !== undefined;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type PolicyPack = z.infer<typeof policyPackSchema>;
export type Stage = z.infer<typeof stageSchema>;
export type RoleRef = z.infer<typeof roleRefSchema>;
export type Timescale = z.infer<typeof timescaleSchema>;
export type Contact = z.infer<typeof contactSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type ClockCondition = z.infer<typeof clockConditionSchema>;
export type CaseFlagName = z.infer<typeof caseFlagName>;
export type CaseStatusName = z.infer<typeof caseStatusName>;
export type ResolutionField = z.infer<typeof resolutionField>;
