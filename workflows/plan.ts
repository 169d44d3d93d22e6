/**
 * The shape of a case's path through its policy, worked out from the snapshot alone: which
 * stages apply to this case, where it starts, which stage is final, who the pack-wide rules tell.
 * Pure and deterministic.
 */
import type { DisagreementInput } from '../shared/contract';
import { caseFactsOf, caseMatches, type CaseFacts } from '../shared/policy/conditions';
import type { PolicyPack, RoleRef } from '../shared/policy/schema';

export class StagePlan {
  private readonly facts: CaseFacts;
  constructor(private readonly input: DisagreementInput) {
    this.facts = caseFactsOf({ ...input, directory: input.policy.directory });
  }

  private get stages() {
    return this.input.policy.stages;
  }

  /** The first stage at or after `from` that applies to this case, or -1. */
  nextApplicable(from: number): number {
    for (let i = from; i < this.stages.length; i++) if (caseMatches(this.stages[i].when, this.facts)) return i;
    return -1;
  }

  isFinal(index: number): boolean {
    return this.nextApplicable(index + 1) === -1;
  }

  /** Stage 1, or with immediate harm the stage the raiser chose (if allowed) or the policy's own. */
  startingStage(): number {
    const { policy, flags, startAtStage } = this.input;
    const harm = flags.immediateHarm ? policy.immediateHarm : undefined;
    const chosen = startAtStage && harm?.mayStartAt?.includes(startAtStage) ? startAtStage : harm?.startAtStage;
    const index = chosen ? policy.stages.findIndex((s) => s.id === chosen) : 0;
    const first = this.nextApplicable(Math.max(index, 0));
    return first === -1 ? this.nextApplicable(0) : first;
  }

  /** Pack-wide rules for an event at a stage: plain recipients and proforma recipients apart. */
  packRules(on: 'stageEntered' | 'outcomeRecorded' | 'resolved', index: number): { plain: RoleRef[]; proforma: RoleRef[] } {
    const rules = (this.input.policy.notify ?? []).filter((rule) => {
      if (!rule.on.includes(on)) return false;
      const from = rule.fromStage ? this.stages.findIndex((s) => s.id === rule.fromStage) : 0;
      return index >= from;
    });
    return {
      plain: rules.filter((r) => !r.proforma).flatMap((r) => r.to),
      proforma: rules.filter((r) => r.proforma).flatMap((r) => r.to),
    };
  }
}

export function categoryLabel(policy: PolicyPack, category: string): string {
  return policy.categories.find((c) => c.id === category)?.label ?? category;
}
