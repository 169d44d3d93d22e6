/**
 * A partnership's escalation policy as data. One validated document per partnership: no
 * partnership has code of its own. Pure zod, safe to use anywhere (it is not imported by
 * workflow code, which only receives the already-validated snapshot).
 */
import { z } from 'zod';

const id = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9-]*$/, 'must start with a lower-case letter and use letters, digits and hyphens');
const roleName = z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'must be a camelCase role name such as lineManager');
const isoDate = z.iso.date();
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time such as 09:00');

export const contactSchema = z.object({
  name: z.string().min(1),
  email: z.email(),
});

export const caseFlagName = z.enum(['childProtectionPlan', 'lookedAfter', 'immediateHarm']);

/** Who, relative to the disagreement: the raiser's agency, the other agency, both, or the partnership. */
export const roleRefSchema = z.object({
  role: roleName,
  of: z.enum(['raiser', 'other', 'both', 'partnership']),
  /** Roles tried in order when nobody holds `role` (Hull: "if no line manager is available, the next tier"). */
  fallback: z.array(roleName).default([]),
  /** Only when any of these case flags is set. */
  when: z.array(caseFlagName).optional(),
});

/** Timescales: working days or hours in the pack's calendar, or a plain ISO-8601 period. */
export const timescaleSchema = z.union([
  z.object({ workingDays: z.number().int().positive() }).strict(),
  z.object({ workingHours: z.number().positive() }).strict(),
  z
    .object({ period: z.iso.duration() })
    .strict()
    .describe('an ISO-8601 period of elapsed time, for example P2D or PT4H'),
]);

export const stageSchema = z.object({
  id,
  name: z.string().min(1),
  /** What the policy expects to happen at this stage, shown to the people taking part. */
  guidance: z.string().optional(),
  timescale: timescaleSchema,
  /** The people who meet and record the outcome. `worker` of `both` is the two practitioners. */
  participants: z.array(roleRefSchema).min(1),
  /** People told on entry who do not record the outcome. */
  notify: z.array(roleRefSchema).default([]),
});

export const agencySchema = z.object({
  id,
  name: z.string().min(1),
  type: z.string().min(1),
  roles: z.record(roleName, z.array(contactSchema)).default({}),
});

export const policyPackSchema = z
  .object({
    id,
    name: z.string().min(1),
    policy: z.object({
      title: z.string().min(1),
      version: z.string().min(1),
      ratified: isoDate,
      reviewDue: isoDate.optional(),
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
    stages: z.array(stageSchema).min(1),
    immediateHarm: z
      .object({
        /** Stage id a case with immediate harm may start at. */
        startAtStage: id.optional(),
        notify: z.array(roleRefSchema).default([]),
      })
      .optional(),
    directory: z.object({
      partnership: z.object({ roles: z.record(roleName, z.array(contactSchema)).default({}) }),
      agencies: z.array(agencySchema).min(1),
    }),
  })
  .superRefine((pack, ctx) => {
    const stageIds = new Set<string>();
    pack.stages.forEach((stage, i) => {
      if (stageIds.has(stage.id)) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'id'], message: `duplicate stage id "${stage.id}"` });
      }
      stageIds.add(stage.id);
    });
    const start = pack.immediateHarm?.startAtStage;
    if (start && !stageIds.has(start)) {
      ctx.addIssue({
        code: 'custom',
        path: ['immediateHarm', 'startAtStage'],
        message: `no stage has id "${start}"`,
      });
    }
    const agencyIds = new Set<string>();
    pack.directory.agencies.forEach((agency, i) => {
      if (agencyIds.has(agency.id)) {
        ctx.addIssue({ code: 'custom', path: ['directory', 'agencies', i, 'id'], message: `duplicate agency id "${agency.id}"` });
      }
      agencyIds.add(agency.id);
    });
    const partnershipRoles = pack.directory.partnership.roles;
    const checkPartnershipRefs = (refs: RoleRef[], path: (string | number)[]) =>
      refs.forEach((ref, i) => {
        if (ref.of !== 'partnership') return;
        const held = [ref.role, ...ref.fallback].some((role) => (partnershipRoles[role] ?? []).length > 0);
        if (!held) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, i, 'role'],
            message: `nobody in directory.partnership.roles holds "${ref.role}"`,
          });
        }
      });
    pack.stages.forEach((stage, i) => {
      checkPartnershipRefs(stage.participants, ['stages', i, 'participants']);
      checkPartnershipRefs(stage.notify, ['stages', i, 'notify']);
    });
    if (pack.immediateHarm) checkPartnershipRefs(pack.immediateHarm.notify, ['immediateHarm', 'notify']);
  });

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
export type CaseFlagName = z.infer<typeof caseFlagName>;
